using System.Text.RegularExpressions;
using Analysis.Go;
using Analysis.Notebooks;
using Analysis.Stacks;
using Analysis.Reporting;
using Analysis.Testing;
using Analysis.Tests.Go;
using Xunit;

namespace Analysis.Tests.Notebooks;

public class NotebookRunnerTests
{
    private static NotebookDocument Dib(string text) => NotebookFile.ParseDib(text.Replace("\r\n", "\n", StringComparison.Ordinal), Path.Combine(GoFixtures.Folder, "test.dib"));

    private static async Task<NotebookRunResult> Run(NotebookDocument doc, Dictionary<string, object?>? parameters = null) =>
        await NotebookRunner.RunAsync(doc, new NotebookRunOptions { Parameters = parameters ?? new() });

    private static string Plain(CellOutput o) => o.Data.TryGetValue("text/plain", out string? t) ? t : o.Text ?? "";

    [Fact]
    public async Task CSharpCells_ShareState_CaptureConsole_DisplayAndShowTheTrailingValue()
    {
        var run = await Run(Dib("""
            #!csharp
            var words = new List<string> { "alpha" };
            int Square(int x) => x * x;
            #!csharp
            words.Add("beta");
            Console.WriteLine($"count {words.Count}");
            display(Square(12));
            Square(words.Count) + 1
            #!csharp
            display("shown once");
            #!csharp
            var unused = 1;
            """));
        Assert.True(run.Succeeded, run.Failure);
        Assert.Equal(4, run.CodeCellsRun);
        Assert.Equal([1, 2, 3, 4], run.GetNotebook().Cells.Select(c => c.ExecutionCount ?? 0));
        var second = run.GetNotebook().Cells[1].Outputs;
        Assert.Equal(["stream", "display_data", "execute_result"], second.Select(o => o.OutputType));
        Assert.Equal("count 2\n", second[0].Text);
        Assert.Equal("144", Plain(second[1]));
        Assert.Equal("5", Plain(second[2]));
        // a trailing void call is not shown a second time as a null result
        Assert.Equal(["display_data"], run.GetNotebook().Cells[2].Outputs.Select(o => o.OutputType));
        Assert.Empty(run.GetNotebook().Cells[3].Outputs);
    }

    [Fact]
    public async Task CompileError_StopsTheRun_NamesTheCellAndLine_AndLaterCellsDoNotRun()
    {
        var run = await Run(Dib("""
            #!markdown
            # t
            #!csharp
            var ok = 1;
            #!csharp
            var a = 1;
            var b = undefinedThing + 1;
            #!csharp
            Console.WriteLine("never");
            """));
        Assert.False(run.Succeeded);
        Assert.Equal(2, run.FailedCellIndex);
        Assert.Equal(2, run.CodeCellsRun);
        Assert.StartsWith("Cell 3 (csharp, 'var a = 1;') failed: CompilationError: (2,9): error CS0103", run.Failure, StringComparison.Ordinal);
        var error = Assert.Single(run.GetNotebook().Cells[2].Outputs);
        Assert.Equal("error", error.OutputType);
        Assert.Contains("undefinedThing", error.ErrorValue, StringComparison.Ordinal);
        Assert.Empty(run.GetNotebook().Cells[3].Outputs);
        Assert.Null(run.GetNotebook().Cells[3].ExecutionCount);
    }

    [Fact]
    public async Task RuntimeException_IsTheCellsError_WithTypeMessageAndOutputBeforeIt()
    {
        var run = await Run(Dib("""
            #!csharp
            Console.WriteLine("before");
            throw new InvalidOperationException("no such dump: x.dmp");
            """));
        Assert.False(run.Succeeded);
        var outputs = run.GetNotebook().Cells[0].Outputs;
        Assert.Equal("before\n", outputs[0].Text);
        Assert.Equal("InvalidOperationException", outputs[1].ErrorName);
        Assert.Equal("no such dump: x.dmp", outputs[1].ErrorValue);
        Assert.Equal("System.InvalidOperationException: no such dump: x.dmp", outputs[1].Traceback[0]);
        Assert.EndsWith("failed: InvalidOperationException: no such dump: x.dmp", run.Failure, StringComparison.Ordinal);
    }

    [Fact]
    public async Task NugetReferences_ProvidedPackagesPass_OthersFailWithWhatToDo()
    {
        var ok = await Run(Dib("""
            #!csharp
            #r "nuget: Plotly.NET, 6.0.0"
            #r "nuget:Analysis.Interactive"
            Analysis.Reporting.Charts.PprofTop(new Analysis.Go.PprofTopRow[0]).GetType().Name
            """));
        Assert.True(ok.Succeeded, ok.Failure);
        Assert.Equal(["execute_result"], ok.GetNotebook().Cells[0].Outputs.Select(o => o.OutputType));
        var bad = await Run(Dib("""
            #!csharp
            var a = 1;
            #r "nuget: Newtonsoft.Json, 13.0.3"
            """));
        Assert.False(bad.Succeeded);
        var error = bad.GetNotebook().Cells[0].Outputs.Single(o => o.OutputType == "error");
        Assert.StartsWith("Line 2: #r \"nuget: Newtonsoft.Json\" needs the .NET Interactive kernel's package manager", error.ErrorValue, StringComparison.Ordinal);
        Assert.Contains("#r \"path/to/library.dll\"", error.ErrorValue, StringComparison.Ordinal);

        var magic = await Run(Dib("#!csharp\n#!time\nvar a = 1;"));
        Assert.Contains("'#!time' is a .NET Interactive magic command", magic.Failure, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ExtensionCell_OfThePortableNotebooks_IsANoOp_AndReferencesWhatThePackageBrings()
    {
        // the first C# cell of every notebook in notebooks/: a relative package source and a floating version
        var run = await Run(Dib("""
            #!csharp
            #i "nuget: ../artifacts/package"
            #r "nuget: Analysis.Interactive, *-*"
            #!csharp
            using Analysis.Go;
            typeof(PprofProfile).Assembly.GetName().Name + " " + typeof(Analysis.Reporting.Charts).Assembly.GetName().Name
            """));
        Assert.True(run.Succeeded, run.Failure);
        Assert.Empty(run.GetNotebook().Cells[0].Outputs);
        Assert.Equal("Analysis Analysis.Reporting", Plain(run.GetNotebook().Cells[1].Outputs.Single()));
    }

    [Fact]
    public async Task CSharpCells_StartWithTheKernelsUsingsOnly_SoANotebookThatRunsHereRunsThere()
    {
        // System.IO, System.Threading and our namespaces are not implicit in the .NET Interactive kernel: not here either
        var path = await Run(Dib("#!csharp\nPath.Combine(\"a\", \"b\")"));
        Assert.Contains("error CS0103: The name 'Path' does not exist", path.Failure, StringComparison.Ordinal);
        var ours = await Run(Dib("#!csharp\ntypeof(GoroutineDumpParser).Name"));
        Assert.Contains("error CS0246", ours.Failure, StringComparison.Ordinal);
        // our libraries need the package (or #r of the dll) as in the kernel
        var unreferenced = await Run(Dib("#!csharp\ntypeof(Analysis.Go.GoroutineDumpParser).Name"));
        Assert.False(unreferenced.Succeeded);

        var kernelUsings = await Run(Dib("""
            #!csharp
            var sb = new StringBuilder("ok");
            var list = new List<int> { 1, 2 };
            Task t = Task.CompletedTask;
            Type http = typeof(HttpClient);
            $"{sb} {list.Sum()} {http.Name}"
            """));
        Assert.True(kernelUsings.Succeeded, kernelUsings.Failure);
        Assert.Equal("ok 3 HttpClient", Plain(kernelUsings.GetNotebook().Cells[0].Outputs.Single()));
        Assert.Equal(["System", "System.Collections.Generic", "System.Linq", "System.Text", "System.Threading.Tasks", "System.Net.Http"], CSharpKernel.KernelUsings);
    }

    [Fact]
    public async Task HashR_OfACopyOfAReferencedLibrary_KeepsOneTypeIdentity_AndOtherDllsLoad()
    {
        // a copy of Analysis.dll elsewhere, as a notebook pointing at the module folder would reference it
        string dir = RepoPaths.NewScratchDirectory("nbref");
        File.Copy(typeof(AnalysisException).Assembly.Location, Path.Combine(dir, "Analysis.dll"));
        File.Copy(typeof(Xunit.Assert).Assembly.Location, Path.Combine(dir, Path.GetFileName(typeof(Xunit.Assert).Assembly.Location)));
        var doc = NotebookFile.ParseDib($"""
            #!csharp
            #r "Analysis.dll"
            #r "{Path.GetFileName(typeof(Xunit.Assert).Assembly.Location)}"
            var error = new Analysis.AnalysisException(Analysis.AnalysisErrorKind.FileEmpty, "p", "m");
            display(error);
            typeof(Xunit.Assert).Assembly.GetName().Name
            """, Path.Combine(dir, "ref.dib"));
        var run = await NotebookRunner.RunAsync(doc, new NotebookRunOptions());
        Assert.True(run.Succeeded, run.Failure);
        Assert.Equal(typeof(Xunit.Assert).Assembly.GetName().Name, Plain(run.GetNotebook().Cells[0].Outputs[^1]));
    }

    [Fact]
    public async Task Parameters_AreInjectedAfterTheParametersCell_OverridingDefaults_InEachLanguageUsed()
    {
        var doc = Dib("""
            #!markdown
            # p
            #!csharp
            // parameters
            var Name = "default";
            var Count = 1;
            #!csharp
            $"{Name}:{Count * 2}:{Ratio}:{Enabled}:{Window.TotalSeconds}"
            """);
        var run = await Run(doc, new() { ["Name"] = "it's \"quoted\"", ["Count"] = 21, ["Ratio"] = 0.5, ["Enabled"] = true, ["Window"] = TimeSpan.FromSeconds(90) });
        Assert.True(run.Succeeded, run.Failure);
        var injected = run.GetNotebook().Cells[2];
        Assert.Equal([NotebookRunner.InjectedTag], injected.Tags);
        Assert.Equal("csharp", injected.Language);
        Assert.Equal("it's \"quoted\":42:0.5:True:90", Plain(run.GetNotebook().Cells[3].Outputs.Single()));
        Assert.Contains(run.Warnings, w => w.Contains("'Ratio' is not declared", StringComparison.Ordinal));
        Assert.DoesNotContain(run.Warnings, w => w.Contains("'Name'", StringComparison.Ordinal));

        // running the executed notebook again replaces the injected cell instead of stacking a second one
        var again = await Run(run.GetNotebook(), new() { ["Name"] = "second", ["Count"] = 1, ["Ratio"] = 1.0, ["Enabled"] = false, ["Window"] = TimeSpan.Zero });
        Assert.Single(again.GetNotebook().Cells, c => c.Tags.Contains(NotebookRunner.InjectedTag));
        Assert.Equal("second:2:1:False:0", Plain(again.GetNotebook().Cells[3].Outputs.Single()));
    }

    [Fact]
    public async Task Parameters_WithoutAParametersCell_GoToTheTopWithAWarning_AndBadNamesAreRefused()
    {
        var run = await Run(Dib("#!csharp\nDump.Length"), new() { ["Dump"] = "abc" });
        Assert.True(run.Succeeded, run.Failure);
        Assert.Equal(NotebookRunner.InjectedTag, run.GetNotebook().Cells[0].Tags.Single());
        Assert.Equal("3", Plain(run.GetNotebook().Cells[1].Outputs.Single()));
        Assert.Contains(run.Warnings, w => w.Contains("no parameters cell", StringComparison.Ordinal));

        await Assert.ThrowsAsync<ArgumentException>(() => Run(Dib("#!csharp\n1"), new() { ["bad name"] = 1 }));
        await Assert.ThrowsAsync<ArgumentException>(() => Run(Dib("#!csharp\n1"), new() { ["Obj"] = new object() }));
    }

    [Fact]
    public async Task CellInALanguageWithoutKernel_FailsNamingTheKernelsThereAre()
    {
        var run = await Run(Dib("#!fsharp\nlet x = 1"));
        Assert.False(run.Succeeded);
        Assert.Contains("No kernel for 'fsharp' cells in the headless runner; it runs csharp", run.Failure, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AnalysisResults_DisplayAsTablesWithCharts_AndTheHtmlPageCarriesThemOffline()
    {
        string dump = GoFixtures.PathOf("goroutines-debug2.txt");
        var doc = Dib($$"""
            #!markdown
            # Goroutine check

            Buckets with *many* goroutines.
            #!csharp
            // parameters
            var DumpPath = "missing.txt";
            #!csharp
            #r "nuget: Analysis.Interactive, *-*"
            using Analysis.Go;
            using Analysis.Stacks;
            var dump = GoroutineDumpParser.ParseFile(DumpPath);
            var buckets = StackGrouper.Group(dump.Goroutines).Where(b => b.Count >= 10).ToList();
            buckets
            #!csharp
            Console.WriteLine("<not html>");
            """);
        var run = await Run(doc, new() { ["DumpPath"] = dump });
        Assert.True(run.Succeeded, run.Failure);
        var result = run.GetNotebook().Cells[3].Outputs.Single();
        string html = result.Data["text/html"];
        int expectedBuckets = StackGrouper.Group(GoroutineDumpParser.ParseFile(dump).Goroutines).Count(b => b.Count >= 10);
        Assert.True(expectedBuckets >= 3, $"{expectedBuckets} buckets"); // receivers, senders, pollers at least
        Assert.Equal(expectedBuckets + 1, Regex.Matches(html, "<tr>").Count); // header + one row per bucket
        Assert.Contains($"<td style=\"text-align:right\">{GoFixtures.ManifestInt("facts.leaked_receivers")}</td>", html, StringComparison.Ordinal);
        Assert.Contains("Plotly.newPlot", html, StringComparison.Ordinal);

        string page = NotebookHtml.Render(run.GetNotebook(), run);
        Assert.Single(Regex.Matches(page, Regex.Escape(HtmlReport.PlotlyJs[..200])));
        Assert.Contains("<title>Goroutine check</title>", page, StringComparison.Ordinal);
        Assert.Contains("Buckets with <em>many</em> goroutines.", page, StringComparison.Ordinal);
        Assert.Contains("&lt;not html&gt;", page, StringComparison.Ordinal);
        Assert.Contains("injected parameters", page, StringComparison.Ordinal);
        Assert.Contains($"Ran {run.CodeCellsRun} code cells", page, StringComparison.Ordinal);
    }

    [Fact]
    public async Task HtmlPage_WithoutCharts_HasNoPlotly_AndShowsTheFailure()
    {
        var run = await Run(Dib("#!csharp\nthrow new Exception(\"bad <input>\");"));
        string page = NotebookHtml.Render(run.GetNotebook(), run);
        Assert.DoesNotContain("Plotly.newPlot", page, StringComparison.Ordinal);
        Assert.True(page.Length < 20_000, $"page is {page.Length} characters");
        Assert.Contains("Stopped: Cell 1 (csharp", page, StringComparison.Ordinal);
        Assert.Contains("Exception: bad &lt;input&gt;", page, StringComparison.Ordinal);
    }

    [Fact]
    public async Task RunFile_WritesTheExecutedNotebookAndPage_EvenWhenACellFails()
    {
        string dir = RepoPaths.NewScratchDirectory("nbfile");
        string input = Path.Combine(dir, "in.dib");
        File.WriteAllText(input, "#!csharp\nvar a = 40;\n#!csharp\na + 2\n#!csharp\nint.Parse(\"x\")\n");
        string before = File.ReadAllText(input);
        var run = await NotebookRunner.RunFileAsync(input, Path.Combine(dir, "out.ipynb"), Path.Combine(dir, "out.html"), new NotebookRunOptions());
        Assert.False(run.Succeeded);
        Assert.Equal("FormatException", run.GetNotebook().Cells[2].Outputs.Single().ErrorName);
        var executed = NotebookFile.Read(run.OutNotebook!);
        Assert.Equal(3, executed.Cells.Count);
        Assert.Contains("\"42\"", File.ReadAllText(run.OutNotebook!), StringComparison.Ordinal);
        Assert.Contains("FormatException", File.ReadAllText(run.OutFile!), StringComparison.Ordinal);
        Assert.Equal(before, File.ReadAllText(input));
    }

    [Fact]
    public async Task Cancellation_StopsBeforeTheNextCell()
    {
        using var cts = new CancellationTokenSource();
        var doc = Dib("#!csharp\nvar a = 1;\n#!csharp\nvar b = 2;");
        var options = new NotebookRunOptions { Progress = p => { if (p.CodeCell == 2) cts.Cancel(); } };
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => NotebookRunner.RunAsync(doc, options, cts.Token));
        Assert.Equal(1, doc.Cells[0].ExecutionCount);
        Assert.Empty(doc.Cells[1].Outputs);
    }

    [Fact]
    public void ChartHtml_DrawsWithThePagesPlotly_OrLoadsIt()
    {
        string html = Display.ChartHtml(Charts.PprofTop([]));
        Assert.Matches(@"if \(typeof Plotly !== 'undefined'\) \{ renderPlotly_[0-9a-f]+\(\); \}", html);
        Assert.Contains($"https://cdn.plot.ly/plotly-{HtmlReport.PlotlyVersion}.min.js", html, StringComparison.Ordinal);
        Assert.DoesNotMatch(@"(?m)^renderPlotly_[0-9a-f]+\(\);", html);
    }
}

public class NotebookPageRenderTests
{
    [SkippableFact]
    public async Task ShippedCSharpNotebook_WithItsDefaults_RendersEveryChartOffline()
    {
        string? chromium = Analysis.Tests.Reporting.Chromium.Find();
        Skip.If(chromium is null, "Chromium is not installed (the test command installs Debian's chromium; it could not here).");
        string dir = Path.Combine(RepoPaths.Root, "artifacts", "test-results", "notebook");
        Directory.CreateDirectory(dir);
        string page = Path.Combine(dir, "go-heap-diff.html");

        // the defaults point at the committed Go fixtures, so this is the notebook exactly as shipped
        var run = await NotebookRunner.RunFileAsync(Path.Combine(RepoPaths.Root, "notebooks", "go-heap-diff.ipynb"), Path.Combine(dir, "go-heap-diff.ipynb"), page, new NotebookRunOptions());
        Assert.True(run.Succeeded, run.Failure);
        int charts = run.GetNotebook().Cells.SelectMany(c => c.Outputs).Count(o => o.Data.TryGetValue("text/html", out string? h) && h.Contains("Plotly.newPlot", StringComparison.Ordinal));
        Assert.True(charts >= 2, $"{charts} charts");

        string dom = Analysis.Tests.Reporting.Chromium.Run(chromium!, page, dir, "--dump-dom", out string log);
        Assert.Equal(charts, Regex.Count(dom, "class=\"plot-container plotly\""));
        Assert.DoesNotMatch(new Regex("CONSOLE.*(Uncaught|Error)|Uncaught ", RegexOptions.IgnoreCase), log);
        string screenshot = Path.Combine(dir, "go-heap-diff.png");
        File.Delete(screenshot);
        Analysis.Tests.Reporting.Chromium.Run(chromium!, page, dir, $"--screenshot={screenshot}", out _);
        Assert.True(File.Exists(screenshot) && new FileInfo(screenshot).Length > 50_000, "no screenshot");
    }
}
