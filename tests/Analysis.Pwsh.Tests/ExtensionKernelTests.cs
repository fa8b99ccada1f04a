using System.Diagnostics;
using System.Globalization;
using System.IO.Compression;
using System.Text.RegularExpressions;
using System.Xml.Linq;
using Analysis.Testing;
using Xunit;
using Xunit.Abstractions;

namespace Analysis.Pwsh.Tests;

/// <summary>
/// The notebook extension in the real .NET Interactive kernel (the tool 1.0.712001, over stdio — what Jupyter and VS
/// Code drive): loaded as a package from a local source and as a dll, C# results shown as our table with a Plotly chart
/// whatever FSharp.Core the kernel loaded, and PowerShell pipeline output of our types shown as ONE table with its
/// chart instead of format.ps1xml text.
/// </summary>
public sealed class ExtensionKernelTests(ITestOutputHelper log)
{
    /// <summary>Versions are stamped at pack time; this one sorts below every real build.</summary>
    private const string OlderVersion = "0.1.0-build.20000101000000";

    private static readonly Lazy<Feed> s_feed = new(Feed.Make);

    private static string Dump => DumpSet.FactsLite[CapturedDump.ClientWithHeap];

    /// <summary>
    /// A folder laid out like the repository: notebooks/ (the kernel's working directory, as in Jupyter and VS Code)
    /// and artifacts/package holding a freshly packed extension and an older build of it.
    /// </summary>
    private sealed record Feed(string Notebooks, string Package, string NewestVersion)
    {
        public static Feed Make()
        {
            string root = RepoPaths.NewScratchDirectory("analysis-extension-feed");
            string package = Path.Combine(root, "artifacts", "package");
            string notebooks = Path.Combine(root, "notebooks");
            Directory.CreateDirectory(notebooks);
            var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
            foreach (string a in new[] { "pack", Path.Combine(RepoPaths.Root, "src", "Analysis.Interactive", "Analysis.Interactive.csproj"), "-c", RepoPaths.Configuration, "--no-build", "--no-restore", "-p:BuildProjectReferences=false", "-o", package })
                psi.ArgumentList.Add(a);
            using (var pack = Process.Start(psi)!)
            {
                string output = pack.StandardOutput.ReadToEnd() + pack.StandardError.ReadToEnd();
                pack.WaitForExit();
                if (pack.ExitCode != 0)
                    throw new InvalidOperationException("dotnet pack failed: " + output);
            }

            string nupkg = Directory.GetFiles(package, "Analysis.Interactive.*.nupkg").Single();
            string newest = Path.GetFileNameWithoutExtension(nupkg)["Analysis.Interactive.".Length..];
            WithVersion(nupkg, Path.Combine(package, $"Analysis.Interactive.{OlderVersion}.nupkg"), OlderVersion);

            // The source the notebooks' loading cell needs. The kernel cannot take a relative `#i "nuget: ../artifacts/package"`
            // (its package manager requires an absolute URI); a nuget.config's relative source is resolved against the file.
            File.WriteAllText(Path.Combine(notebooks, "nuget.config"), """
                <?xml version="1.0" encoding="utf-8"?>
                <configuration>
                  <packageSources>
                    <add key="analysis-local" value="../artifacts/package" />
                  </packageSources>
                </configuration>
                """);

            // our package's earlier versions in the shared NuGet folder would only take space
            string cached = Path.Combine(KernelSession.NuGetPackages, "analysis.interactive");
            if (Directory.Exists(cached))
                Directory.Delete(cached, recursive: true);
            return new Feed(notebooks, package, newest);
        }

        /// <summary>A copy of a package under another version (its nuspec says so), as an older build would be.</summary>
        private static void WithVersion(string source, string destination, string version)
        {
            File.Copy(source, destination);
            using var zip = ZipFile.Open(destination, ZipArchiveMode.Update);
            var entry = zip.GetEntry("Analysis.Interactive.nuspec")!;
            XDocument nuspec;
            using (var s = entry.Open())
                nuspec = XDocument.Load(s);
            nuspec.Descendants().Single(e => e.Name.LocalName == "version").Value = version;
            entry.Delete();
            using var w = zip.CreateEntry("Analysis.Interactive.nuspec").Open();
            nuspec.Save(w);
        }
    }

    private static string ExtensionDll => Path.Combine(RepoPaths.Root, "artifacts", "bin", "Analysis.Interactive", RepoPaths.Configuration, "Analysis.Interactive.dll");

    private KernelSession.Outcome Run(KernelSession kernel, string language, string code)
    {
        var outcome = kernel.Submit(language, code);
        log.WriteLine($"[{language}] {code.Split('\n')[0]} -> {outcome}");
        Assert.True(outcome.Succeeded, outcome.ToString());
        return outcome;
    }

    /// <summary>Which FSharp.Core each load context of the kernel holds, e.g. "Default=10.0.0.0; Analysis.Interactive reporting (…)=10.1.0.0".</summary>
    private const string FSharpCoreByContext = """
        string.Join("; ", System.Runtime.Loader.AssemblyLoadContext.All
            .SelectMany(c => c.Assemblies.Where(a => a.GetName().Name == "FSharp.Core").Select(a => (c.Name ?? "?") + "=" + a.GetName().Version)))
        """;

    private static void AssertPlotlyReportingBesideTheKernelsFSharpCore(KernelSession.Outcome fsharpCores)
    {
        string text = Assert.Single(fsharpCores.Shown).Text!;
        Assert.Contains("Default=10.0.0.0", text, StringComparison.Ordinal); // the kernel's own
        Assert.Matches(@"Analysis\.Interactive reporting \([^)]*\)=10\.1\.0\.0", text); // Plotly.NET's, in the extension's context
    }

    /// <summary>Our heap-top table (header once, one row per type) with the Plotly chart of the same rows.</summary>
    private static void AssertHeapTopTableWithChart(string? html, int rows)
    {
        Assert.NotNull(html);
        Assert.StartsWith("<table class=\"analysis\"><thead><tr><th>Count</th><th>TotalSize</th><th>AverageSize</th><th>TypeName</th></tr></thead>", html, StringComparison.Ordinal);
        Assert.Single(Regex.Matches(html, "<table"));
        Assert.Single(Regex.Matches(html, "<th>TypeName</th>"));
        Assert.Equal(rows, Regex.Matches(html, "<tr><td").Count);
        Assert.Contains($"<td style=\"text-align:right\">{TargetFacts.LeakedOrderCount.ToString("N0", CultureInfo.InvariantCulture)}</td>", html, StringComparison.Ordinal);
        Assert.Contains($"<td>{TargetFacts.LeakedOrderType}</td>", html, StringComparison.Ordinal);

        // the chart: a plotly div and the data drawn into it, the same rows
        string chart = html[html.IndexOf("</table>", StringComparison.Ordinal)..];
        var div = Regex.Match(chart, "<div id=\"(?<id>[0-9a-f-]{36})\">");
        Assert.True(div.Success, chart);
        Assert.Contains($"Plotly.newPlot('{div.Groups["id"].Value}', data, layout, config)", chart, StringComparison.Ordinal);
        Assert.Contains("var data = [{\"type\":\"bar\"", chart, StringComparison.Ordinal);
        Assert.Contains($"\"{TargetFacts.LeakedOrderType}\"", chart, StringComparison.Ordinal);
        Assert.Contains($"\"{TargetFacts.LeakedOrderCount.ToString("N0", CultureInfo.InvariantCulture)} objects\"", chart, StringComparison.Ordinal);
        Assert.Contains("\"title\":{\"text\":\"Heap by type (bytes)\"}", chart, StringComparison.Ordinal);
    }

    [Fact]
    public void Package_FromALocalSource_FloatsToTheNewestBuild_RunsItsExtensionDib_CSharpResultsShowOurTableWithAChart_AndCellChartsOfCmdletResultsDraw()
    {
        var feed = s_feed.Value;
        using var kernel = new KernelSession(feed.Notebooks);

        // the notebooks' loading cell (with the source from notebooks/nuget.config)
        var load = Run(kernel, "csharp", "#r \"nuget: Analysis.Interactive, *-*\"");
        log.WriteLine($"first restore of the package (NuGet folder {KernelSession.NuGetPackages}, user's packages as fallback): {load.Elapsed.TotalSeconds:N1} s");
        Assert.Contains(load.Shown, o => o.Text is { } t && t.StartsWith("Loading extension script from", StringComparison.Ordinal)
            && t.Contains($"analysis.interactive/{feed.NewestVersion}/interactive-extensions/dotnet/extension.dib", StringComparison.Ordinal));
        string location = Assert.Single(Run(kernel, "csharp", "typeof(Analysis.Interactive.AnalysisFormatters).Assembly.Location").Shown).Text!;
        Assert.StartsWith(Path.Combine(KernelSession.NuGetPackages, "analysis.interactive", feed.NewestVersion), location, StringComparison.Ordinal);

        // no F# cell ran: Plotly.NET in the kernel's own context would fail on FSharp.Core 10.1 here
        var top = Run(kernel, "csharp", $"""
            var dump = Analysis.Dumps.DumpSession.Open(@"{Dump}");
            dump.GetHeapStatistics().Top(3)
            """);
        AssertHeapTopTableWithChart(Assert.Single(top.Shown).Html, rows: 3);
        AssertPlotlyReportingBesideTheKernelsFSharpCore(Run(kernel, "csharp", FSharpCoreByContext));

        // the module imported after the package binds its cmdlets to the kernel's copy of our core; a chart of the
        // cmdlets' results made in the cell (as dump-triage.ipynb does) binds to the same copy, and is drawn
        var chart = Run(kernel, "pwsh", $"""
            Import-Module '{RepoPaths.ModuleManifest}'
            [Analysis.Reporting.Charts]::HeapByNamespace([Analysis.Dumps.HeapTypeStat[]]@(Get-HeapTop '{Dump}' -Top 50))
            """);
        string drawn = Assert.Single(chart.Shown).Html!;
        Assert.Contains("\"type\":\"treemap\"", drawn, StringComparison.Ordinal);
        Assert.Contains($"\"t:{TargetFacts.LeakedOrderType}\"", drawn, StringComparison.Ordinal);
    }

    [Fact]
    public void Dll_ReferencedWithHashR_AfterAnFSharpCell_CSharpResultsShowOurTableWithAChart()
    {
        using var kernel = new KernelSession(RepoPaths.Root);
        Assert.Contains("<pre>2</pre>", Assert.Single(Run(kernel, "fsharp", "1+1").Shown).Html, StringComparison.Ordinal); // the kernel loaded F# and its FSharp.Core 10.0

        Run(kernel, "csharp", $"""
            #r "{ExtensionDll}"
            Analysis.Interactive.AnalysisFormatters.Load();
            """);
        var top = Run(kernel, "csharp", $"""
            var dump = Analysis.Dumps.DumpSession.Open(@"{Dump}");
            dump.GetHeapStatistics().Top(5).Take(3).ToList()
            """);
        AssertHeapTopTableWithChart(Assert.Single(top.Shown).Html, rows: 3);
        AssertPlotlyReportingBesideTheKernelsFSharpCore(Run(kernel, "csharp", FSharpCoreByContext));
    }

    [Fact]
    public void PowerShellPipelineOutput_OfOneResultType_IsOneHtmlTableWithItsChart_AsIsOutDisplay_ChartsDrawn_OtherOutputAsBefore()
    {
        using var kernel = new KernelSession(RepoPaths.Root);
        Run(kernel, "csharp", $"""
            #r "{ExtensionDll}"
            Analysis.Interactive.AnalysisFormatters.Load();
            """);

        var top = Run(kernel, "pwsh", $"Import-Module '{RepoPaths.ModuleManifest}'; Get-HeapTop '{Dump}' -Top 3");
        var shown = Assert.Single(top.Shown); // one display for the three rows
        AssertHeapTopTableWithChart(shown.Html, rows: 3);
        Assert.DoesNotContain(top.Outputs, o => o.Values.Values.Any(v => v.Contains('\u001b', StringComparison.Ordinal))); // no ANSI text view

        var piped = Run(kernel, "pwsh", $"Get-HeapTop '{Dump}' -Top 3 | Out-Display");
        AssertHeapTopTableWithChart(Assert.Single(piped.Shown).Html, rows: 3);

        // a chart made in the cell (as dump-triage.ipynb does) is drawn, not printed as an object
        var chart = Run(kernel, "pwsh", $"[Analysis.Reporting.Charts]::HeapByNamespace([Analysis.Dumps.HeapTypeStat[]]@(Get-HeapTop '{Dump}' -Top 50))");
        string drawn = Assert.Single(chart.Shown).Html!;
        Assert.Matches("^<div><div id=\"[0-9a-f-]{36}\">", drawn);
        Assert.Contains("\"type\":\"treemap\"", drawn, StringComparison.Ordinal);
        Assert.Contains("\"title\":{\"text\":\"Heap by namespace\"}", drawn, StringComparison.Ordinal);

        // the cell's variables stay in the session; strings, numbers and errors show as they did without the extension
        Run(kernel, "pwsh", $"$top = Get-HeapTop '{Dump}' -Top 2");
        var mixed = kernel.Submit("pwsh", "$top.Count; 'text'; Write-Error 'boom'; $top[0].TypeName");
        Assert.False(mixed.Succeeded);
        Assert.Equal("boom", mixed.Failure);
        var lines = mixed.Shown.Select(o => o.Text!.TrimEnd('\n')).ToList();
        Assert.Equal(["2", "text", "\u001b[31;1mWrite-Error: \u001b[31;1mboom\u001b[0m", TargetFacts.LeakedOrderType], lines);
    }
}
