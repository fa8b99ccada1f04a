using System.Globalization;

namespace Analysis.Dumps;

/// <summary>How urgent a finding is.</summary>
public enum FindingSeverity
{
    /// <summary>The process cannot make progress (deadlock, starvation, blocked finalizer).</summary>
    Critical,
    /// <summary>Likely part of the incident (exception in flight, leak suspect, sync over async, stuck awaits).</summary>
    Warning,
    /// <summary>Context (heap size, what was not examined).</summary>
    Info,
}

/// <summary>One triage finding: a sentence, the evidence behind it, and the threads it concerns.</summary>
public sealed record Finding(FindingSeverity Severity, string Kind, string Summary)
{
    public ItemList<string> Evidence { get; init; } = [];

    public ItemList<int> ThreadIds { get; init; } = [];

    public override string ToString() => $"{Kind}: {Summary}";
}

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
/// A short ordered list of findings with evidence from every analysis of a dump: deadlocks, thread-pool starvation,
/// a blocked finalizer, sync over async, exceptions in flight, leak suspects with their root paths, stuck awaits.
/// </summary>
public static class DumpTriage
{
    public static IReadOnlyList<Finding> Run(DumpSession session, TriageOptions? options = null, IProgress<WorkProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(session);
        options ??= new TriageOptions();
        var findings = new List<Finding>();
        progress?.Report(new WorkProgress("Triage", "threads and locks", 0, 0));
        var threads = session.GetThreads(cancellationToken);
        string Label(int id)
        {
            var t = threads.FirstOrDefault(x => x.ManagedThreadId == id);
            return t?.Name is { Length: > 0 } n ? $"'{n}' ({id})" : $"thread {id}";
        }

        foreach (var cycle in threads.Where(t => t.Deadlock is not null).Select(t => t.Deadlock!).Distinct())
        {
            var lockTypes = cycle.LockTypes.Distinct(StringComparer.Ordinal).ToArray();
            findings.Add(new Finding(FindingSeverity.Critical, "deadlock",
                string.Create(CultureInfo.InvariantCulture, $"{cycle.Links.Count} threads ({string.Join(", ", cycle.Links.Select(l => l.ThreadName ?? $"thread {l.ThreadId}"))}) wait for each other on {string.Join(", ", lockTypes)}"))
            {
                Evidence = [cycle.Description],
                ThreadIds = cycle.ThreadIds,
            });
        }

        bool heap = session.HasHeap && !options.SkipHeap;
        if (session.HasHeap)
        {
            progress?.Report(new WorkProgress("Triage", "thread pool and finalizer", 0, 0));
            var pool = session.GetThreadPool(cancellationToken);
            if (pool.IsStarved)
            {
                findings.Add(new Finding(FindingSeverity.Critical, "thread-pool starvation",
                    string.Create(CultureInfo.InvariantCulture,
                        $"{pool.BusyWorkerCount} of {pool.MaxWorkers} workers busy ({string.Join(", ", pool.BusyWorkers.Select(g => $"{g.Count} in {g.Frame}"))}), none idle, {pool.QueuedCount:N0} work items queued"))
                {
                    Evidence = [.. pool.BusyWorkers.Select(g => $"workers {string.Join(", ", g.ThreadIds)}: {g}"), .. pool.Queued.Take(5).Select(q => "queued: " + q)],
                    ThreadIds = pool.BusyWorkers.SelectMany(g => g.ThreadIds).ToArray(),
                });
            }

            var finalizer = session.GetFinalizer(cancellationToken);
            if (finalizer.IsBlocked)
            {
                findings.Add(new Finding(FindingSeverity.Critical, "blocked finalizer",
                    string.Create(CultureInfo.InvariantCulture,
                        $"the finalizer thread waits in {finalizer.WaitingIn} inside {finalizer.Finalizing}.Finalize(); {finalizer.ReadyCount:N0} objects wait for finalization{(finalizer.Ready.Count > 0 ? $" ({string.Join(", ", finalizer.Ready.Take(3).Select(r => $"{r.Count:N0} {r.TypeName}"))})" : "")}"))
                {
                    Evidence = finalizer.Frames.Where(f => f.Kind == Stacks.FrameKind.Managed).Take(8).Select(f => "at " + f.Function).ToArray(),
                    ThreadIds = finalizer.ThreadId is int id ? [id] : [],
                });
            }
        }

        AsyncReport? async = null;
        if (heap)
        {
            progress?.Report(new WorkProgress("Triage", "async state machines", 0, 0));
            async = session.GetAsyncState(progress, cancellationToken);
            foreach (var wait in async.SyncWaits)
            {
                var waited = async.StateMachines.FirstOrDefault(m => m.Address == wait.TaskAddress);
                findings.Add(new Finding(FindingSeverity.Warning, "sync over async",
                    $"thread {Label(wait.ManagedThreadId)} blocks in {wait.BlockingFrame} on {wait.Task}{(waited?.Awaiting is { } a ? ", which awaits " + a : "")}")
                {
                    Evidence = [$"waits in {wait.WaitFrame}", .. waited is null ? Array.Empty<string>() : [$"task 0x{waited.Address:x}: {waited}"]],
                    ThreadIds = [wait.ManagedThreadId],
                });
            }
        }

        foreach (var t in threads.Where(t => t.Exception is not null))
        {
            findings.Add(new Finding(FindingSeverity.Warning, "exception in flight", $"on thread {Label(t.ManagedThreadId)}: {t.Exception}")
            {
                Evidence = [.. t.Exception!.StackTrace.Take(5).Select(f => "thrown at " + f.Function), .. t.Frames.Where(f => f.Kind == Stacks.FrameKind.Managed).Take(3).Select(f => "now at " + f.Function)],
                ThreadIds = [t.ManagedThreadId],
            });
        }

        if (heap)
        {
            progress?.Report(new WorkProgress("Triage", "leak suspects (retained sizes)", 0, 0));
            var suspects = session.GetRetainedByType(int.MaxValue, null, progress, cancellationToken)
                .Where(r => r.Count >= options.LeakSuspectMinCount && !IsFramework(r.TypeName))
                .OrderByDescending(r => r.RetainedSize)
                .Take(options.LeakSuspects)
                .ToArray();
            foreach (var suspect in suspects)
            {
                var paths = session.FindRootPaths(suspect.TypeName, 3, progress, cancellationToken) /* type names hold no * or ? */;
                var main = paths.Paths.FirstOrDefault();
                string heldBy = main is null ? "" : $" held by {main.Root}{(main.Hops.Count > 1 ? " via " + string.Join(" → ", main.Hops.Take(main.Hops.Count - 1).Select(h => ShortType(h.TypeName))) : "")}";
                findings.Add(new Finding(FindingSeverity.Warning, "leak suspect",
                    string.Create(CultureInfo.InvariantCulture, $"{suspect.Count:N0} {suspect.TypeName} ({Bytes.Format(suspect.RetainedSize)} retained){heldBy}"))
                {
                    Evidence = paths.Paths.Select(p => "root path: " + p).ToArray(),
                });
            }

            if (async is not null)
            {
                var awaitedMethods = new HashSet<string>(async.Groups.Select(g => g.Method), StringComparer.Ordinal);
                var reported = new HashSet<ulong>(async.SyncWaits.Select(w => w.TaskAddress));
                foreach (var group in async.Groups.Where(g => g.Awaiting is null || !awaitedMethods.Contains(g.Awaiting)))
                {
                    if (group.Addresses.Any(reported.Contains) || group.BlockedThreads.Count > 0)
                        continue;
                    findings.Add(new Finding(group.Count >= 3 ? FindingSeverity.Warning : FindingSeverity.Info, "stuck awaits", group.ToString())
                    {
                        Evidence = group.Addresses.Take(3).Select(a => string.Create(CultureInfo.InvariantCulture, $"state machine box 0x{a:x}")).ToArray(),
                    });
                }
            }

            var stats = session.GetHeapStatistics(progress, cancellationToken);
            var top = stats.Top(1).FirstOrDefault();
            findings.Add(new Finding(FindingSeverity.Info, "heap",
                string.Create(CultureInfo.InvariantCulture, $"{Bytes.Format(stats.TotalSize)} in {stats.TotalCount:N0} objects{(top is null ? "" : $"; largest type {top.TypeName} ({Bytes.Format(top.TotalSize)})")}"))
            {
                Evidence = [.. stats.Warnings, .. session.GraphWarnings],
            });
        }
        else if (!session.HasHeap)
        {
            findings.Add(new Finding(FindingSeverity.Info, "no heap",
                $"'{System.IO.Path.GetFileName(session.Path)}' has no GC heap memory: only exceptions in flight and thread states were checked. Capture a dump with heap for deadlocks (lock owners live on the heap), leaks, async, thread pool and finalizer."));
        }

        return findings.OrderBy(f => f.Severity).ToArray(); // stable: within a severity, the order above
    }

    private static bool IsFramework(string typeName) =>
        typeName.StartsWith("System.", StringComparison.Ordinal) || typeName.StartsWith("Microsoft.", StringComparison.Ordinal)
        || typeName.StartsWith("Internal.", StringComparison.Ordinal) || typeName.StartsWith("Interop", StringComparison.Ordinal);

    private static string ShortType(string typeName)
    {
        int generic = typeName.IndexOf('<');
        string head = generic < 0 ? typeName : typeName[..generic];
        int dot = head.LastIndexOf('.');
        return dot < 0 ? typeName : typeName[(dot + 1)..];
    }
}
