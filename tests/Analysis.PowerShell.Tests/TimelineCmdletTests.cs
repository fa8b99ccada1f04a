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
            @($events | Where-Object { $null -eq $_.Time }).Count
            $cpu = $events | Where-Object Kind -eq 'CPU profile'
            $trace = $events | Where-Object Kind -eq 'Trace'
            ($cpu.Time + $cpu.Duration) -lt $trace.Time
            @($events | Where-Object Kind -eq 'GC').Count
            $anchors | ForEach-Object { '{0}|{1}|{2}' -f $_.From, $_.To, $_.Quality }
            """, vars);
        Assert.Empty(r.Errors);
        var lines = r.Strings.ToList();
        Assert.Equal("0", lines[0]);
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
        Assert.Equal(["2024-05-01T12:00:00.0060000+00:00"], given.Strings); // gc 1 @0.006s

        var bad = host.Run("@(Get-Timeline $manifest, $log -StartTime '2024-05-01T12:00:00Z').Count", vars);
        var error = Assert.Single(bad.Errors);
        Assert.Equal("NotATimelineArtifact,Analysis.PowerShell.Commands.GetTimelineCommand", error.FullyQualifiedErrorId);
        Assert.NotEqual("0", bad.Strings.Single());
    }
}
