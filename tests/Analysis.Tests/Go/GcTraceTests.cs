using Analysis.Go;
using Xunit;

namespace Analysis.Tests.Go;

public class GcTraceTests
{
    [Fact]
    public void Log_CyclesForcedAndMaxPauseEqualTheManifest()
    {
        var trace = GcTrace.Load(GoFixtures.PathOf("gctrace.log"));
        var summary = trace.Summarize();
        Assert.Equal(GoFixtures.ManifestInt("gctrace.cycles"), summary.Cycles);
        Assert.Equal(GoFixtures.ManifestInt("gctrace.forced"), summary.Forced);
        Assert.Equal(GoFixtures.ManifestInt("facts.forced_gcs"), summary.Forced);
        Assert.Equal(double.Parse(GoFixtures.Manifest("gctrace.max_pause_ms"), System.Globalization.CultureInfo.InvariantCulture), summary.MaxPauseMs, precision: 3);
        Assert.Empty(trace.Skipped);
        Assert.Equal(Enumerable.Range(1, summary.Cycles), trace.Cycles.Select(c => c.Number));
        Assert.All(trace.Cycles, c => Assert.Equal(3, c.ClockPhasesMs.Count));
    }

    [Fact]
    public void Summary_FlagsForcedCyclesAndGoalGrowth()
    {
        var summary = GcTrace.Load(GoFixtures.PathOf("gctrace.log")).Summarize();
        var forced = Assert.Single(summary.Anomalies, a => a.Kind == "Forced");
        Assert.Equal(summary.Forced, forced.GcNumbers.Count);
        var growth = Assert.Single(summary.Anomalies, a => a.Kind == "GoalGrowth");
        Assert.Contains($"{summary.FirstGoalMB} → {summary.LastGoalMB} MB", growth.Summary);
        Assert.True(summary.LastGoalMB >= 4 * summary.FirstGoalMB);
    }

    [Fact]
    public void Forms_AcrossGoVersions_AndMixedOutput()
    {
        const string log = """
            starting server on :8080
            gc 1 @0.012s 2%: 0.024+1.2+0.035 ms clock, 0.19+0.40/1.1/2.6+0.28 ms cpu, 4->4->0 MB, 5 MB goal, 8 P
            gc #2 @0.050s 0%: 0.022+0.072+0+0.20+0.077 ms clock, 0.066+0.072+0/0.062/0.20+0.29+0.23 ms cpu, 4->4->0 MB, 4 MB goal, 4 P
            scvg0: inuse: 3, idle: 60, sys: 63, released: 0, consumed: 63 (MB)
            gc 3 @1.5s 1%: 0.10+2.0+0.50 ms clock, 0.4+0/1/2+2.0 ms cpu, 10->12->8 MB, 11 MB goal, 1 MB stacks, 0 MB globals, 8 P (forced)
            gc 4 @x.s 1%: broken
            """;
        var trace = GcTrace.Parse(new StringReader(log));
        Assert.Equal([1, 2, 3], trace.Cycles.Select(c => c.Number));
        Assert.Equal(0.059, trace.Cycles[0].PauseMs, precision: 6);          // 3 phases: 1st + 3rd
        Assert.Equal(0.022 + 0 + 0.077, trace.Cycles[1].PauseMs, precision: 6); // 5 phases: 1st + 3rd + 5th
        Assert.Null(trace.Cycles[0].StacksMB);
        Assert.Equal(1, trace.Cycles[2].StacksMB);
        Assert.True(trace.Cycles[2].Forced);
        Assert.Equal((10.0, 12.0, 8.0, 11.0), (trace.Cycles[2].HeapStartMB, trace.Cycles[2].HeapEndMB, trace.Cycles[2].HeapLiveMB, trace.Cycles[2].HeapGoalMB));
        Assert.Equal(
            [(1, "not a gc line"), (4, "scavenger trace line"), (6, "a gc line in an unknown form")],
            trace.Skipped.Select(s => (s.LineNumber, s.Reason)));
    }

    [Fact]
    public void PauseSpike_IsFlaggedAgainstTheMedian()
    {
        var lines = Enumerable.Range(1, 9).Select(i => $"gc {i} @{i}.0s 1%: 0.1+1+0.1 ms clock, 0.4+0/1/2+0.4 ms cpu, 4->4->2 MB, 5 MB goal, 8 P")
            .Append("gc 10 @10.0s 1%: 4.0+1+3.0 ms clock, 0.4+0/1/2+0.4 ms cpu, 4->4->2 MB, 5 MB goal, 8 P");
        var summary = GcTrace.Parse(new StringReader(string.Join('\n', lines))).Summarize();
        var spike = Assert.Single(summary.Anomalies, a => a.Kind == "PauseSpike");
        Assert.Equal([10], spike.GcNumbers);
        Assert.Equal(7.0, summary.MaxPauseMs, precision: 6);
    }

    [Fact]
    public void BadInputs_FailWithTheirKinds()
    {
        Assert.Equal(AnalysisErrorKind.WrongFormat, Assert.Throws<AnalysisException>(() => GcTrace.Load(GoFixtures.PathOf("heap-1.pb.gz"))).Kind);
        var none = Assert.Throws<AnalysisException>(() => GcTrace.Load(GoFixtures.PathOf("goroutines-debug1.txt")));
        Assert.Contains("has no gc lines", none.Message);
        Assert.Contains("goroutine profile: total", none.Message);
        Assert.Equal(AnalysisErrorKind.FileEmpty, Assert.Throws<AnalysisException>(() => GcTrace.Load(GoFixtures.Scratch("empty.log", []))).Kind);
    }
}
