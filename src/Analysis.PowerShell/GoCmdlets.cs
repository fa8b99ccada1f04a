using System.Globalization;
using System.Management.Automation;
using Analysis.Go;

namespace Analysis.PowerShell;

/// <summary>Shared reporting for the Go cmdlets.</summary>
internal static partial class GoCmdlets
{
    /// <summary>One warning with the count and the first skipped line; every skipped line as verbose output.</summary>
    public static void ReportSkipped(Cmdlet cmdlet, IReadOnlyList<SkippedLine> skipped)
    {
        if (skipped.Count == 0)
            return;
        cmdlet.WriteWarning(string.Create(CultureInfo.InvariantCulture, $"{skipped.Count} line(s) were not understood and skipped; the first: {skipped[0]}. Use -Verbose to list them."));
        foreach (var s in skipped)
            cmdlet.WriteVerbose(s.ToString());
    }
}
