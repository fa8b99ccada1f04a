using Analysis.Testing;
using Analysis.Traces;
using Xunit;

namespace Analysis.Tests.Traces;

public class TraceAnalysisTests
{
    private static TraceAnalysis Trace => TraceCaptures.FactsAnalysis;

    [Fact]
    public void Gc_InducedGen2_AreExactlyTheTargetsCollections()
    {
        var gen2 = Trace.Gcs.Where(g => g.Generation == 2).ToArray();
        Assert.Equal(TraceFacts.InducedGen2Count, gen2.Length);
        Assert.All(gen2, g => Assert.True(g.IsInduced, g.ToString()));
        Assert.All(gen2, g => Assert.Equal("Blocking", g.Type));

        var summary = Trace.GetGcSummary();
        Assert.Equal(TraceFacts.InducedGen2Count, summary.InducedGen2Count);
        Assert.Equal(TraceFacts.InducedGen2Count, summary.Gen2Count);
    }

    [Fact]
    public void Gc_Rows_AreOrderedAndConsistent()
    {
        Assert.NotEmpty(Trace.Gcs);
        Assert.Equal(Trace.Gcs.OrderBy(g => g.Number).Select(g => g.Number), Trace.Gcs.Select(g => g.Number));
        Assert.Equal(Trace.Gcs.OrderBy(g => g.StartMs).Select(g => g.Number), Trace.Gcs.Select(g => g.Number));
        Assert.All(Trace.Gcs, g =>
        {
            Assert.True(g.PauseMs > 0 && g.SuspendMs >= 0 && g.SuspendMs <= g.PauseMs, g.ToString());
            Assert.True(g.HeapSizeBeforeMB > 0 && g.HeapSizeAfterMB > 0, g.ToString());
            Assert.Equal(5, g.GenerationSizesAfterMB.Count);
        });
    }

    [Fact]
    public void Gc_Summary_TotalsFollowFromTheRows()
    {
        var s = Trace.GetGcSummary(pauseThresholdMs: 0.5);
        Assert.Equal(Trace.Gcs.Count, s.Count);
        Assert.Equal(Trace.Gcs.Sum(g => g.PauseMs), s.TotalPauseMs, precision: 6);
        Assert.Equal(Trace.Gcs.Max(g => g.PauseMs), s.MaxPauseMs, precision: 6);
        Assert.Equal(s.TotalPauseMs * 100 / Trace.DurationMs, s.PercentTimePaused, precision: 6);
        Assert.Equal(Trace.Gcs.Where(g => g.PauseMs > 0.5).Select(g => g.Number), s.GcsOverThreshold);
        Assert.True(s.TotalAllocatedMB > 0 && s.AllocationRateMBPerSec > 0);
        if (s.GcsOverThreshold.Count > 0) // the threshold is quoted as given, not rounded to "over 0 ms"
            Assert.Contains(" over 0.5 ms ", Assert.Single(s.Anomalies, a => a.Kind == "LongPause").Summary, StringComparison.Ordinal);
    }

    [Fact]
    public void Gc_Anomalies_FlagInducedGen2AndTheStorm()
    {
        var s = Trace.GetGcSummary();
        var gen2Numbers = Trace.Gcs.Where(g => g.Generation == 2).Select(g => g.Number).ToArray();
        var induced = Assert.Single(s.Anomalies, a => a.Kind == "InducedGen2");
        Assert.Equal(gen2Numbers, induced.GcNumbers);
        Assert.Contains($"{TraceFacts.InducedGen2Count} induced gen2", induced.Summary);
        // Five gen2s within a few milliseconds of each other.
        Assert.Equal(gen2Numbers, Assert.Single(s.Anomalies, a => a.Kind == "Gen2Storm").GcNumbers);
    }

    [Fact]
    public void Cpu_HotMethod_LeadsManagedSamples()
    {
        var top = Trace.GetCpuTop(3);
        Assert.Equal(TraceFacts.HotMethod, top[0].Function);
        Assert.Equal("TraceTarget", top[0].Module);
        // At most one sample per millisecond of its 1.5 s; fewer when the machine is busy (the sampler is a thread too).
        Assert.InRange(top[0].ExclusiveSamples, 100, TraceFacts.HotMilliseconds * 2);
        Assert.True(top[0].ExclusivePercent > 50, top[0].ToString());
    }

    [Fact]
    public void Cpu_Inclusive_CountsCallersOnce()
    {
        var inclusive = Trace.GetCpuTop(50, inclusive: true);
        var hot = Assert.Single(inclusive, f => f.Function == TraceFacts.HotMethod);
        var run = Assert.Single(inclusive, f => f.Function == "Contoso.TraceTarget.Facts.Run()");
        Assert.True(run.InclusiveSamples >= hot.InclusiveSamples);
        Assert.All(inclusive, f => Assert.True(f.InclusiveSamples >= f.ExclusiveSamples && f.InclusivePercent <= 100, f.ToString()));
        Assert.Equal(inclusive.OrderByDescending(f => f.InclusiveSamples).Select(f => f.InclusiveSamples), inclusive.Select(f => f.InclusiveSamples));
    }

    [Fact]
    public void Cpu_ThreadFilter_KeepsOnlyThatThread()
    {
        int hotThread = Trace.SampledThreads.Single(t => Trace.GetCpuTop(1, threads: [t]).FirstOrDefault()?.Function == TraceFacts.HotMethod);
        Assert.Equal(Trace.ProcessId, hotThread); // the main thread's OS id is the process id
        foreach (int other in Trace.SampledThreads.Where(t => t != hotThread))
            Assert.DoesNotContain(Trace.GetCpuTop(100, threads: [other]), f => f.Function == TraceFacts.HotMethod);
        Assert.Equal(Trace.CountSamples(), Trace.SampledThreads.Sum(t => Trace.CountSamples(threads: [t])));
    }

    [Fact]
    public void Cpu_AllSamples_IncludeWaitingThreads()
    {
        long managed = Trace.CountSamples(SampleFilter.Managed);
        long all = Trace.CountSamples(SampleFilter.All);
        Assert.True(all > managed);
        Assert.Equal(all, Trace.SampleCount);
        // Waiting in Monitor.Enter is wall-clock time, not CPU.
        Assert.DoesNotContain(Trace.GetCpuTop(100), f => f.Function.StartsWith("System.Threading.Monitor.Enter", StringComparison.Ordinal) && f.ExclusiveSamples > 5);
        Assert.Contains(Trace.GetCpuTop(10, filter: SampleFilter.All), f => f.Function.StartsWith("System.Threading.Monitor.Enter", StringComparison.Ordinal));
    }

    [Fact]
    public void Folded_SumsToTheSampleCount_RootFirst()
    {
        var folded = Trace.GetFoldedStacks();
        Assert.Equal(Trace.CountSamples(), folded.Sum(f => f.Samples));
        var hottest = folded[0];
        Assert.EndsWith("TraceTarget!" + TraceFacts.HotMethod, hottest.Stack);
        Assert.Contains("TraceTarget!Contoso.TraceTarget.Program.Main(class System.String[]);TraceTarget!Contoso.TraceTarget.Facts.Run()", hottest.Stack);
        Assert.Equal(folded.OrderByDescending(f => f.Samples).Select(f => f.Samples), folded.Select(f => f.Samples));
    }

    [Fact]
    public void Exceptions_ExactlyTheTargetsThrows_WithMessagesAndThrowSite()
    {
        var mine = Trace.EnumerateExceptions().Where(e => e.Type == TraceFacts.ExceptionType).ToArray();
        Assert.Equal(TraceFacts.ExceptionCount, mine.Length);
        Assert.Equal(Enumerable.Range(0, TraceFacts.ExceptionCount).Select(i => $"invoice {i} rejected"), mine.Select(e => e.Message));
        Assert.All(mine, e => Assert.Contains(e.Stack, f => f.Function == TraceFacts.ExceptionThrower));
        Assert.All(mine, e => Assert.Equal(Trace.ProcessId, e.ThreadId));
        Assert.Equal(mine.OrderBy(e => e.TimeMs).Select(e => e.Message), mine.Select(e => e.Message));
    }

    [Fact]
    public void ExceptionTypes_CountEachThrownType_MostThrownFirst()
    {
        var byType = Trace.CountExceptionsByType();
        Assert.Contains((TraceFacts.ExceptionType, TraceFacts.ExceptionCount), byType);
        var expected = Trace.EnumerateExceptions().GroupBy(e => e.Type).Select(g => (g.Key, g.Count()))
            .OrderByDescending(g => g.Item2).ThenBy(g => g.Key, StringComparer.Ordinal);
        Assert.Equal(expected, byType);
    }

    [Fact]
    public void Contention_OneWaitPerRound_WithDurationAndStack()
    {
        var waits = Trace.EnumerateContention().Where(c => c.Stack.Any(f => f.Function == TraceFacts.ContendedMethod)).ToArray();
        Assert.Equal(TraceFacts.ContentionRounds, waits.Length);
        Assert.All(waits, w =>
        {
            Assert.InRange(w.DurationMs, TraceFacts.ContentionHoldMs / 2, 1000);
            Assert.Equal("managed", w.LockKind);
            Assert.Equal(Trace.ProcessId, w.ThreadId);
        });
    }

    [Fact]
    public void DataQuality_ACleanCaptureHasNoWarnings()
    {
        Assert.Empty(Trace.Warnings);
        Assert.Equal(0, Trace.EventsLost);
        Assert.False(Trace.IsTruncated);
        Assert.True(Trace.EventCount > 1000);
        Assert.StartsWith($"{Environment.Version.Major}.{Environment.Version.Minor}.", Trace.RuntimeVersion);
    }
}
