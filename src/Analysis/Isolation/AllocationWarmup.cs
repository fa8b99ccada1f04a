namespace Analysis.Isolation;

/// <summary>
/// While a worker reads a trace or opens a dump, the session's thread would only wait. It touches the memory its next
/// allocations will be given instead: short-lived arrays, one write per page, until the GC has collected its youngest
/// generation once (at most <see cref="Ceiling"/>), or until the worker has answered. The pages the GC hands out
/// afterwards are then ones this process has written before.
/// <para>
/// Why: reading in this process allocates hundreds of MB, so its allocation area is already touched when the questions
/// come. A session whose worker did the reading has allocated little; its first questions after an open each paid
/// ~1,500 first-touch page faults (2–3 ms, measured with <c>Analysis.Bench isolation-detail</c>) until the GC had
/// cycled once. The cost moves here, into time spent waiting anyway (another core, while the worker reads).
/// </para>
/// <para>
/// Once per session (<see cref="RunInSession"/>): a process that has collected its young generation has written its
/// allocation area already. Touching it again on each open cost more than it saved: a dump opened by the warm shared
/// worker (its answer in 3–5 ms) was answered after 9–12 ms, since on two cores the touching slowed the worker and the
/// thread that reads its answer, so the answer was seen late (measured in pwsh on the bench's dump; Open-Dump of a
/// second dump 14 ms against 5 in process, 6.5 ms without it).
/// </para>
/// <para>
/// The worker does the same while it waits after giving its memory back (<see cref="WorkerServer.ReleaseMemory"/>).
/// </para>
/// </summary>
internal static class AllocationWarmup
{
    /// <summary>Below the large-object threshold, so the arrays come from the young generation's area.</summary>
    internal const int Chunk = 64_000;

    /// <summary>The most it allocates: more than any young-generation budget we measured (16–24 MB).</summary>
    public const long Ceiling = 64L << 20;

    /// <summary>The last array, kept reachable so the allocations cannot be optimised away.</summary>
    private static byte[]? s_last;

    /// <summary>
    /// <see cref="Run"/> for a session waiting for its worker, while this process has never collected its young
    /// generation; nothing afterwards. Returns the bytes allocated.
    /// </summary>
    public static long RunInSession(Func<bool> answered) => GC.CollectionCount(0) == 0 ? Run(answered) : 0;

    /// <summary>
    /// Allocates and touches until one young-generation collection, <see cref="Ceiling"/>, or <paramref name="answered"/>
    /// says the worker's answer has come; returns the bytes allocated.
    /// </summary>
    public static long Run(Func<bool>? answered = null)
    {
        int collections = GC.CollectionCount(0);
        long allocated = 0;
        while (GC.CollectionCount(0) == collections && allocated < Ceiling && answered?.Invoke() != true)
        {
            s_last = TouchedChunk();
            allocated += Chunk;
        }

        s_last = null;
        return allocated;
    }

    /// <summary>A new short-lived array of <see cref="Chunk"/> bytes, one byte written per page (as a question's arrays are).</summary>
    internal static byte[] TouchedChunk()
    {
        int page = Environment.SystemPageSize;
        var chunk = new byte[Chunk];
        for (int i = 0; i < chunk.Length; i += page)
            chunk[i] = 1;
        return chunk;
    }
}
