using Analysis.Dumps;
using Analysis.Isolation;
using Analysis.Testing;
using Xunit;

namespace Analysis.Tests.Dumps;

/// <summary>
/// The dumps of a process share one warm worker (<see cref="SharedWorker"/>), started ahead (Import-Module): the first
/// dump session takes it, the next join it, each with its ceiling added; one whose question ends it reads alone after,
/// and the others live on in a new one.
/// </summary>
[Collection(nameof(WorkerCountTests))] // alone: the tests end the shared worker, and count the dumps in it
public class SharedWorkerTests
{
    private static WorkerHost Host => WorkerHost.Find(out string? whyNot) ?? throw new InvalidOperationException(whyNot);

    private static DumpOpenOptions Shared => new() { NoCache = true, Isolation = EngineIsolation.Worker };

    private static string Threads(DumpSession session) => string.Join("\n", session.GetThreads().Select(t => t.ToString()));

    [Fact]
    public void SharedWorker_IsTakenByTheFirstDumpSession_AndTheNextJoinIt_WithTheirCeilingsAdded()
    {
        SharedWorker.Drop(); // a worker that served another test
        SharedWorker.Start();
        SharedWorker.WaitStarted();
        int? spare = SharedWorker.ProcessId;
        Assert.NotNull(spare);
        Assert.Equal(0, SharedWorker.OpenDumps);

        string withHeap = DumpSet.FactsLite[CapturedDump.ClientWithHeap], mini = DumpSet.FactsLite[CapturedDump.ClientMini];
        using var first = DumpSession.Open(withHeap, Shared);
        Assert.Equal(EngineIsolationPolicy.MemoryLimit(new FileInfo(withHeap).Length), SharedWorker.Started!.MemoryLimitBytes);
        using var second = DumpSession.Open(mini, Shared);
        using var local = DumpSession.Open(mini, new DumpOpenOptions { Isolation = EngineIsolation.InProcess });

        Assert.Equal(spare, first.WorkerProcessId);
        Assert.Equal(spare, second.WorkerProcessId);
        Assert.Equal(2, SharedWorker.OpenDumps);
        long sum = EngineIsolationPolicy.MemoryLimit(new FileInfo(withHeap).Length) + EngineIsolationPolicy.MemoryLimit(new FileInfo(mini).Length);
        Assert.Equal(Math.Min(sum, EngineIsolationPolicy.MemoryLimit(long.MaxValue)), SharedWorker.Started!.MemoryLimitBytes);

        // each engine answers about its own dump
        Assert.Equal(TargetFacts.SessionCount, first.GetHeapStatistics().Types.Single(t => t.TypeName == TargetFacts.SessionType).Count);
        Assert.Equal(AnalysisErrorKind.NoHeap, Assert.Throws<AnalysisException>(() => second.GetHeapStatistics()).Kind);
        Assert.Equal(Threads(local), Threads(second));
        second.Dispose();
        Assert.Equal(1, SharedWorker.OpenDumps);
        using var localFirst = DumpSession.Open(withHeap, new DumpOpenOptions { Isolation = EngineIsolation.InProcess });
        Assert.Equal(Threads(localFirst), Threads(first)); // its engine answers on after the other's was closed
        Assert.DoesNotContain(first.Warnings, w => w.Contains("worker", StringComparison.Ordinal));
    }

    [Fact]
    public void ATraceRead_TakesTheWaitingDumpWorker_AndAnotherIsStartedAheadForTheDumpsOnceTheReadIsDone_ButNotOneThatReadADump()
    {
        WorkerPool.Drop(); // no trace worker kept from another test
        SharedWorker.Drop();
        SharedWorker.Start();
        SharedWorker.WaitStarted();
        int? waiting = SharedWorker.ProcessId;
        Assert.NotNull(waiting);

        var worker = WorkerPool.Rent(Host, new WorkerStart("read.nettrace", "reading the trace", 256L << 20));
        try
        {
            Assert.Equal(waiting, worker.ProcessId);
            Assert.Equal(256L << 20, worker.Started.MemoryLimitBytes); // it took on the trace's ceiling
            // none is started for the dumps while the trace is read: its start took a core from the read
            SharedWorker.WaitStarted();
            Assert.Null(SharedWorker.ProcessId);
        }
        finally
        {
            WorkerPool.Return(worker); // kept for the next trace
        }

        // once the read is done, the dumps get another
        SharedWorker.WaitStarted();
        int? replacement = SharedWorker.ProcessId;
        Assert.NotNull(replacement);
        Assert.NotEqual(waiting, replacement);
        Assert.Equal(0, SharedWorker.OpenDumps);

        // also when the read failed (the worker is ended, not kept)
        WorkerPool.Drop();
        var failed = WorkerPool.Rent(Host, new WorkerStart("read.nettrace", "reading the trace", 256L << 20));
        Assert.Equal(replacement, failed.ProcessId);
        WorkerPool.Discard(failed);
        Assert.False(failed.IsAlive);
        SharedWorker.WaitStarted();
        Assert.NotNull(SharedWorker.ProcessId);
        Assert.NotEqual(replacement, SharedWorker.ProcessId);

        // one that has read a dump waits for the next dump, not a trace: what a dump did to it stays with the dumps
        using (var session = DumpSession.Open(DumpSet.FactsLite[CapturedDump.ClientMini], Shared))
            Assert.Equal(SharedWorker.ProcessId, session.WorkerProcessId);
        int? readADump = SharedWorker.ProcessId;
        Assert.NotNull(readADump);
        var other = WorkerPool.Rent(Host, new WorkerStart("read.nettrace", "reading the trace", 256L << 20));
        try
        {
            Assert.NotEqual(readADump, other.ProcessId);
            Assert.Equal(readADump, SharedWorker.ProcessId);
        }
        finally
        {
            other.Dispose();
        }
    }

    [Fact]
    public void ADumpAskedToReadAlone_GetsAWorkerOfItsOwn_AndLeavesTheSharedOneWaiting()
    {
        SharedWorker.Drop();
        SharedWorker.Start();
        SharedWorker.WaitStarted();
        using var shared = DumpSession.Open(DumpSet.FactsLite[CapturedDump.ClientMini], Shared);
        int pid = shared.WorkerProcessId!.Value;

        using var alone = DumpSession.Open(DumpSet.FactsLite[CapturedDump.ClientMini], new DumpOpenOptions { Isolation = EngineIsolation.OwnWorker });
        Assert.NotEqual(pid, alone.WorkerProcessId);
        Assert.Equal(pid, SharedWorker.ProcessId);
        Assert.Equal(1, SharedWorker.OpenDumps);
        Assert.Equal(Threads(shared), Threads(alone));
    }

    [Fact]
    public void ADumpWhoseQuestionEndsTheSharedWorker_ReadsAloneAfter_AndTheOtherDumpsLiveOnInANewOne()
    {
        SharedWorker.Drop();
        string bulk = DumpSet.Bulk[CapturedDump.ClientWithHeap], facts = DumpSet.FactsLite[CapturedDump.ClientWithHeap];
        using var culprit = DumpSession.Open(bulk, Shared);
        using var other = DumpSession.Open(facts, Shared);
        using var local = DumpSession.Open(facts, new DumpOpenOptions { NoCache = true, Isolation = EngineIsolation.InProcess });
        int first = culprit.WorkerProcessId!.Value;
        Assert.Equal(first, other.WorkerProcessId);
        var threadPool = other.GetThreadPool(); // kept by the session

        // ended in the culprit's heap walk (it reports progress as it goes), as the OOM killer would
        var e = Assert.Throws<AnalysisException>(() => culprit.GetHeapStatistics(new KillOnFirstReport(first)));
        Assert.Equal(AnalysisErrorKind.EngineFailed, e.Kind);
        Assert.Equal(bulk, e.Path);
        Assert.True(KillOnFirstReport.HasEnded(first, TimeSpan.FromSeconds(10)), $"worker {first} still runs");

        // the other dump answers from a new shared worker, keeps what it had, and says why
        Assert.Same(threadPool, other.GetThreadPool());
        Assert.Equal(Threads(local), Threads(other));
        int second = other.WorkerProcessId!.Value;
        Assert.NotEqual(first, second);
        Assert.Equal(second, SharedWorker.ProcessId);
        Assert.Contains(other.Warnings, w => w.Contains("worker process reading this dump ended", StringComparison.Ordinal) && w.Contains(bulk, StringComparison.Ordinal));

        // the culprit answers too, from a worker of its own
        Assert.NotEmpty(culprit.GetThreads());
        Assert.NotEqual(second, culprit.WorkerProcessId);
        Assert.Contains(culprit.Warnings, w => w.Contains("worker process of its own", StringComparison.Ordinal));
        Assert.Equal(1, SharedWorker.OpenDumps);

        // a dump opened now joins the new shared worker, not the culprit's
        using var next = DumpSession.Open(DumpSet.FactsLite[CapturedDump.ClientMini], Shared);
        Assert.Equal(second, next.WorkerProcessId);
    }

    [Fact]
    public async Task QuestionsRunningSideBySide_WhenTheSharedWorkerEnds_AreEachAskedAgainInAWorkerOfItsOwn()
    {
        SharedWorker.Drop();
        string bulk = DumpSet.Bulk[CapturedDump.ClientWithHeap], facts = DumpSet.FactsLite[CapturedDump.ClientWithHeap];
        using var walking = DumpSession.Open(bulk, Shared);
        using var beside = DumpSession.Open(facts, Shared);
        using var local = DumpSession.Open(facts, new DumpOpenOptions { NoCache = true, Isolation = EngineIsolation.InProcess });
        int first = walking.WorkerProcessId!.Value;
        Task<string>? asked = null;
        var killer = new KillOnFirstReport(first);
        var progress = new SyncProgress(p =>
        {
            if (asked is not null)
                return;
            // the worker is stopped in the walk (SIGSTOP), the other dump asks beside it (both questions are in the
            // worker: which one ends it cannot be told); then the worker is ended, as the OOM killer would
            using (var stop = System.Diagnostics.Process.Start("kill", ["-STOP", first.ToString(System.Globalization.CultureInfo.InvariantCulture)]))
                stop.WaitForExit();
            asked = Task.Run(() => Threads(beside));
            Thread.Sleep(300);
            killer.Report(p);
        });

        // neither question is an error: each is asked again, alone, and answered
        var heap = walking.GetHeapStatistics(progress);
        Assert.Equal(DumpSet.BulkObjectCount, Assert.Single(heap.Types, t => t.TypeName == TargetFacts.BulkNodeType).Count);
        Assert.NotNull(asked);
        Assert.Equal(Threads(local), await asked.WaitAsync(TimeSpan.FromMinutes(2)));
        Assert.True(KillOnFirstReport.HasEnded(first, TimeSpan.FromSeconds(10)), $"worker {first} still runs");
        Assert.NotEqual(walking.WorkerProcessId, beside.WorkerProcessId);
        Assert.NotEqual(first, walking.WorkerProcessId);
        Assert.Contains(walking.Warnings, w => w.Contains("worker process of its own", StringComparison.Ordinal) && w.Contains(facts, StringComparison.Ordinal));
        Assert.Contains(beside.Warnings, w => w.Contains("worker process of its own", StringComparison.Ordinal) && w.Contains(bulk, StringComparison.Ordinal));

        // a dump opened now gets a new shared worker, neither of theirs
        using var next = DumpSession.Open(DumpSet.FactsLite[CapturedDump.ClientMini], Shared);
        Assert.Equal(SharedWorker.ProcessId, next.WorkerProcessId);
        Assert.NotEqual(walking.WorkerProcessId, next.WorkerProcessId);
        Assert.NotEqual(beside.WorkerProcessId, next.WorkerProcessId);
    }

    [Fact]
    public async Task RequestsToOneWorker_AreAnsweredSideBySide_EachWithItsOwnProgress()
    {
        // the dumps sharing a worker ask side by side: three requests of 600 ms take 600 ms, not 1.8 s
        using var worker = EngineWorker.Start(Host, new WorkerStart("shared", "sleeping", 256L << 20) { TestOperations = true });
        var seen = new System.Collections.Concurrent.ConcurrentBag<(int Request, string? Status)>();
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var requests = Enumerable.Range(0, 3).Select(i => Task.Run(() => worker.Sleep(600 + i, false, new SyncProgress(p => seen.Add((i, p.Status))), default))).ToArray();
        await Task.WhenAll(requests).WaitAsync(TimeSpan.FromMinutes(1));
        Assert.True(clock.Elapsed < TimeSpan.FromMilliseconds(1500), $"took {clock.Elapsed}");
        Assert.All(requests, r => Assert.Equal([1], r.Result));
        Assert.Equal(["0:600 ms", "1:601 ms", "2:602 ms"], seen.Select(s => $"{s.Request}:{s.Status}").Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task AWorkerEndedWithRequestsRunning_EndsEachOfThem_AndNamesTheirAskers()
    {
        using var worker = EngineWorker.Start(Host, new WorkerStart("shared", "sleeping", 256L << 20) { TestOperations = true });
        object first = new(), second = new();
        Task Sleep(object asker) => Task.Run(() => worker.Sleep(60_000, false, null, default, asker: asker));
        var requests = new[] { Sleep(first), Sleep(second) };
        await Task.Delay(500);
        Assert.Empty(worker.EndedAsking);
        using (var process = System.Diagnostics.Process.GetProcessById(worker.ProcessId))
            process.Kill();

        foreach (var request in requests)
            Assert.Equal(AnalysisErrorKind.EngineFailed, (await Assert.ThrowsAsync<AnalysisException>(() => request.WaitAsync(TimeSpan.FromMinutes(1)))).Kind);
        Assert.Equal(2, worker.EndedAsking.Count);
        Assert.Contains(first, worker.EndedAsking);
        Assert.Contains(second, worker.EndedAsking);
        // a request after the end ended nobody's question
        Assert.Equal(AnalysisErrorKind.EngineFailed, Assert.Throws<AnalysisException>(() => worker.Sleep(1, false, null, default, asker: new object())).Kind);
        Assert.Equal(2, worker.EndedAsking.Count);
    }

    [Fact]
    public void SharedWorker_IsStartedToCompileTheDumpEngine()
    {
        SharedWorker.Drop();
        SharedWorker.Start();
        SharedWorker.WaitStarted();
        Assert.True(SharedWorker.Started?.CompileDumpEngine);
        SharedWorker.Drop();
    }

    [Fact]
    public void AWorkerStartedToCompileTheDumpEngine_CompilesItWhileItWaits_AndOneNotSoDoesNot()
    {
        using var plain = EngineWorker.Start(Host, new WorkerStart("spare", "waiting", 1L << 30) { TestOperations = true });
        using var compiling = EngineWorker.Start(Host, new WorkerStart("spare", "waiting", 1L << 30) { TestOperations = true, CompileDumpEngine = true });
        static int Compiled(EngineWorker w) => BitConverter.ToInt32(w.Invoke("worker.compiled", null, null, default));

        // the engine is some 2,500 methods (Analysis.Dumps and Analysis.Stacks): wait until the count stops growing
        int before = -1, now = Compiled(compiling);
        var clock = System.Diagnostics.Stopwatch.StartNew();
        while (now != before && clock.Elapsed < TimeSpan.FromSeconds(60))
        {
            Thread.Sleep(500);
            (before, now) = (now, Compiled(compiling));
        }

        int idle = Compiled(plain);
        Assert.True(now - idle > 1_500, $"compiled {now} methods against {idle} in a worker not asked to");
        Thread.Sleep(500);
        Assert.True(Compiled(plain) - idle < 200, "a worker not asked to compiles the engine all the same");
    }

    [Fact]
    public void SharedWorker_IsNotTakenForALargerCeilingThanItsOwn()
    {
        SharedWorker.Drop();
        SharedWorker.Start();
        SharedWorker.WaitStarted();
        int? spare = SharedWorker.ProcessId;
        Assert.NotNull(spare);

        using var session = DumpSession.Open(DumpSet.FactsLite[CapturedDump.ClientWithHeap], new DumpOpenOptions { Isolation = EngineIsolation.Worker, MemoryLimitBytes = EngineIsolationPolicy.MemoryLimit(long.MaxValue) + (1L << 30) });

        Assert.NotEqual(spare, session.WorkerProcessId);
        Assert.Equal(spare, SharedWorker.ProcessId); // still there, for the next dump
        SharedWorker.Drop();
        Assert.Null(SharedWorker.ProcessId);
    }

    /// <summary>A worker started with a 4 GB ceiling that took on a 64 MB file's (adopted.bin).</summary>
    private static EngineWorker AdoptedSmallCeiling()
    {
        var worker = EngineWorker.Start(Host, new WorkerStart("spare", "waiting", 4L << 30) { TestOperations = true });
        worker.Adopt(new WorkerStart("adopted.bin", "allocating", 64L << 20) { TestOperations = true });
        return worker;
    }

    [Fact]
    public void AdoptedWorker_KeepsTheLowerGcHeapCeiling_AndNamesTheNewFile()
    {
        using var worker = AdoptedSmallCeiling();

        // 512 MB fits the ceiling it was started with, not the one it took on
        var e = Assert.Throws<AnalysisException>(() => worker.Allocate(512, false));
        Assert.Equal(AnalysisErrorKind.MemoryLimitExceeded, e.Kind);
        Assert.Contains("adopted.bin", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void AClosedDumpsWorker_WaitsForTheNext_WithTheDumpClosedInIt_AndTheNextDumpTakesIt()
    {
        SharedWorker.Drop();
        string first = DumpSet.FactsLite[CapturedDump.ClientWithHeap];
        string next = DumpSet.FactsLite[CapturedDump.CreateDumpWithHeap];
        var session = DumpSession.Open(first, Shared);
        int pid = session.WorkerProcessId!.Value;
        Assert.True(session.GetHeapStatistics().TotalCount > 0);
        Assert.Contains(pid, OpenedBy(first));
        session.Dispose();

        Assert.Equal(pid, SharedWorker.ProcessId);
        Assert.Equal(0, SharedWorker.OpenDumps);
        Assert.DoesNotContain(pid, OpenedBy(first)); // closed in the worker: neither mapped nor open there

        using var taking = DumpSession.Open(next, Shared);
        using var local = DumpSession.Open(next, new DumpOpenOptions { NoCache = true, Isolation = EngineIsolation.InProcess });
        Assert.Equal(pid, taking.WorkerProcessId);
        Assert.Equal(local.GetHeapStatistics().Types.Select(t => (t.TypeName, t.Count, t.TotalSize)), taking.GetHeapStatistics().Types.Select(t => (t.TypeName, t.Count, t.TotalSize)));
        Assert.Equal(local.GetThreads().Select(t => t.ToString()), taking.GetThreads().Select(t => t.ToString()));
        Assert.DoesNotContain(taking.Warnings, w => w.Contains("worker", StringComparison.Ordinal));
    }

    [Fact]
    public void AWorkerThatGaveItsMemoryBack_TouchesItsYoungGenerationAgainWhileItWaits()
    {
        // a question's short-lived arrays, 8 MB: on pages never touched, each 4 KB is a first-touch fault (~3 µs)
        using var worker = EngineWorker.Start(Host, new WorkerStart("released", "touching", 1L << 30) { TestOperations = true });
        long pages = (8L << 20) / Environment.SystemPageSize;
        long Touch() => BitConverter.ToInt64(worker.Invoke("worker.touch", w => w.Write(8), null, default));
        long fresh = Touch();
        Assert.True(fresh > pages / 2, $"a new worker's first 8 MB took {fresh} faults ({pages} pages): the probe does not see first touches");

        // the last dump's close: a full compacting collection gives the pages back; then, while no request comes, the
        // worker touches its young generation's area again, so the next question's arrays land on touched pages
        worker.Invoke("worker.release", null, null, default);
        WaitUntilNoFaults(worker.ProcessId);
        long after = Touch();
        Assert.True(after < pages / 4, $"after giving its memory back, 8 MB took {after} faults ({pages} pages; {fresh} in a new worker)");
    }

    [Fact]
    public void ClosingTheLastDumpInTheSharedWorker_GivesItsMemoryBack_AndTouchesTheYoungGenerationAgain()
    {
        SharedWorker.Drop();
        var session = DumpSession.Open(DumpSet.FactsLite[CapturedDump.ClientWithHeap], Shared);
        int pid = session.WorkerProcessId!.Value;
        Assert.True(session.GetHeapStatistics().TotalCount > 0);
        WaitUntilNoFaults(pid);
        long before = ProcStat.MinorFaults(pid);
        session.Dispose();

        // no request comes after the close: what faults now is the worker touching its allocation area (MBs of pages)
        WaitUntilNoFaults(pid);
        long touched = (ProcStat.MinorFaults(pid) - before) * Environment.SystemPageSize;
        Assert.True(touched >= 4L << 20, $"the worker touched {touched >> 10} KB after the close");
        Assert.Equal(pid, SharedWorker.ProcessId);
    }

    /// <summary>Waits until a process has taken no page fault for half a second (what it does while idle has ended).</summary>
    private static void WaitUntilNoFaults(int pid)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        long last = ProcStat.MinorFaults(pid);
        while (DateTime.UtcNow < deadline)
        {
            Thread.Sleep(500);
            long now = ProcStat.MinorFaults(pid);
            if (now == last)
                return;
            last = now;
        }
    }

    [Fact]
    public void AClosedDumpsWorkerOfItsOwn_BecomesTheSharedOne_WhenThereIsNone()
    {
        SharedWorker.Drop();
        var alone = DumpSession.Open(DumpSet.FactsLite[CapturedDump.ClientMini], new DumpOpenOptions { Isolation = EngineIsolation.OwnWorker });
        int pid = alone.WorkerProcessId!.Value;
        Assert.Null(SharedWorker.ProcessId);
        alone.Dispose();
        Assert.Equal(pid, SharedWorker.ProcessId);
        using var next = DumpSession.Open(DumpSet.FactsLite[CapturedDump.ClientMini], Shared);
        Assert.Equal(pid, next.WorkerProcessId);
    }

    [Fact]
    public void AWorkerThatEnded_IsNotKept()
    {
        SharedWorker.Drop();
        var session = DumpSession.Open(DumpSet.FactsLite[CapturedDump.ClientMini], Shared);
        using (var worker = System.Diagnostics.Process.GetProcessById(session.WorkerProcessId!.Value))
        {
            worker.Kill();
            Assert.True(worker.WaitForExit(10_000));
        }

        session.Dispose();
        Assert.Null(SharedWorker.ProcessId);
    }

    [Fact]
    public void ADumpWhoseReadingFailed_DoesNotLeaveItsWorkerToTheNext()
    {
        SharedWorker.Drop();
        var session = DumpSession.Open(DumpSet.Bulk[CapturedDump.ClientWithHeap], Shared);
        int first = session.WorkerProcessId!.Value;
        // ended in the heap walk (it reports progress as it goes), as the OOM killer would
        Assert.Equal(AnalysisErrorKind.EngineFailed, Assert.Throws<AnalysisException>(() => session.GetHeapStatistics(new KillOnFirstReport(first))).Kind);
        Assert.NotEmpty(session.GetThreads()); // from a new worker, of its own, which reads the dump as well
        int second = session.WorkerProcessId!.Value;
        Assert.Null(SharedWorker.ProcessId);

        session.Dispose();
        Assert.Null(SharedWorker.ProcessId);
        Assert.True(KillOnFirstReport.HasEnded(second, TimeSpan.FromSeconds(10)), $"worker {second} still runs");
    }

    [Fact]
    public void AdoptedWorker_TakesOnAHigherCeiling_UpToTheOneItWasStartedWith()
    {
        using var worker = EngineWorker.Start(Host, new WorkerStart("spare", "waiting", 4L << 30) { TestOperations = true });
        worker.Adopt(new WorkerStart("small.bin", "allocating", 64L << 20) { TestOperations = true });
        worker.Adopt(new WorkerStart("large.bin", "allocating", 2L << 30) { TestOperations = true });

        // 512 MB: over the ceiling it had, under the one it took on
        byte[] answer = worker.Allocate(512, false);
        Assert.Equal(512, BitConverter.ToInt32(answer));
        Assert.Throws<InvalidOperationException>(() => worker.Adopt(new WorkerStart("larger.bin", "allocating", 5L << 30) { TestOperations = true }));
    }

    /// <summary>The processes that have <paramref name="file"/> open or mapped.</summary>
    private static int[] OpenedBy(string file)
    {
        string full = Path.GetFullPath(file);
        var pids = new List<int>();
        foreach (string dir in Directory.GetDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), out int pid))
                continue;
            try
            {
                bool mapped = File.ReadLines(Path.Combine(dir, "maps")).Any(l => l.EndsWith(full, StringComparison.Ordinal));
                bool open = Directory.GetFiles(Path.Combine(dir, "fd")).Any(fd => new FileInfo(fd).LinkTarget == full);
                if (mapped || open)
                    pids.Add(pid);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // a process that ended meanwhile, or not ours
            }
        }

        return [.. pids];
    }

    [Fact]
    public void AdoptedWorker_KeepsTheLowerResidentCeiling()
    {
        using var worker = AdoptedSmallCeiling();

        // native memory the GC ceiling does not see: 1 GB is under the started ceiling's resident limit (7 GB), over the taken one's
        var e = Assert.Throws<AnalysisException>(() => worker.Allocate(1024, true));
        Assert.Equal(AnalysisErrorKind.MemoryLimitExceeded, e.Kind);
        Assert.Contains("over the ceiling", e.Message, StringComparison.Ordinal);
    }
}
