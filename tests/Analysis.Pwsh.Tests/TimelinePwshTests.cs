using Analysis.Testing;
using Xunit;
using Xunit.Abstractions;

namespace Analysis.Pwsh.Tests;

/// <summary>Get-Timeline in the investigator's real pwsh, on the committed Go fixtures: the default views and the warnings.</summary>
public sealed class TimelinePwshTests(ITestOutputHelper output) : IDisposable
{
    private readonly RealPwsh _pwsh = new(width: 200);

    public void Dispose() => _pwsh.Dispose();

    [Fact]
    public void GetTimeline_ShowsEventsAndAnchorsInTheirViews_AndWarnsForWhatStaysOnItsOwnClock()
    {
        var vars = new Dictionary<string, object?> { ["demo"] = DemoFiles.Folder };
        var r = _pwsh.Run("""
            Set-Location $demo
            $events = Get-Timeline ./stderr.log, ./trace.out, ./heap-1.pb.gz, ./heap-2.pb.gz, ./cpu.pb.gz
            $gc1 = $events | Where-Object { $_.Kind -eq 'GC' -and $_.Detail -like 'gc 1 *' }
            'gc1 ' + $gc1.Time.UtcDateTime.ToString('HH:mm:ss.fff')
            ($gc1.Time - $gc1.Offset).UtcDateTime.ToString('yyyy-MM-dd HH:mm:ss.ffffff')
            $gc1 | Out-String -Stream -Width 250 | Where-Object { $_ -match '\S' }
            Get-Timeline ./stderr.log, ./trace.out, ./heap-1.pb.gz, ./heap-2.pb.gz -Anchors | Out-String -Stream -Width 250 | Where-Object { $_ -match '\S' }
            @(Get-Timeline ./trace.out).Count
            """, vars);
        foreach (string line in r.Output)
            output.WriteLine(line);
        Assert.Empty(r.Errors);
        string gc1 = r.Output[0]["gc1 ".Length..];
        Assert.Matches(@"^\d\d:\d\d:\d\d\.\d\d\d$", gc1);
        string gcTraceZero = r.Output[1];
        // the event view: its header, then the row with the wall-clock time, kind, category, duration and source
        Assert.Matches(@"^\s*Time\s+Kind\s+Category\s+Duration\s+Value\s+Source\s+Detail$", r.Output[2]);
        Assert.Matches($@"^\s*{gc1.Replace(".", "\\.", StringComparison.Ordinal)}\s+GC\s+automatic\s+0\.664 ms\s+stderr\.log\s+gc 1 @0\.006s", r.Output[4]);
        // the anchor view, a list: the gctrace placed by the heap profiles on the wall clock, the trace by the GC gaps on the gctrace's clock
        Assert.Contains("From        : stderr.log: since runtime start", r.Output);
        Assert.Contains("From        : trace.out: since trace start", r.Output);
        Assert.Contains("To          : stderr.log: since runtime start", r.Output);
        Assert.Equal(2, r.Output.Count(l => l == "Quality     : Derived"));
        Assert.Contains(r.Output, l => l.StartsWith("How         : heap profiles written just after forced GCs", StringComparison.Ordinal));
        Assert.Contains(r.Output, l => l.StartsWith("How         : GC-gap pattern: trace.out's 2 GC starts (1 gap(s)) matched stderr.log's gc 5–6", StringComparison.Ordinal));
        Assert.Contains(r.Output, l => l.StartsWith("Shift       : " + gcTraceZero, StringComparison.Ordinal));
        Assert.NotEqual("0", r.Output[^1]);
        // a trace alone: on its own clock, with a warning that says what to add
        Assert.Contains(r.Warnings, w => w.StartsWith("trace.out: since trace start stays on its own clock", StringComparison.Ordinal) && w.Contains("a gctrace log of the same run", StringComparison.Ordinal));
    }

    [Fact]
    public void GetTimeline_GoroutineDumpTakenWhileTheTraceRan_ShowsItsMarkerOnTheWallClock_AndTheAnchorByGoroutineIds()
    {
        // tests/testdata/go/dump-in-trace: one run's gctrace, heap profiles, trace, and a goroutine dump taken inside the trace
        var vars = new Dictionary<string, object?> { ["dir"] = Path.Combine(RepoPaths.Root, "tests", "testdata", "go", "dump-in-trace") };
        var r = _pwsh.Run("""
            Set-Location $dir
            Get-Timeline ./gctrace.log, ./heap-1.pb.gz, ./heap-2.pb.gz, ./trace.out, ./goroutines.txt | Where-Object Kind -eq 'Dump' | Out-String -Stream -Width 250 | Where-Object { $_ -match '\S' }
            Get-Timeline ./gctrace.log, ./heap-1.pb.gz, ./heap-2.pb.gz, ./trace.out, ./goroutines.txt -Anchors | Where-Object From -like 'goroutines.txt*' | Out-String -Stream -Width 250 | Where-Object { $_ -match '\S' }
            """, vars);
        foreach (string line in r.Output)
            output.WriteLine(line);
        Assert.Empty(r.Errors);
        Assert.Empty(r.Warnings);
        // the event view: the dump's row has a wall-clock time, its kind and category, and says how many goroutines it lists
        Assert.Matches(@"^\s*Time\s+Kind\s+Category\s+Duration\s+Value\s+Source\s+Detail$", r.Output[0]);
        Assert.Matches(@"^\s*\d\d:\d\d:\d\d\.\d\d\d\s+Dump\s+goroutines\s+goroutine\S*\s+goroutine dump taken: \d+ goroutines", r.Output[2]);
        // the anchor view: placed on the trace's clock by goroutine ids
        Assert.Contains("From        : goroutines.txt: when it was taken", r.Output);
        Assert.Contains("To          : trace.out: since trace start", r.Output);
        Assert.Contains(r.Output, l => l.StartsWith("How         : goroutine ids (the same in the dump and the trace): taken between +", StringComparison.Ordinal));
    }

    [Fact]
    public void GetTimeline_DotNetTraceAndDump_ShowTheirThreadCountsInTheEventView()
    {
        var r = _pwsh.Run("""
            Set-Location $demo
            Get-Timeline ./app.nettrace, ./app2.dmp -WarningAction SilentlyContinue | Where-Object Category -eq 'threads' | Out-String -Stream -Width 250 | Where-Object { $_ -match '\S' }
            """, new Dictionary<string, object?> { ["demo"] = DemoFiles.Folder });
        foreach (string line in r.Output)
            output.WriteLine(line);
        Assert.Empty(r.Errors);
        // the event view: the trace's counts (one row per change) and the dump's, each with its time, kind, category and count
        Assert.Matches(@"^\s*Time\s+Kind\s+Category\s+Duration\s+Value\s+Source\s+Detail$", r.Output[0]);
        Assert.Contains(r.Output, l => System.Text.RegularExpressions.Regex.IsMatch(l, @"^\s*\d\d:\d\d:\d\d\.\d\d\d\s+Goroutines\s+threads\s+\d+\s+app\.nettrace\s+\d+ threads with managed code"));
        Assert.Contains(r.Output, l => System.Text.RegularExpressions.Regex.IsMatch(l, @"^\s*\d\d:\d\d:\d\d\.\d\d\d\s+Goroutines\s+threads\s+\d+\s+app2\.dmp\s+\d+ threads in the process when app2\.dmp was written"));
    }
}
