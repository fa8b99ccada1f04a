using System.Globalization;
using Analysis.Go;
using Xunit;

namespace Analysis.Tests.Go;

public class GoTraceTests
{
    private static GoExecutionTrace Trace => GoExecutionTrace.Load(GoFixtures.PathOf("trace.out"));

    [Fact]
    public void Gcs_StopTheWorlds_AndProcs_EqualGoToolTrace()
    {
        var t = Trace;
        Assert.Equal(GoFixtures.Manifest("trace.header"), $"go {t.GoVersion} trace");
        Assert.Equal(GoFixtures.ManifestInt("trace.gcs"), t.Gcs.Count);
        Assert.Equal(GoFixtures.ManifestInt("facts.forced_gcs_in_trace"), t.Gcs.Count);
        Assert.Equal(GoFixtures.ManifestInt("trace.stw"), t.StopTheWorlds.Count);
        var kinds = GoFixtures.ManifestWithPrefix("trace.stw.kind.").ToDictionary(kv => kv.Key["trace.stw.kind.".Length..], kv => int.Parse(kv.Value, CultureInfo.InvariantCulture));
        Assert.Equal(kinds.OrderBy(k => k.Key, StringComparer.Ordinal), t.StopTheWorlds.GroupBy(s => s.Kind).ToDictionary(g => g.Key, g => g.Count()).OrderBy(k => k.Key, StringComparer.Ordinal));
        Assert.Equal(GoFixtures.ManifestInt("trace.gomaxprocs"), t.Gomaxprocs);
        Assert.Equal(GoFixtures.ManifestInt("trace.goroutines"), t.Goroutines);
        Assert.Empty(t.Warnings);
    }

    [Fact]
    public void Gcs_CarryTheirStopTheWorldPauses()
    {
        var t = Trace;
        Assert.All(t.Gcs, gc =>
        {
            Assert.True(gc.DurationMs > 0);
            var own = t.StopTheWorlds.Where(s => s.Kind.StartsWith("GC", StringComparison.Ordinal) && s.StartMs >= gc.StartMs - 1 && s.StartMs <= gc.StartMs + gc.DurationMs + 1).ToArray();
            Assert.Equal(2, own.Length); // sweep termination and mark termination
            Assert.Equal(own.Sum(s => s.DurationMs), gc.StopTheWorldMs, precision: 9);
        });
    }

    [Fact]
    public void BlockReasons_EqualGoToolTraceTransitions()
    {
        var expected = GoFixtures.ManifestWithPrefix("trace.block.").ToDictionary(kv => kv.Key["trace.block.".Length..], kv => int.Parse(kv.Value, CultureInfo.InvariantCulture));
        Assert.Equal(expected.OrderBy(k => k.Key, StringComparer.Ordinal), Trace.BlockReasons.ToDictionary(r => r.Reason, r => r.Count).OrderBy(k => k.Key, StringComparer.Ordinal));
        Assert.All(Trace.BlockReasons, r => Assert.True(r.TotalBlockedMs >= 0 && r.TotalBlockedMs < Trace.DurationMs * Trace.Goroutines));
    }

    [Fact]
    public void StatesOverTime_CoverTheTraceAndNeverExceedTheGoroutines()
    {
        var t = GoExecutionTrace.Load(GoFixtures.PathOf("trace.out"), stateSteps: 50);
        Assert.Equal(51, t.StatesOverTime.Count);
        Assert.Equal(t.DurationMs, t.StatesOverTime[^1].TimeMs, precision: 3);
        Assert.All(t.StatesOverTime, s => Assert.InRange(s.Running, 0, t.Gomaxprocs));
        Assert.All(t.StatesOverTime, s => Assert.InRange(s.Running + s.Runnable + s.Waiting + s.Syscall, 0, t.Goroutines));
        Assert.True(t.StatesOverTime.Max(s => s.Waiting) >= GoFixtures.ManifestInt("facts.leaked_receivers"));
    }

    [Fact]
    public void OldFormat_IsRejectedNamingItsVersion()
    {
        var bytes = "go 1.21 trace\0\0\0"u8.ToArray().Concat(new byte[64]).ToArray();
        var e = Assert.Throws<AnalysisException>(() => GoExecutionTrace.Load(GoFixtures.Scratch("old.trace", bytes)));
        Assert.Equal(AnalysisErrorKind.WrongFormat, e.Kind);
        Assert.Contains("Go 1.21 execution trace", e.Message);
    }

    [Fact]
    public void Truncated_KeepsTheEventsBeforeTheCutWithAWarning()
    {
        var bytes = File.ReadAllBytes(GoFixtures.PathOf("trace.out"));
        var cut = GoExecutionTrace.Load(GoFixtures.Scratch("cut.trace", bytes[..(bytes.Length * 6 / 10)]));
        Assert.Contains(cut.Warnings, w => w.Contains("is truncated", StringComparison.Ordinal));
        Assert.True(cut.EventCount > 0 && cut.EventCount < Trace.EventCount);

        var header = Assert.Throws<AnalysisException>(() => GoExecutionTrace.Load(GoFixtures.Scratch("head.trace", bytes[..20])));
        Assert.Equal(AnalysisErrorKind.Truncated, header.Kind);
    }

    [Fact]
    public void Garbage_AfterTheHeader_NamesTheByte()
    {
        var bytes = "go 1.23 trace\0\0\0"u8.ToArray().Concat(new byte[] { 7, 1, 2, 3 }).ToArray();
        var e = Assert.Throws<AnalysisException>(() => GoExecutionTrace.Load(GoFixtures.Scratch("garbage.trace", bytes)));
        Assert.Equal(AnalysisErrorKind.WrongFormat, e.Kind);
        Assert.Contains("damaged at byte 16", e.Message);
    }

    [Fact]
    public void OtherArtifacts_AreNotTraces()
    {
        var e = Assert.Throws<AnalysisException>(() => GoExecutionTrace.Load(GoFixtures.PathOf("heap-1.pb.gz")));
        Assert.Contains("pprof profile", e.Message);
        Assert.Equal(AnalysisErrorKind.FileEmpty, Assert.Throws<AnalysisException>(() => GoExecutionTrace.Load(GoFixtures.Scratch("empty.trace", []))).Kind);
    }
}
