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
/// cycled once. The cost moves here, into time spent waiting anyway (another core, while the worker reads). It stops
/// when the answer comes, so a quick answer (a dump opened by a warm worker: 3 ms) is not delayed by it (16–24 MB
/// touched: ~5 ms).
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
    /// Allocates and touches until one young-generation collection, <see cref="Ceiling"/>, or <paramref name="answered"/>
    /// says the worker's answer has come; returns the bytes allocated.
    /// </summary>
    public static long Run(Func<bool>? answered = null)
    {
        int page = Environment.SystemPageSize;
        int collections = GC.CollectionCount(0);
        long allocated = 0;
        while (GC.CollectionCount(0) == collections && allocated < Ceiling && answered?.Invoke() != true)
        {
            var chunk = new byte[Chunk];
            for (int i = 0; i < chunk.Length; i += page)
                chunk[i] = 1;
            s_last = chunk;
            allocated += Chunk;
        }

        s_last = null;
        return allocated;
    }
}
