using System.Globalization;
using System.Text.RegularExpressions;

namespace Analysis.Testing;

/// <summary>SOS's dumpheap / dumpgen output parsed (in tests only): object lines and statistics rows.</summary>
public static partial class SosHeap
{
    /// <summary>The objects of a dumpheap listing (address, size), only those of the type named (by the statistics' method table) when given.</summary>
    public static (ulong Address, ulong Size)[] Objects(string output, string? exactType = null)
    {
        var mts = exactType is null ? null : Statistics(output).Where(r => r.Name == exactType).Select(r => r.MethodTable).ToHashSet();
        return ObjectLine().Matches(output)
            .Select(m => (Address: Hex(m.Groups[1].Value), Mt: Hex(m.Groups[2].Value), Size: ulong.Parse(m.Groups[3].Value, NumberStyles.AllowThousands, CultureInfo.InvariantCulture)))
            .Where(o => mts is null || mts.Contains(o.Mt))
            .Select(o => (o.Address, o.Size)).ToArray();
    }

    /// <summary>The statistics rows (method table, count, total size, type name), free space left out.</summary>
    public static IEnumerable<(ulong MethodTable, long Count, long Size, string Name)> Statistics(string output) =>
        StatisticsLine().Matches(output).Select(m => (Hex(m.Groups[1].Value), Number(m.Groups[2].Value), Number(m.Groups[3].Value), m.Groups[4].Value.Trim()))
            .Where(r => r.Item4 != "Free");

    /// <summary>Objects and bytes of the statistics rows.</summary>
    public static (long Count, long Size) Total(string output)
    {
        var rows = Statistics(output).ToArray();
        return (rows.Sum(r => r.Count), rows.Sum(r => r.Size));
    }

    private static ulong Hex(string s) => ulong.Parse(s, NumberStyles.HexNumber, CultureInfo.InvariantCulture);

    private static long Number(string s) => long.Parse(s, NumberStyles.AllowThousands, CultureInfo.InvariantCulture);

    [GeneratedRegex(@"^\s*([0-9a-f]{8,16})\s+([0-9a-f]{8,16})\s+([\d,]+)\s*$", RegexOptions.Multiline)]
    private static partial Regex ObjectLine();

    [GeneratedRegex(@"^\s*([0-9a-f]{8,16})\s+([\d,]+)\s+([\d,]+)\s+(\S.*?)\s*$", RegexOptions.Multiline)]
    private static partial Regex StatisticsLine();
}
