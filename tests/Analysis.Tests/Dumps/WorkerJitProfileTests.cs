using Analysis.Dumps;
using Analysis.Isolation;
using Analysis.Testing;
using Analysis.Tests.Traces;
using Analysis.Traces;
using Xunit;

namespace Analysis.Tests.Dumps;

/// <summary>
/// A dump worker leaves the list of methods it compiled in the cache folder when it ends cleanly, and the next dump
/// worker compiles them in the background as it starts (<see cref="WorkerJitProfile"/>). Each test points the cache
/// folder (ANALYSIS_CACHE_DIR, which the workers inherit) at a folder of its own; alone in their collection, so no
/// other test's worker starts meanwhile.
/// </summary>
[Collection(nameof(WorkerCountTests))]
public sealed class WorkerJitProfileTests : IDisposable
{
    private readonly string? _cacheBefore = Environment.GetEnvironmentVariable("ANALYSIS_CACHE_DIR");
    private readonly string? _switchBefore = Environment.GetEnvironmentVariable(WorkerJitProfile.SwitchVariable);
    private readonly string _cache = RepoPaths.NewScratchDirectory("jit-profile");

    public WorkerJitProfileTests()
    {
        // no worker started before the folder changed (it would write its list into the old one): one being started
        // ahead by an earlier test is waited for, then dropped
        SharedWorker.WaitStarted();
        SharedWorker.Drop();
        WorkerPool.Drop();
        Environment.SetEnvironmentVariable("ANALYSIS_CACHE_DIR", _cache);
        Environment.SetEnvironmentVariable(WorkerJitProfile.SwitchVariable, null);
    }

    public void Dispose()
    {
        SharedWorker.Drop();
        WorkerPool.Drop();
        Environment.SetEnvironmentVariable("ANALYSIS_CACHE_DIR", _cacheBefore);
        Environment.SetEnvironmentVariable(WorkerJitProfile.SwitchVariable, _switchBefore);
    }

    private static WorkerHost Host => WorkerHost.Find(out string? whyNot) ?? throw new InvalidOperationException(whyNot);

    private static DumpOpenOptions OwnWorker => new() { NoCache = true, Isolation = EngineIsolation.OwnWorker };

    private static string Dump => DumpSet.FactsLite[CapturedDump.ClientWithHeap];

    private string Folder => Path.Combine(_cache, "jit");

    private string List => WorkerJitProfile.FileIn(Folder);

    /// <summary>A dump read in a worker of its own, which ends (and writes its list) once closed: kept for the next dump, then dropped.</summary>
    private static string ReadDump()
    {
        string threads;
        using (var session = DumpSession.Open(Dump, OwnWorker))
        {
            threads = string.Join("\n", session.GetThreads().Select(t => t.ToString()));
            _ = session.GetHeapStatistics();
            _ = DumpTriage.Run(session);
        }

        SharedWorker.Drop();
        return threads;
    }

    /// <summary>Methods a worker started for dumps, asked nothing, has compiled once the count stops growing.</summary>
    private static int CompiledWhileWaiting(bool dumpJitProfile)
    {
        using var worker = EngineWorker.Start(Host, new WorkerStart("spare", "waiting", 1L << 30) { TestOperations = true, DumpJitProfile = dumpJitProfile });
        Thread.Sleep(WorkerJitProfile.IdleDelay); // a worker asked nothing starts on the list after that
        int before = -1, now = Compiled(worker);
        var clock = System.Diagnostics.Stopwatch.StartNew();
        while (now != before && clock.Elapsed < TimeSpan.FromSeconds(60))
        {
            Thread.Sleep(500);
            (before, now) = (now, Compiled(worker));
        }

        return now;
    }

    private static int Compiled(EngineWorker w) => BitConverter.ToInt32(w.Invoke("worker.compiled", null, null, default));

    [Fact]
    public void AWorkerThatReadADump_LeavesItsList_AndTheNextWorkerForDumpsCompilesItWhileItWaits()
    {
        ReadDump();

        Assert.True(File.Exists(List), $"no list in {Folder}: {string.Join(", ", Directory.Exists(Folder) ? Directory.GetFiles(Folder) : [])}");
        Assert.Empty(Directory.GetFiles(Folder, "worker-*")); // its own recording was renamed, not left
        byte[] list = File.ReadAllBytes(List);

        // the same idle worker, with and without the list: only the list's methods make the difference
        int without = CompiledWhileWaiting(false);
        int with = CompiledWhileWaiting(true);
        Assert.True(with - without > 300, $"a worker with the list compiled {with} methods, {without} without");

        // a worker that opened no dump leaves the list as it was
        Assert.Equal(list, File.ReadAllBytes(List));
        Assert.Empty(Directory.GetFiles(Folder, "worker-*"));
    }

    [Fact]
    public void WithNoListInTheCacheFolderYet_AWorkerForDumpsCompilesTheOneShippedBesideAnalysisDll()
    {
        // a machine's first session: the build ships a list beside Analysis.dll (build.fsx records it for the module);
        // here one recorded by this test, moved there (the tests' workers load the tests' Analysis.dll)
        ReadDump();
        string shipped = WorkerJitProfile.Shipped()!;
        Assert.Equal(Path.GetDirectoryName(typeof(WorkerJitProfile).Assembly.Location), Path.GetDirectoryName(shipped));
        File.Move(List, shipped, overwrite: true);
        try
        {
            int with = CompiledWhileWaiting(true);
            Assert.False(File.Exists(List)); // read, not copied into the cache folder: a worker that reads a dump writes its own
            File.Delete(shipped);
            int without = CompiledWhileWaiting(true);
            Assert.True(with - without > 300, $"a worker with the shipped list compiled {with} methods, {without} with none");
        }
        finally
        {
            File.Delete(shipped);
        }
    }

    [Fact]
    public void ADamagedList_IsIgnored_AndReplacedByTheNextWorkerThatReadsADump()
    {
        Directory.CreateDirectory(Folder);
        var random = new Random(12);
        byte[] garbage = new byte[64 << 10];
        random.NextBytes(garbage);
        File.WriteAllBytes(List, garbage);
        int withGarbage = CompiledWhileWaiting(true);

        string threads = ReadDump();
        using (var inProcess = DumpSession.Open(Dump, new DumpOpenOptions { NoCache = true, Isolation = EngineIsolation.InProcess }))
            Assert.Equal(string.Join("\n", inProcess.GetThreads().Select(t => t.ToString())), threads);

        Assert.NotEqual(garbage, File.ReadAllBytes(List));
        int with = CompiledWhileWaiting(true);
        Assert.True(with - withGarbage > 300, $"a worker with the new list compiled {with} methods, {withGarbage} with the damaged one");
    }

    [Fact]
    public void WithTheSwitchOff_NoListIsKept()
    {
        Environment.SetEnvironmentVariable(WorkerJitProfile.SwitchVariable, "off");
        ReadDump();
        Assert.False(Directory.Exists(Folder) && Directory.EnumerateFileSystemEntries(Folder).Any(), "a list was written with ANALYSIS_JIT_PROFILE=off");
    }

    [Fact]
    public void TheDumpWorkerStartedAhead_ThatReadsATrace_LeavesTheListAsItWas()
    {
        ReadDump();
        byte[] list = File.ReadAllBytes(List);
        SharedWorker.Start();
        SharedWorker.WaitStarted();
        int? ahead = SharedWorker.ProcessId;

        var analysis = TraceAnalysis.Read(TraceCaptures.Facts, new TraceReadOptions { Isolation = EngineIsolation.Worker });
        Assert.True(analysis.EventCount > 0);
        Assert.NotEqual(ahead, SharedWorker.ProcessId); // it was taken for the trace (another was started for the dumps)
        SharedWorker.Drop(); // the new one, which opened no dump
        WorkerPool.Drop(); // the one that read the trace, kept for the next trace

        Assert.Equal(list, File.ReadAllBytes(List));
        Assert.Empty(Directory.GetFiles(Folder, "worker-*"));
    }
}
