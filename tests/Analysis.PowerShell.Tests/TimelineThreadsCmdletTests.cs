using System.Globalization;
using Analysis.Testing;
using Xunit;

namespace Analysis.PowerShell.Tests;

/// <summary>Get-Timeline's thread counts for .NET in the hosted runspace: a trace of the trace target and a core of the dump target.</summary>
public class TimelineThreadsCmdletTests
{
    [SkippableFact]
    public void GetTimeline_DotNetTraceAndDump_GiveThreadCounts_OnTheWallClock()
    {
        Skip.IfNot(File.Exists("/usr/bin/readelf"), "binutils' readelf is not installed at /usr/bin/readelf (apt-get install binutils)");
        string dump = DumpSet.FactsLite[CapturedDump.CreateDumpWithHeap];
        using var host = new PwshHost();
        var vars = new Dictionary<string, object?> { ["trace"] = TraceCaptures.Facts, ["dump"] = dump };
        var r = host.Run("""
            Get-Timeline $trace, $dump -WarningAction SilentlyContinue |
                Where-Object { $_.Kind -eq 'Goroutines' -and $_.Category -eq 'threads' } |
                ForEach-Object { '{0}|{1}|{2}|{3}' -f $_.Source, $_.Value, $_.Unit, ($null -ne $_.Time) }
            """, vars);
        Assert.Empty(r.Errors);
        var rows = r.Strings.Select(s => s.Split('|')).ToList();
        Assert.All(rows, row => Assert.Equal(["threads", "True"], row[2..]));

        // the trace: one row per change; the target's six ledger-holder threads each start and end inside it
        var fromTrace = rows.Where(row => row[0] == Path.GetFileName(TraceCaptures.Facts)).Select(row => int.Parse(row[1], CultureInfo.InvariantCulture)).ToList();
        int falls = fromTrace.Zip(fromTrace.Skip(1)).Count(p => p.Second < p.First);
        Assert.True(falls >= TraceFacts.ContentionRounds, $"the thread count fell {falls} times: {string.Join(" ", fromTrace)}");
        Assert.All(fromTrace, n => Assert.True(n >= 1));

        // the dump: its thread count, as binutils counts the core's NT_PRSTATUS notes
        var readelf = System.Diagnostics.Process.Start(new System.Diagnostics.ProcessStartInfo("/usr/bin/readelf", ["-n", "-W", dump]) { RedirectStandardOutput = true })!;
        int expected = readelf.StandardOutput.ReadToEnd().Split('\n').Count(l => l.Contains("NT_PRSTATUS", StringComparison.Ordinal));
        readelf.WaitForExit();
        Assert.Equal(expected.ToString(CultureInfo.InvariantCulture), Assert.Single(rows, row => row[0] == Path.GetFileName(dump))[1]);
    }
}
