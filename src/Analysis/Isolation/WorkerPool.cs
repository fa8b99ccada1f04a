namespace Analysis.Isolation;

/// <summary>
/// One warm worker kept between requests of the same kind (trace reads): a fresh worker pays the engine's JIT on every
/// read (~150 ms), a kept one only the first time. Only a healthy worker comes back (a crash, the ceiling, a kill or a
/// cancellation ends it); it is reused only for a ceiling within 2× of its own, and ends after a minute unused or when
/// this process ends (its stdin closes).
/// </summary>
internal static class WorkerPool
{
    private static readonly TimeSpan IdleLifetime = TimeSpan.FromSeconds(60);
    private const long KeepBelowBytes = 512L << 20;
    private static readonly object s_gate = new();
    private static EngineWorker? s_idle;
    private static Timer? s_idleTimer;

    /// <summary>The kept worker when it fits <paramref name="start"/>, else a new one.</summary>
    public static EngineWorker Rent(WorkerHost host, WorkerStart start)
    {
        var idle = TakeIdle();
        if (idle is not null)
        {
            long limit = idle.Started.MemoryLimitBytes;
            if (idle.IsAlive && idle.Host is { } kept && kept.Worker == host.Worker && kept.Dotnet == host.Dotnet && limit >= start.MemoryLimitBytes && limit <= 2 * start.MemoryLimitBytes)
                return idle;
            idle.Dispose();
        }

        // the dump worker started ahead, waiting and never given a dump: its start overlapped with what the session did
        // meanwhile (a new worker's start was 25-35 ms of a first Import-Trace's extra 70 ms in pwsh); the dumps get
        // another, started ahead once this one is back (Return, Discard): started beside the read, its start and its
        // compiling took a core from the read (a first Import-Trace 1.14-1.19 of in process in pwsh, 1.01-1.11 without;
        // the cost: a script that opens a dump right after its first Import-Trace waits for that start, 95 ms against 55)
        if (SharedWorker.TakeIdle(host, start, unread: true) is { } ahead)
        {
            lock (s_gate)
                s_owingShared.Add(ahead);
            return ahead;
        }

        return EngineWorker.Start(host, start);
    }

    /// <summary>Rented workers that were the dumps' worker started ahead: the dumps get another when each comes back.</summary>
    private static readonly HashSet<EngineWorker> s_owingShared = [];

    /// <summary>Ends a rented worker that failed or was cancelled (never kept).</summary>
    public static void Discard(EngineWorker worker)
    {
        worker.Dispose();
        ReplaceShared(worker);
    }

    /// <summary>Starts the dumps' worker ahead again if <paramref name="worker"/> was it.</summary>
    private static void ReplaceShared(EngineWorker worker)
    {
        bool owed;
        lock (s_gate)
            owed = s_owingShared.Remove(worker);
        if (owed)
            SharedWorker.Start();
    }

    /// <summary>Keeps a worker that answered its request, if it is alive and small; ends it otherwise.</summary>
    public static void Return(EngineWorker worker)
    {
        ReplaceShared(worker);
        if (!worker.IsAlive || worker.ResidentBytes > KeepBelowBytes)
        {
            worker.Dispose();
            return;
        }

        EngineWorker? previous;
        lock (s_gate)
        {
            previous = s_idle;
            s_idle = worker;
            s_idleTimer?.Dispose();
            s_idleTimer = new Timer(_ => Drop(worker), null, IdleLifetime, Timeout.InfiniteTimeSpan);
        }

        previous?.Dispose();
    }

    /// <summary>Ends the kept worker, if any.</summary>
    public static void Drop() => TakeIdle()?.Dispose();

    private static EngineWorker? TakeIdle()
    {
        lock (s_gate)
        {
            var idle = s_idle;
            s_idle = null;
            s_idleTimer?.Dispose();
            s_idleTimer = null;
            return idle;
        }
    }

    private static void Drop(EngineWorker worker)
    {
        lock (s_gate)
        {
            if (s_idle != worker)
                return;
            s_idle = null;
        }

        worker.Dispose();
    }
}
