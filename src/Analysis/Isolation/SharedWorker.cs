namespace Analysis.Isolation;

/// <summary>
/// The session's dump worker: one worker process that reads every dump open in this process (pwsh, a notebook kernel)
/// side by side, each in an engine of its own, so that a dump opened beside another, or after another was closed, is
/// read by a worker whose engine code is warm (compiled, promoted by the tiered JIT, its types loaded): its first
/// questions cost what they would in this process. A new worker cannot be that warm: measured in pwsh on the bench's
/// dump, a dump opened beside another in a worker of its own answered its first questions 5–16× slower than in this
/// process, +14 to +73 ms each, and its open took +150 ms.
/// <para>
/// Started ahead, before any file is known (when the PowerShell module is imported or the notebook extension loads),
/// so its start overlaps with what the session does meanwhile, and compiling the dump engine while it waits
/// (<see cref="WorkerStart.CompileDumpEngine"/>). Its GC heap ceiling is the sum of its dumps' (each the one a worker of
/// its own would have had), at most the one it was started with, the largest a default start can have.
/// </para>
/// <para>
/// An engine fault ends the worker, never this process, and costs the other dumps one reopen. The dumps it also read
/// live on: their sessions keep every answer they had and open their dump again in a new worker on their next
/// question (a question of theirs sent after it ended is asked there again), with a note. The dump whose question
/// ended it reads in a worker of its own from then on, so it cannot end a shared worker twice; when questions about
/// several dumps were running as it ended, which one did cannot be told, and each is asked again in a worker of its
/// own (<see cref="EngineWorker.EndedAsking"/>). A question that fails in reading (a damaged dump may have damaged
/// the DAC's state in the worker) retires the worker: it serves the dumps it has until they close, and the next dump
/// opened gets a new one. A dump asked to read alone (<see cref="EngineIsolation.OwnWorker"/>) or with a ceiling of its
/// own never shares.
/// </para>
/// The dumps that share the worker are answered side by side, each dump's questions one at a time. The worker ends a
/// minute after its last dump closed, or with this process (its stdin closes).
/// </summary>
public static class SharedWorker
{
    private static readonly TimeSpan IdleLifetime = TimeSpan.FromSeconds(60);
    private static readonly object s_gate = new();
    private static Member? s_current; // the worker new dumps join
    private static Task? s_starting;
    private static Timer? s_idleTimer; // while the current worker holds no dump

    /// <summary>
    /// A shared worker and the dumps it holds (the fields under the class's lock). Only the current one takes new dumps;
    /// one that is not (retired) ends with its last.
    /// </summary>
    internal sealed class Member(EngineWorker worker)
    {
        public EngineWorker Worker { get; } = worker;

        /// <summary>The dumps open in it.</summary>
        public int Dumps;

        /// <summary>Whether it has read a dump (it was started ahead and has not, or it has: <see cref="AddDump"/>, <see cref="Keep"/>).</summary>
        public bool HasRead;

        /// <summary>The sum of their ceilings, at most the worker's start ceiling.</summary>
        public long Ceiling;
    }

    /// <summary>
    /// Starts the shared worker in the background, unless one is there or starting, or engines run in this process
    /// (ANALYSIS_ENGINE_ISOLATION=inprocess). Returns at once; a failure to start is left to the next real start to report.
    /// </summary>
    public static void Start()
    {
        if (EngineIsolationPolicy.Resolve(EngineIsolation.Default) == EngineIsolation.InProcess)
            return;
        lock (s_gate)
        {
            if (s_current is not null || s_starting is not null)
                return;
            s_starting = Task.Run(StartNow);
        }
    }

    /// <summary>
    /// Retires the shared worker: it ends now when it holds no dump, else when its last dump closes; the next dump opened
    /// gets a new one. (The fuzz harness drops it before each case, so every case is read by a new worker.)
    /// </summary>
    public static void Drop()
    {
        Member? idle;
        lock (s_gate)
            idle = RetireCurrent();
        idle?.Worker.Dispose();
    }

    /// <summary>
    /// The shared worker with <paramref name="start"/>'s dump joined (its ceiling added), started now when there is none
    /// (or the one there cannot take it). The caller opens the dump in it, and calls <see cref="Leave"/> when the dump is
    /// closed, or could not be opened. Throws <see cref="AnalysisException"/> (EngineFailed) when no worker can start.
    /// </summary>
    internal static Member Join(WorkerHost host, WorkerStart start)
    {
        WaitStarted(); // a start under way is ahead of a new one
        for (int attempt = 0; ; attempt++)
        {
            Member? member = null, unfit = null;
            lock (s_gate)
            {
                if (s_current is { } current && current.Worker.IsAlive && Fits(current.Worker, host, start))
                {
                    member = current;
                    AddDump(member, start);
                }
                else
                {
                    unfit = RetireCurrent();
                }
            }

            unfit?.Worker.Dispose();
            if (member is null)
            {
                var started = EngineWorker.Start(host, StartFor(start));
                lock (s_gate)
                {
                    member = new Member(started);
                    AddDump(member, start);
                    // when another dump's start won the race, that worker keeps its dumps, this one takes the new ones
                    unfit = RetireCurrent();
                    s_current = member;
                }

                unfit?.Worker.Dispose();
            }

            try
            {
                lock (member)
                {
                    long ceiling;
                    lock (s_gate)
                        ceiling = member.Ceiling;
                    member.Worker.Adopt(start with { MemoryLimitBytes = ceiling });
                }

                return member;
            }
            catch (Exception e) when (e is AnalysisException or InvalidOperationException or OperationCanceledException)
            {
                Leave(member, clean: false);
                if (attempt > 0)
                    throw;
            }
        }
    }

    /// <summary>
    /// A dump in <paramref name="member"/> was closed (or could not be opened, or its worker ended). <paramref name="clean"/>:
    /// no question about it failed in reading; otherwise the worker is retired. A worker left with no dump waits for the
    /// next while it is the current one (a minute at most), else it ends.
    /// </summary>
    internal static void Leave(Member member, bool clean)
    {
        lock (s_gate)
        {
            member.Dumps--;
            if (!clean || !member.Worker.IsAlive)
                Retire(member);
            if (member.Dumps > 0)
                return;
            if (member == s_current)
            {
                StartIdleTimer(member);
                return;
            }
        }

        member.Worker.Dispose();
    }

    /// <summary>A question about a dump in <paramref name="member"/> failed in reading: it takes no new dump, and ends with its last.</summary>
    internal static void Retire(Member member)
    {
        lock (s_gate)
        {
            if (member == s_current)
                RemoveCurrent();
        }
    }

    /// <summary>
    /// For a dump that reads alone: the shared worker when it waits with no dump (then it is no longer shared), given
    /// <paramref name="start"/>'s ceiling and names; null otherwise (the caller starts a worker of its own). With
    /// <paramref name="unread"/>, only a worker that has not read a dump yet (one for a trace: no dump's damage is carried
    /// into another engine's work).
    /// </summary>
    internal static EngineWorker? TakeIdle(WorkerHost host, WorkerStart start, bool unread = false)
    {
        WaitStarted();
        Member? idle = null;
        lock (s_gate)
        {
            if (s_current is { Dumps: 0 } current && !(unread && current.HasRead) && current.Worker.IsAlive && Fits(current.Worker, host, start))
            {
                idle = current;
                RemoveCurrent();
            }
        }

        if (idle is null)
            return null;
        try
        {
            idle.Worker.Adopt(start);
            return idle.Worker;
        }
        catch (Exception e) when (e is AnalysisException or InvalidOperationException or OperationCanceledException)
        {
            idle.Worker.Dispose();
            return null;
        }
    }

    /// <summary>
    /// Keeps <paramref name="worker"/>, whose dump read alone and was closed without a failure, as the shared worker when
    /// there is none: warm, it serves the next dumps. Returns whether it was kept (if not, the caller ends it).
    /// </summary>
    internal static bool Keep(EngineWorker worker)
    {
        if (!worker.IsAlive || worker.Started.TestOperations)
            return false;
        lock (s_gate)
            return TryHoldIdle(worker, hasRead: true);
    }

    /// <summary>The shared worker's process id while it runs (tests).</summary>
    internal static int? ProcessId
    {
        get
        {
            lock (s_gate)
                return s_current is { Worker.IsAlive: true } current ? current.Worker.ProcessId : null;
        }
    }

    /// <summary>How many dumps are open in the shared worker (tests).</summary>
    internal static int OpenDumps
    {
        get
        {
            lock (s_gate)
                return s_current?.Dumps ?? 0;
        }
    }

    /// <summary>What the shared worker was started with, or took on last (tests).</summary>
    internal static WorkerStart? Started
    {
        get
        {
            lock (s_gate)
                return s_current?.Worker.Started;
        }
    }

    /// <summary>Waits until a worker being started ahead is there (tests, and a join).</summary>
    internal static void WaitStarted()
    {
        Task? starting;
        lock (s_gate)
            starting = s_starting;
        starting?.Wait();
    }

    /// <summary>Whether a dump started as <paramref name="start"/> can be read by <paramref name="worker"/>.</summary>
    private static bool Fits(EngineWorker worker, WorkerHost host, WorkerStart start) =>
        !start.TestOperations && !worker.Started.TestOperations && worker.Host is { } kept && kept.Worker == host.Worker && kept.Dotnet == host.Dotnet
        && start.MemoryLimitBytes <= worker.StartCeiling && start.StartTimeout == worker.Started.StartTimeout;

    /// <summary>How a shared worker starts: with the largest ceiling a default start can have, so later dumps fit; compiling the dump engine.</summary>
    private static WorkerStart StartFor(WorkerStart start) =>
        start with { MemoryLimitBytes = Math.Max(start.MemoryLimitBytes, EngineIsolationPolicy.MemoryLimit(long.MaxValue)), CompileDumpEngine = true, DumpJitProfile = true };

    /// <summary>Under the lock: one more dump in <paramref name="member"/>, its ceiling added.</summary>
    private static void AddDump(Member member, WorkerStart start)
    {
        member.Ceiling = member.Dumps == 0 ? start.MemoryLimitBytes : Math.Min(member.Worker.StartCeiling, member.Ceiling + start.MemoryLimitBytes);
        member.Dumps++;
        member.HasRead = true;
        s_idleTimer?.Dispose();
        s_idleTimer = null;
    }

    /// <summary>Under the lock: retires the current worker (it takes no new dump); returns it when it holds none, for the caller to end outside the lock.</summary>
    private static Member? RetireCurrent()
    {
        var current = s_current;
        RemoveCurrent();
        return current is { Dumps: 0 } ? current : null;
    }

    /// <summary>Under the lock: makes <paramref name="worker"/>, holding no dump, the current one when there is none; returns whether it did.</summary>
    private static bool TryHoldIdle(EngineWorker worker, bool hasRead)
    {
        if (s_current is not null)
            return false;
        s_current = new Member(worker) { HasRead = hasRead };
        StartIdleTimer(s_current);
        return true;
    }

    /// <summary>Under the lock: no current worker (new dumps start one).</summary>
    private static void RemoveCurrent()
    {
        s_current = null;
        s_idleTimer?.Dispose();
        s_idleTimer = null;
    }

    /// <summary>Under the lock: <paramref name="member"/>, current and with no dump, ends after <see cref="IdleLifetime"/> unless a dump joins.</summary>
    private static void StartIdleTimer(Member member)
    {
        s_idleTimer?.Dispose();
        s_idleTimer = new Timer(_ =>
        {
            lock (s_gate)
            {
                if (s_current != member || member.Dumps > 0)
                    return;
                RemoveCurrent();
            }

            member.Worker.Dispose();
        }, null, IdleLifetime, Timeout.InfiniteTimeSpan);
    }

    private static void StartNow()
    {
        EngineWorker? started = null;
        try
        {
            if (WorkerHost.Find(out _) is { } host)
            {
                started = EngineWorker.Start(host, StartFor(new WorkerStart("(a file not chosen yet)", "reading the dump", EngineIsolationPolicy.MemoryLimit(long.MaxValue))));
                // one request both ways, here in the background: a worker's first request cost the session 4.3 ms (the
                // worker's part 0.2 ms), paid by the first Open-Dump or Import-Trace; afterwards 0.6–0.8 ms
                started.Adopt(started.Started);
            }
        }
        catch (Exception)
        {
            // left to the next real start to report (it starts its own worker)
        }

        bool kept;
        lock (s_gate)
        {
            s_starting = null;
            kept = started is not null && TryHoldIdle(started, hasRead: false);
        }

        if (!kept)
            started?.Dispose(); // a worker was kept or started meanwhile: warmer than this one
    }
}
