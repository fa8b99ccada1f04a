using System.Diagnostics;
using System.IO.Compression;
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

        var buckets = StackGrouper.Group(GoroutineDumpParser.ParseFile(GoFixtures.File_("goroutines-debug2.txt")).Goroutines);
        Assert.Contains("Largest stack buckets", Formatter.ToDisplayString(buckets, "text/html"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Package_HasTheExtensionOurDllsAndTheirDependencies_AndItsExtensionDibLoadsTheFormatters()
    {
        string output = RepoPaths.NewScratchDirectory("pack");
        string project = Path.Combine(RepoPaths.Root, "src", "Analysis.Interactive", "Analysis.Interactive.csproj");
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (string a in new[] { "pack", project, "-c", RepoPaths.Configuration, "--no-build", "-p:BuildProjectReferences=false", "-o", output })
            psi.ArgumentList.Add(a);
        using (var pack = Process.Start(psi)!)
        {
            string log = await pack.StandardOutput.ReadToEndAsync() + await pack.StandardError.ReadToEndAsync();
            await pack.WaitForExitAsync();
            Assert.True(pack.ExitCode == 0, log);
        }

        string nupkg = Assert.Single(Directory.GetFiles(output, "Analysis.Interactive.*.nupkg"));
        using var zip = ZipFile.OpenRead(nupkg);
        var entries = zip.Entries.Select(e => e.FullName).ToHashSet();
        foreach (string expected in new[] { "interactive-extensions/dotnet/extension.dib", "lib/net10.0/Analysis.Interactive.dll", "lib/net10.0/Analysis.dll", "lib/net10.0/Analysis.Reporting.dll" })
            Assert.Contains(expected, entries);
        Assert.DoesNotContain(entries, e => e.Contains("Microsoft.DotNet.Interactive", StringComparison.Ordinal) || e.Contains("Plotly", StringComparison.Ordinal));

        XNamespace ns = "http://schemas.microsoft.com/packaging/2013/05/nuspec.xsd";
        using var nuspec = zip.GetEntry("Analysis.Interactive.nuspec")!.Open();
        var dependencies = XDocument.Load(nuspec).Descendants().Where(e => e.Name.LocalName == "dependency").Select(e => (string)e.Attribute("id")!).ToHashSet();
        Assert.Superset(new HashSet<string> { "Microsoft.DotNet.Interactive.Formatting", "Plotly.NET", "Microsoft.Diagnostics.Runtime", "Microsoft.Diagnostics.Tracing.TraceEvent", "System.IO.Hashing" }, dependencies);
        Assert.DoesNotContain("Analysis", dependencies);
        Assert.DoesNotContain(dependencies, d => d.StartsWith("Microsoft.DotNet.Interactive", StringComparison.Ordinal) && d != "Microsoft.DotNet.Interactive.Formatting");

        // the extension script is C# that the kernel runs with the package referenced: run it the same way
        string dib;
        using (var reader = new StreamReader(zip.GetEntry("interactive-extensions/dotnet/extension.dib")!.Open()))
            dib = await reader.ReadToEndAsync();
        Assert.StartsWith("#!csharp", dib, StringComparison.Ordinal);
        Formatter.ResetToDefault();
        var diff = new HeapTypeDiff("T", 2, 20, 1, 10);
        Assert.DoesNotContain("<th>SizeDelta</th>", Formatter.ToDisplayString(diff, "text/html"), StringComparison.Ordinal);
        var doc = NotebookFile.ParseDib($"#!csharp\n#r \"{typeof(AnalysisFormatters).Assembly.Location}\"\n" + dib);
        var run = await NotebookRunner.RunAsync(doc, new NotebookRunOptions());
        Assert.True(run.Succeeded, run.Failure);
        Assert.Contains("Analysis.Interactive.AnalysisFormatters.Load()", dib, StringComparison.Ordinal);
        Assert.StartsWith("<table class=\"analysis\"><tbody><tr><th style=\"text-align:left\">TypeName</th><td>T</td>", Formatter.ToDisplayString(diff, "text/html"), StringComparison.Ordinal);
    }
}
