using System.Globalization;
using System.Text.RegularExpressions;
using Analysis.Testing;
using Xunit;

namespace Analysis.PowerShell.Tests;

/// <summary>Export-Timeline, and Export-IncidentReport's Timeline section, in the hosted runspace on the committed Go fixtures.</summary>
public class ExportTimelineCmdletTests
{
    private static string GoFolder => Path.Combine(RepoPaths.Root, "tests", "testdata", "go");

    private static int Manifest(string key) => int.Parse(File.ReadLines(Path.Combine(GoFolder, "MANIFEST")).Single(l => l.StartsWith(key + "=", StringComparison.Ordinal)).Split('=')[1], CultureInfo.InvariantCulture);

    [Fact]
    public void ExportTimeline_GoFixtures_WritesOnePageWithTheChartAndAnchors_RefusesToOverwrite_AndWarnsForTheGoroutineDump()
    {
        string dir = RepoPaths.NewScratchDirectory("analysis-timeline");
        string page = Path.Combine(dir, "timeline.html");
        using var host = new PwshHost();
        var vars = new Dictionary<string, object?> { ["go"] = GoFolder, ["page"] = page };
        var r = host.Run("""
            Push-Location $go
            try {
                $item = Export-Timeline gctrace.log, trace.out, heap-*.pb.gz, cpu.pb.gz, goroutines-debug2.txt -OutFile $page -Title 'INC-16 <go>' -MaxEvents 20
                $item.GetType().Name
                $item.FullName
                @(Get-Timeline gctrace.log, trace.out, heap-*.pb.gz, cpu.pb.gz -WarningAction SilentlyContinue).Count
            } finally { Pop-Location }
            """, vars);
        Assert.Empty(r.Errors);
        var lines = r.Strings.ToList();
        Assert.Equal("FileInfo", lines[0]);
        Assert.Equal(page, lines[1]);
        int events = int.Parse(lines[2], CultureInfo.InvariantCulture);
        var warning = Assert.Single(r.Warnings);
        Assert.StartsWith("goroutines-debug2.txt is a goroutine dump: it records no time", warning.Message);
        Assert.NotEmpty(r.Progress);

        string html = File.ReadAllText(page);
        Assert.Contains("<title>INC-16 &lt;go&gt;</title>", html);
        Assert.Single(Regex.Matches(html, "Copyright 2012-20\\d\\d, Plotly, Inc"));
        Assert.DoesNotContain("<script src=\"http", html);
        // every gctrace cycle and every trace GC is a band of the chart (the names of the chart's traces)
        Assert.Contains("GC (forced) · gctrace.log", html);
        Assert.Contains("GC (automatic) · gctrace.log", html);
        Assert.Contains("GC · trace.out", html);
        Assert.Contains("\"type\":\"date\"", html);
        // the summary: the goroutine dump (written after the trace) stays relative (its marker, its warning), the rest all on
        // the wall clock; the anchors: the heap profiles, the GC gaps
        Assert.Contains($"<p>{events + 1:N0} events from 6 artifacts; {events:N0} on the wall clock", html);
        Assert.Contains("goroutines-debug2.txt is a goroutine dump: it records no time", html);
        Assert.Contains("heap profile heap-1.pb.gz after gc 2, heap profile heap-2.pb.gz after gc 4", html);
        // the trace holds the program's last two forced GCs (MANIFEST: facts.forced_gcs_in_trace), the gctrace's last two cycles
        Assert.Equal(2, Manifest("facts.forced_gcs_in_trace"));
        Assert.Contains($"matched gctrace.log&#39;s gc {Manifest("gctrace.cycles") - 1}–{Manifest("gctrace.cycles")}", html.Replace("&#x27;", "&#39;", StringComparison.Ordinal));
        Assert.Contains($"The first 20 of {events + 1:N0} events", html);

        // an existing page is not overwritten without -Force; -WhatIf writes nothing
        File.WriteAllText(page, "old");
        var again = host.Run("Export-Timeline (Join-Path $go gctrace.log) -OutFile $page; Export-Timeline (Join-Path $go gctrace.log) -OutFile $page -Force -WhatIf", vars);
        Assert.Equal("FileExists,Analysis.PowerShell.Commands.ExportTimelineCommand", Assert.Single(again.Errors).FullyQualifiedErrorId);
        Assert.Equal("old", File.ReadAllText(page));
        var forced = host.Run("(Export-Timeline (Join-Path $go gctrace.log) -OutFile $page -Force -StartTime '2024-05-01T12:00:00Z').Length", vars);
        Assert.Empty(forced.Errors);
        Assert.Contains("on the wall clock, from 2024-05-01 12:00:00", File.ReadAllText(page));
    }

    [Fact]
    public void ExportIncidentReport_WithGcTraceTraceAndHeapProfiles_HasTheTimelineSection()
    {
        string outFile = Path.Combine(RepoPaths.NewScratchDirectory("analysis-report"), "go.html");
        using var host = new PwshHost();
        var r = host.Run("(Export-IncidentReport $o -GcTrace (Join-Path $go gctrace.log) -GoTrace (Join-Path $go trace.out) -BaselineHeapProfile (Join-Path $go heap-1.pb.gz) -HeapProfile (Join-Path $go heap-2.pb.gz)).FullName",
            new Dictionary<string, object?> { ["o"] = outFile, ["go"] = GoFolder });
        Assert.Empty(r.Errors);
        Assert.Equal(outFile, Assert.Single(r.Strings));
        string html = File.ReadAllText(outFile);
        Assert.Contains("<h2>Timeline</h2>", html);
        Assert.Contains("GC (forced) · gctrace.log", html);
        Assert.Contains("GC · trace.out", html);
        Assert.Contains("<h3>Anchors</h3>", html);
        Assert.Contains("heap profile heap-1.pb.gz after gc 2, heap profile heap-2.pb.gz after gc 4", html);
        Assert.Contains("trace.out: since trace start (", html);
        Assert.DoesNotContain("stays relative", html);
    }

    /// <summary>A Go core opened with its executable (Open-GoCore) and a heap profile: the report reuses the open core, whose memstats place it exactly.</summary>
    [SkippableFact]
    public void ExportIncidentReport_WithAnOpenGoCore_PlacesItByItsMemstats_InTheTimelineSection()
    {
        Skip.If(GoCoreSet.Missing is not null, $"Skipped: {GoCoreSet.Missing}");
        var crash = GoCoreSet.Instance["go1.23", GoCoreMode.Crash];
        string outFile = Path.Combine(RepoPaths.NewScratchDirectory("analysis-report"), "core.html");
        using var host = new PwshHost();
        var r = host.Run("""
            $null = Open-GoCore $core -Executable $exe
            (Export-IncidentReport $o -GoroutineDump $core -HeapProfile (Join-Path $go heap-2.pb.gz)).Name
            """, new Dictionary<string, object?> { ["o"] = outFile, ["go"] = GoFolder, ["core"] = crash.CorePath, ["exe"] = crash.Executable });
        Assert.Empty(r.Errors);
        Assert.Empty(r.Warnings);
        Assert.Equal("core.html", Assert.Single(r.Strings));
        string html = File.ReadAllText(outFile);
        Assert.Contains("<h2>Timeline</h2>", html);
        Assert.Contains("memstats.last_gc_unix (wall) and last_gc_nanotime", html);
        Assert.Contains($"{Path.GetFileName(crash.CorePath)}: since runtime start (", html);
    }
}
