using System.Text.RegularExpressions;
using Analysis.Testing;
using Xunit;
using Xunit.Abstractions;

namespace Analysis.Pwsh.Tests;

/// <summary>Export-Timeline in the investigator's real pwsh, on the committed Go fixtures in the demo folder (the help examples' names).</summary>
public sealed class ExportTimelinePwshTests(ITestOutputHelper output) : IDisposable
{
    private readonly RealPwsh _pwsh = new(width: 200);

    public void Dispose() => _pwsh.Dispose();

    [Fact]
    public void ExportTimeline_WritesTheOfflinePage_AndReturnsTheFile_AsPwshShowsIt()
    {
        string dir = RepoPaths.NewScratchDirectory("analysis-pwsh-timeline");
        string page = Path.Combine(dir, "go-timeline.html");
        var r = _pwsh.Run("""
            Set-Location $demo
            $item = Export-Timeline ./stderr.log, ./trace.out, ./heap-1.pb.gz, ./heap-2.pb.gz, ./cpu.pb.gz -OutFile $page -Title 'Go incident'
            $item.GetType().FullName
            $item.Name
            @(Get-Timeline ./stderr.log, ./trace.out, ./heap-1.pb.gz, ./heap-2.pb.gz, ./cpu.pb.gz | Where-Object Kind -eq 'GC').Count
            """, new Dictionary<string, object?> { ["demo"] = DemoFiles.Folder, ["page"] = page });
        foreach (string line in r.Output)
            output.WriteLine(line);
        Assert.Empty(r.Errors);
        Assert.Empty(r.Warnings); // every clock is placed: nothing stays relative
        Assert.Equal(["System.IO.FileInfo", "go-timeline.html"], r.Output.Take(2));
        string html = File.ReadAllText(page);
        Assert.Contains("<title>Go incident</title>", html);
        Assert.Single(Regex.Matches(html, "Copyright 2012-20\\d\\d, Plotly, Inc"));
        // the chart draws every GC the timeline has: the gctrace's cycles and the trace's, one band (start, end, gap) each
        int gcs = int.Parse(r.Output[2], System.Globalization.CultureInfo.InvariantCulture);
        var xs = Regex.Matches(html, "\"x\":\\[([^\\]]*)\\],\"y\":\\[[^\\]]*\\],\"mode\":\"lines\\+markers\",\"name\":\"GC (\\(|·)[^\"]*\"");
        Assert.Equal(3 * gcs, xs.Sum(m => m.Groups[1].Value.Split(',').Length));
        Assert.Contains("Anchors</h2>", html);
        Assert.DoesNotContain("stays relative", html);
    }

    [Fact]
    public void ExportIncidentReport_WithTheGoArtifacts_HasTheTimelineSection()
    {
        string page = Path.Combine(RepoPaths.NewScratchDirectory("analysis-pwsh-timeline"), "go-report.html");
        var r = _pwsh.Run("""
            Set-Location $demo
            (Export-IncidentReport $page -GcTrace ./stderr.log -GoTrace ./trace.out -BaselineHeapProfile ./heap-1.pb.gz -HeapProfile ./heap-2.pb.gz).Name
            """, new Dictionary<string, object?> { ["demo"] = DemoFiles.Folder, ["page"] = page });
        Assert.Empty(r.Errors);
        Assert.Equal(["go-report.html"], r.Output);
        string html = File.ReadAllText(page);
        Assert.Contains("<h2>Timeline</h2>", html);
        Assert.Contains("GC (forced) · stderr.log", html);
        Assert.Contains("GC · trace.out", html);
        Assert.Contains("heap profile heap-1.pb.gz after gc 2, heap profile heap-2.pb.gz after gc 4", html);
    }
}
