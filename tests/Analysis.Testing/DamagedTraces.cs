namespace Analysis.Testing;

/// <summary>
/// Damaged traces that reproduce, each, one fault a fuzzing campaign found in TraceEvent 4.0.0 (issue 12): the committed
/// tests/testdata/traces/gc.nettrace with a few bytes patched (found by seeded mutation; see the MANIFEST there).
/// </summary>
public static class DamagedTraces
{
    /// <summary>One damaged trace: what it makes TraceEvent do, and what the reader says about it.</summary>
    /// <param name="Name">File name stem.</param>
    /// <param name="Fault">The exception TraceEvent throws (or the crash).</param>
    /// <param name="Said">Text the warning or the error names.</param>
    /// <param name="Keep">Bytes of the base kept (0: all).</param>
    /// <param name="Patches">offset → bytes written there.</param>
    public sealed record Damage(string Name, string Fault, string Said, int Keep, (int Offset, byte[] Bytes)[] Patches)
    {
        public override string ToString() => Name;
    }

    private static readonly byte[] Ones = [0xFF, 0xFF, 0xFF, 0xFF];
    private static readonly byte[] IntMax = [0xFF, 0xFF, 0xFF, 0x7F];

    public static string Base => Path.Combine(RepoPaths.Root, "tests", "testdata", "traces", "gc.nettrace");

    /// <summary>TraceEvent reads outside an event and the runtime aborts the process (no handler can catch it).</summary>
    public static Damage AccessViolation { get; } = new("access-violation", "AccessViolationException", "System.AccessViolationException", 40_000, [(25_578, Ones)]);

    /// <summary>The faults TraceEvent throws as exceptions (the reader keeps what came before, or says the file is unreadable).</summary>
    public static IReadOnlyList<Damage> Thrown { get; } =
    [
        new("past-end-of-event", "Exception", "Reading past end of event", 0, [(150_703, Ones), (243_225, [0xE6])]),
        new("gc-mark-index", "IndexOutOfRangeException", "IndexOutOfRangeException", 0, [(23_975, [0xAA])]),
        new("metadata-overflow", "OverflowException", "OverflowException", 0, [(24_514, Ones), (39_891, Ones), (142_608, [0x8E]), (263_726, IntMax)]),
        new("stack-block-range", "ArgumentOutOfRangeException", "ArgumentOutOfRangeException", 0, [(1_048, [0x91]), (9_051, [0xDB]), (86_968, [0xFA]), (230_084, [0xAD, 0x49, 0x6B, 0x20])]),
        new("absurd-allocation", "OutOfMemoryException", "OutOfMemoryException", 0, [(17_650, IntMax), (30_597, [0x2D]), (228_433, IntMax), (239_750, [0xFC, 0x96, 0xEC, 0x07])]),
        new("gc-analysis-index", "IndexOutOfRangeException", "GC analysis of process", 0, [(25_104, IntMax), (152_354, [0x95, 0x60, 0x10, 0x73])]),
        new("global-history-overflow", "OverflowException", "OverflowException", 0, [(24_071, Ones), (31_367, [0x22]), (172_823, IntMax), (176_286, [0x40])]),
    ];

    /// <summary>Writes the damaged trace into <paramref name="folder"/>; returns its path.</summary>
    public static string Make(Damage damage, string folder)
    {
        var bytes = File.ReadAllBytes(Base);
        if (damage.Keep > 0)
            bytes = bytes[..damage.Keep];
        foreach (var (offset, patch) in damage.Patches)
            patch.CopyTo(bytes, offset);
        string path = Path.Combine(folder, damage.Name + ".nettrace");
        File.WriteAllBytes(path, bytes);
        return path;
    }
}
