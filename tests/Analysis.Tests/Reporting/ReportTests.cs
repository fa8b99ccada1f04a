using System.Diagnostics;
using System.Net;
using System.Text.RegularExpressions;
using Analysis.Dumps;
using Analysis.Findings;
using Analysis.Go;
using Analysis.Reporting;
using Analysis.Testing;
using Analysis.Tests.Go;
using Analysis.Tests.Traces;
using Analysis.Traces;
using Xunit;

namespace Analysis.Tests.Reporting;

public class ReportTests
{
    private static HtmlReport FullReport(out int expectedCharts) => IncidentReport.Build(FullInputs(out expectedCharts));

    private static IncidentInputs FullInputs(out int expectedCharts)
    {
        var dump = DumpSession.Open(DumpSet.Facts[CapturedDump.ClientWithHeap]);
        var inputs = new IncidentInputs
        {
            Title = "Test <incident> & co",
            Dump = dump,
            Trace = TraceCaptures.FactsAnalysis,
            Goroutines = GoroutineDumpParser.ParseFile(GoFixtures.PathOf("goroutines-debug2.txt")),
            HeapProfile = PprofProfile.Load(GoFixtures.PathOf("heap-2.pb.gz")),
            BaselineHeapProfile = PprofProfile.Load(GoFixtures.PathOf("heap-1.pb.gz")),
            GoGcTrace = GcTrace.Load(GoFixtures.PathOf("gctrace.log")),
            GoTrace = GoExecutionTrace.Load(GoFixtures.PathOf("trace.out")),
        };
        // deadlock, thread states, heap top, heap by namespace, retained sizes, GC pauses, flame graph, goroutine buckets,
        // heap growth, Go GC
        expectedCharts = 10;
        return inputs;
    }

    [Fact]
    public void Report_Summary_IsTheAnalyzersFindings_WithTheSeveritiesTheyDecided()
    {
        var inputs = FullInputs(out _);
        string html = IncidentReport.Build(inputs).Render();
        Finding[] expected =
        [
            .. DumpTriage.Run(inputs.Dump!), .. TraceFindings.Find(inputs.Trace!), .. GoFindings.Goroutines(inputs.Goroutines!),
            .. GoFindings.HeapProfile(inputs.HeapProfile!, inputs.BaselineHeapProfile), .. inputs.GoGcTrace!.Summarize().Anomalies,
            .. GoFindings.ExecutionTrace(inputs.GoTrace!),
        ];
        var listed = Regex.Matches(Regex.Match(html, "<ul class=\"findings\">(.*?)</ul>", RegexOptions.Singleline).Groups[1].Value, "<li class=\"(\\w+)\">(.*?)</li>")
            .Select(m => (m.Groups[1].Value, WebUtility.HtmlDecode(m.Groups[2].Value)))
            .ToArray();
        // one line per finding, in the analyzers' order, its text the analyzer's title and its colour the analyzer's severity
        Assert.Equal(expected.Select(f => (f.Severity switch { FindingSeverity.Critical => "high", FindingSeverity.Warning => "medium", _ => "info" }, f.Title)), listed);
        Assert.Contains(expected, f => f.Severity == FindingSeverity.Critical && f.Kind == "goroutine leak suspect");
        Assert.Contains(expected, f => f.Severity == FindingSeverity.Warning && f.Kind == "InducedGen2");
        Assert.Contains(expected, f => f.Severity == FindingSeverity.Info && f.Kind == "heap");
    }

    [Fact]
    public void Report_SummarisesEveryArtifactsFindings()
    {
        string html = FullReport(out _).Render();
        // The dump's findings are the triage's, most severe first.
        Assert.Contains("<li class=\"high\">Deadlock: 3 threads (worker-a, worker-b, worker-c) wait for each other on Contoso.Sync.AccountLock", html);
        Assert.Contains("<li class=\"high\">Thread-pool starvation: ", html);
        Assert.Contains("<li class=\"high\">Blocked finalizer: the finalizer thread waits in ", html);
        Assert.Contains("<li class=\"medium\">Exception in flight: on thread &#39;payments&#39;", html);
        Assert.Contains($"<li class=\"medium\">Leak suspect: {TargetFacts.SessionCount:N0} {TargetFacts.SessionType}", html);
        Assert.Contains($"<li class=\"medium\">Stuck awaits: {TargetFacts.StuckCheckouts} × {TargetFacts.ConfirmationMethod}", html);
        Assert.True(html.IndexOf("Deadlock: 3 threads", StringComparison.Ordinal) < html.IndexOf("Exception in flight: on thread", StringComparison.Ordinal));
        Assert.Contains("5 induced gen2 GC(s)", html);
        Assert.Contains($"17 × {TraceFacts.ExceptionType}", html);
        Assert.Contains("Goroutine leak suspect: 100 goroutines blocked on chan receive", html);
        Assert.Contains("Heap growth between the profiles: contoso.example/leaky/orders.remember grew 12.5 MB", html);
        Assert.Contains("Go GC: 4 forced cycle(s)", html);
        Assert.Contains("<title>Test &lt;incident&gt; &amp; co</title>", html);
    }

    [Fact]
    public void Report_EmbedsPlotlyOnceAndReferencesNothingOnline()
    {
        var report = FullReport(out int charts);
        string html = report.Render();
        Assert.Equal(charts, report.ChartCount);
        Assert.Equal(charts, Regex.Count(html, "var renderPlotly_"));
        // plotly.js carries its version banner once.
        Assert.Equal(1, Regex.Count(html, $"plotly.js v{Regex.Escape(HtmlReport.PlotlyVersion)}"));
        Assert.DoesNotMatch("<script[^>]+src=", html);
        // Outside plotly.js itself (which mentions its CDN for optional map data), nothing points online.
        Assert.DoesNotContain("http", html.Replace(HtmlReport.PlotlyJs, "", StringComparison.Ordinal), StringComparison.Ordinal);
        Assert.InRange(html.Length, 3_000_000, 6_000_000); // plotly.js is ~3.5 MB of it
    }

    [Fact]
    public void Report_WithoutCharts_HasNoPlotly()
    {
        var report = new HtmlReport("plain").Heading("Only text").Paragraph("1 < 2");
        string html = report.Render();
        Assert.DoesNotContain("Plotly", html);
        Assert.Contains("<p>1 &lt; 2</p>", html);
    }

    [SkippableFact]
    public void Report_RendersInHeadlessChromiumWithTheNetworkOff()
    {
        string? chromium = Chromium.Find();
        Skip.If(chromium is null, "Chromium is not installed (the test command installs Debian's chromium; it could not here).");

        string dir = Path.Combine(RepoPaths.Root, "artifacts", "test-results", "report");
        Directory.CreateDirectory(dir);
        string page = Path.Combine(dir, "incident.html");
        var report = FullReport(out int charts);
        report.Save(page);

        string Run(string extra, out string stderr) => Chromium.Run(chromium!, page, dir, extra, out stderr);

        string dom = Run("--dump-dom", out string log);
        // Every chart drew its SVG (plotly writes one plot-container per chart), and the page logged no errors.
        Assert.Equal(charts, Regex.Count(dom, "class=\"plot-container plotly\""));
        Assert.True(Regex.Count(dom, "class=\"main-svg\"") >= charts);
        Assert.DoesNotMatch(new Regex("CONSOLE.*(Uncaught|Error)|Uncaught ", RegexOptions.IgnoreCase), log);

        string screenshot = Path.Combine(dir, "incident.png");
        File.Delete(screenshot);
        Run($"--screenshot={screenshot}", out _);
        Assert.True(File.Exists(screenshot) && new FileInfo(screenshot).Length > 50_000, "no screenshot");
    }
}
