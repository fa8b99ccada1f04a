using System.Collections;
using System.Globalization;
using System.Management.Automation;

namespace Analysis.PowerShell;

/// <summary>
/// Addresses as investigators write them: numbers (0x7f3a2c0410a8 typed in PowerShell is one), or text in hex with or
/// without 0x ("0x7f3a2c0410a8", "7f3a2c0410a8", as SOS prints them), one or several (a list, such as the Addresses
/// of a Get-GcRoot path bound by property name). Anything else is left for PowerShell's own conversion to reject.
/// </summary>
[AttributeUsage(AttributeTargets.Property | AttributeTargets.Field)]
public sealed class AddressTransformationAttribute : ArgumentTransformationAttribute
{
    /// <inheritdoc/>
    public override object Transform(EngineIntrinsics engineIntrinsics, object inputData)
    {
        object input = inputData is PSObject pso ? pso.BaseObject : inputData;
        // one address stays one value: PowerShell binds it to an address parameter and wraps it for an address list
        if (input is string or not IEnumerable)
            return One(input) is { } one ? one : inputData;
        var addresses = new List<ulong>();
        foreach (object? item in (IEnumerable)input)
        {
            if (One(item is PSObject p ? p.BaseObject : item) is not { } address)
                return inputData;
            addresses.Add(address);
        }

        return addresses.ToArray();
    }

    /// <summary>One address from a number or hex text, or null when it is neither.</summary>
    public static ulong? One(object? value) => value switch
    {
        ulong u => u,
        long l => unchecked((ulong)l), // a pointer above 2^63 comes through PowerShell's hex literal as a negative long
        int i when i >= 0 => (ulong)i,
        uint u => u,
        decimal d when d >= 0 && d <= ulong.MaxValue && decimal.Truncate(d) == d => (ulong)d,
        double d when d >= 0 && d < 18446744073709551616.0 && Math.Floor(d) == d => (ulong)d,
        string s => Parse(s),
        _ => null,
    };

    private static ulong? Parse(string text)
    {
        string s = text.Trim().Replace("`", "", StringComparison.Ordinal);
        if (s.StartsWith("0x", StringComparison.OrdinalIgnoreCase))
            s = s[2..];
        return s.Length > 0 && ulong.TryParse(s, NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out ulong address) ? address : null;
    }
}
