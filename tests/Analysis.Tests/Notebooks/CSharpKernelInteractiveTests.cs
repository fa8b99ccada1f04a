using System.Diagnostics;
using System.Xml.Linq;
using Analysis.Notebooks;
using Xunit;
using Xunit.Abstractions;

namespace Analysis.Tests.Notebooks;

/// <summary>The C# kernel answering a live notebook: completion, inspection, is_complete, shared variables, input.</summary>
public sealed class CSharpKernelInteractiveTests(ITestOutputHelper log) : IDisposable
{
    private readonly CSharpKernel _kernel = new(AppContext.BaseDirectory);

    public void Dispose() => _kernel.Dispose();

    private async Task Run(string code, InputReader? input = null)
    {
        var outputs = new CellOutputs(null, input);
        bool ok = await _kernel.RunAsync(code, outputs, CancellationToken.None);
        Assert.True(ok, string.Join("\n", outputs.Items.Select(o => o.ErrorValue ?? o.Text)));
    }

    private async Task<(bool Ok, IReadOnlyList<CellOutput> Outputs)> RunCell(string code, InputReader? input = null)
    {
        var outputs = new CellOutputs(null, input);
        bool ok = await _kernel.RunAsync(code, outputs, CancellationToken.None);
        return (ok, outputs.Items);
    }

    private Task<CompletionSet> Complete(string code) => _kernel.CompleteAsync(code, code.Length, CancellationToken.None);

    private static string Kind(CompletionSet set, string match) => set.Kinds[set.Matches.ToList().IndexOf(match)];

    [Fact]
    public async Task Completion_OfAnEarlierCellsVariable_OffersItsMembers_ReplacingTheWordBeingTyped()
    {
        await Run("var s = \"x\";");
        var clock = Stopwatch.StartNew();
        var set = await Complete("s.Len");
        long first = clock.ElapsedMilliseconds;
        clock.Restart();
        var again = await Complete("s.Len");
        log.WriteLine($"C# completion: first {first} ms, warm {clock.ElapsedMilliseconds} ms");

        Assert.Equal(["Length"], set.Matches);
        Assert.Equal((2, 5), (set.Start, set.End));
        Assert.Equal(["property"], set.Kinds);
        Assert.Equal(set.Matches, again.Matches);
        // instance members and LINQ's extension methods, no statics
        var all = await Complete("s.");
        Assert.Contains("Substring", all.Matches);
        Assert.Contains("Select", all.Matches);
        Assert.Equal("method", Kind(all, "Select"));
        Assert.DoesNotContain("IsNullOrEmpty", all.Matches);
        Assert.Equal((2, 2), (all.Start, all.End));
    }

    [Fact]
    public async Task Completion_OfATypeAndANamespace_OffersStaticMembersAndTypes()
    {
        var file = await Complete("System.IO.File.Re");
        Assert.Contains("ReadAllText", file.Matches);
        Assert.Contains("ReadAllLines", file.Matches);
        Assert.All(file.Matches, m => Assert.StartsWith("Re", m, StringComparison.Ordinal));
        Assert.Equal("method", Kind(file, "ReadAllText"));
        Assert.Equal(15, file.Start);

        var io = await Complete("var info = new System.IO.FileI");
        Assert.Contains("FileInfo", io.Matches);
        Assert.Equal("class", Kind(io, "FileInfo"));

        // names in scope: an earlier cell's variable and method, the globals' display, keywords
        await Run("var counter = 1; int Twice(int x) => 2 * x;");
        var names = await Complete("var y = cou");
        Assert.Equal("counter", names.Matches[0]);
        Assert.Equal("variable", names.Kinds[0]);
        Assert.Contains("Twice", (await Complete("Tw")).Matches);
        Assert.Contains("display", (await Complete("disp")).Matches);
        Assert.Contains("foreach", (await Complete("forea")).Matches);
        Assert.Empty((await Complete("var n = 12")).Matches);
    }

    [Fact]
    public async Task Completion_OfOurTypes_NeedsThePackage_AsRunningDoes()
    {
        Assert.DoesNotContain("Reporting", (await Complete("Analysis.")).Matches);
        // in the same cell as the directive, and after a cell that ran it
        var sameCell = await Complete("#r \"nuget: Analysis.Interactive\"\nAnalysis.Dumps.DumpSe");
        Assert.Contains("DumpSession", sameCell.Matches);
        await Run("#r \"nuget: Analysis.Interactive\"");
        var charts = await Complete("Analysis.Reporting.Charts.HeapT");
        Assert.Equal(["HeapTop"], charts.Matches);
        Assert.Contains("Path", (await Complete("Analysis.Dumps.DumpSession d = null; d.Pa")).Matches);
    }

    [Fact]
    public async Task Inspection_ShowsTheSignatureAndOurXmlDocSummary()
    {
        await Run("#r \"nuget: Analysis.Interactive\"");
        string code = "var c = Analysis.Reporting.Charts.HeapTop(null);";
        var inspection = await _kernel.InspectAsync(code, code.IndexOf("HeapTop", StringComparison.Ordinal) + 3, 0, CancellationToken.None);
        Assert.NotNull(inspection);
        string text = inspection.Data["text/plain"];
        log.WriteLine(text);
        Assert.Contains("Charts.HeapTop(IReadOnlyList<HeapTypeStat> rows, string title = \"Heap by type (bytes)\")", text);
        string summary = SummaryInDocs(typeof(Analysis.Reporting.Charts).Assembly.Location, "M:Analysis.Reporting.Charts.HeapTop(System.Collections.Generic.IReadOnlyList{Analysis.Dumps.HeapTypeStat},System.String)");
        Assert.Contains(summary, text);

        // a summary written over several lines reads as one paragraph
        string session = "Analysis.Dumps.DumpSession d = null; d.GetHeapStatistics();";
        string heap = (await _kernel.InspectAsync(session, session.IndexOf("GetHeap", StringComparison.Ordinal), 0, CancellationToken.None))!.Data["text/plain"];
        Assert.Contains(SummaryInDocs(typeof(Analysis.Dumps.DumpSession).Assembly.Location,
            "M:Analysis.Dumps.DumpSession.GetHeapStatistics(System.IProgress{Analysis.WorkProgress},System.Threading.CancellationToken)"), heap);

        // a variable of an earlier cell, a name that means nothing
        await Run("var words = new List<string>();");
        Assert.Contains("(variable) List<string> words", (await _kernel.InspectAsync("words", 5, 0, CancellationToken.None))!.Data["text/plain"]);
        Assert.Null(await _kernel.InspectAsync("nothingHere", 4, 0, CancellationToken.None));
    }

    [SkippableFact]
    public async Task Inspection_OfAFrameworkMethod_ReadsTheSdksReferencePackDocs()
    {
        string runtime = System.Runtime.InteropServices.RuntimeEnvironment.GetRuntimeDirectory();
        string packs = Path.GetFullPath(Path.Combine(runtime, "..", "..", "..", "packs", "Microsoft.NETCore.App.Ref"));
        Skip.IfNot(Directory.Exists(packs), $"No reference pack at {packs} (a runtime without the SDK): the framework's XML docs are not on this machine.");
        string code = "System.IO.File.ReadAllText";
        var clock = Stopwatch.StartNew();
        var inspection = await _kernel.InspectAsync(code, code.Length, 0, CancellationToken.None);
        log.WriteLine($"inspect (framework docs): {clock.ElapsedMilliseconds} ms");
        string text = inspection!.Data["text/plain"];
        log.WriteLine(text);
        Assert.Contains("string File.ReadAllText(string path)", text);
        string xml = Directory.GetFiles(packs, "System.Runtime.xml", SearchOption.AllDirectories).Order().Last();
        Assert.Contains(SummaryInDocs(Path.ChangeExtension(xml, ".dll"), "M:System.IO.File.ReadAllText(System.String)"), text);
        Assert.DoesNotContain("Exceptions:", text);

        // more detail: parameters, returns, exceptions
        string full = (await _kernel.InspectAsync(code, code.Length, 1, CancellationToken.None))!.Data["text/plain"];
        Assert.Contains("Parameters:\n  path: ", full);
        Assert.Contains("Returns: ", full);
        Assert.Contains("Exceptions:\n  ArgumentException: ", full);
    }

    /// <summary>The first sentence of a member's summary in the .xml beside <paramref name="dll"/>, whitespace collapsed.</summary>
    private static string SummaryInDocs(string dll, string id)
    {
        var member = XDocument.Load(Path.ChangeExtension(dll, ".xml")).Descendants("member").Single(m => (string?)m.Attribute("name") == id);
        string summary = string.Join(" ", member.Element("summary")!.Value.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries));
        return summary.Split('.')[0];
    }

    [Theory]
    [InlineData("var x = 1;", CodeCompleteness.Complete)]
    [InlineData("1 + 2", CodeCompleteness.Complete)]
    [InlineData("#r \"nuget: Analysis.Interactive\"\nvar x = 1;", CodeCompleteness.Complete)]
    [InlineData("if (true) {", CodeCompleteness.Incomplete)]
    [InlineData("var s = \"\"\"\nabc", CodeCompleteness.Incomplete)]
    [InlineData("foreach (var i in new[] { 1 })", CodeCompleteness.Incomplete)]
    [InlineData("var x = 1; ) var y = 2;", CodeCompleteness.Invalid)]
    [InlineData("int 5x = 3;", CodeCompleteness.Invalid)]
    public void IsComplete_WaitsForAnOpenBlock_AndRejectsWhatCannotParse(string code, CodeCompleteness expected) =>
        Assert.Equal(expected, _kernel.IsComplete(code));

    [Fact]
    public async Task Variables_AreReadAtTheirLatestValue_AndSharedValuesKeepTheirType()
    {
        Assert.False(_kernel.TryGetVariable("n", out _));
        await Run("var n = 41;");
        await Run("n = n + 1;");
        Assert.True(_kernel.TryGetVariable("n", out object? n));
        Assert.Equal(42, n);

        var list = new List<Uri> { new("https://example.org/a") };
        _kernel.SetVariable("links", list);
        var (ok, outputs) = await RunCell("links.Add(new Uri(\"https://example.org/b\")); links.Count");
        Assert.True(ok, string.Join("\n", outputs.Select(o => o.ErrorValue)));
        Assert.Equal("2", outputs.Single().Data["text/plain"]);
        Assert.Same(list, _kernel.TryGetVariable("links", out object? back) ? back : null);
        Assert.Equal(2, list.Count);
        Assert.Contains("Add", (await Complete("links.Ad")).Matches);

        // a type C# cannot name is shared as its public base type, else object
        _kernel.SetVariable("hidden", new HiddenList());
        Assert.Equal("3", (await RunCell("hidden.Count")).Outputs.Single().Data["text/plain"]);
        _kernel.SetVariable("class", null);
        Assert.True((await RunCell("@class is null")).Ok);
        _kernel.SetVariable("opaque", new Hidden());
        (ok, outputs) = await RunCell("opaque.GetType().Name");
        Assert.True(ok);
        Assert.Contains("Hidden", outputs.Single().Data["text/plain"]);
    }

    private sealed class Hidden;

    private sealed class HiddenList : List<int>
    {
        public HiddenList() => AddRange([1, 2, 3]);
    }

    [Fact]
    public async Task ConsoleReadLine_AsksTheNotebooksUser_AndFailsClearlyWhereNobodyCanAnswer()
    {
        var prompts = new List<(string, bool)>();
        var (ok, outputs) = await RunCell("var line = Console.ReadLine(); Console.WriteLine(line.ToUpperInvariant());", (prompt, password, _) =>
        {
            prompts.Add((prompt, password));
            return "typed";
        });
        Assert.True(ok);
        Assert.Equal("TYPED\n", outputs.Single().Text);
        Assert.Single(prompts);

        // an interrupt while it waits ends the cell; the kernel lives
        using (var interrupt = new CancellationTokenSource(TimeSpan.FromSeconds(1)))
        {
            var clock = Stopwatch.StartNew();
            var outputsOfWait = new CellOutputs(null, (_, _, ct) =>
            {
                ct.WaitHandle.WaitOne(TimeSpan.FromMinutes(1));
                ct.ThrowIfCancellationRequested();
                return "too late";
            });
            try
            {
                Assert.False(await _kernel.RunAsync("var late = Console.ReadLine();", outputsOfWait, interrupt.Token));
            }
            catch (OperationCanceledException)
            {
                // either way the cell ended
            }

            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(30), clock.Elapsed.ToString());
        }

        (ok, outputs) = await RunCell("var line2 = Console.ReadLine();");
        Assert.False(ok);
        Assert.Contains(NotebookInput.Unavailable, outputs.Single().ErrorValue);
    }
}
