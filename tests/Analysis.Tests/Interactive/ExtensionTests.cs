using System.Diagnostics;
using System.Globalization;
using System.IO.Compression;
using System.Management.Automation;
using System.Management.Automation.Language;
using System.Reflection;
using System.Runtime.Loader;
using System.Text;
using System.Text.RegularExpressions;
using System.Xml.Linq;
using Analysis.Dumps;
using Analysis.Go;
using Analysis.Interactive;
using Analysis.Notebooks;
using Analysis.Stacks;
using Analysis.Testing;
using Analysis.Tests.Go;
using Microsoft.DotNet.Interactive.Formatting;
using Xunit;

namespace Analysis.Tests.Interactive;

public class ExtensionTests
{
    [Fact]
    public void Load_RegistersTablesWithCharts_ForResultsAndSequencesOfThem()
    {
        AnalysisFormatters.Load();
        AnalysisFormatters.Load(); // twice is harmless
        using var dump = DumpSession.Open(DumpSet.FactsLite[CapturedDump.ClientWithHeap]);
        var top = dump.GetHeapStatistics().Top(5);

        string html = Formatter.ToDisplayString(top, "text/html");
        Assert.StartsWith("<table class=\"analysis\"><thead><tr><th>Count</th><th>TotalSize</th><th>AverageSize</th><th>TypeName</th>", html, StringComparison.Ordinal);
        Assert.Equal(5, Regex.Matches(html, "<tr><td").Count);
        Assert.Contains($"<td style=\"text-align:right\">{TargetFacts.LeakedOrderCount:N0}</td>", html, StringComparison.Ordinal);
        Assert.Contains("Heap by type (bytes)", html, StringComparison.Ordinal); // the chart beside the table

        string plain = Formatter.ToDisplayString(top, "text/plain");
        Assert.Equal(top.Select(t => t.ToString()), plain.Split('\n'));

        var worker = dump.GetThreads().Single(t => t.Name == "worker-a");
        string one = Formatter.ToDisplayString(worker, "text/html");
        Assert.Contains("<th style=\"text-align:left\">Name</th><td>worker-a</td>", one, StringComparison.Ordinal);
        Assert.Contains("\"Deadlock\"", one, StringComparison.Ordinal); // the cycle drawn beside it

        var buckets = StackGrouper.Group(GoroutineDumpParser.ParseFile(GoFixtures.PathOf("goroutines-debug2.txt")).Goroutines);
        Assert.Contains("Largest stack buckets", Formatter.ToDisplayString(buckets, "text/html"), StringComparison.Ordinal);
    }

    [Fact]
    public void Reporting_FromTheExtensionsPrivateFolder_LoadsPlotlyWithItsOwnFSharpCore_AndDrawsOurCoreTypes()
    {
        // the build output's reporting/ folder, as the kernel gets it (the package has the same folder at its root)
        string folder = Path.Combine(RepoPaths.Root, "artifacts", "bin", "Analysis.Interactive", RepoPaths.Configuration, "reporting");
        Assert.Equal(folder, ReportingContext.FindFolder(Path.Combine(Path.GetDirectoryName(folder)!, "Analysis.Interactive.dll")));
        var (format, reporting) = ReportingContext.Open(folder);

        var context = AssemblyLoadContext.GetLoadContext(reporting)!;
        Assert.IsType<ReportingContext>(context);
        Assert.Equal(Path.Combine(folder, "Analysis.Reporting.dll"), reporting.Location);
        var rows = new[] { new HeapTypeStat(TargetFacts.LeakedOrderType, TargetFacts.LeakedOrderCount, 40L * TargetFacts.LeakedOrderCount), new HeapTypeStat("System.String", 10, 400) };
        string html = format(rows)["text/html"];
        Assert.StartsWith("<table class=\"analysis\"><thead><tr><th>Count</th>", html, StringComparison.Ordinal);
        Assert.Contains($"<td>{TargetFacts.LeakedOrderType}</td>", html, StringComparison.Ordinal);
        Assert.Contains("Heap by type (bytes)", html, StringComparison.Ordinal);

        // Plotly.NET and FSharp.Core 10.1 came from the folder into that context; our core stayed the caller's one
        var loaded = context.Assemblies.ToDictionary(a => a.GetName().Name!, a => a);
        Assert.Equal(new Version(10, 1, 0, 0), loaded["FSharp.Core"].GetName().Version);
        Assert.StartsWith(folder, loaded["Plotly.NET"].Location, StringComparison.Ordinal);
        Assert.DoesNotContain("Analysis", loaded.Keys);
        Assert.Same(typeof(HeapTypeStat).Assembly, reporting.GetReferencedAssemblies().Where(a => a.Name == "Analysis").Select(a => context.LoadFromAssemblyName(a)).Single());
    }

    [Fact]
    public void PowerShellRuns_OfOneResultType_BecomeOneList_OtherOutputPassesThroughUntouched()
    {
        var a = new HeapTypeStat("A", 3, 30);
        var b = new HeapTypeStat("B", 2, 20);
        var c = new HeapTypeStat("C", 1, 10);
        var text = PSObject.AsPSObject("text");
        var diff = new HeapTypeDiff("D", 2, 20, 1, 10);
        var runs = PowerShellOutput.Runs([PSObject.AsPSObject(a), b, text, c, diff, new HeapTypeDiff("E", 1, 1, 1, 1), 42]);

        Assert.Equal(5, runs.Length);
        Assert.Equal([a, b], Assert.IsType<List<HeapTypeStat>>(runs[0])); // one table: IEnumerable<HeapTypeStat>'s formatter
        Assert.Same(text, runs[1]);
        Assert.Same(c, runs[2]); // a run of one is the object itself
        Assert.Equal(2, Assert.IsType<List<HeapTypeDiff>>(runs[3]).Count);
        Assert.Equal(42, runs[4]);

        // Out-Display -InputObject @(...): an array of one result type is a run too
        Assert.Equal([a, b], Assert.IsType<List<HeapTypeStat>>(Assert.Single(PowerShellOutput.Runs([new object[] { a, PSObject.AsPSObject(b) }]))));
        Assert.Empty(PowerShellOutput.Runs(null));
    }

    [Fact]
    public void PowerShellRuns_OfCustomObjects_AreOneTable_AsTheHeadlessRunnerShowsThem()
    {
        static PSObject Row(int generation, int count, double pause, string note)
        {
            var row = new PSObject(); // a [pscustomobject]
            row.Properties.Add(new PSNoteProperty("Generation", generation));
            row.Properties.Add(new PSNoteProperty("Count", count));
            row.Properties.Add(new PSNoteProperty("TotalPauseMs", pause));
            row.Properties.Add(new PSNoteProperty("Note", note));
            return row;
        }

        AnalysisFormatters.Load();
        var runs = PowerShellOutput.Runs([Row(0, 1234, 12.5, "<gen0>"), Row(2, 5, 1.25, "induced"), "text", Row(1, 3, 0, "")]);
        Assert.Equal(3, runs.Length);
        Assert.Equal("text", runs[1]);
        string html = Formatter.ToDisplayString(runs[0], "text/html");
        Assert.Equal(
            "<table class=\"analysis\"><thead><tr><th>Generation</th><th>Count</th><th>TotalPauseMs</th><th>Note</th></tr></thead><tbody>"
            + "<tr><td style=\"text-align:right\">0</td><td style=\"text-align:right\">1,234</td><td style=\"text-align:right\">12.50</td><td>&lt;gen0&gt;</td></tr>\n"
            + "<tr><td style=\"text-align:right\">2</td><td style=\"text-align:right\">5</td><td style=\"text-align:right\">1.25</td><td>induced</td></tr>\n"
            + "</tbody></table>",
            html);
        Assert.Matches(@"(?m)^2\s+5\s+1\.25\s+induced\s*$", Formatter.ToDisplayString(runs[0], "text/plain"));
        Assert.Contains("<td>&lt;gen0&gt;</td>", html, StringComparison.Ordinal);
        Assert.Single(Regex.Matches(Formatter.ToDisplayString(runs[2], "text/html"), "<tr><td"));
    }

    [Fact]
    public void PowerShellRuns_OfResultsAndChartsFromAnotherCopyOfOurLibraries_AreDrawnByThatCopy()
    {
        // the module imported before the extension: its cmdlets return types of the module's own load context
        string lib = Path.Combine(Path.GetDirectoryName(RepoPaths.ModuleManifest)!, "lib");
        var copy = new DirectoryContext(lib);
        var type = copy.LoadFromAssemblyName(new AssemblyName("Analysis")).GetType("Analysis.Dumps.HeapTypeStat", throwOnError: true)!;
        Assert.NotEqual(typeof(HeapTypeStat), type);
        object[] rows = [Activator.CreateInstance(type, TargetFacts.LeakedOrderType, 12_345L, 493_800L)!, Activator.CreateInstance(type, "System.String", 10L, 400L)!];

        var shown = Assert.Single(PowerShellOutput.Runs(rows));
        AnalysisFormatters.Load();
        string html = Formatter.ToDisplayString(shown, "text/html");
        Assert.StartsWith("<table class=\"analysis\"><thead><tr><th>Count</th><th>TotalSize</th><th>AverageSize</th><th>TypeName</th>", html, StringComparison.Ordinal);
        Assert.Contains("<td style=\"text-align:right\">12,345</td>", html, StringComparison.Ordinal);
        Assert.Contains("Heap by type (bytes)", html, StringComparison.Ordinal);

        // a chart that copy made ([Analysis.Reporting.Charts]::HeapByNamespace(...) in a PowerShell cell) is drawn by it too
        var typed = Array.CreateInstance(type, rows.Length);
        rows.CopyTo(typed, 0);
        object chart = copy.LoadFromAssemblyName(new AssemblyName("Analysis.Reporting")).GetType("Analysis.Reporting.Charts", throwOnError: true)!
            .GetMethod("HeapByNamespace")!.Invoke(null, [typed, "Heap by namespace"])!;
        string drawn = Formatter.ToDisplayString(Assert.Single(PowerShellOutput.Runs([PSObject.AsPSObject(chart)])), "text/html");
        Assert.Equal(2, PowerShellOutput.Runs([chart, chart]).Length); // one display per chart, never a table of charts
        Assert.Matches("^<div><div id=\"[0-9a-f-]{36}\">", drawn);
        Assert.Contains("\"type\":\"treemap\"", drawn, StringComparison.Ordinal);
        Assert.Contains("Heap by namespace", drawn, StringComparison.Ordinal);
    }

    [Fact]
    public void PowerShellCells_RunAsOneLineThatGroupsTheirOutput_UnlessAScriptBlockCannotStandForThem()
    {
        string code = "Get-HeapTop ./app.dmp -Top 3\n\"é’ ok\"";
        string wrapped = PowerShellOutput.Cell(code)!;
        Assert.DoesNotContain('\n', wrapped);
        Assert.Contains("[Analysis.Interactive.PowerShellOutput]::Runs(@(. ([scriptblock]::Create(", wrapped, StringComparison.Ordinal);
        Assert.Contains($"FromBase64String('{Convert.ToBase64String(Encoding.UTF8.GetBytes(code))}')", wrapped, StringComparison.Ordinal);
        Assert.EndsWith(" 2>&1))", wrapped, StringComparison.Ordinal);
        Assert.Contains("function:Out-Display", wrapped, StringComparison.Ordinal);

        // run as written: the kernel reports parse errors itself; a script block cannot have these at its top
        foreach (string asWritten in new[] { "", "  ", "if (", "param($a) $a", "using namespace System.IO\n[Path]::GetTempPath()", "#requires -Version 7\n1",
                     "begin { 1 } end { 2 }", "process { $_ }" })
            Assert.Null(PowerShellOutput.Cell(asWritten));
    }

    [Fact]
    public void OutDisplayProxy_TakesTheKernelCmdletsParameters_AndForwardsToIt()
    {
        var ast = Parser.ParseInput(PowerShellOutput.OutDisplayProxy, out _, out var errors);
        Assert.Empty(errors);
        var function = Assert.Single(ast.FindAll(n => n is FunctionDefinitionAst, false).Cast<FunctionDefinitionAst>());
        Assert.Equal("global:Out-Display", function.Name);
        Assert.Equal(["InputObject", "MimeType", "CustomMimeType", "PassThru"], function.Body.ParamBlock.Parameters.Select(p => p.Name.VariablePath.UserPath));
        Assert.Contains("Microsoft.DotNet.Interactive.PowerShell\\Out-Display -InputObject $run @forward", PowerShellOutput.OutDisplayProxy, StringComparison.Ordinal);
    }

    /// <summary>A folder's assemblies in a context of their own, everything else from the default one.</summary>
    private sealed class DirectoryContext(string folder) : AssemblyLoadContext("copy of " + folder, isCollectible: false)
    {
        protected override Assembly? Load(AssemblyName assemblyName)
        {
            string path = Path.Combine(folder, assemblyName.Name + ".dll");
            return File.Exists(path) ? LoadFromAssemblyPath(path) : null;
        }
    }

    [Fact]
    public async Task Package_HasTheExtensionAndOurCoreInLib_ReportingAndPlotlyInItsPrivateFolder_AndANewerVersionEachPack()
    {
        string output = RepoPaths.NewScratchDirectory("pack");
        string project = Path.Combine(RepoPaths.Root, "src", "Analysis.Interactive", "Analysis.Interactive.csproj");
        async Task Pack()
        {
            var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
            foreach (string a in new[] { "pack", project, "-c", RepoPaths.Configuration, "--no-build", "--no-restore", "-p:BuildProjectReferences=false", "-o", output })
                psi.ArgumentList.Add(a);
            using var pack = Process.Start(psi)!;
            string log = await pack.StandardOutput.ReadToEndAsync() + await pack.StandardError.ReadToEndAsync();
            await pack.WaitForExitAsync();
            Assert.True(pack.ExitCode == 0, log);
        }

        await Pack();
        string nupkg = Assert.Single(Directory.GetFiles(output, "Analysis.Interactive.*.nupkg"));
        var version = Regex.Match(Path.GetFileName(nupkg), @"^Analysis\.Interactive\.(0\.1\.0-build\.(\d{14}))\.nupkg$");
        Assert.True(version.Success, nupkg);
        var stamp = DateTime.ParseExact(version.Groups[2].Value, "yyyyMMddHHmmss", CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal);
        Assert.InRange(stamp, DateTime.UtcNow.AddMinutes(-5), DateTime.UtcNow.AddMinutes(1));

        using (var zip = ZipFile.OpenRead(nupkg))
        {
            var entries = zip.Entries.Select(e => e.FullName).ToHashSet();
            foreach (string expected in new[]
                     {
                         "interactive-extensions/dotnet/extension.dib", "lib/net10.0/Analysis.Interactive.dll", "lib/net10.0/Analysis.dll",
                         "reporting/Analysis.Reporting.dll", "reporting/Plotly.NET.dll", "reporting/FSharp.Core.dll", "reporting/DynamicObj.dll",
                         "reporting/Giraffe.ViewEngine.dll", "reporting/Fable.Core.dll",
                     })
                Assert.Contains(expected, entries);
            // nothing the kernel references may bring Plotly.NET or FSharp.Core beside its own; no dll where the kernel loads extension dlls
            Assert.DoesNotContain(entries, e => e.StartsWith("lib/", StringComparison.Ordinal) && (e.Contains("Plotly", StringComparison.Ordinal) || e.Contains("FSharp", StringComparison.Ordinal) || e.Contains("Reporting", StringComparison.Ordinal)));
            Assert.DoesNotContain(entries, e => e.StartsWith("interactive-extensions/", StringComparison.Ordinal) && e.EndsWith(".dll", StringComparison.Ordinal));
            Assert.DoesNotContain(entries, e => e.Contains("Microsoft.DotNet.Interactive", StringComparison.Ordinal));

            XNamespace ns = "http://schemas.microsoft.com/packaging/2013/05/nuspec.xsd";
            using var nuspec = zip.GetEntry("Analysis.Interactive.nuspec")!.Open();
            var dependencies = XDocument.Load(nuspec).Descendants().Where(e => e.Name.LocalName == "dependency").Select(e => (string)e.Attribute("id")!).ToHashSet();
            Assert.Superset(new HashSet<string> { "Microsoft.Diagnostics.Runtime", "Microsoft.Diagnostics.Tracing.TraceEvent", "System.IO.Hashing" }, dependencies);
            Assert.DoesNotContain(dependencies, d => d.StartsWith("Microsoft.DotNet.Interactive", StringComparison.Ordinal) || d is "Plotly.NET" or "FSharp.Core" or "Analysis" or "PowerShellStandard.Library");
        }

        // a rebuilt package is a newer version (never shadowed by a cached copy of the last one)
        await Task.Delay(1100);
        await Pack();
        var versions = Directory.GetFiles(output, "Analysis.Interactive.*.nupkg").Select(Path.GetFileName).Order(StringComparer.Ordinal).ToList();
        Assert.Equal(2, versions.Count);
        Assert.Equal(nupkg, Path.Combine(output, versions[0]!));
    }

    [Fact]
    public async Task ExtensionDib_RunAsTheKernelRunsIt_LoadsTheFormatters()
    {
        string dib = await File.ReadAllTextAsync(Path.Combine(RepoPaths.Root, "src", "Analysis.Interactive", "extension.dib"));
        Assert.StartsWith("#!csharp", dib, StringComparison.Ordinal);
        Assert.Contains("Analysis.Interactive.AnalysisFormatters.Load()", dib, StringComparison.Ordinal);
        Formatter.ResetToDefault();
        var diff = new HeapTypeDiff("T", 2, 20, 1, 10);
        Assert.DoesNotContain("<th>SizeDelta</th>", Formatter.ToDisplayString(diff, "text/html"), StringComparison.Ordinal);

        // the extension script is C# that the kernel runs with the package referenced: run it the same way
        var doc = NotebookFile.ParseDib($"#!csharp\n#r \"{typeof(AnalysisFormatters).Assembly.Location}\"\n" + dib);
        var run = await NotebookRunner.RunAsync(doc, new NotebookRunOptions());
        Assert.True(run.Succeeded, run.Failure);
        Assert.StartsWith("<table class=\"analysis\"><tbody><tr><th style=\"text-align:left\">TypeName</th><td>T</td>", Formatter.ToDisplayString(diff, "text/html"), StringComparison.Ordinal);
    }
}
