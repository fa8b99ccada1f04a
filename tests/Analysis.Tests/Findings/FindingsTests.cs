using Analysis.Dumps;
using Analysis.Findings;
using Analysis.Go;
using Analysis.Testing;
using Analysis.Tests.Go;
using Analysis.Tests.Traces;
using Analysis.Traces;
using Xunit;

namespace Analysis.Tests.Findings;

/// <summary>Every analyzer emits <see cref="Finding"/>s and decides their severity, kind, wording and source itself.</summary>
public class FindingsTests
{
    private static GcEvent Gc(int number, int generation, string reason, double startMs, double pauseMs) =>
        new() { Number = number, Generation = generation, Type = "Blocking", Reason = reason, StartMs = startMs, PauseMs = pauseMs };

    [Fact]
    public void GcFindings_LongPausesAndAHighPausedShareAreCritical_InducedGen2sAndStormsAreWarnings()
    {
        // 62 ms paused in 500 ms (12.4%), one pause over 50 ms, three gen2s within a second, the first induced.
        GcEvent[] gcs = [Gc(1, 2, "Induced", 0, 60), Gc(2, 2, "AllocSmall", 100, 1), Gc(3, 2, "AllocSmall", 200, 1), Gc(4, 0, "AllocSmall", 300, 0)];
        var summary = GcAnalyzer.Summarize(gcs, 500, 10, 50);

        Assert.Equal(
            [("LongPause", FindingSeverity.Critical), ("InducedGen2", FindingSeverity.Warning), ("Gen2Storm", FindingSeverity.Warning), ("HighPauseShare", FindingSeverity.Critical)],
            summary.Anomalies.Select(a => (a.Kind, a.Severity)));
        Assert.Equal([1], summary.Anomalies[0].GcNumbers);
        Assert.Equal([1, 2, 3], summary.Anomalies[2].GcNumbers);
        Assert.Equal([1, 2, 3, 4], summary.Anomalies[3].GcNumbers);
        var share = summary.Anomalies[3];
        Assert.Equal("the process was paused for GC 12.4% of the traced time", share.Summary);
        Assert.Equal("GC: the process was paused for GC 12.4% of the traced time.", share.Title);
        Assert.Equal("HighPauseShare: the process was paused for GC 12.4% of the traced time", share.ToString());

        // Under 10% paused and no pause over the threshold: neither critical finding.
        var calm = GcAnalyzer.Summarize([Gc(1, 0, "AllocSmall", 0, 1), Gc(2, 0, "AllocSmall", 500, 1)], 1000, 1, 50);
        Assert.Empty(calm.Anomalies);
    }

    [Fact]
    public void TraceFindings_AreTheGcAnomaliesThenTheHottestFunctionThenTheExceptionsThenTheDataWarnings()
    {
        var trace = TraceCaptures.FactsAnalysis;
        var findings = TraceFindings.Find(trace);

        var gc = trace.GetGcSummary().Anomalies;
        Assert.Equal(gc.Select(a => (a.Severity, a.Title)), findings.Take(gc.Count).Select(f => (f.Severity, f.Title)));
        var cpu = findings[gc.Count];
        Assert.Equal(("most CPU", FindingSeverity.Info, TraceFacts.HotMethod), (cpu.Kind, cpu.Severity, cpu.Subject));
        Assert.StartsWith($"Most CPU: {TraceFacts.HotMethod} (", cpu.Title);
        var exceptions = findings[gc.Count + 1];
        Assert.Equal(("exceptions thrown", FindingSeverity.Warning, TraceFacts.ExceptionType), (exceptions.Kind, exceptions.Severity, exceptions.Subject));
        Assert.StartsWith($"{TraceFacts.ExceptionCount} × {TraceFacts.ExceptionType}", exceptions.Summary);
        Assert.Equal($"Exceptions thrown: {exceptions.Summary}.", exceptions.Title);
        Assert.Equal(trace.EnumerateExceptions().Select(e => e.Type).Distinct().Count(), exceptions.Evidence.Count);
        Assert.Equal(trace.Warnings, findings.Skip(gc.Count + 2).Select(f => f.Summary));
        Assert.All(findings.Skip(gc.Count + 2), f => Assert.Equal((FindingSeverity.Warning, "trace data"), (f.Severity, f.Kind)));
    }

    [Fact]
    public void GoGcTraceFindings_AreWarningsFromTheLog()
    {
        string path = GoFixtures.PathOf("gctrace.log");
        var anomalies = GcTrace.Load(path).Summarize().Anomalies;
        Assert.Equal(["Forced", "GoalGrowth"], anomalies.Select(a => a.Kind));
        Assert.All(anomalies, a => Assert.Equal((FindingSeverity.Warning, path, $"Go GC: {a.Summary}."), (a.Severity, a.Source, a.Title)));
        Assert.Equal(GoFixtures.ManifestInt("facts.forced_gcs"), anomalies[0].GcNumbers.Count);
    }

    [Fact]
    public void GoroutineFindings_LeakSuspectsAndAPanicAreCritical_SkippedLinesAWarning()
    {
        string path = GoFixtures.PathOf("goroutines-debug2.txt");
        var dump = GoroutineDumpParser.ParseFile(path);
        var leaks = GoFindings.Goroutines(dump);
        Assert.Equal(GoroutineLeaks.Find(dump).Select(l => l.Description), leaks.Select(f => f.Summary));
        Assert.Equal(4, leaks.Count);
        Assert.All(leaks, f => Assert.Equal(("goroutine leak suspect", FindingSeverity.Critical, path), (f.Kind, f.Severity, f.Source)));
        Assert.Equal($"Goroutine leak suspect: {leaks[0].Summary}.", leaks[0].Title);
        Assert.Equal(GoroutineLeaks.Find(dump)[0].Site!.Function, leaks[0].Subject);

        var panic = Assert.Single(GoFindings.Goroutines(GoroutineDumpParser.ParseFile(GoFixtures.PathOf("panic.txt"))), f => f.Kind == "go panic");
        Assert.Equal((FindingSeverity.Critical, GoFixtures.Manifest("panic.message")), (panic.Severity, panic.Summary));
        Assert.Equal("Go panic: " + GoFixtures.Manifest("panic.message"), panic.Title);

        // two records whose counts take the total past int.MaxValue are skipped (and one small record is too few to leak)
        string text = "goroutine profile: total 4294967294\n" +
                      "2147483647 @ 0x1\n#\t0x1\tmain.f+0x1\t/src/a.go:1\n\n" +
                      "2147483647 @ 0x2\n#\t0x2\tmain.g+0x1\t/src/a.go:2\n\n" +
                      "5 @ 0x3\n#\t0x3\tmain.h+0x1\t/src/a.go:3\n\n";
        var skippedDump = GoroutineDumpParser.Parse(new StringReader(text));
        var skipped = Assert.Single(GoFindings.Goroutines(skippedDump), f => f.Kind == "skipped lines");
        Assert.Equal(FindingSeverity.Warning, skipped.Severity);
        Assert.Equal($"Goroutine dump: 2 line(s) could not be parsed (first: {skippedDump.Skipped[0]}).", skipped.Title);
        Assert.Equal(skippedDump.Skipped.Select(s => s.ToString()), skipped.Evidence);
    }

    [Fact]
    public void HeapProfileFindings_TheTopIsInfo_GrowthFromABaselineIsAWarning()
    {
        string before = GoFixtures.PathOf("heap-1.pb.gz"), after = GoFixtures.PathOf("heap-2.pb.gz");
        var top = Assert.Single(GoFindings.HeapProfile(PprofProfile.Load(after)));
        Assert.Equal(("heap profile", FindingSeverity.Info, GoFixtures.Manifest("pprof.heap-2.inuse_space.top"), after), (top.Kind, top.Severity, top.Subject, top.Source));
        Assert.StartsWith($"Heap profile: most inuse_space in {GoFixtures.Manifest("pprof.heap-2.inuse_space.top")} (", top.Title);

        var growth = Assert.Single(GoFindings.HeapProfile(PprofProfile.Load(after), PprofProfile.Load(before)));
        Assert.Equal(("heap growth", FindingSeverity.Warning, GoFixtures.Manifest("pprof.heapdiff.inuse_space.top")), (growth.Kind, growth.Severity, growth.Subject));
        Assert.StartsWith($"Heap growth between the profiles: {GoFixtures.Manifest("pprof.heapdiff.inuse_space.top")} grew ", growth.Title);

        // the same profile as its own baseline: nothing grew, nothing to say
        Assert.Empty(GoFindings.HeapProfile(PprofProfile.Load(after), PprofProfile.Load(after)));
    }

    [Fact]
    public void ExecutionTraceFindings_StopTheWorldPausesAreInfo()
    {
        var trace = GoExecutionTrace.Load(GoFixtures.PathOf("trace.out"));
        var stw = Assert.Single(GoFindings.ExecutionTrace(trace));
        Assert.Equal(FindingSeverity.Info, stw.Severity);
        Assert.StartsWith($"{trace.StopTheWorlds.Count} stop-the-world pauses, longest ", stw.Summary);
        Assert.Equal($"Go execution trace: {stw.Summary}.", stw.Title);
    }

    [Fact]
    public void Triage_Options_LimitTheLeakSuspectsAndSkipTheHeap_AndEveryFindingNamesTheDump()
    {
        using var session = DumpSession.Open(DumpSet.Facts[CapturedDump.ClientWithHeap]);
        var all = DumpTriage.Run(session);
        Assert.All(all, f => Assert.Equal(session.Path, f.Source));
        Assert.Equal(TargetFacts.CatchExceptionType, Assert.Single(all, f => f.Kind == "exception in flight").Subject);
        var suspects = all.Where(f => f.Kind == "leak suspect").ToArray();
        Assert.Equal([TargetFacts.LeakedOrderType, TargetFacts.SessionType], suspects.Select(f => f.Subject)); // most retained first

        // one suspect: the one that retains the most
        var one = DumpTriage.Run(session, new TriageOptions { LeakSuspects = 1 });
        Assert.Equal([suspects[0].Title], one.Where(f => f.Kind == "leak suspect").Select(f => f.Title));
        // the sessions are too few once a suspect needs more objects than there are sessions
        var fewer = DumpTriage.Run(session, new TriageOptions { LeakSuspectMinCount = TargetFacts.SessionCount + 1 });
        Assert.Equal([TargetFacts.LeakedOrderType], fewer.Where(f => f.Kind == "leak suspect").Select(f => f.Subject));
        Assert.True(TargetFacts.LeakedOrderCount > TargetFacts.SessionCount + 1);

        // without the object graph: the thread, lock, pool and finalizer findings, nothing from the heap
        var fast = DumpTriage.Run(session, new TriageOptions { SkipHeap = true });
        Assert.Equal(["deadlock", "thread-pool starvation", "blocked finalizer", "exception in flight"], fast.Select(f => f.Kind));
        Assert.Equal(all.Where(f => fast.Any(g => g.Kind == f.Kind)).Select(f => f.Title), fast.Select(f => f.Title));
    }
}
