using System.Globalization;
using System.Text;
using Analysis.Go;
using Analysis.Stacks;
using Xunit;

namespace Analysis.Tests.Go;

public class GoroutineDumpTests
{
    private static GoroutineDump Debug2 => GoroutineDumpParser.ParseFile(GoFixtures.PathOf("goroutines-debug2.txt"));

    [Fact]
    public void Debug2_CountsPerStateEqualTheManifest()
    {
        var dump = Debug2;
        Assert.Empty(dump.Skipped);
        Assert.Equal(GoroutineDumpFormat.Traceback, dump.Format);
        Assert.Equal(GoFixtures.ManifestInt("goroutines.debug2.total"), dump.Goroutines.Count);
        var states = GoFixtures.ManifestWithPrefix("goroutines.debug2.state.").ToDictionary(kv => kv.Key["goroutines.debug2.state.".Length..], kv => int.Parse(kv.Value, CultureInfo.InvariantCulture));
        Assert.Equal(states.OrderBy(kv => kv.Key, StringComparer.Ordinal), dump.Goroutines.GroupBy(g => g.State).ToDictionary(g => g.Key, g => g.Count()).OrderBy(kv => kv.Key, StringComparer.Ordinal));
    }

    [Fact]
    public void Debug2_MinutesLockingAndCreators()
    {
        var dump = Debug2;
        Assert.Equal(GoFixtures.ManifestInt("goroutines.debug2.minutes"), dump.Goroutines.Count(g => g.WaitMinutes > 0));
        Assert.Equal(GoFixtures.ManifestInt("goroutines.debug2.locked"), dump.Goroutines.Count(g => g.LockedToThread));
        var handled = dump.Goroutines.Where(g => g.CreatedBy?.Function == "contoso.example/leaky/orders.(*Server).Handle").ToArray();
        Assert.Equal(GoFixtures.ManifestInt("goroutines.debug2.created_by_handle"), handled.Length);
        Assert.All(handled, g =>
        {
            Assert.Equal(1, g.CreatedByGoroutine);
            Assert.Equal("contoso.example/leaky/orders/orders.go", g.CreatedBy!.File);
            Assert.Equal("contoso.example/leaky/orders.(*Server).waitForReply", g.TopFrame!.Function);
            Assert.Equal("contoso.example/leaky/orders", g.TopFrame.Module);
            Assert.Equal(37, g.TopFrame.Line);
        });
    }

    [Fact]
    public void Debug1_RecordsCountsAndLabels()
    {
        var dump = GoroutineDumpParser.ParseFile(GoFixtures.PathOf("goroutines-debug1.txt"));
        Assert.Equal(GoroutineDumpFormat.Aggregated, dump.Format);
        Assert.Empty(dump.Skipped);
        Assert.Equal(GoFixtures.ManifestInt("goroutines.debug1.total"), dump.DeclaredTotal);
        Assert.Equal(GoFixtures.ManifestInt("goroutines.debug1.total"), dump.Total);
        Assert.Equal(GoFixtures.ManifestInt("goroutines.debug1.records"), dump.Goroutines.Count);
        var labelled = Assert.Single(dump.Goroutines, g => g.Labels.Count > 0);
        Assert.Equal("orders", labelled.Labels["handler"]);
        Assert.Equal(GoFixtures.ManifestInt("facts.leaked_receivers"), labelled.Count);
        Assert.Equal(0, labelled.Id);
    }

    [Fact]
    public void Panic_MessageAndGoroutines()
    {
        var dump = GoroutineDumpParser.ParseFile(GoFixtures.PathOf("panic.txt"));
        Assert.Equal(GoFixtures.Manifest("panic.message"), dump.PanicMessage);
        Assert.Equal(GoFixtures.ManifestInt("panic.goroutines"), dump.Goroutines.Count);
        Assert.Empty(dump.Skipped);
        var running = Assert.Single(dump.Goroutines, g => g.State == "running");
        Assert.Equal("main.lookup", running.Frames[0].Function);
        // An inlined frame prints "(...)" and a file line without an offset.
        var inlined = dump.Goroutines.SelectMany(g => g.Frames).First(f => f.Function == "runtime.Gosched");
        Assert.Equal("...", inlined.Arguments);
        Assert.Equal(0, inlined.Offset);
    }

    [Theory]
    [InlineData("go119-created-by.txt")]
    [InlineData("gp-m-header.txt")]
    [InlineData("locked-inlined.txt")]
    [InlineData("elided-unavailable.txt")]
    [InlineData("junk-lines.txt")]
    [InlineData("windows-crlf.txt")]
    [InlineData("panic-index.txt")]
    public void Quirk_ParsesAsItsGoldenFile(string name)
    {
        string path = Path.Combine(GoFixtures.Folder, "quirks", name);
        using var reader = new StreamReader(path);
        var dump = GoroutineDumpParser.Parse(reader, path);
        GoFixtures.Golden(Render(dump), Path.ChangeExtension(path, ".golden"));
    }

    [Fact]
    public void Grouping_BucketsMatchTheProgramsConstants()
    {
        var buckets = StackGrouper.Group(Debug2.Goroutines);
        Assert.Equal(GoFixtures.ManifestInt("facts.leaked_receivers"), Assert.Single(buckets, b => b.TopFrame!.Function.EndsWith(".(*Server).waitForReply", StringComparison.Ordinal)).Count);
        Assert.Equal(GoFixtures.ManifestInt("facts.leaked_senders"), Assert.Single(buckets, b => b.TopFrame!.Function.EndsWith("orders.produce", StringComparison.Ordinal)).Count);
        Assert.Equal(GoFixtures.ManifestInt("facts.leaked_pollers"), Assert.Single(buckets, b => b.TopFrame!.Function.EndsWith("orders.pollForever", StringComparison.Ordinal)).Count);
        Assert.Equal(GoFixtures.ManifestInt("facts.lock_waiters"), Assert.Single(buckets, b => b.TopFrame!.Function.EndsWith(".(*Ledger).contend", StringComparison.Ordinal)).Count);
        Assert.Equal(buckets.OrderByDescending(b => b.Count).Select(b => b.Count), buckets.Select(b => b.Count));
        Assert.Equal(Debug2.Goroutines.Count, buckets.Sum(b => b.Count));
    }

    [Fact]
    public void Grouping_SimilarityLevelsAreOrdered()
    {
        var goroutines = Debug2.Goroutines;
        int exact = StackGrouper.Group(goroutines, StackSimilarity.Exact).Count;
        int args = StackGrouper.Group(goroutines, StackSimilarity.IgnoreArguments).Count;
        int lines = StackGrouper.Group(goroutines, StackSimilarity.IgnoreLines).Count;
        Assert.True(exact > args, $"exact {exact} should split buckets whose arguments differ ({args})");
        Assert.True(lines <= args);
    }

    [Fact]
    public void GroupFile_StreamsToTheSameBucketsAsParsingFirst()
    {
        var (streamed, summary) = GoroutineDumpParser.GroupFile(GoFixtures.PathOf("goroutines-debug2.txt"));
        var parsed = StackGrouper.Group(Debug2.Goroutines);
        Assert.Empty(summary.Skipped);
        Assert.Equal(parsed.Select(b => (b.Count, b.State, b.TopFrame?.Function)), streamed.Select(b => (b.Count, b.State, b.TopFrame?.Function)));
    }

    [Fact]
    public void Leaks_AreTheFourLeakedSites_LargestFirst()
    {
        var leaks = GoroutineLeaks.Find(Debug2);
        Assert.Equal(
            [
                (GoFixtures.ManifestInt("facts.leaked_receivers"), "chan receive", "contoso.example/leaky/orders.(*Server).waitForReply", "contoso.example/leaky/orders.(*Server).Handle"),
                (GoFixtures.ManifestInt("facts.leaked_senders"), "chan send", "contoso.example/leaky/orders.produce", "contoso.example/leaky/orders.StartProducers"),
                (GoFixtures.ManifestInt("facts.leaked_pollers"), "select", "contoso.example/leaky/orders.pollForever", "contoso.example/leaky/orders.StartPollers"),
                (GoFixtures.ManifestInt("facts.lock_waiters"), "sync.Mutex.Lock", "contoso.example/leaky/orders.(*Ledger).contend", "contoso.example/leaky/orders.(*Ledger).StartWaiters"),
            ],
            leaks.Select(l => (l.Count, l.State, l.Site!.Function, l.CreatedBy!.Function)));
        Assert.All(leaks, l => Assert.True(l.WaitMinutes >= 1));
        Assert.Contains("100 goroutines blocked on chan receive for 1–1 minutes in contoso.example/leaky/orders.(*Server).waitForReply (orders.go:37)", leaks[0].Description);
        Assert.Empty(GoroutineLeaks.Find(Debug2, minMinutes: 2));
    }

    [Fact]
    public void Leaks_InADebug1Dump_AreTheSameBucketsWithStatesInferredWherePossible()
    {
        var leaks = GoroutineLeaks.Find(GoroutineDumpParser.ParseFile(GoFixtures.PathOf("goroutines-debug1.txt")));
        // debug=1 omits the runtime frames of parked goroutines: only the mutex wait can be told from what is printed.
        Assert.Equal([(GoroutineLeaks.UnknownWait, 100), (GoroutineLeaks.UnknownWait, 50), (GoroutineLeaks.UnknownWait, 25), ("sync.Mutex.Lock", 10)], leaks.Select(l => (l.State, l.Count)));
    }

    [Fact]
    public void BadInputs_FailWithTheirKindsAndQuoteTheProblem()
    {
        Assert.Equal(AnalysisErrorKind.FileEmpty, Assert.Throws<AnalysisException>(() => GoroutineDumpParser.ParseFile(GoFixtures.Scratch("empty.txt", []))).Kind);
        var text = Assert.Throws<AnalysisException>(() => GoroutineDumpParser.ParseFile(GoFixtures.Scratch("notes.txt", "hello\nworld\n"u8.ToArray())));
        Assert.Equal(AnalysisErrorKind.WrongFormat, text.Kind);
        Assert.Contains("line 1: \"hello\"", text.Message);
        var gz = Assert.Throws<AnalysisException>(() => GoroutineDumpParser.ParseFile(GoFixtures.PathOf("heap-1.pb.gz")));
        Assert.Contains("pprof profile", gz.Message);
        var bin = Assert.Throws<AnalysisException>(() => GoroutineDumpParser.ParseFile(GoFixtures.PathOf("trace.out")));
        Assert.Equal(AnalysisErrorKind.WrongFormat, bin.Kind);
        Assert.Equal(AnalysisErrorKind.FileNotFound, Assert.Throws<AnalysisException>(() => GoroutineDumpParser.ParseFile(GoFixtures.PathOf("nope.txt"))).Kind);
    }

    private static string Render(GoroutineDump dump)
    {
        var sb = new StringBuilder();
        if (dump.PanicMessage is not null)
            sb.Append("panic: ").Append(dump.PanicMessage).Append('\n');
        foreach (var g in dump.Goroutines)
        {
            sb.Append(CultureInfo.InvariantCulture, $"goroutine {g.Id} [{g.State}] minutes={g.WaitMinutes} locked={g.LockedToThread} elided={g.FramesElided} count={g.Count}");
            if (g.CreatedBy is { } c)
                sb.Append(CultureInfo.InvariantCulture, $" created-by={c.Function}@{c.File}:{c.Line} in={g.CreatedByGoroutine}");
            sb.Append('\n');
            foreach (var f in g.Frames)
                sb.Append(CultureInfo.InvariantCulture, $"  {f.Function}({f.Arguments}) {f.File}:{f.Line} +0x{f.Offset:x} pkg={f.Module}\n");
        }

        foreach (var s in dump.Skipped)
            sb.Append("skipped ").Append(s).Append('\n');
        return sb.ToString();
    }
}
