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
