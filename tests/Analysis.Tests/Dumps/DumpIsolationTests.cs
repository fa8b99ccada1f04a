using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Serialization;
using Analysis.Dumps;
using Analysis.Isolation;
using Analysis.Testing;
using Xunit;

namespace Analysis.Tests.Dumps;

/// <summary>
/// Issue 12: ClrMD and the DAC read a session's dump in a worker process. The answers are the engine's own (identical to
/// reading in this process); a worker that dies in a question (the DAC's segmentation fault, the OOM killer) is one EngineFailed for that
/// question, and the session answers the next one from a new worker.
/// </summary>
public sealed class DumpIsolationTests
{
    private static readonly JsonSerializerOptions Json = new() { Converters = { new JsonStringEnumConverter() } };

    private static string Canonical(object? value) => JsonSerializer.Serialize(value, Json);

    [Fact]
    public void EveryAnswer_FromTheWorker_EqualsTheAnswerReadInThisProcess()
    {
        string dump = DumpSet.FactsLite[CapturedDump.ClientWithHeap];
        using var worker = DumpSession.Open(dump, new DumpOpenOptions { NoCache = true, Isolation = EngineIsolation.Worker });
        using var local = DumpSession.Open(dump, new DumpOpenOptions { NoCache = true, Isolation = EngineIsolation.InProcess });
        Assert.Equal(EngineIsolation.Worker, worker.ReadBy);
        Assert.Equal(EngineIsolation.InProcess, local.ReadBy);
        Assert.NotNull(worker.WorkerProcessId);
        Assert.NotEqual(Environment.ProcessId, worker.WorkerProcessId);
        Assert.Null(local.WorkerProcessId);

        Assert.Equal((local.Path, local.Format, local.RuntimeVersion, local.DacPath, local.ProcessId, local.HasHeap), (worker.Path, worker.Format, worker.RuntimeVersion, worker.DacPath, worker.ProcessId, worker.HasHeap));
        Assert.Equal(local.ToString(), worker.ToString());

        var threads = worker.GetThreads();
        Assert.Equal(Canonical(local.GetThreads()), Canonical(threads));
        // threads on one deadlock cycle share it, as the engine built it
        var deadlocked = threads.Where(t => t.Deadlock is not null).ToList();
        Assert.True(deadlocked.Count >= 2);
        Assert.Single(deadlocked.Select(t => t.Deadlock).Distinct());
        Assert.Same(threads, worker.GetThreads()); // kept: asking again costs nothing

        var heap = worker.GetHeapStatistics();
        var localHeap = local.GetHeapStatistics();
        Assert.Equal(Canonical(localHeap.Types), Canonical(heap.Types));
        Assert.Equal((localHeap.TotalCount, localHeap.TotalSize, localHeap.FreeCount, localHeap.FreeSize, localHeap.SegmentCount, localHeap.SkippedBytes),
            (heap.TotalCount, heap.TotalSize, heap.FreeCount, heap.FreeSize, heap.SegmentCount, heap.SkippedBytes));
        Assert.Equal(TargetFacts.LeakedOrderCount, heap.Top(1, typeNamePattern: TargetFacts.LeakedOrderType).Single().Count);
        Assert.Equal(Canonical(local.GetHeapTop(7, HeapSortBy.Count, "System.*")), Canonical(worker.GetHeapTop(7, HeapSortBy.Count, "System.*")));

        Assert.False(worker.IsGraphIndexed);
        var query = worker.FindRootPaths(TargetFacts.LeakedOrderType, 5);
        Assert.True(worker.IsGraphIndexed); // mirrored from the worker's engine
        Assert.Equal(Canonical(local.FindRootPaths(TargetFacts.LeakedOrderType, 5)), Canonical(query));
        Assert.Same(query, worker.FindRootPaths(TargetFacts.LeakedOrderType, 5)); // asked again: the answer kept
        Assert.NotSame(query, worker.FindRootPaths(TargetFacts.LeakedOrderType, 4));
        ulong order = query.Paths[0].Addresses[0];
        Assert.Equal(Canonical(local.FindRootPath(order)), Canonical(worker.FindRootPath(order)));
        Assert.Equal(Canonical(local.FindAllRootPaths(order, 3)), Canonical(worker.FindAllRootPaths(order, 3)));
        Assert.Equal(local.GetRetainedSize(order), worker.GetRetainedSize(order));
        var measured = worker.MeasureObject(order, retained: true);
        Assert.Equal(local.MeasureObject(order, retained: true), measured);
        Assert.Same(measured, worker.MeasureObject(order, retained: true)); // with retained sizes the answer is final: kept
        Assert.Equal(Canonical(local.GetRetainedByType(10)), Canonical(worker.GetRetainedByType(10)));
        Assert.Equal(Canonical(local.GetRetainedByType(3, "Contoso.*")), Canonical(worker.GetRetainedByType(3, "Contoso.*")));

        Assert.Equal(Canonical(local.GetAsyncState()), Canonical(worker.GetAsyncState()));
        Assert.Equal(Canonical(local.GetThreadPool()), Canonical(worker.GetThreadPool()));
        Assert.Equal(Canonical(local.GetFinalizer()), Canonical(worker.GetFinalizer()));
        Assert.Equal(Canonical(DumpTriage.Run(local)), Canonical(DumpTriage.Run(worker)));
        Assert.Equal(local.Warnings, worker.Warnings);
        Assert.Equal(local.GraphWarnings, worker.GraphWarnings);

        // a caller's mistake stays an ArgumentException; a question the dump cannot answer stays its AnalysisException
        Assert.Throws<ArgumentException>(() => worker.FindRootPath(order + 8));
        using var mini = DumpSession.Open(DumpSet.FactsLite[CapturedDump.ClientMini], new DumpOpenOptions { Isolation = EngineIsolation.Worker });
        Assert.Equal(AnalysisErrorKind.NoHeap, Assert.Throws<AnalysisException>(() => mini.GetHeapStatistics()).Kind);
        Assert.NotEmpty(mini.GetThreads());
    }

    [Fact]
    public void AWorkerKilledInAQuestion_IsOneEngineFailed_AndTheNextQuestionGetsANewWorker()
    {
        string dump = DumpSet.Bulk[CapturedDump.ClientWithHeap];
        // a worker of its own: the shared one reads the dumps of the tests running beside this one (SharedWorkerTests
        // end the shared one, alone)
        using var session = DumpSession.Open(dump, new DumpOpenOptions { NoCache = true, Isolation = EngineIsolation.OwnWorker });
        int first = session.WorkerProcessId!.Value;
        // The walk of millions of objects reports progress as it goes: the first report is the moment to end the worker
        // from outside, as the kernel's OOM killer would. (A SIGSEGV sent with kill does not do: the runtime's handler sees
        // that no instruction faulted and goes on; a fault of the DAC itself ends it, as the fuzz campaign's cases show.)
        var progress = new KillOnFirstReport(first);

        var e = Assert.Throws<AnalysisException>(() => session.GetHeapStatistics(progress));
        Assert.Equal(1, progress.Signalled);
        Assert.Equal(AnalysisErrorKind.EngineFailed, e.Kind);
        Assert.Equal(dump, e.Path);
        Assert.Contains("Walking the heap", e.Message, StringComparison.Ordinal);
        Assert.Contains(dump, e.Message, StringComparison.Ordinal);
        Assert.Contains("SIGKILL", e.Message, StringComparison.Ordinal);
        Assert.False(session.IsHeapCached);
        Assert.True(KillOnFirstReport.HasEnded(first, TimeSpan.Zero), $"worker {first} still runs");

        // the next question: a new worker opens the dump again and answers
        var heap = session.GetHeapStatistics();
        Assert.True(heap.TotalCount > DumpSet.BulkObjectCount);
        Assert.Equal(DumpSet.BulkObjectCount, Assert.Single(heap.Types, t => t.TypeName == TargetFacts.BulkNodeType).Count);
        Assert.Equal(DumpSet.BulkObjectCount / TargetFacts.BulkNodesPerTag, Assert.Single(heap.Types, t => t.TypeName == TargetFacts.BulkTagType).Count);
        Assert.NotEqual(first, session.WorkerProcessId);
        Assert.Contains(session.Warnings, w => w.Contains("worker process reading this dump ended", StringComparison.Ordinal));
        Assert.NotEmpty(session.GetThreads());
    }

    private static readonly DumpAnswer[] Ahead =
        [DumpAnswer.OutOfMemory, DumpAnswer.ThreadPool, DumpAnswer.Finalizer, DumpAnswer.AsyncState, DumpAnswer.RetainedByType, DumpAnswer.HeapStatistics];

    private const string WorkerEnded = "worker process reading this dump ended";

    [Fact]
    public async Task AnswersAskedAhead_AreKept_SoTheirQuestionsNeedNoWorker()
    {
        string dump = DumpSet.FactsLite[CapturedDump.ClientWithHeap];
        using var worker = DumpSession.Open(dump, new DumpOpenOptions { NoCache = true, Isolation = EngineIsolation.OwnWorker }); // ended below
        using var local = DumpSession.Open(dump, new DumpOpenOptions { NoCache = true, Isolation = EngineIsolation.InProcess });
        await worker.AskAhead(Ahead, null, CancellationToken.None).WaitAsync(TimeSpan.FromMinutes(2));
        Assert.True(local.AskAhead(Ahead, null, CancellationToken.None).IsCompletedSuccessfully); // in process: nothing to do ahead

        // the worker ends: every answer asked ahead is here without it (a question that needs it would start a new one)
        Kill(worker.WorkerProcessId!.Value);
        Assert.Equal(Canonical(local.GetOutOfMemory()), Canonical(worker.GetOutOfMemory()));
        Assert.Equal(Canonical(local.GetThreadPool()), Canonical(worker.GetThreadPool()));
        Assert.Equal(Canonical(local.GetFinalizer()), Canonical(worker.GetFinalizer()));
        Assert.Equal(Canonical(local.GetAsyncState()), Canonical(worker.GetAsyncState()));
        Assert.Equal(Canonical(local.GetRetainedByType(10)), Canonical(worker.GetRetainedByType(10)));
        Assert.Equal(Canonical(local.GetHeapStatistics().Types), Canonical(worker.GetHeapStatistics().Types));
        Assert.Null(worker.WorkerProcessId);
        Assert.DoesNotContain(worker.Warnings, w => w.Contains(WorkerEnded, StringComparison.Ordinal));

        // a question not asked ahead needs the worker: a new one
        Assert.NotEmpty(worker.GetThreads());
        Assert.NotNull(worker.WorkerProcessId);
        Assert.Contains(worker.Warnings, w => w.Contains(WorkerEnded, StringComparison.Ordinal));
    }

    [Fact]
    public async Task AskingAhead_Cancelled_AsksNothing_AndDoesNotFault()
    {
        using var worker = DumpSession.Open(DumpSet.FactsLite[CapturedDump.ClientWithHeap], new DumpOpenOptions { NoCache = true, Isolation = EngineIsolation.OwnWorker }); // ended below
        using var cancelled = new CancellationTokenSource();
        cancelled.Cancel();
        await worker.AskAhead(Ahead, null, cancelled.Token).WaitAsync(TimeSpan.FromMinutes(1));

        Kill(worker.WorkerProcessId!.Value);
        Assert.NotNull(worker.GetThreadPool()); // not kept: asked now, of a new worker
        Assert.Contains(worker.Warnings, w => w.Contains(WorkerEnded, StringComparison.Ordinal));
    }

    [Fact]
    public void ATriageCancelledWhileItsAnswersAreAskedAhead_StopsThem_AndTheNextTriageIsWhole()
    {
        string dump = DumpSet.FactsLite[CapturedDump.ClientWithHeap];
        using var worker = DumpSession.Open(dump, new DumpOpenOptions { NoCache = true, Isolation = EngineIsolation.Worker });
        using var local = DumpSession.Open(dump, new DumpOpenOptions { NoCache = true, Isolation = EngineIsolation.InProcess });
        using var stop = new CancellationTokenSource();
        bool returned = false;
        int late = 0;
        // cancelled at the thread pool's step: the answers after it are being asked ahead
        var progress = new SyncProgress(p =>
        {
            if (Volatile.Read(ref returned))
                Interlocked.Increment(ref late);
            if (p.Status?.Contains("thread pool", StringComparison.Ordinal) == true)
                stop.Cancel();
        });

        Assert.ThrowsAny<OperationCanceledException>(() => DumpTriage.Run(worker, null, progress, stop.Token));
        Volatile.Write(ref returned, true);
        Thread.Sleep(200);
        Assert.Equal(0, Volatile.Read(ref late)); // nothing asked ahead outlived the triage

        Assert.Equal(Canonical(DumpTriage.Run(local)), Canonical(DumpTriage.Run(worker)));
        Assert.DoesNotContain(worker.Warnings, w => w.Contains(WorkerEnded, StringComparison.Ordinal));
    }

    private static void Kill(int pid)
    {
        using var process = Process.GetProcessById(pid);
        process.Kill();
        Assert.True(process.WaitForExit(10_000), $"worker {pid} still runs");
    }

    [Fact]
    public void Closing_LeavesNoWorkerWithTheSession_AndLaterQuestionsSayTheSessionIsClosed()
    {
        // (the worker goes on with the other dumps, or waits for the next, with the dump closed in it: SharedWorkerTests)
        var session = DumpSession.Open(DumpSet.FactsLite[CapturedDump.ClientMini], new DumpOpenOptions { Isolation = EngineIsolation.Worker });
        Assert.NotNull(session.WorkerProcessId);
        Assert.NotEmpty(session.GetThreads());
        session.Dispose();
        Assert.True(session.IsClosed);
        Assert.Null(session.WorkerProcessId);
        Assert.Equal(AnalysisErrorKind.SessionClosed, Assert.Throws<AnalysisException>(() => session.GetFinalizer()).Kind);
        Assert.Equal(AnalysisErrorKind.SessionClosed, Assert.Throws<AnalysisException>(() => session.GetThreads()).Kind); // as in this process's mode
        Assert.NotEmpty(session.RuntimeVersion); // what the dump is stays readable
    }

    [Theory]
    [InlineData(EngineIsolation.InProcess)]
    [InlineData(EngineIsolation.Worker)]
    public void ClosedSession_EveryQuestionFailsWithSessionClosed_EvenWhenItsAnswerWasKept_WhileWhatTheDumpIsStaysReadable(EngineIsolation isolation)
    {
        string dump = DumpSet.FactsLite[CapturedDump.ClientWithHeap];
        var session = DumpSession.Open(dump, new DumpOpenOptions { NoCache = true, Isolation = isolation });
        // answers kept before closing: threads, heap statistics, the finalizer, a root query and the graph behind it
        Assert.NotEmpty(session.GetThreads());
        Assert.True(session.GetHeapStatistics().TotalCount > 0);
        _ = session.GetFinalizer();
        ulong address = session.FindRootPaths(TargetFacts.LeakedOrderType, top: 1).Paths[0].Target;
        Assert.True(session.GetRetainedSize(address) > 0);
        Assert.True(session.IsHeapCached);
        Assert.True(session.IsGraphIndexed);
        var identity = (session.Path, session.Format, session.RuntimeVersion, session.DacPath, session.ProcessId, session.HasHeap, session.ReadBy, session.ToString());

        session.Dispose();
        Assert.True(session.IsClosed);
        Assert.Equal(identity, (session.Path, session.Format, session.RuntimeVersion, session.DacPath, session.ProcessId, session.HasHeap, session.ReadBy, session.ToString()));
        var questions = new (string Name, Func<object?> Ask)[]
        {
            ("GetThreads", () => session.GetThreads()),
            ("GetHeapStatistics", () => session.GetHeapStatistics()),
            ("GetHeapTop", () => session.GetHeapTop()),
            ("GetFinalizer", () => session.GetFinalizer()),
            ("GetThreadPool", () => session.GetThreadPool()),
            ("GetAsyncState", () => session.GetAsyncState()),
            ("FindRootPaths", () => session.FindRootPaths(TargetFacts.LeakedOrderType, top: 1)),
            ("FindRootPath", () => session.FindRootPath(address)),
            ("FindAllRootPaths", () => session.FindAllRootPaths(address)),
            ("GetRetainedSize", () => session.GetRetainedSize(address)),
            ("GetRetainedByType", () => session.GetRetainedByType()),
            ("GetClrRuntime", () => session.GetClrRuntime()),
            ("WaitForGraphCache", () => { session.WaitForGraphCache(); return null; }),
            ("Warnings", () => session.Warnings),
            ("GraphWarnings", () => session.GraphWarnings),
            ("IsHeapCached", () => session.IsHeapCached),
            ("IsGraphIndexed", () => session.IsGraphIndexed),
            ("GraphCacheFile", () => session.GraphCacheFile),
            ("GraphLoadedFromCache", () => session.GraphLoadedFromCache),
        };
        foreach (var (name, ask) in questions)
        {
            var e = Assert.Throws<AnalysisException>(() => ask());
            Assert.True(e.Kind == AnalysisErrorKind.SessionClosed, $"{name}: {e.Kind}: {e.Message}");
            Assert.Equal(dump, e.Path);
            Assert.IsType<ObjectDisposedException>(e.InnerException);
        }
    }

    internal static bool IsWorker(Process p)
    {
        try
        {
            return File.ReadAllText($"/proc/{p.Id}/cmdline").Contains("Analysis.Worker.dll", StringComparison.Ordinal);
        }
        catch (IOException)
        {
            return false;
        }
        catch (UnauthorizedAccessException)
        {
            return false;
        }
    }


}

internal static class ProcessParent
{
    /// <summary>The parent's process id, from /proc (0 when the process is gone).</summary>
    public static int Parent(this Process process)
    {
        try
        {
            string stat = File.ReadAllText($"/proc/{process.Id}/stat");
            return int.Parse(stat[(stat.LastIndexOf(')') + 2)..].Split(' ')[1], System.Globalization.CultureInfo.InvariantCulture);
        }
        catch (IOException)
        {
            return 0;
        }
    }
}

/// <summary>
/// Counts the worker processes of this test process, so it runs alone: a worker started by a test running at the same
/// time would look like one this open left behind.
/// </summary>
[Collection(nameof(WorkerCountTests))]
public sealed class WorkerCountTests
{
    [Fact]
    public void Open_WithACancelledToken_StopsAndLeavesNoWorker()
    {
        string dump = DumpSet.FactsLite[CapturedDump.ClientMini];
        var before = Process.GetProcesses().Where(DumpIsolationTests.IsWorker).Select(p => p.Id).ToHashSet();
        int dumps = SharedWorker.OpenDumps;
        Assert.ThrowsAny<OperationCanceledException>(() => DumpSession.Open(dump, new DumpOpenOptions { Isolation = EngineIsolation.Worker }, new CancellationToken(canceled: true)));
        // no worker was left for it: the shared one (started for it, when none was there) does not count it
        Assert.Equal(dumps, SharedWorker.OpenDumps);
        Assert.DoesNotContain(Process.GetProcesses().Where(DumpIsolationTests.IsWorker), p => !before.Contains(p.Id) && p.Id != SharedWorker.ProcessId && !p.HasExited && p.Parent() == Environment.ProcessId);

        // one of its own is ended
        before = Process.GetProcesses().Where(DumpIsolationTests.IsWorker).Select(p => p.Id).ToHashSet();
        Assert.ThrowsAny<OperationCanceledException>(() => DumpSession.Open(dump, new DumpOpenOptions { Isolation = EngineIsolation.OwnWorker }, new CancellationToken(canceled: true)));
        Assert.DoesNotContain(Process.GetProcesses().Where(DumpIsolationTests.IsWorker), p => !before.Contains(p.Id) && !p.HasExited && p.Parent() == Environment.ProcessId);
    }
}

/// <summary>The tests of <see cref="WorkerCountTests"/> run after all others, not beside them.</summary>
[CollectionDefinition(nameof(WorkerCountTests), DisableParallelization = true)]
public sealed class WorkerCountCollection;
