using System.Globalization;
using System.Text.RegularExpressions;

namespace Analysis.Testing;

/// <summary>
/// SOS's answers about sizes, heap layout and handles, parsed from <see cref="Sos.Run"/>'s text (tests only): objsize,
/// gcheapstat, eeheap -gc, gcwhere, gchandles. Generations are named as the library names them (Gen0, Gen1, Gen2,
/// Large, Pinned, Frozen); handle kinds as SOS prints them (Strong, Pinned, WeakShort, WeakLong, Dependent …).
/// </summary>
public static partial class SosAnswers
{
    /// <summary>One handle of gchandles' listing.</summary>
    public readonly record struct Handle(ulong Address, string Kind, ulong Object, long Size, string TypeName);

    /// <summary>The addresses a command lists one per line (dumpheap -short).</summary>
    public static List<ulong> Addresses(string dump, string command) =>
        Sos.Run(dump, command).Split('\n').Select(l => l.Trim()).Where(l => AddressOnly().IsMatch(l)).Select(Hex).ToList();

    /// <summary>objsize's total: objects and bytes the object keeps reachable.</summary>
    public static (long Count, long Bytes) Objsize(string dump, ulong address)
    {
        string output = Sos.Run(dump, $"objsize -stat {address:x}");
        var total = ObjsizeTotal().Match(output);
        if (!total.Success)
            throw new InvalidOperationException("objsize gave no total: " + output);
        return (Number(total.Groups[1].Value), Number(total.Groups[2].Value));
    }

    /// <summary>
    /// gcheapstat's three tables (allocated, free space, committed) by heap and generation: Gen0 to Pinned, and
    /// "Ephemeral" for the EPH column of a segments GC (whose Gen0..Gen2 allocated are the objects' bytes, not ranges).
    /// </summary>
    public static Dictionary<(int Heap, string Generation), (long Allocated, long Free, long Committed)> Gcheapstat(string dump)
    {
        string output = Sos.Run(dump, "gcheapstat");
        var tables = new List<Dictionary<int, long[]>>();
        string[] columns = [];
        foreach (string line in output.Split('\n').Select(l => l.Trim()))
        {
            if (line.StartsWith("Heap ", StringComparison.Ordinal))
            {
                columns = line.Split(' ', StringSplitOptions.RemoveEmptyEntries).Skip(1).TakeWhile(c => c != "FRZ").ToArray();
                if (!columns.Where(c => c != "EPH").SequenceEqual(["Gen0", "Gen1", "Gen2", "LOH", "POH"]))
                    throw new InvalidOperationException("gcheapstat's columns changed: " + line);
                tables.Add(new());
            }
            else if (line.StartsWith("Heap", StringComparison.Ordinal) && tables.Count > 0)
            {
                var cells = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
                tables[^1][int.Parse(cells[0][4..], CultureInfo.InvariantCulture)] = cells.Skip(1).Take(columns.Length).Select(c => long.Parse(c, CultureInfo.InvariantCulture)).ToArray();
            }
        }

        if (tables.Count != 3)
            throw new InvalidOperationException("gcheapstat without its three tables: " + output);
        string[] names = columns.Select(c => c switch { "EPH" => "Ephemeral", "LOH" => "Large", "POH" => "Pinned", _ => c }).ToArray();
        return tables[0].Keys.SelectMany(heap => names.Select((g, i) => (Key: (heap, g), Value: (tables[0][heap][i], tables[1][heap][i], tables[2][heap][i]))))
            .ToDictionary(x => x.Key, x => x.Value);
    }

    /// <summary>eeheap -gc's segments: begin (first object), allocated (end), committed size.</summary>
    public static List<(ulong Start, ulong End, long Committed)> EeheapSegments(string dump) =>
        SegmentLine().Matches(Sos.Run(dump, "eeheap -gc")).Select(m => (Hex(m.Groups[2].Value), Hex(m.Groups[3].Value), Number(m.Groups[5].Value))).ToList();

    /// <summary>gcwhere: heap, generation and the segment's allocated range; null when SOS finds no segment.</summary>
    public static (int Heap, string Generation, ulong Start, ulong End)? Gcwhere(string dump, ulong address)
    {
        string output = Sos.Run(dump, $"gcwhere {address:x}");
        var m = GcwhereLine().Match(output);
        if (!m.Success)
            return output.Contains("not found", StringComparison.Ordinal) ? null : throw new InvalidOperationException("gcwhere: " + output);
        string generation = m.Groups[3].Value switch
        {
            "0" => "Gen0",
            "1" => "Gen1",
            "2" => "Gen2",
            "large" => "Large",
            "pinned" => "Pinned",
            "frozen" => "Frozen",
            var other => throw new InvalidOperationException($"gcwhere generation '{other}': {output}"),
        };
        return (int.Parse(m.Groups[2].Value, CultureInfo.InvariantCulture), generation, Hex(m.Groups[4].Value), Hex(m.Groups[5].Value));
    }

    /// <summary>gchandles' listing, one entry per handle.</summary>
    public static List<Handle> Gchandles(string dump) =>
        HandleLine().Matches(Sos.Run(dump, "gchandles"))
            .Select(m => new Handle(Hex(m.Groups[1].Value), m.Groups[2].Value, Hex(m.Groups[3].Value), Number(m.Groups[4].Value), m.Groups[5].Value.Trim()))
            .ToList();

    /// <summary>gchandles -stat's counts per kind ("Weak Long Handles" as WeakLong).</summary>
    public static Dictionary<string, int> GchandlesStat(string dump) =>
        StatLine().Matches(Sos.Run(dump, "gchandles -stat"))
            .ToDictionary(m => m.Groups[1].Value.Replace(" ", "", StringComparison.Ordinal), m => int.Parse(m.Groups[2].Value, CultureInfo.InvariantCulture));

    private static ulong Hex(string text) => ulong.Parse(text, NumberStyles.HexNumber, CultureInfo.InvariantCulture);

    private static long Number(string text) => long.Parse(text, NumberStyles.AllowThousands, CultureInfo.InvariantCulture);

    [GeneratedRegex(@"^[0-9a-f]{8,16}$")]
    private static partial Regex AddressOnly();

    [GeneratedRegex(@"Total ([\d,]+) objects, ([\d,]+) bytes")]
    private static partial Regex ObjsizeTotal();

    [GeneratedRegex(@"^\s*([0-9a-f]{8,16})\s+([0-9a-f]{8,16})\s+([0-9a-f]{8,16})\s+([0-9a-f]{8,16})\s.*\((\d+)\)\s*$", RegexOptions.Multiline)]
    private static partial Regex SegmentLine();

    [GeneratedRegex(@"^([0-9a-f]{8,16})\s+(\d+)\s+[0-9a-f]+\s+(\S+)\s+([0-9a-f]+)-([0-9a-f]+)\s", RegexOptions.Multiline)]
    private static partial Regex GcwhereLine();

    // handle, kind, object, size, [dependent's address], type
    [GeneratedRegex(@"^([0-9A-F]{16}) (\w+)\s+([0-9A-F]{16})\s+([\d,]+)\s+(?:[0-9A-F]{16}\s+)?(\S.*)$", RegexOptions.Multiline)]
    private static partial Regex HandleLine();

    [GeneratedRegex(@"^\s*(\w[\w ]*?) Handles:\s+(\d+)\s*$", RegexOptions.Multiline)]
    private static partial Regex StatLine();
}
