using System.Globalization;
using Analysis.Findings;
using Analysis.Stacks;

namespace Analysis.Dumps;

/// <summary>The triage's detectors: each looks for one kind of finding in a dump and says nothing when it finds none.</summary>
internal static class TriageDetectors
{
    /// <summary>Critical: the process crashed (a createdump crash report says which thread, which exception); warning: a thread was throwing when the dump was written.</summary>
    public static IEnumerable<Finding> Crash(TriageContext context) => context.Crash is { } crash ? [crash.Finding] : [];

    /// <summary>
    /// Critical when the process died of an OutOfMemoryException, else warning: the GC recorded a managed allocation it
    /// could not satisfy (SOS analyzeoom), with why and how big.
    /// </summary>
    public static IEnumerable<Finding> OutOfMemory(TriageContext context)
    {
        if (!context.HasHeap)
            yield break;
        var records = context.Session.GetOutOfMemory(context.CancellationToken);
        if (records.Count == 0)
            yield break;
        var crash = context.Crash;
        bool died = crash?.Finding.Subject == "System.OutOfMemoryException";
        string what = records.Count == 1 ? "an allocation" : string.Create(CultureInfo.InvariantCulture, $"{records.Count} allocations");
        yield return new Finding(died ? FindingSeverity.Critical : FindingSeverity.Warning, "out of memory",
            $"the GC could not satisfy {what}: {records[0]}{(died ? "; the process died of the OutOfMemoryException" : "")}")
        {
            Evidence = records.Select(r => r.ToString()).ToArray(),
            ThreadIds = died && crash!.ManagedThreadId is int id ? [id] : [],
            Subject = "System.OutOfMemoryException",
        };
    }

    /// <summary>Critical: each cycle of threads waiting for each other's locks.</summary>
    public static IEnumerable<Finding> Deadlocks(TriageContext context)
    {
        foreach (var cycle in context.Threads.Where(t => t.Deadlock is not null).Select(t => t.Deadlock!).Distinct())
        {
            var lockTypes = cycle.LockTypes.Distinct(StringComparer.Ordinal).ToArray();
            yield return new Finding(FindingSeverity.Critical, "deadlock",
                string.Create(CultureInfo.InvariantCulture, $"{cycle.Links.Count} threads ({string.Join(", ", cycle.Links.Select(l => l.ThreadName ?? $"thread {l.ThreadId}"))}) wait for each other on {string.Join(", ", lockTypes)}"))
            {
                Evidence = [cycle.Description],
                ThreadIds = cycle.ThreadIds,
            };
        }
    }

    /// <summary>Critical: every worker busy, none idle, work queued.</summary>
    public static IEnumerable<Finding> ThreadPoolStarvation(TriageContext context)
    {
        if (!context.HasHeap)
            yield break;
        context.Report("thread pool and finalizer");
        var pool = context.Session.GetThreadPool(context.CancellationToken);
        if (!pool.IsStarved)
            yield break;
        yield return new Finding(FindingSeverity.Critical, "thread-pool starvation",
            string.Create(CultureInfo.InvariantCulture,
                $"{pool.BusyWorkerCount} of {pool.MaxWorkers} workers busy ({string.Join(", ", pool.BusyWorkers.Select(g => $"{g.Count} in {g.Frame}"))}), none idle, {pool.QueuedCount:N0} work items queued"))
        {
            Evidence = [.. pool.BusyWorkers.Select(g => $"workers {string.Join(", ", g.ThreadIds)}: {g}"), .. pool.Queued.Take(5).Select(q => "queued: " + q)],
            ThreadIds = pool.BusyWorkers.SelectMany(g => g.ThreadIds).ToArray(),
        };
    }

    /// <summary>Critical: the finalizer thread waits inside a Finalize() while objects queue up.</summary>
    public static IEnumerable<Finding> BlockedFinalizer(TriageContext context)
    {
        if (!context.HasHeap)
            yield break;
        var finalizer = context.Session.GetFinalizer(context.CancellationToken);
        if (!finalizer.IsBlocked)
            yield break;
        string ready = finalizer.Ready.Count > 0 ? $" ({string.Join(", ", finalizer.Ready.Take(3).Select(r => $"{r.Count:N0} {r.TypeName}"))})" : "";
        yield return new Finding(FindingSeverity.Critical, "blocked finalizer",
            string.Create(CultureInfo.InvariantCulture,
                $"the finalizer thread waits in {finalizer.WaitingIn} inside {finalizer.Finalizing}.Finalize(); {finalizer.ReadyCount:N0} objects wait for finalization{ready}"))
        {
            Evidence = finalizer.Frames.Where(f => f.Kind == FrameKind.Managed).Take(8).Select(f => "at " + f.Function).ToArray(),
            ThreadIds = finalizer.ThreadId is int id ? [id] : [],
            Subject = finalizer.Finalizing,
        };
    }

    /// <summary>Warning: a thread blocks on a task (Wait, Result) that awaits something.</summary>
    public static IEnumerable<Finding> SyncOverAsync(TriageContext context)
    {
        if (!context.ExamineHeap)
            yield break;
        var async = context.Async;
        foreach (var wait in async.SyncWaits)
        {
            var waited = async.StateMachines.FirstOrDefault(m => m.Address == wait.TaskAddress);
            yield return new Finding(FindingSeverity.Warning, "sync over async",
                $"thread {context.Label(wait.ManagedThreadId)} blocks in {wait.BlockingFrame} on {wait.Task}{(waited?.Awaiting is { } a ? ", which awaits " + a : "")}")
            {
                Evidence = [$"waits in {wait.WaitFrame}", .. waited is null ? Array.Empty<string>() : [$"task 0x{waited.Address:x}: {waited}"]],
                ThreadIds = [wait.ManagedThreadId],
            };
        }
    }

    /// <summary>Warning: each thread with an exception in flight (heap or not).</summary>
    public static IEnumerable<Finding> ExceptionsInFlight(TriageContext context)
    {
        // the crashing thread's exception is the crash finding's
        foreach (var t in context.Threads.Where(t => t.Exception is not null && t.ManagedThreadId != context.Crash?.ManagedThreadId))
        {
            yield return new Finding(FindingSeverity.Warning, "exception in flight", $"on thread {context.Label(t.ManagedThreadId)}: {t.Exception}")
            {
                Evidence = [.. t.Exception!.StackTrace.Take(5).Select(f => "thrown at " + f.Function), .. t.Frames.Where(f => f.Kind == FrameKind.Managed).Take(3).Select(f => "now at " + f.Function)],
                ThreadIds = [t.ManagedThreadId],
                Subject = t.Exception.Type,
            };
        }
    }

    /// <summary>Warning: the user types with many live objects that retain the most, with who holds them.</summary>
    public static IEnumerable<Finding> LeakSuspects(TriageContext context)
    {
        if (!context.ExamineHeap)
            yield break;
        var (session, options, progress, ct) = (context.Session, context.Options, context.Progress, context.CancellationToken);
        context.Report("leak suspects (retained sizes)");
        var suspects = session.GetRetainedByType(int.MaxValue, null, progress, ct)
            .Where(r => r.Count >= options.LeakSuspectMinCount && !IsFramework(r.TypeName))
            .OrderByDescending(r => r.RetainedSize)
            .Take(options.LeakSuspects)
            .ToArray();
        foreach (var suspect in suspects)
        {
            var paths = session.FindRootPaths(suspect.TypeName, 3, progress, ct) /* type names hold no * or ? */;
            var main = paths.Paths.FirstOrDefault();
            string heldBy = main is null ? "" : $" held by {main.Root}{(main.Hops.Count > 1 ? " via " + string.Join(" → ", main.Hops.Take(main.Hops.Count - 1).Select(h => ShortType(h.TypeName))) : "")}";
            yield return new Finding(FindingSeverity.Warning, "leak suspect",
                string.Create(CultureInfo.InvariantCulture, $"{suspect.Count:N0} {suspect.TypeName} ({Bytes.Format(suspect.RetainedSize)} retained){heldBy}"))
            {
                Evidence = paths.Paths.Select(p => "root path: " + p).ToArray(),
                Subject = suspect.TypeName,
            };
        }
    }

    /// <summary>
    /// Warning (three or more) or info: async calls at the bottom of an await chain that are not complete and that no
    /// thread blocks on (those are sync over async).
    /// </summary>
    public static IEnumerable<Finding> StuckAwaits(TriageContext context)
    {
        if (!context.ExamineHeap)
            yield break;
        var async = context.Async;
        var awaitedMethods = new HashSet<string>(async.Groups.Select(g => g.Method), StringComparer.Ordinal);
        var reported = new HashSet<ulong>(async.SyncWaits.Select(w => w.TaskAddress));
        foreach (var group in async.Groups.Where(g => g.Awaiting is null || !awaitedMethods.Contains(g.Awaiting)))
        {
            if (group.Addresses.Any(reported.Contains) || group.BlockedThreads.Count > 0)
                continue;
            yield return new Finding(group.Count >= 3 ? FindingSeverity.Warning : FindingSeverity.Info, "stuck awaits", group.ToString())
            {
                Evidence = group.Addresses.Take(3).Select(a => string.Create(CultureInfo.InvariantCulture, $"state machine box 0x{a:x}")).ToArray(),
                Subject = group.Method,
            };
        }
    }

    /// <summary>Info: the heap's size and largest type, with what could not be read.</summary>
    public static IEnumerable<Finding> Heap(TriageContext context)
    {
        if (!context.ExamineHeap)
            yield break;
        var stats = context.Session.GetHeapStatistics(context.Progress, context.CancellationToken);
        var top = stats.Top(1).FirstOrDefault();
        yield return new Finding(FindingSeverity.Info, "heap",
            string.Create(CultureInfo.InvariantCulture, $"{Bytes.Format(stats.TotalSize)} in {stats.TotalCount:N0} objects{(top is null ? "" : $"; largest type {top.TypeName} ({Bytes.Format(top.TotalSize)})")}"))
        {
            Evidence = [.. stats.Warnings, .. context.Session.GraphWarnings],
        };
    }

    /// <summary>Info: a dump without heap memory, and what that left unchecked.</summary>
    public static IEnumerable<Finding> NoHeap(TriageContext context)
    {
        if (context.HasHeap)
            yield break;
        yield return new Finding(FindingSeverity.Info, "no heap",
            $"'{Path.GetFileName(context.Session.Path)}' has no GC heap memory: only exceptions in flight and thread states were checked. Capture a dump with heap for deadlocks (lock owners live on the heap), leaks, async, thread pool and finalizer.");
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
