using System.Diagnostics;
using System.Text;
using System.Text.Json;
using Analysis.Isolation;
using Analysis.Testing;
using Analysis.Traces;
using Xunit;

namespace Analysis.Tests.Traces;

/// <summary>
/// The reading pass in a worker process (issue 12): the same answers as in this process, and what TraceEvent does to a
/// process on damaged input (an access violation, a runaway allocation, a hang) ends only the worker.
/// </summary>
public class TraceIsolationTests
{
    private static readonly TraceReadOptions InProcess = new() { Isolation = EngineIsolation.InProcess };
    private static readonly TraceReadOptions Worker = new() { Isolation = EngineIsolation.Worker };

    /// <summary>A GCPerHeapHistory field set to FF FF FF FF: TraceEvent reads outside the event (tests/testdata/traces/MANIFEST).</summary>
    private static readonly Lazy<string> s_accessViolation = new(() => DamagedTraces.Make(DamagedTraces.AccessViolation, TraceCaptures.Folder));

    private static string AccessViolationFixture => s_accessViolation.Value;

    private static WorkerHost Host => WorkerHost.Find(out string? whyNot) ?? throw new InvalidOperationException(whyNot);

    [Fact]
    public void Worker_ShipsBesideTheCore_AndReadsByDefault()
    {
        Assert.NotNull(WorkerHost.Find(out string? whyNot));
        Assert.Null(whyNot);
        var a = TraceAnalysis.Read(TraceCaptures.Facts);
        Assert.Equal(EngineIsolation.Worker, a.ReadBy);
        Assert.DoesNotContain(a.Warnings, w => w.Contains("not in a worker", StringComparison.Ordinal));
    }

    [Fact]
    public void Worker_AnswersEveryQuestionExactlyAsInProcess()
    {
        var inProcess = TraceAnalysis.Read(TraceCaptures.Facts, InProcess);
        var worker = TraceAnalysis.Read(TraceCaptures.Facts, Worker);
        Assert.Equal(EngineIsolation.InProcess, inProcess.ReadBy);
        Assert.Equal(EngineIsolation.Worker, worker.ReadBy);
        Assert.Equal(Answers(inProcess), Answers(worker));
    }

    [Fact]
    public void AllocationWarmup_AllocatesUntilTheYoungGenerationIsCollected_AndNoFurther()
    {
        // what the session does while a worker reads (the first-touch page faults of its first questions move there)
        int before = GC.CollectionCount(0);
        long bytes = AllocationWarmup.Run();
        Assert.InRange(bytes, 1, AllocationWarmup.Ceiling + 64_000);
        Assert.True(GC.CollectionCount(0) > before || bytes >= AllocationWarmup.Ceiling, $"{bytes:N0} bytes and no collection");
    }

    [Fact]
    public void AllocationWarmup_InASession_OnlyBeforeItsFirstCollection()
    {
        // a session that has collected its young generation has written its allocation area: touching it again while a
        // warm worker answers in a few ms only delayed the answer (two cores)
        GC.Collect(0);
        Assert.Equal(0, AllocationWarmup.RunInSession(() => false));
        Assert.True(AllocationWarmup.Run(() => false) > 0); // there was something to skip
    }

    [Fact]
    public void Precompilation_CompilesATypesMethodsOnce_LambdasAndSharedGenericsIncluded()
    {
        // a type of its own, so no other test has compiled it first
        int first = Precompilation.Compile(typeof(PrecompiledSample));
        // Twice, Map<T> in its shared form, the constructor, the lambda and its closure's constructor; not Boxed<T>
        // (struct-constrained: no shared form) nor the closure's type initializer (it runs once anyway)
        Assert.Equal(5, first);
        Assert.Equal(0, Precompilation.Compile(typeof(PrecompiledSample)));
        Assert.Equal(8, new PrecompiledSample().Twice(4));
    }

    private sealed class PrecompiledSample
    {
        public int Twice(int x) => Map(x, y => y * 2);

        private static T Map<T>(T value, Func<T, T> f) => f(value);

        private static T? Boxed<T>(T value)
            where T : struct => value;
    }

    [Fact]
    public void Worker_AnswersATruncatedTraceExactlyAsInProcess()
    {
        var bytes = File.ReadAllBytes(TraceCaptures.Facts);
        string cut = TraceCaptures.Scratch("iso-cut.nettrace", bytes[..(bytes.Length * 7 / 10)]);
        var worker = TraceAnalysis.Read(cut, Worker);
        Assert.True(worker.IsTruncated);
        Assert.Equal(Answers(TraceAnalysis.Read(cut, InProcess)), Answers(worker));
    }

    [Fact]
    public async Task AccessViolationInTraceEvent_EndsAProcessReadingInProcess()
    {
        // the reproduction runs in a child process (the worker's --read-trace mode reads in its own process), so this one survives
        var psi = new ProcessStartInfo(Host.Dotnet) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (string a in new[] { "exec", "--runtimeconfig", Host.RuntimeConfig, Host.Worker, "--read-trace", AccessViolationFixture })
            psi.ArgumentList.Add(a);
        psi.Environment["DOTNET_DbgEnableMiniDump"] = "0";
        using var child = Process.Start(psi)!;
        var stderrRead = child.StandardError.ReadToEndAsync();
        await child.StandardOutput.ReadToEndAsync();
        string stderr = await stderrRead;
        Assert.True(child.WaitForExit(60_000));
        Assert.Contains("System.AccessViolationException", stderr, StringComparison.Ordinal);
        Assert.Contains("GCPerHeapHistoryTraceData", stderr, StringComparison.Ordinal);
        Assert.NotEqual(0, child.ExitCode);
    }

    [Fact]
    public void AccessViolationInTraceEvent_ThroughTheWorker_IsOneEngineFailedAndThisProcessLivesOn()
    {
        var e = Assert.Throws<AnalysisException>(() => TraceAnalysis.Read(AccessViolationFixture));
        Assert.Equal(AnalysisErrorKind.EngineFailed, e.Kind);
        Assert.Equal(AccessViolationFixture, e.Path);
        Assert.Contains(AccessViolationFixture, e.Message, StringComparison.Ordinal);
        Assert.Contains("Reading the trace", e.Message, StringComparison.Ordinal);
        Assert.Contains("exit code 134 (signal 6, SIGABRT", e.Message, StringComparison.Ordinal);
        Assert.Contains("System.AccessViolationException", e.Message, StringComparison.Ordinal);
        Assert.Contains("this session is unaffected", e.Message, StringComparison.Ordinal);
        var cause = Assert.IsType<EngineFaultException>(e.InnerException);
        Assert.Contains("GCPerHeapHistoryTraceData", cause.Detail, StringComparison.Ordinal);

        // and the next question in this process is answered
        Assert.Equal(TraceCaptures.FactsAnalysis.EventCount, TraceAnalysis.Read(TraceCaptures.Facts).EventCount);
    }

    [Fact]
    public void MemoryCeiling_ReachedWhileReading_IsMemoryLimitExceeded()
    {
        // under ~3 MB the runtime itself cannot start the worker (a small trace reads within 4 MB: the GC rounds the
        // ceiling up to whole regions, so a higher ceiling would not fail reliably here; see the next test for a
        // managed allocation past a ceiling while working)
        var e = Assert.Throws<AnalysisException>(() => TraceAnalysis.Read(TraceCaptures.Facts, Worker with { MemoryLimitBytes = 2L << 20 }));
        Assert.Equal(AnalysisErrorKind.MemoryLimitExceeded, e.Kind);
        Assert.Contains(TraceCaptures.Facts, e.Message, StringComparison.Ordinal);
        Assert.Contains("ANALYSIS_ENGINE_MEMORY_MB", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void MemoryCeiling_ManagedAllocationPastIt_IsMemoryLimitExceeded_AndThisProcessLivesOn()
    {
        using var worker = EngineWorker.Start(Host, new WorkerStart("managed.bin", "allocating", 64L << 20) { TestOperations = true });
        var e = Assert.Throws<AnalysisException>(() => worker.Allocate(512, false));
        Assert.Equal(AnalysisErrorKind.MemoryLimitExceeded, e.Kind);
        Assert.Contains("managed.bin", e.Message, StringComparison.Ordinal);
        Assert.Equal(TraceCaptures.FactsAnalysis.EventCount, TraceAnalysis.Read(TraceCaptures.Facts, Worker).EventCount);
    }

    [Fact]
    public void MemoryCeiling_NativeMemoryPastIt_EndsTheWorkerThroughTheWatchdog()
    {
        using var worker = EngineWorker.Start(Host, new WorkerStart("native.bin", "allocating", 64L << 20) { TestOperations = true });
        var e = Assert.Throws<AnalysisException>(() => worker.Allocate(2048, true));
        Assert.Equal(AnalysisErrorKind.MemoryLimitExceeded, e.Kind);
        Assert.Contains("over the ceiling", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Cancellation_StopsTheRequest_AndTheWorkerAnswersTheNext()
    {
        using var worker = EngineWorker.Start(Host, new WorkerStart("none", "sleeping", 256L << 20) { TestOperations = true });
        using var cts = new CancellationTokenSource(TimeSpan.FromMilliseconds(300));
        var clock = Stopwatch.StartNew();
        Assert.ThrowsAny<OperationCanceledException>(() => worker.Sleep(60_000, false, null, cts.Token));
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(10), clock.Elapsed.ToString());

        // long-lived: many requests per worker
        var seen = new List<WorkProgress>();
        var answer = worker.Sleep(10, false, new SyncProgress(seen.Add), default);
        Assert.Equal([1], answer);
        Assert.Equal("Sleeping", Assert.Single(seen).Activity);
    }

    [Fact]
    public void WhatTheSessionDoesWhileItWaits_IsToldWhenTheAnswerHasCome_NotAtItsProgress_AndTheProgressIsReportedAfter()
    {
        using var worker = EngineWorker.Start(Host, new WorkerStart("none", "sleeping", 256L << 20) { TestOperations = true });
        var seen = new List<(WorkProgress Progress, int Thread)>();
        var clock = new Stopwatch();
        TimeSpan? answeredAt = null;
        int waitingThread = 0;
        var answer = worker.Sleep(400, false, new SyncProgress(p => seen.Add((p, Environment.CurrentManagedThreadId))), default, whileWaiting: answered =>
        {
            // the worker reports progress at once, and answers 400 ms later
            waitingThread = Environment.CurrentManagedThreadId;
            clock.Start();
            while (!answered() && clock.Elapsed < TimeSpan.FromSeconds(30))
                Thread.Sleep(5);
            answeredAt = clock.Elapsed;
            Assert.Empty(seen); // kept for this thread until it is done
        });

        Assert.Equal([1], answer);
        Assert.InRange(answeredAt!.Value, TimeSpan.FromMilliseconds(300), TimeSpan.FromSeconds(29));
        var (progress, thread) = Assert.Single(seen);
        Assert.Equal("Sleeping", progress.Activity);
        Assert.Equal(waitingThread, thread); // reported on the caller's thread, as without anything done meanwhile
        Assert.Equal(0, AllocationWarmup.Run(() => true)); // and touching the allocation area stops when told
    }

    [Fact]
    public void Cancellation_OfAStuckWorker_EndsItAfterTheGracePeriod()
    {
        using var worker = EngineWorker.Start(Host, new WorkerStart("stuck.nettrace", "reading the trace", 256L << 20) { TestOperations = true, CancelGrace = TimeSpan.FromSeconds(1) });
        int pid = worker.ProcessId;
        using var cts = new CancellationTokenSource(TimeSpan.FromMilliseconds(300));
        var clock = Stopwatch.StartNew();
        // ignores the Cancel frame, like an engine looping in native code
        var e = Assert.Throws<AnalysisException>(() => worker.Sleep(600_000, true, null, cts.Token));
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(15), clock.Elapsed.ToString());
        Assert.Equal(AnalysisErrorKind.EngineFailed, e.Kind);
        Assert.Contains("did not stop within 1 s of being cancelled", e.Message, StringComparison.Ordinal);
        Assert.Contains("stuck.nettrace", e.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => Process.GetProcessById(pid));
    }

    [Fact]
    public void Crash_OfTheWorker_IsEngineFailedWithTheExitCodeAndItsReport()
    {
        using var worker = EngineWorker.Start(Host, new WorkerStart("crash.bin", "testing", 256L << 20) { TestOperations = true });
        var e = Assert.Throws<AnalysisException>(() => worker.Invoke("worker.crash", w => w.Write("on purpose"), null, default));
        Assert.Equal(AnalysisErrorKind.EngineFailed, e.Kind);
        Assert.Contains("exit code 134", e.Message, StringComparison.Ordinal);
        Assert.Contains("on purpose", e.Message, StringComparison.Ordinal);
        // a dead worker refuses further requests with the same error, it does not hang
        Assert.Equal(AnalysisErrorKind.EngineFailed, Assert.Throws<AnalysisException>(() => worker.Sleep(1, false, null, default)).Kind);
    }

    [Fact]
    public void Worker_CompilesItsHotCodeOptimizedAtOnce_WithoutDynamicPgo()
    {
        // no code of the worker is left in an instrumented form between questions (EngineWorker.TieringVariable)
        using var worker = EngineWorker.Start(Host, new WorkerStart("none", "testing", 256L << 20));
        string[] environment = File.ReadAllText($"/proc/{worker.ProcessId}/environ").Split('\0');
        Assert.Contains("DOTNET_TieredPGO=0", environment);
    }

    [Fact]
    public void AWorkerStartedForUsers_DoesNotServeTheTestsMisbehavingOperations()
    {
        using var worker = EngineWorker.Start(Host, new WorkerStart("crash.bin", "testing", 256L << 20));
        var e = Assert.Throws<AnalysisException>(() => worker.Invoke("worker.crash", w => w.Write("on purpose"), null, default));
        Assert.Equal(AnalysisErrorKind.EngineFailed, e.Kind);
        Assert.Contains("has no operation 'worker.crash'", e.Message, StringComparison.Ordinal);
        Assert.True(worker.IsAlive); // refused, not run
    }

    [Fact]
    public void Progress_IsForwardedFromTheWorkerToTheEnd()
    {
        var seen = new List<WorkProgress>();
        TraceAnalysis.Read(TraceCaptures.Facts, Worker, new SyncProgress(seen.Add));
        Assert.NotEmpty(seen);
        Assert.Equal(new FileInfo(TraceCaptures.Facts).Length, seen[^1].Done);
        Assert.Equal(100, seen[^1].Percent);
    }

    [Fact]
    public void ErrorsFromTheWorker_KeepTheirKindAndCause()
    {
        var bytes = File.ReadAllBytes(TraceCaptures.Facts)[..40].Concat(Enumerable.Range(0, 4000).Select(i => (byte)(i * 37))).ToArray();
        string path = TraceCaptures.Scratch("iso-garbage.nettrace", bytes);
        var inProcess = Assert.Throws<AnalysisException>(() => TraceAnalysis.Read(path, InProcess));
        var worker = Assert.Throws<AnalysisException>(() => TraceAnalysis.Read(path, Worker));
        Assert.Equal(inProcess.Kind, worker.Kind);
        Assert.Equal(inProcess.Message, worker.Message);
        var cause = Assert.IsType<EngineFaultException>(worker.InnerException);
        Assert.Equal(inProcess.InnerException!.GetType().FullName, cause.ExceptionType);
    }

    [Fact]
    public void Pool_KeepsAHealthyWorkerWarm_ButNotOneForAMuchSmallerCeiling()
    {
        // 3 GB: beyond 2x of the ~1 GB ceiling other tests' reads ask for, so none of them takes it meanwhile
        var start = new WorkerStart("pool.nettrace", "reading the trace", 3L << 30);
        var first = WorkerPool.Rent(Host, start);
        WorkerPool.Return(first);
        var again = WorkerPool.Rent(WorkerHost.Find(out _)!, start with { MemoryLimitBytes = (3L << 30) - 1 });
        Assert.Same(first, again);
        WorkerPool.Return(again);
        var small = WorkerPool.Rent(Host, start with { MemoryLimitBytes = 64L << 20 });
        Assert.NotSame(first, small);
        Assert.False(first.IsAlive); // the kept one was ended, not leaked
        small.Dispose();
    }

    [Fact]
    public void Frames_RoundTrip_AndAnAbsurdLengthIsRefusedBeforeAllocating()
    {
        using var stream = new MemoryStream();
        WorkerProtocol.Write(stream, FrameKind.Progress, 7, WorkerProtocol.EncodeProgress(new WorkProgress("Reading trace", "1 of 2", 1, 2)));
        stream.Position = 0;
        var frame = WorkerProtocol.Read(stream)!.Value;
        Assert.Equal((FrameKind.Progress, 7), (frame.Kind, frame.Id));
        Assert.Equal(new WorkProgress("Reading trace", "1 of 2", 1, 2), WorkerProtocol.DecodeProgress(frame.Payload));
        Assert.Null(WorkerProtocol.Read(stream)); // clean end between frames

        // a garbled header claiming 1.5 GB: refused from its 9 bytes, nothing allocated for it
        using var garbled = new MemoryStream([0x00, 0x00, 0x00, 0x60, (byte)FrameKind.Result, 1, 0, 0, 0]);
        long before = GC.GetAllocatedBytesForCurrentThread();
        Assert.Throws<InvalidDataException>(() => WorkerProtocol.Read(garbled, 16 << 20));
        Assert.True(GC.GetAllocatedBytesForCurrentThread() - before < 1 << 20);
    }

    /// <summary>Every query's answer, as text: what a session would show.</summary>
    internal static string Answers(TraceAnalysis a)
    {
        var text = new StringBuilder();
        void Line(object? o) => text.Append(o).Append('\n');
        Line($"{a.ProcessId} {a.RuntimeVersion} {a.DurationMs:R} {a.EventCount} {a.EventsLost} {a.IsTruncated} {a.TotalAllocatedMB:R} {a.SampleCount} {a.ExceptionCount} {a.ContentionCount}");
        Line(string.Join(",", a.SampledThreads));
        foreach (string w in a.Warnings)
            Line(w);
        foreach (var gc in a.Gcs)
            Line(JsonSerializer.Serialize(gc));
        Line(JsonSerializer.Serialize(a.GetGcSummary()));
        Line(JsonSerializer.Serialize(a.GetGcSummary(1)));
        foreach (var filter in new[] { SampleFilter.Managed, SampleFilter.All })
        {
            Line(a.CountSamples(filter));
            foreach (bool inclusive in new[] { false, true })
            {
                foreach (var f in a.GetCpuTop(1000, inclusive, filter))
                    Line(JsonSerializer.Serialize(f));
            }

            foreach (int thread in a.SampledThreads)
            {
                foreach (var f in a.GetCpuTop(50, false, filter, [thread]))
                    Line(JsonSerializer.Serialize(f));
            }

            foreach (bool perThread in new[] { false, true })
            {
                foreach (var s in a.GetFoldedStacks(filter, perThread: perThread))
                    Line(s);
            }

            using var folded = new MemoryStream();
            StackExport.WriteFolded(a, folded, filter);
            Line(Convert.ToBase64String(folded.ToArray()));
            using var speedscope = new MemoryStream();
            StackExport.WriteSpeedscope(a, speedscope, filter, null, "x");
            Line(Convert.ToBase64String(speedscope.ToArray()));
        }

        foreach (var e in a.EnumerateExceptions())
            Line(JsonSerializer.Serialize(e) + " " + e.Stack);
        foreach (var (type, count) in a.CountExceptionsByType())
            Line($"{type} {count}");
        foreach (var c in a.EnumerateContention())
            Line(JsonSerializer.Serialize(c) + " " + c.Stack);
        return text.ToString();
    }
}
