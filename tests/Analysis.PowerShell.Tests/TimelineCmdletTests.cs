using System.Globalization;
using Analysis.Testing;
using Xunit;

namespace Analysis.PowerShell.Tests;

/// <summary>Get-Timeline in the hosted runspace, on the committed Go fixtures.</summary>
public class TimelineCmdletTests
{
    private static string Go(string name) => Path.Combine(RepoPaths.Root, "tests", "testdata", "go", name);

    [Fact]
    public void GetTimeline_GoFixtures_PlacesEveryEventOnTheWallClock_TheCpuWindowBeforeTheTrace_AndWarnsForTheGoroutineDump()
    {
        using var host = new PwshHost();
        var vars = new Dictionary<string, object?> { ["go"] = Path.Combine(RepoPaths.Root, "tests", "testdata", "go") };
        var r = host.Run("""
            Push-Location $go
            try {
                $events = Get-Timeline gctrace.log, trace.out, heap-*.pb.gz, cpu.pb.gz, goroutines-debug2.txt
                $anchors = Get-Timeline -LiteralPath gctrace.log, trace.out, heap-1.pb.gz, heap-2.pb.gz -Anchors
            } finally { Pop-Location }
            @($events | Where-Object { $null -eq $_.Time } | ForEach-Object { '{0} {1}' -f $_.Kind, $_.Source })
            $cpu = $events | Where-Object Kind -eq 'CPU profile'
            $trace = $events | Where-Object Kind -eq 'Trace'
            ($cpu.Time + $cpu.Duration) -lt $trace.Time
            @($events | Where-Object Kind -eq 'GC').Count
            $anchors | ForEach-Object { '{0}|{1}|{2}' -f $_.From, $_.To, $_.Quality }
            """, vars);
        Assert.Empty(r.Errors);
        var lines = r.Strings.ToList();
        Assert.Equal("Dump goroutines-debug2.txt", lines[0]); // written after the trace: its goroutine ids do not bound when
        Assert.Equal("True", lines[1]);
        Assert.Equal("8", lines[2]); // 6 cycles in the gctrace, 2 in the trace
        Assert.Equal(["gctrace.log: since runtime start|wall|Derived", "trace.out: since trace start|gctrace.log: since runtime start|Derived"], lines[3..]);
        // the goroutine dump has no time: one warning (only the first call reads it)
        var warning = Assert.Single(r.Warnings);
        Assert.StartsWith("goroutines-debug2.txt is a goroutine dump: it records no time", warning.Message);
        Assert.NotEmpty(r.Progress);
    }

    [Fact]
    public void GetTimeline_LoneGcTrace_WarnsThatItStaysOnItsOwnClock_UnlessStartTimeIsGiven_AndABadFileIsAnError()
    {
        using var host = new PwshHost();
        var vars = new Dictionary<string, object?> { ["log"] = Go("gctrace.log"), ["manifest"] = Go("MANIFEST") };
        var alone = host.Run("@(Get-Timeline $log | Where-Object { $null -ne $_.Time }).Count", vars);
        Assert.Equal(["0"], alone.Strings);
        Assert.StartsWith("gctrace.log: since runtime start stays on its own clock:", Assert.Single(alone.Warnings).Message);

        var given = host.Run("(Get-Timeline $log -StartTime '2024-05-01T12:00:00Z' | Where-Object Kind -eq 'GC' | Select-Object -First 1).Time.ToString('o')", vars);
        Assert.Empty(given.Warnings);
        Assert.Equal(["2024-05-01T12:00:00.0065000+00:00"], given.Strings); // gc 1 @0.006s: truncated to the ms, so taken at its middle

        var bad = host.Run("@(Get-Timeline $manifest, $log -StartTime '2024-05-01T12:00:00Z').Count", vars);
        var error = Assert.Single(bad.Errors);
        Assert.Equal("NotATimelineArtifact,Analysis.PowerShell.Commands.GetTimelineCommand", error.FullyQualifiedErrorId);
        Assert.NotEqual("0", bad.Strings.Single());
    }

    [Fact]
    public void GetTimeline_DumpTakenWhileTheTraceRan_IsPlacedByItsGoroutineIds_OnTheWallClock()
    {
        // tests/testdata/go/dump-in-trace (generate.sh dump-in-trace): one run's gctrace, heap profiles, trace and dump
        using var host = new PwshHost();
        var vars = new Dictionary<string, object?> { ["dir"] = Go("dump-in-trace") };
        var r = host.Run("""
            $events = Get-Timeline (Join-Path $dir *.log), (Join-Path $dir *.pb.gz), (Join-Path $dir trace.out), (Join-Path $dir goroutines.txt)
            $dump = $events | Where-Object Kind -eq 'Dump'
            $trace = $events | Where-Object Kind -eq 'Trace'
            ($dump.Time - $trace.Time).TotalMilliseconds.ToString([cultureinfo]::InvariantCulture)
            $dump.Category
            $a = Get-Timeline -LiteralPath (Join-Path $dir gctrace.log), (Join-Path $dir heap-1.pb.gz), (Join-Path $dir heap-2.pb.gz), (Join-Path $dir trace.out), (Join-Path $dir goroutines.txt) -Anchors | Where-Object From -eq 'goroutines.txt: when it was taken'
            '{0}|{1}|{2}' -f $a.To, $a.Quality, $a.Uncertainty.TotalMilliseconds.ToString([cultureinfo]::InvariantCulture)
            $a.How
            """, vars);
        Assert.Empty(r.Errors);
        Assert.Empty(r.Warnings);
        var lines = r.Strings.ToList();
        var manifest = File.ReadLines(Go(Path.Combine("dump-in-trace", "MANIFEST"))).Where(l => l.Contains('=', StringComparison.Ordinal))
            .ToDictionary(l => l[..l.IndexOf('=', StringComparison.Ordinal)], l => l[(l.IndexOf('=', StringComparison.Ordinal) + 1)..]);
        double Ms(string key) => double.Parse(manifest[key], CultureInfo.InvariantCulture);
        // the marker sits at the middle of the stretch between the goroutine creations around the dump (go tool trace's)
        double at = double.Parse(lines[0], CultureInfo.InvariantCulture);
        Assert.InRange(at, (Ms("dump.last_created_before_ms") + Ms("dump.first_created_after_ms")) / 2 - 0.01, (Ms("dump.last_created_before_ms") + Ms("dump.first_created_after_ms")) / 2 + 0.01);
        Assert.Equal("goroutines", lines[1]);
        string[] anchor = lines[2].Split('|');
        Assert.Equal(["trace.out: since trace start", "Derived"], anchor[..2]);
        Assert.InRange(double.Parse(anchor[2], CultureInfo.InvariantCulture), (Ms("dump.first_created_after_ms") - Ms("dump.last_created_before_ms")) / 2 - 0.01, (Ms("dump.first_created_after_ms") - Ms("dump.last_created_before_ms")) / 2 + 0.01);
        Assert.StartsWith("goroutine ids (the same in the dump and the trace): taken between +", lines[3]);
    }
}
