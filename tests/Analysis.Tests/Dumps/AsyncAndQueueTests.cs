using Analysis.Dumps;
using Analysis.Findings;
using Analysis.Testing;
using Xunit;

namespace Analysis.Tests.Dumps;

public class AsyncAndQueueTests
{
    public static TheoryData<CapturedDump> HeapCaptures => new(CapturedDump.CreateDumpWithHeap, CapturedDump.ClientWithHeap);

    [Theory]
    [MemberData(nameof(HeapCaptures))]
    public void StuckAwaits_AreGroupedByMethod_WithWhatTheyAwaitAndWhoAwaitsThem(CapturedDump kind)
    {
        using var session = DumpSession.Open(DumpSet.Facts[kind]);
        var report = session.GetAsyncState();

        var confirm = Assert.Single(report.Groups, g => g.Method == TargetFacts.ConfirmationMethod);
        Assert.Equal(TargetFacts.StuckCheckouts, confirm.Count);
        Assert.StartsWith("Task<Boolean> (not completed", confirm.Awaiting);
        Assert.Equal([TargetFacts.CheckoutMethod], confirm.AwaitedBy);
        Assert.Empty(confirm.BlockedThreads);

        var checkout = Assert.Single(report.Groups, g => g.Method == TargetFacts.CheckoutMethod);
        Assert.Equal(TargetFacts.StuckCheckouts, checkout.Count);
        Assert.Equal(TargetFacts.ConfirmationMethod, checkout.Awaiting);
        Assert.Empty(checkout.AwaitedBy);

        var reserve = Assert.Single(report.Groups, g => g.Method == TargetFacts.ReserveMethod);
        Assert.Equal(TargetFacts.StuckReservations, reserve.Count);
        Assert.StartsWith("Task.Delay (infinite", reserve.Awaiting);

        Assert.Equal(TargetFacts.StuckCheckouts * 2 + TargetFacts.StuckReservations + 1, report.IncompleteCount);
    }

    [Fact]
    public void StateMachines_StructAndClass_ReportTheirAwaitState()
    {
        using var session = DumpSession.Open(DumpSet.Facts[CapturedDump.ClientWithHeap]);
        var machines = session.GetAsyncState().StateMachines;

        // Optimized code (struct in the box): WaitForConfirmationAsync is at its second await (state 1).
        var confirm = machines.Where(m => m.Method == TargetFacts.ConfirmationMethod).ToArray();
        Assert.Equal(TargetFacts.StuckCheckouts, confirm.Length);
        Assert.All(confirm, m => Assert.Equal(1, m.State));
        Assert.All(confirm, m => Assert.Equal("WaitingForActivation", m.Status));
        Assert.All(confirm, m => Assert.Equal([TargetFacts.CheckoutMethod], m.Continuations));
        // Each awaits its own TaskCompletionSource task? No: all seven await the same one.
        Assert.Single(confirm.Select(m => m.AwaitingAddress).Distinct());
        // Unoptimized code (a class behind the box): LoadReportAsync is at its first await (state 0).
        var load = Assert.Single(machines, m => m.Method == TargetFacts.LoadReportMethod);
        Assert.Equal(0, load.State);
        Assert.Equal(["a thread waiting synchronously (Wait/Result/GetResult)"], load.Continuations);
    }

    [Fact]
    public void SyncOverAsync_FindsTheBlockedThreadAndTheTaskItWaitsFor()
    {
        using var session = DumpSession.Open(DumpSet.Facts[CapturedDump.ClientWithHeap]);
        var report = session.GetAsyncState();

        var wait = Assert.Single(report.SyncWaits);
        Assert.Equal(TargetFacts.SyncOverAsyncThread, wait.ThreadName);
        Assert.StartsWith(TargetFacts.SyncOverAsyncFrame + "(", wait.BlockingFrame);
        var load = Assert.Single(report.StateMachines, m => m.Method == TargetFacts.LoadReportMethod);
        Assert.Equal(load.Address, wait.TaskAddress);
        Assert.Equal(wait, Assert.Single(Assert.Single(report.Groups, g => g.Method == TargetFacts.LoadReportMethod).BlockedThreads));
        // Groups with a blocked thread come first.
        Assert.Equal(TargetFacts.LoadReportMethod, report.Groups[0].Method);
    }

    [Fact]
    public void ThreadPool_IsStarved_WorkersQueueAndTimersAreExact()
    {
        using var session = DumpSession.Open(DumpSet.Facts[CapturedDump.ClientWithHeap]);
        var pool = session.GetThreadPool();

        Assert.Equal(TargetFacts.PoolWorkers, pool.MaxWorkers);
        Assert.Equal(TargetFacts.PoolWorkers, pool.ActiveWorkers);
        Assert.Equal(0, pool.IdleWorkers);
        var jobs = Assert.Single(pool.BusyWorkers, g => g.Frame == TargetFacts.ReportJobFrame);
        Assert.Equal(TargetFacts.PoolWorkers - 1, jobs.Count);
        Assert.Equal("System.Threading.WaitHandle.WaitOneNoCheck", jobs.WaitingIn);
        Assert.Equal(1, Assert.Single(pool.BusyWorkers, g => g.Frame == TargetFacts.PoolItemFrame).Count);
        Assert.Equal(TargetFacts.PoolWorkers, pool.BusyWorkerCount);

        Assert.Equal(TargetFacts.QueuedExportJobs, Assert.Single(pool.Queued, q => q.Description == TargetFacts.ExportJobType).Count);
        Assert.Equal(TargetFacts.QueuedAuditFlushes, Assert.Single(pool.Queued, q => q.Description == "Task running " + TargetFacts.AuditFlushMethod).Count);
        Assert.Equal(TargetFacts.QueuedExportJobs + TargetFacts.QueuedAuditFlushes, pool.QueuedCount);
        Assert.True(pool.IsStarved);

        var beat = Assert.Single(pool.Timers, t => t.Callback == TargetFacts.HeartbeatCallback);
        Assert.Equal(TargetFacts.HeartbeatTimers, beat.Count);
        Assert.Equal(TargetFacts.HeartbeatPeriodMs, beat.PeriodMs);
        Assert.Empty(pool.Warnings);
    }

    [Fact]
    public void Finalizer_IsBlockedInItsFinalizer_WithTheQueueBehindIt()
    {
        using var session = DumpSession.Open(DumpSet.Facts[CapturedDump.ClientWithHeap]);
        var finalizer = session.GetFinalizer();
        var thread = Assert.Single(session.GetThreads(), t => t.IsFinalizer);

        Assert.Equal(thread.ManagedThreadId, finalizer.ThreadId);
        Assert.Equal(TargetFacts.BlockingFinalizerType, finalizer.Finalizing);
        Assert.Equal("System.Threading.WaitHandle.WaitOneNoCheck", finalizer.WaitingIn);
        Assert.True(finalizer.IsBlocked);
        Assert.Equal(TargetFacts.PendingFiles, Assert.Single(finalizer.Ready, r => r.TypeName == TargetFacts.PendingFileType).Count);
        Assert.Equal(finalizer.Ready.Sum(r => r.Count), finalizer.ReadyCount);
        Assert.True(finalizer.RegisteredCount > 0);
        // The ready objects are exactly the finalizer-queue roots ClrMD reports.
        Assert.Equal(session.GetClrRuntime().Heap.EnumerateFinalizerRoots().Count(), finalizer.ReadyCount);
    }

    [Fact]
    public void Triage_ListsTheFactsInOrder_WithEvidence()
    {
        using var session = DumpSession.Open(DumpSet.Facts[CapturedDump.ClientWithHeap]);
        var findings = DumpTriage.Run(session);

        Assert.Equal(["deadlock", "thread-pool starvation", "blocked finalizer"], findings.Where(f => f.Severity == FindingSeverity.Critical).Select(f => f.Kind));
        var deadlock = findings[0];
        Assert.StartsWith("3 threads (worker-a, worker-b, worker-c) wait for each other on Contoso.Sync.AccountLock", deadlock.Summary);
        Assert.Equal(3, deadlock.ThreadIds.Count);
        Assert.Contains($"{TargetFacts.PoolWorkers - 1} in {TargetFacts.ReportJobFrame}", findings[1].Summary);
        Assert.Contains($"{TargetFacts.QueuedExportJobs + TargetFacts.QueuedAuditFlushes} work items queued", findings[1].Summary);
        Assert.Contains($"{TargetFacts.PendingFiles} {TargetFacts.PendingFileType}", findings[2].Summary);

        var sync = Assert.Single(findings, f => f.Kind == "sync over async");
        Assert.Contains($"'{TargetFacts.SyncOverAsyncThread}'", sync.Summary);
        var exception = Assert.Single(findings, f => f.Kind == "exception in flight");
        Assert.Contains($"'{TargetFacts.CatchThread}'", exception.Summary);
        Assert.Contains(TargetFacts.CatchExceptionMessage, exception.Summary);

        Assert.StartsWith($"on thread '{TargetFacts.CatchThread}' (", exception.Summary, StringComparison.Ordinal);

        // a thread without a name is "thread 5", never "thread thread 5"
        var context = new TriageContext(session, new TriageOptions(), null, CancellationToken.None);
        var unnamed = session.GetThreads().First(t => string.IsNullOrEmpty(t.Name));
        Assert.Equal($"{unnamed.ManagedThreadId}", context.Label(unnamed.ManagedThreadId));
        var wait = new SyncOverAsyncWait(unnamed.ManagedThreadId, null, "Contoso.A.Get", "Task.Wait", 0x10, "Task<int>");
        Assert.StartsWith($"thread {unnamed.ManagedThreadId} blocks in Contoso.A.Get", wait.ToString(), StringComparison.Ordinal);
        Assert.StartsWith($"'{TargetFacts.CatchThread}' (thread 9) blocks in", (wait with { ManagedThreadId = 9, ThreadName = TargetFacts.CatchThread }).ToString(), StringComparison.Ordinal);

        var suspects = findings.Where(f => f.Kind == "leak suspect").ToArray();
        Assert.Contains(suspects, f => f.Summary.StartsWith($"{TargetFacts.LeakedOrderCount:N0} {TargetFacts.LeakedOrderType} (", StringComparison.Ordinal));
        var sessions = Assert.Single(suspects, f => f.Summary.StartsWith($"{TargetFacts.SessionCount:N0} {TargetFacts.SessionType} (", StringComparison.Ordinal));
        Assert.Contains("held by static " + TargetFacts.SessionRegistryStatic, sessions.Summary);
        Assert.StartsWith($"root path: {TargetFacts.SessionCount:N0} × static {TargetFacts.SessionRegistryStatic}", Assert.Single(sessions.Evidence));

        var stuck = findings.Where(f => f.Kind == "stuck awaits").Select(f => f.Summary).ToArray();
        Assert.Equal(2, stuck.Length);
        Assert.StartsWith($"{TargetFacts.StuckCheckouts} × {TargetFacts.ConfirmationMethod} ← {TargetFacts.CheckoutMethod}", stuck[0]);
        Assert.StartsWith($"{TargetFacts.StuckReservations} × {TargetFacts.ReserveMethod}", stuck[1]);
        Assert.Equal("heap", findings[^1].Kind);
        Assert.Equal(findings.OrderBy(f => f.Severity).Select(f => f.Severity), findings.Select(f => f.Severity));
    }

    [Fact]
    public void Triage_OnMiniDump_ReportsThreadFindingsAndSaysWhatItCouldNotCheck()
    {
        using var session = DumpSession.Open(DumpSet.FactsLite[CapturedDump.ClientMini]);
        var findings = DumpTriage.Run(session);

        // Lock owners live on the heap: without it no deadlock can be shown, and the finding says so.
        Assert.Equal(["exception in flight", "no heap"], findings.Select(f => f.Kind));
        Assert.Contains("deadlocks", findings[^1].Summary);
        Assert.Contains("Capture a dump with heap", findings[^1].Summary);
    }

    [Fact]
    public void ThreadPoolAndAsync_OnMiniDump_FailWithNoHeap()
    {
        using var session = DumpSession.Open(DumpSet.FactsLite[CapturedDump.ClientMini]);
        Assert.Equal(AnalysisErrorKind.NoHeap, Assert.Throws<AnalysisException>(() => session.GetThreadPool()).Kind);
        Assert.Equal(AnalysisErrorKind.NoHeap, Assert.Throws<AnalysisException>(() => session.GetFinalizer()).Kind);
        Assert.Equal(AnalysisErrorKind.NoHeap, Assert.Throws<AnalysisException>(() => session.GetAsyncState()).Kind);
    }
}
