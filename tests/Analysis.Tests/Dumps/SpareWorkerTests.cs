using Analysis.Dumps;
using Analysis.Isolation;
using Analysis.Testing;
using Xunit;

namespace Analysis.Tests.Dumps;

/// <summary>The spare worker started ahead (Import-Module): the first dump session takes it, with that dump's ceilings.</summary>
[Collection(nameof(WorkerCountTests))] // alone: a session opened beside it would take the spare
public class SpareWorkerTests
{
    private static WorkerHost Host => WorkerHost.Find(out string? whyNot) ?? throw new InvalidOperationException(whyNot);

    [Fact]
    public void SpareWorker_IsTakenByTheFirstDumpSession_AndTheNextStartsItsOwn()
    {
        SpareWorker.Drop(); // a closed dump's worker kept by another test
        SpareWorker.Start();
        SpareWorker.WaitStarted();
        int? spare = SpareWorker.ProcessId;
        Assert.NotNull(spare);

        using var first = DumpSession.Open(DumpSet.FactsLite[CapturedDump.ClientWithHeap], new DumpOpenOptions { Isolation = EngineIsolation.Worker });
        using var second = DumpSession.Open(DumpSet.FactsLite[CapturedDump.ClientWithHeap], new DumpOpenOptions { Isolation = EngineIsolation.Worker });

        Assert.Equal(spare, first.WorkerProcessId);
        Assert.NotEqual(spare, second.WorkerProcessId);
        Assert.Null(SpareWorker.ProcessId);
        Assert.Equal(TargetFacts.SessionCount, first.GetHeapStatistics().Types.Single(t => t.TypeName == TargetFacts.SessionType).Count);
    }

    [Fact]
    public void SpareWorker_IsStartedToCompileTheDumpEngine()
    {
        SpareWorker.Drop();
        SpareWorker.Start();
        SpareWorker.WaitStarted();
        Assert.True(SpareWorker.Started?.CompileDumpEngine);
        SpareWorker.Drop();
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
    public void SpareWorker_IsNotTakenForALargerCeilingThanItsOwn()
    {
        SpareWorker.Drop();
        SpareWorker.Start();
        SpareWorker.WaitStarted();
        int? spare = SpareWorker.ProcessId;
        Assert.NotNull(spare);

        using var session = DumpSession.Open(DumpSet.FactsLite[CapturedDump.ClientWithHeap], new DumpOpenOptions { Isolation = EngineIsolation.Worker, MemoryLimitBytes = EngineIsolationPolicy.MemoryLimit(long.MaxValue) + (1L << 30) });

        Assert.NotEqual(spare, session.WorkerProcessId);
        SpareWorker.Drop();
        Assert.Null(SpareWorker.ProcessId);
    }

    [Fact]
    public void AdoptedWorker_KeepsTheLowerGcHeapCeiling_AndNamesTheNewFile()
    {
        using var worker = EngineWorker.Start(Host, new WorkerStart("spare", "waiting", 4L << 30) { TestOperations = true });
        worker.Adopt(new WorkerStart("adopted.bin", "allocating", 64L << 20) { TestOperations = true });

        // 512 MB fits the ceiling it was started with, not the one it took on
        var e = Assert.Throws<AnalysisException>(() => worker.Invoke("worker.allocate", w =>
        {
            w.Write(512);
            w.Write(false);
        }, null, default));
        Assert.Equal(AnalysisErrorKind.MemoryLimitExceeded, e.Kind);
        Assert.Contains("adopted.bin", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void AClosedDumpsWorker_WaitsAsTheSpare_WithTheDumpClosedInIt_AndTheNextDumpTakesIt()
    {
        SpareWorker.Drop();
        string first = DumpSet.FactsLite[CapturedDump.ClientWithHeap];
        string next = DumpSet.FactsLite[CapturedDump.CreateDumpWithHeap];
        var session = DumpSession.Open(first, new DumpOpenOptions { NoCache = true, Isolation = EngineIsolation.Worker });
        int pid = session.WorkerProcessId!.Value;
        Assert.True(session.GetHeapStatistics().TotalCount > 0);
        Assert.Contains(pid, OpenedBy(first));
        session.Dispose();

        Assert.Equal(pid, SpareWorker.ProcessId);
        Assert.DoesNotContain(pid, OpenedBy(first)); // closed in the worker: neither mapped nor open there

        using var taking = DumpSession.Open(next, new DumpOpenOptions { NoCache = true, Isolation = EngineIsolation.Worker });
        using var local = DumpSession.Open(next, new DumpOpenOptions { NoCache = true, Isolation = EngineIsolation.InProcess });
        Assert.Equal(pid, taking.WorkerProcessId);
        Assert.Null(SpareWorker.ProcessId);
        Assert.Equal(local.GetHeapStatistics().Types.Select(t => (t.TypeName, t.Count, t.TotalSize)), taking.GetHeapStatistics().Types.Select(t => (t.TypeName, t.Count, t.TotalSize)));
        Assert.Equal(local.GetThreads().Select(t => t.ToString()), taking.GetThreads().Select(t => t.ToString()));
        Assert.DoesNotContain(taking.Warnings, w => w.Contains("worker", StringComparison.Ordinal));
    }

    [Fact]
    public void AWorkerThatEnded_IsNotKept()
    {
        SpareWorker.Drop();
        var session = DumpSession.Open(DumpSet.FactsLite[CapturedDump.ClientMini], new DumpOpenOptions { Isolation = EngineIsolation.Worker });
        using (var worker = System.Diagnostics.Process.GetProcessById(session.WorkerProcessId!.Value))
        {
            worker.Kill();
            Assert.True(worker.WaitForExit(10_000));
        }

        session.Dispose();
        Assert.Null(SpareWorker.ProcessId);
    }

    [Fact]
    public void ADumpWhoseReadingFailed_DoesNotLeaveItsWorkerToTheNext()
    {
        SpareWorker.Drop();
        var session = DumpSession.Open(DumpSet.Bulk[CapturedDump.ClientWithHeap], new DumpOpenOptions { NoCache = true, Isolation = EngineIsolation.Worker });
        int first = session.WorkerProcessId!.Value;
        // ended in the heap walk (it reports progress as it goes), as the OOM killer would
        Assert.Equal(AnalysisErrorKind.EngineFailed, Assert.Throws<AnalysisException>(() => session.GetHeapStatistics(new KillOnFirstReport(first))).Kind);
        Assert.NotEmpty(session.GetThreads()); // from a new worker, which reads the dump as well
        int second = session.WorkerProcessId!.Value;

        session.Dispose();
        Assert.Null(SpareWorker.ProcessId);
        Assert.True(KillOnFirstReport.HasEnded(second, TimeSpan.FromSeconds(10)), $"worker {second} still runs");
    }

    [Fact]
    public void AdoptedWorker_TakesOnAHigherCeiling_UpToTheOneItWasStartedWith()
    {
        using var worker = EngineWorker.Start(Host, new WorkerStart("spare", "waiting", 4L << 30) { TestOperations = true });
        worker.Adopt(new WorkerStart("small.bin", "allocating", 64L << 20) { TestOperations = true });
        worker.Adopt(new WorkerStart("large.bin", "allocating", 2L << 30) { TestOperations = true });

        // 512 MB: over the ceiling it had, under the one it took on
        byte[] answer = worker.Invoke("worker.allocate", w =>
        {
            w.Write(512);
            w.Write(false);
        }, null, default);
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
        using var worker = EngineWorker.Start(Host, new WorkerStart("spare", "waiting", 4L << 30) { TestOperations = true });
        worker.Adopt(new WorkerStart("adopted.bin", "allocating", 64L << 20) { TestOperations = true });

        // native memory the GC ceiling does not see: 1 GB is under the started ceiling's resident limit (7 GB), over the taken one's
        var e = Assert.Throws<AnalysisException>(() => worker.Invoke("worker.allocate", w =>
        {
            w.Write(1024);
            w.Write(true);
        }, null, default));
        Assert.Equal(AnalysisErrorKind.MemoryLimitExceeded, e.Kind);
        Assert.Contains("over the ceiling", e.Message, StringComparison.Ordinal);
    }
}
