namespace Analysis.Isolation;

/// <summary>
/// A worker process started ahead, before any file is known (when the PowerShell module is imported), so that its start
/// (the runtime, our assemblies, the first JIT: about a tenth of a second) overlaps with what the session does meanwhile
/// instead of delaying the first dump opened. The first dump session that needs a worker takes it: it gets that file's
/// ceiling as any worker does (the GC heap ceiling is lowered in the worker to the file's, the resident ceiling here),
/// so isolation is the same as for a worker started then. Started with the largest ceiling a default start can have;
/// not used for a larger one asked explicitly. While it waits it compiles the dump engine
/// (<see cref="WorkerStart.CompileDumpEngine"/>), so the first questions about the dump do not pay the JIT in the
/// worker (in pwsh, 4–20% of each first question on the bench's dump). Ends after a minute unused, or with this
/// process (its stdin closes). A worker whose dump was closed after reading without a failure becomes the spare as
/// well (<see cref="Keep"/>).
/// </summary>
public static class SpareWorker
{
    private static readonly TimeSpan IdleLifetime = TimeSpan.FromSeconds(60);
    private static readonly object s_gate = new();
    private static EngineWorker? s_spare;
    private static Task? s_starting;
    private static Timer? s_idleTimer;

    /// <summary>
    /// Starts the spare worker in the background, unless one is there or starting, or engines run in this process
    /// (ANALYSIS_ENGINE_ISOLATION=inprocess). Returns at once; a failure to start is left to the next real start to report.
    /// </summary>
    public static void Start()
    {
        if (EngineIsolationPolicy.Resolve(EngineIsolation.Default) != EngineIsolation.Worker)
            return;
        lock (s_gate)
        {
            if (s_spare is not null || s_starting is not null)
                return;
            s_starting = Task.Run(StartNow);
        }
    }

    /// <summary>
    /// Keeps <paramref name="worker"/>, whose dump was closed (its engine disposed in it), as the spare, unless one is
    /// there: the next dump opened takes a worker whose engine code is warm (compiled, promoted by the tiered JIT, its
    /// types loaded), so that dump's first questions cost what they would in a process that had read a dump before
    /// (measured in pwsh on the bench's dump: 5–11× faster than in a new worker). One dump per worker still: only a
    /// closed dump's worker is kept, and only when no question about that dump failed (the caller's check), since a
    /// damaged dump may have left the DAC's state in the worker damaged too. Returns whether it was kept (if not, the
    /// caller ends it).
    /// </summary>
    internal static bool Keep(EngineWorker worker) => worker.IsAlive && TryHold(worker);

    /// <summary>Makes <paramref name="worker"/> the spare, ended after <see cref="IdleLifetime"/> unused, unless one is there; returns whether it did.</summary>
    private static bool TryHold(EngineWorker worker)
    {
        lock (s_gate)
        {
            if (s_spare is not null)
                return false;
            s_spare = worker;
            s_idleTimer = new Timer(_ => Drop(), null, IdleLifetime, Timeout.InfiniteTimeSpan);
            return true;
        }
    }

    /// <summary>Ends the spare worker, if one is there.</summary>
    public static void Drop() => Remove()?.Dispose();

    /// <summary>The spare worker, no longer kept here (its idle timer stopped), or null.</summary>
    private static EngineWorker? Remove()
    {
        lock (s_gate)
        {
            var spare = s_spare;
            s_spare = null;
            s_idleTimer?.Dispose();
            s_idleTimer = null;
            return spare;
        }
    }

    /// <summary>The process id of the spare worker while one waits (tests).</summary>
    internal static int? ProcessId
    {
        get
        {
            lock (s_gate)
                return s_spare is { IsAlive: true } spare ? spare.ProcessId : null;
        }
    }

    /// <summary>What the spare worker waiting now was started with (tests).</summary>
    internal static WorkerStart? Started
    {
        get
        {
            lock (s_gate)
                return s_spare?.Started;
        }
    }

    /// <summary>Waits until a spare being started is there (tests).</summary>
    internal static void WaitStarted()
    {
        Task? starting;
        lock (s_gate)
            starting = s_starting;
        starting?.Wait();
    }

    /// <summary>
    /// The spare worker, given <paramref name="start"/>'s ceiling and names, when one is there (or being started) and fits;
    /// null otherwise (the caller starts a worker as usual).
    /// </summary>
    internal static EngineWorker? Take(WorkerHost host, WorkerStart start)
    {
        WaitStarted(); // a start under way is ahead of a new one
        var spare = Remove();
        if (spare is null)
            return null;
        if (!spare.IsAlive || start.TestOperations || spare.Host is not { } kept || kept.Worker != host.Worker || kept.Dotnet != host.Dotnet
            || start.MemoryLimitBytes > spare.StartCeiling || start.StartTimeout != spare.Started.StartTimeout)
        {
            spare.Dispose();
            return null;
        }

        try
        {
            spare.Adopt(start);
            return spare;
        }
        catch (Exception e) when (e is AnalysisException or InvalidOperationException or OperationCanceledException)
        {
            spare.Dispose();
            return null;
        }
    }

    private static void StartNow()
    {
        EngineWorker? started = null;
        try
        {
            if (WorkerHost.Find(out _) is { } host)
                started = EngineWorker.Start(host, new WorkerStart("(a file not chosen yet)", "reading the dump", EngineIsolationPolicy.MemoryLimit(long.MaxValue)) { CompileDumpEngine = true });
        }
        catch (Exception)
        {
            // left to the next real start to report (it starts its own worker)
        }

        bool held;
        lock (s_gate)
        {
            s_starting = null;
            held = started is not null && TryHold(started);
        }

        if (!held)
            started?.Dispose(); // a closed dump's worker was kept meanwhile: warmer than this one
    }
}
