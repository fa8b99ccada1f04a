using System.Runtime.InteropServices;

namespace Analysis.Fuzz;

/// <summary>
/// Edge coverage from a sharpfuzz-instrumented Analysis.dll, without AFL or libFuzzer: instrumented code counts each
/// branch edge into <c>SharpFuzz.Common.Trace.SharedMem</c> (64 KiB, AFL's layout), which the worker points at its own
/// map. After each case the hit counts are bucketed as AFL does (1, 2, 3, 4–7, 8–15, 16–31, 32–127, 128+) and compared
/// with what this worker has seen: a case that reaches a new edge or bucket joins the corpus.
/// </summary>
internal static unsafe class Coverage
{
    public const int MapSize = 1 << 16;
    private static byte* s_map;
    private static readonly byte[] s_seen = new byte[MapSize];

    /// <summary>Whether this worker runs instrumented code (the parent says so with ANALYSIS_FUZZ_COVERAGE=1).</summary>
    public static bool Enabled { get; private set; }

    public static void Start()
    {
        if (Environment.GetEnvironmentVariable("ANALYSIS_FUZZ_COVERAGE") != "1")
            return;
        s_map = (byte*)NativeMemory.AllocZeroed(MapSize);
        SharpFuzz.Common.Trace.SharedMem = s_map;
        Enabled = true;
    }

    public static void Reset()
    {
        if (!Enabled)
            return;
        new Span<byte>(s_map, MapSize).Clear();
        SharpFuzz.Common.Trace.PrevLocation = 0;
    }

    /// <summary>How many edges or hit-count buckets the last case reached for the first time.</summary>
    public static int NewBits()
    {
        if (!Enabled)
            return 0;
        int fresh = 0;
        var words = new ReadOnlySpan<ulong>(s_map, MapSize / 8);
        for (int w = 0; w < words.Length; w++)
        {
            if (words[w] == 0)
                continue;
            for (int i = w * 8; i < (w * 8) + 8; i++)
            {
                byte hits = s_map[i];
                if (hits == 0)
                    continue;
                byte bucket = hits switch
                {
                    1 => 1,
                    2 => 2,
                    3 => 4,
                    <= 7 => 8,
                    <= 15 => 16,
                    <= 31 => 32,
                    <= 127 => 64,
                    _ => 128,
                };
                if ((s_seen[i] & bucket) == 0)
                {
                    s_seen[i] |= bucket;
                    fresh++;
                }
            }
        }

        return fresh;
    }
}
