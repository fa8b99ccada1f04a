using System.Globalization;
using Analysis.Findings;

namespace Analysis.Dumps;

/// <summary>What the triage should do.</summary>
public sealed record TriageOptions
{
    /// <summary>Leave out findings that need the object graph (leak suspects, async, heap): fast on huge dumps.</summary>
    public bool SkipHeap { get; init; }

    /// <summary>How many leak suspects to report at most.</summary>
    public int LeakSuspects { get; init; } = 3;

    /// <summary>A user type needs at least this many live objects to be a leak suspect.</summary>
    public int LeakSuspectMinCount { get; init; } = 1_000;
}

/// <summary>
/// A short ordered list of findings with evidence from every analysis of a dump: the crash reason, deadlocks, thread-pool starvation,
/// a blocked finalizer, sync over async, exceptions in flight, leak suspects with their root paths, stuck awaits.
/// Each kind of finding has its own detector (<see cref="TriageDetectors"/>); they run in this order and share what
/// they read from the dump through a <see cref="TriageContext"/>.
/// </summary>
public static class DumpTriage
{
    private static readonly Func<TriageContext, IEnumerable<Finding>>[] Detectors =
    [
        TriageDetectors.Crash,
        TriageDetectors.OutOfMemory,
        TriageDetectors.Deadlocks,
        TriageDetectors.ThreadPoolStarvation,
        TriageDetectors.BlockedFinalizer,
        TriageDetectors.SyncOverAsync,
        TriageDetectors.ExceptionsInFlight,
        TriageDetectors.LeakSuspects,
        TriageDetectors.StuckAwaits,
        TriageDetectors.Heap,
        TriageDetectors.NoHeap,
    ];

    /// <summary>Runs every detector (crash, out of memory, deadlocks, thread-pool starvation, blocked finalizer, sync over async, exceptions in flight, leak suspects, stuck awaits, heap) and returns their findings, most severe first. Walks the heap when the dump has one (cached in the session).</summary>
    public static IReadOnlyList<Finding> Run(DumpSession session, TriageOptions? options = null, IProgress<WorkProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(session);
        var context = new TriageContext(session, options ?? new TriageOptions(), progress, cancellationToken);
        var findings = new List<Finding>();
        using var ahead = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var asked = session.AskAhead(AnswersAhead(context), progress, ahead.Token);
        bool done = false;
        try
        {
            foreach (var detect in Detectors)
                findings.AddRange(detect(context).Select(f => f with { Source = session.Path }));
            done = true;
        }
        finally
        {
            // nothing asked ahead outlives the triage (its progress included): every answer was used, or it is cancelled
            if (!done)
                ahead.Cancel();
            try
            {
                asked.GetAwaiter().GetResult();
            }
            catch (Exception) when (!done)
            {
                // the triage's own exception is the one to report
            }
        }

        return findings.OrderBy(f => f.Severity).ToArray(); // stable: within a severity, the detectors' order
    }

    /// <summary>
    /// The whole-dump answers the detectors ask for, in their order (keep it so when a detector changes): a session
    /// whose engine is in a worker computes each while the detectors examine the one before.
    /// </summary>
    private static DumpAnswer[] AnswersAhead(TriageContext context) =>
        !context.HasHeap ? []
        : !context.ExamineHeap ? [DumpAnswer.OutOfMemory, DumpAnswer.ThreadPool, DumpAnswer.Finalizer]
        : [DumpAnswer.OutOfMemory, DumpAnswer.ThreadPool, DumpAnswer.Finalizer, DumpAnswer.AsyncState, DumpAnswer.RetainedByType, DumpAnswer.HeapStatistics];
}

/// <summary>What the triage's detectors share: the session, the options, and the answers read once (threads, async state).</summary>
internal sealed class TriageContext
{
    private AsyncReport? _async;

    public TriageContext(DumpSession session, TriageOptions options, IProgress<WorkProgress>? progress, CancellationToken cancellationToken)
    {
        Session = session;
        Options = options;
        Progress = progress;
        CancellationToken = cancellationToken;
        Report("threads and locks");
        Threads = session.GetThreads(cancellationToken);
    }

    public DumpSession Session { get; }

    public TriageOptions Options { get; }

    public IProgress<WorkProgress>? Progress { get; }

    public CancellationToken CancellationToken { get; }

    public IReadOnlyList<DumpThread> Threads { get; }

    /// <summary>The dump has a GC heap (thread pool, finalizer, lock owners).</summary>
    public bool HasHeap => Session.HasHeap;

    /// <summary>The findings that need the object graph are wanted and possible.</summary>
    public bool ExamineHeap => Session.HasHeap && !Options.SkipHeap;

    /// <summary>The async state machines, read on first use (only when <see cref="ExamineHeap"/>).</summary>
    public AsyncReport Async
    {
        get
        {
            if (_async is null)
            {
                Report("async state machines");
                _async = Session.GetAsyncState(Progress, CancellationToken);
            }

            return _async;
        }
    }

    private CrashCause? _crash;
    private bool _crashRead;

    /// <summary>Why the process crashed, when the dump (or the crash report beside it) tells; read on first use.</summary>
    public CrashCause? Crash
    {
        get
        {
            if (!_crashRead)
            {
                _crash = CrashCauses.Find(this);
                _crashRead = true;
            }

            return _crash;
        }
    }

    public void Report(string step) => Progress?.Report(new WorkProgress("Triage", step, 0, 0));

    /// <summary>"'name' (id)" for a named thread, else the id: what follows "thread " in a finding.</summary>
    public string Label(int managedThreadId)
    {
        var t = Threads.FirstOrDefault(x => x.ManagedThreadId == managedThreadId);
        return t?.Name is { Length: > 0 } n ? $"'{n}' ({managedThreadId})" : managedThreadId.ToString(CultureInfo.InvariantCulture);
    }
}
