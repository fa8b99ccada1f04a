using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Analysis.Testing;
using Analysis.Traces;
using Xunit;
using Xunit.Abstractions;

namespace Analysis.Kernel.Tests;

/// <summary>
/// Every notebook in notebooks/ executed through Jupyter (nbclient) in the real .NET Interactive kernel (the kernel the
/// notebooks name) and, unchanged, in ours (<see cref="JupyterKernels.UnderTest"/>: the notebooks' #!csharp / #!pwsh
/// magics pick each cell's language), as a user runs it: from its own folder, its defaults for the committed Go
/// fixtures, papermill-style parameters for the dumps and the trace of this run. In every kernel the executed notebook
/// must have no error output in any cell and show the same facts our runner's notebook tests assert
/// (tests/Analysis.PowerShell.Tests/NotebookCmdletTests.cs), with our HTML tables and charts.
/// </summary>
public sealed partial class KernelNotebookTests(ITestOutputHelper output)
{
    private static string NotebookFolder => Path.Combine(RepoPaths.Root, "notebooks");

    private static readonly Lazy<string> s_trace = new(() =>
    {
        string dir = RepoPaths.NewScratchDirectory("analysis-kernel-trace");
        AppDomain.CurrentDomain.ProcessExit += (_, _) =>
        {
            try
            {
                Directory.Delete(dir, recursive: true);
            }
            catch (IOException)
            {
            }
        };
        string path = Path.Combine(dir, "facts.nettrace");
        TraceRecording? recording = null;
        TraceFacts.RunTraced("facts", pid => recording = TraceRecording.Start(pid, path), () => recording?.Stop());
        recording?.Dispose();
        return path;
    });

    /// <summary>What each notebook gets, and the facts its outputs must show (as text: tags stripped, entities decoded).</summary>
    private static readonly Dictionary<string, (Func<Dictionary<string, object>> Parameters, Action<string> Facts)> s_notebooks = new()
    {
        ["dump-triage.ipynb"] = (() => new() { ["DumpPath"] = DumpSet.FactsLite[CapturedDump.ClientWithHeap], ["Top"] = 5 }, text =>
        {
            Assert.Contains("Deadlocks: 1\n", text);
            Assert.Matches(@"worker-a \(thread \d+\) holds AccountLock#1 \(0x[0-9a-f]+\), waits for AccountLock#2", text);
            Assert.Matches(@"Contoso\.Orders\.LeakedOrder[\s\S]{0,400}12,?345|12,?345[\s\S]{0,400}Contoso\.Orders\.LeakedOrder", text);
            Assert.Contains("Threads with an exception in flight: 1", text);
            Assert.Contains("System.InvalidOperationException", text);
            Assert.Contains("thread-pool starvation", text);
            Assert.Contains("blocked finalizer", text);
            Assert.Contains(TargetFacts.ConfirmationMethod, text);
            Assert.Contains($"busy: {TargetFacts.PoolWorkers - 1} in {TargetFacts.ReportJobFrame}", text);
            Assert.Contains($"finalizer running {TargetFacts.BlockingFinalizerType}.Finalize()", text);
        }),
        ["memory-growth.ipynb"] = (() => new() { ["BeforePath"] = GrowthDumps.Instance.Before, ["AfterPath"] = GrowthDumps.Instance.After }, text =>
        {
            Assert.Contains($"Contoso.Orders.CachedReport: +{GrowthDumps.GrowBy:N0} objects", text);
            Assert.Matches(@"Live heap: [\d.]+ MB -> [\d.]+ MB \(\+[\d.]+ MB\)", text);
            Assert.Contains($"{GrowthDumps.GrowBy:N0} x static DumpTarget.Program.s_cache → System.Collections.Generic.List<Contoso.Orders.CachedReport> ._items", text);
            // a closer look: one grown object keeps itself and its body array; the list that holds them all
            Assert.Matches(@"Contoso\.Orders\.CachedReport at 0x[0-9a-f]+ keeps 2 objects \(([\d,]+) bytes\) reachable, \1 bytes retained", text);
            Assert.Contains($"System.Collections.Generic.List<Contoso.Orders.CachedReport> at 0x", text);
            Assert.Contains($" holds {GrowthDumps.GrowBy:N0} entries; the first: ", text);
        }),
        ["gc-pauses.ipynb"] = (() => new() { ["TracePath"] = s_trace.Value }, text =>
        {
            // the per-generation row of generation 2 ends with the induced count: a table row, or a list as pwsh prints it
            Assert.Matches($@"(?m)^\s*2\s+\d+\s+[\d.,]+\s+[\d.,]+\s+{TraceFacts.InducedGen2Count}\s*$|Generation\s*:?\s*2\s[\s\S]{{0,300}}?Induced\s*:?\s*{TraceFacts.InducedGen2Count}\b", text);
            Assert.Contains($"induced {TraceFacts.InducedGen2Count})", text);
        }),
        ["cpu-flamegraph.ipynb"] = (() => new() { ["TracePath"] = s_trace.Value, ["Top"] = 5 }, text =>
        {
            Assert.Contains(TraceFacts.HotMethod, text);
            Assert.Matches(@"[\d,]+ samples over [\d.]+ s", text);
        }),
        ["go-goroutine-leak.ipynb"] = (() => new() { ["MinCount"] = 10 }, text =>
        {
            Assert.Contains("188 goroutines in ../tests/testdata/go/goroutines-debug2.txt", text);
            Assert.Matches(@"\b100\b[\s\S]{0,200}chan receive", text);
        }),
        ["go-heap-diff.ipynb"] = (() => new() { ["Top"] = 10 }, text =>
        {
            string top = File.ReadLines(Path.Combine(RepoPaths.Root, "tests", "testdata", "go", "MANIFEST"))
                .Single(l => l.StartsWith("pprof.heapdiff.inuse_space.top=", StringComparison.Ordinal)).Split('=')[1];
            Assert.Contains(top + "\n", text);
            Assert.Matches(@"\d+ GC cycles \(\d+ forced\)", text);
        }),
        ["go-timeline.ipynb"] = (() => new(), CheckGoTimeline),
        ["dotnet-timeline.ipynb"] = (() => new() { ["TracePath"] = s_trace.Value, ["DumpPath"] = DumpSet.FactsLite[CapturedDump.ClientWithHeap] }, text =>
        {
            Assert.Matches($@"trace \d{{4}}-\d\d-\d\d [\d:.]+ to [\d:.]+ UTC: \d+ GCs \(induced gen2 {TraceFacts.InducedGen2Count}\)", text);
            Assert.Equal(TraceFacts.InducedGen2Count, Regex.Count(text, "induced gen2 GC at "));
            Assert.Matches($@"dump {Regex.Escape(Path.GetFileName(DumpSet.FactsLite[CapturedDump.ClientWithHeap]))} at \d{{4}}-\d\d-\d\d [\d:.]+ UTC", text);
        }),
    };

    /// <summary>
    /// The Go timeline notebook's findings against the fixtures themselves: the runtime's start is heap-1's time_nanos
    /// less gc 2's @x (the profile was written just after gc 2 ended), the trace's GCs are the gctrace's last forced
    /// cycles (MANIFEST: facts.forced_gcs_in_trace), the CPU profile's window is its time_nanos and duration_nanos.
    /// </summary>
    private static void CheckGoTimeline(string text)
    {
        string go = Path.Combine(RepoPaths.Root, "tests", "testdata", "go");
        string log = File.ReadAllText(Path.Combine(go, "gctrace.log"));
        double at2 = double.Parse(Regex.Match(log, @"^gc 2 @([\d.]+)s", RegexOptions.Multiline).Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);
        var forced = Regex.Matches(log, @"^gc (\d+) @.*\(forced\)", RegexOptions.Multiline).Select(m => m.Groups[1].Value).ToList();
        int inTrace = int.Parse(File.ReadLines(Path.Combine(go, "MANIFEST")).Single(l => l.StartsWith("facts.forced_gcs_in_trace=", StringComparison.Ordinal)).Split('=')[1], System.Globalization.CultureInfo.InvariantCulture);
        Assert.Equal(inTrace, Regex.Count(text, "the trace's GC at "));
        foreach (string n in forced.TakeLast(inTrace))
            Assert.Matches($@"the trace's GC at [\d:.]+ is gc {n} \(", text);
        var heap1 = Analysis.Go.PprofProfile.Load(Path.Combine(go, "heap-1.pb.gz"));
        var cpu = Analysis.Go.PprofProfile.Load(Path.Combine(go, "cpu.pb.gz"));
        DateTime Unix(long ns) => DateTime.UnixEpoch.AddTicks(ns / 100);
        var start = DateTime.ParseExact(Regex.Match(text, @"Go runtime started at (\S+ \S+) UTC").Groups[1].Value, "yyyy-MM-dd HH:mm:ss.fff", System.Globalization.CultureInfo.InvariantCulture);
        Assert.InRange((Unix(heap1.TimeNanos).AddSeconds(-at2) - start).TotalMilliseconds, -1.5, 50);
        Assert.Matches($@"CPU profile window {Unix(cpu.TimeNanos):yyyy-MM-dd HH:mm:ss.fff} to {Unix(cpu.TimeNanos + cpu.DurationNanos):HH:mm:ss.fff} UTC, [\d.]+ ms before the trace starts", text);
        Assert.Contains("! goroutines-debug2.txt is a goroutine dump: it records no time", text);
    }

    /// <summary>Chart titles the runner's notebook tests assert, drawn by the display of a result (the extension in the kernel).</summary>
    private static readonly Dictionary<string, string> s_chartTitles = new()
    {
        ["memory-growth.ipynb"] = "Heap growth by type (bytes)",
        ["gc-pauses.ipynb"] = "GC pauses and heap size",
        ["cpu-flamegraph.ipynb"] = "CPU flame graph",
        ["go-goroutine-leak.ipynb"] = "Largest stack buckets",
        ["go-heap-diff.ipynb"] = "Go GC cycles (gctrace)",
        ["go-timeline.ipynb"] = "Go: gctrace, trace and profiles on one clock",
        ["dotnet-timeline.ipynb"] = ".NET: trace and dump on one clock",
    };

    /// <summary>One kernel run per kernel and notebook, shared by the tests that read its outputs.</summary>
    private static readonly System.Collections.Concurrent.ConcurrentDictionary<(string, string), Lazy<JupyterKernel.Execution>> s_runs = new();

    /// <summary>The notebook run in <paramref name="kernel"/> (the notebooks' own kernel, .net-csharp, when it is that one).</summary>
    private static JupyterKernel.Execution Executed(string kernel, string name) =>
        s_runs.GetOrAdd((kernel, name), k => new Lazy<JupyterKernel.Execution>(() =>
            JupyterKernel.Execute(Path.Combine(NotebookFolder, k.Item2), s_notebooks[k.Item2].Parameters(), k.Item1 == JupyterKernels.DotNetCSharp ? null : k.Item1))).Value;

    private static string[] NotebookNames => Directory.GetFiles(NotebookFolder).Select(f => Path.GetFileName(f))
        .Where(n => n.EndsWith(".ipynb", StringComparison.Ordinal) || n.EndsWith(".dib", StringComparison.Ordinal)).Order(StringComparer.Ordinal).ToArray();

    /// <summary>The kernels every notebook runs in: .NET Interactive's (the reference) and the kernel under test (ours).</summary>
    private static string[] Kernels => new[] { JupyterKernels.DotNetCSharp, JupyterKernels.UnderTest }.Distinct().ToArray();

    public static TheoryData<string, string> Notebooks
    {
        get
        {
            var data = new TheoryData<string, string>();
            foreach (string kernel in Kernels)
            {
                foreach (string name in NotebookNames)
                    data.Add(kernel, name);
            }

            return data;
        }
    }

    [Fact]
    public void EveryNotebookInTheFolder_IsCoveredHere_AndIsAnIpynbForTheCSharpKernel()
    {
        Assert.Equal(s_notebooks.Keys.Order(StringComparer.Ordinal), NotebookNames);
        foreach (string name in NotebookNames)
        {
            var nb = JsonNode.Parse(File.ReadAllText(Path.Combine(NotebookFolder, name)))!;
            Assert.Equal(".net-csharp", nb["metadata"]!["kernelspec"]!["name"]!.GetValue<string>());
            var code = nb["cells"]!.AsArray().Where(c => c!["cell_type"]!.GetValue<string>() == "code").ToList();
            // Jupyter sends only the source: every code cell names its language, as its Polyglot metadata does
            Assert.All(code, c =>
            {
                string language = c!["metadata"]!["polyglot_notebook"]!["kernelName"]!.GetValue<string>();
                Assert.Equal(language, c["metadata"]!["dotnet_interactive"]!["language"]!.GetValue<string>());
                Assert.StartsWith($"#!{language}\n", Source(c), StringComparison.Ordinal);
            });
            // the extension cell first: the package comes from the source in notebooks/nuget.config (the kernel refuses a
            // relative #i source in a cell), so the notebook runs unchanged wherever the repository is
            Assert.Equal("#!csharp\n#r \"nuget: Analysis.Interactive, *-*\"", Source(code[0]!));
            Assert.Single(code, c => c!["metadata"]!["tags"]?.AsArray().Any(t => t!.GetValue<string>() == "parameters") == true);
        }
    }

    [SkippableTheory]
    [MemberData(nameof(Notebooks))]
    public void Notebook_RunsInTheKernelThroughJupyter_WithoutErrors_AndShowsTheFacts(string kernel, string name)
    {
        Skip.If(JupyterKernels.Missing(kernel) is not null, $"Skipped: {JupyterKernels.Missing(kernel)}");
        output.WriteLine($"kernelspecs installed into {JupyterKernel.KernelSpecs} in {JupyterKernel.SetupTime.TotalSeconds:N1} s (once per run)");
        var run = Executed(kernel, name);
        output.WriteLine($"{name} in {kernel}: kernel started in {run.StartSeconds:N1} s, cells ran in {run.RunSeconds:N1} s (the extension cell {run.FirstCellSeconds:N1} s), {run.Wall.TotalSeconds:N1} s in all; executed notebook: {run.OutPath}");
        if (run.Notes.Length > 0)
            output.WriteLine(run.Notes);
        if (JupyterKernels.IsDotNetInteractive(kernel))
        {
            // the kernel's HTTP API (a port from 2048) on loopback only
            output.WriteLine($"kernel HTTP API: {string.Join(", ", run.ListeningOn)}");
            Assert.NotEmpty(run.ListeningOn);
            Assert.All(run.ListeningOn, url => Assert.Matches(@"^http://(127\.0\.0\.1|localhost|\[::1\]):\d+/?$", url));
        }

        // the facts first, so a run with errors still says whether the rest held
        s_notebooks[name].Facts(Text(run.Notebook));
        var errors = ErrorOutputs(run.Notebook).ToList();
        Assert.True(errors.Count == 0, $"{name}: {errors.Count} error output(s) in {kernel}:\n" + string.Join("\n", errors));
        if (!JupyterKernels.IsDotNetInteractive(kernel))
        {
            // ours shows results as HTML and plain text, never as ANSI-coloured console text (plotly.js's own source has an ESC)
            var ansi = Outputs(run.Notebook).SelectMany(o => (o["output_type"]!.GetValue<string>() == "stream" ? [StreamText(o)] : Data(o, "text/plain").Concat(Data(o, "text/html").Select(h => Scripts().Replace(h, "")))))
                .Where(t => t.Contains('\u001b', StringComparison.Ordinal)).ToList();
            Assert.True(ansi.Count == 0, $"{name}: {ansi.Count} output(s) with ANSI escapes in {kernel}, e.g. {ansi.FirstOrDefault()?[..Math.Min(300, ansi[0].Length)]}");
        }
    }

    public static TheoryData<string> KernelNames => new(Kernels);

    /// <summary>The Go leak notebook on a core dump in the real kernel: the runtime's goroutines and the process's state.</summary>
    [SkippableTheory]
    [MemberData(nameof(KernelNames))]
    public void GoLeakNotebook_OnACoreDump_InTheKernel(string kernel)
    {
        Skip.If(JupyterKernels.Missing(kernel) is not null, $"Skipped: {JupyterKernels.Missing(kernel)}");
        Skip.If(GoCoreSet.Missing is not null, $"Skipped: {GoCoreSet.Missing}");
        var many = GoCoreSet.Instance["go1.23", GoCoreMode.Many];
        var run = JupyterKernel.Execute(Path.Combine(NotebookFolder, "go-goroutine-leak.ipynb"),
            new Dictionary<string, object> { ["GoroutineDump"] = many.CorePath, ["Executable"] = many.Executable, ["MinCount"] = 1000, ["MinWaitMinutes"] = 0 },
            kernel == JupyterKernels.DotNetCSharp ? null : kernel);
        output.WriteLine($"go-goroutine-leak.ipynb on {many} in {kernel}: cells ran in {run.RunSeconds:N1} s");
        string text = Text(run.Notebook);
        Assert.Contains($"{many.Traceback.Goroutines.Count(g => g.Id != 0)} goroutines in {many.CorePath}", text);
        foreach (var state in many.Traceback.Goroutines.Where(g => g.Id != 0).GroupBy(g => g.State))
            Assert.Contains($"{state.Count(),8:N0}  {state.Key}", text);
        Assert.Contains(many.Build.GoVersion, text);
        Assert.Contains("manyReceive", text);
        var errors = ErrorOutputs(run.Notebook).ToList();
        Assert.True(errors.Count == 0, $"{errors.Count} error output(s) in {kernel}:\n" + string.Join("\n", errors));
    }

    /// <summary>Our HTML tables and charts in the kernel's outputs: the extension's formatters for C# results and for PowerShell pipeline output.</summary>
    [SkippableTheory]
    [MemberData(nameof(Notebooks))]
    public void Notebook_InTheKernel_ShowsOurHtmlTablesAndCharts(string kernel, string name)
    {
        Skip.If(JupyterKernels.Missing(kernel) is not null, $"Skipped: {JupyterKernels.Missing(kernel)}");
        var run = Executed(kernel, name);
        output.WriteLine($"{name}: {run.Wall.TotalSeconds:N1} s in {kernel}; executed notebook: {run.OutPath}");
        string html = string.Join("\n", Outputs(run.Notebook).SelectMany(o => Data(o, "text/html")));
        Assert.Contains("<table class=\"analysis\"", html, StringComparison.Ordinal);
        Assert.Matches(PlotlyChart(), html);
        // the chart our runner's notebook tests find in the same notebook
        if (s_chartTitles.TryGetValue(name, out string? title))
            Assert.Contains(title, html, StringComparison.Ordinal);
    }

    private static string Source(JsonNode cell) => cell["source"] is JsonArray a ? string.Concat(a.Select(l => l!.GetValue<string>())) : cell["source"]!.GetValue<string>();

    private static IEnumerable<JsonNode> Outputs(JsonNode notebook) =>
        notebook["cells"]!.AsArray().Where(c => c!["cell_type"]!.GetValue<string>() == "code").SelectMany(c => c!["outputs"]!.AsArray()!)!;

    private static IEnumerable<string> Data(JsonNode o, string mime) =>
        o["data"]?[mime] is { } d ? [d is JsonArray a ? string.Concat(a.Select(l => l!.GetValue<string>())) : d.GetValue<string>()] : [];

    /// <summary>Every error output and every non-empty stderr stream, with its cell's number and first line.</summary>
    private static IEnumerable<string> ErrorOutputs(JsonNode notebook)
    {
        int index = 0;
        foreach (var cell in notebook["cells"]!.AsArray())
        {
            index++;
            if (cell!["cell_type"]!.GetValue<string>() != "code")
                continue;
            string where = $"cell {index} ('{Source(cell).Split('\n').Skip(1).FirstOrDefault()}')";
            foreach (var o in cell["outputs"]!.AsArray())
            {
                string type = o!["output_type"]!.GetValue<string>();
                if (type == "error")
                    yield return $"{where}: {o["ename"]}: {o["evalue"]}";
                else if (type == "stream" && o["name"]!.GetValue<string>() == "stderr" && StreamText(o).Trim().Length > 0)
                    yield return $"{where}: stderr: {StreamText(o).Trim()}";
            }
        }
    }

    private static string StreamText(JsonNode o) => o["text"] is JsonArray a ? string.Concat(a.Select(l => l!.GetValue<string>())) : o["text"]!.GetValue<string>();

    /// <summary>All outputs as text: streams, text/plain, and text/html with its tags stripped and entities decoded.</summary>
    private static string Text(JsonNode notebook)
    {
        var sb = new StringBuilder();
        foreach (var o in Outputs(notebook))
        {
            if (o["output_type"]!.GetValue<string>() == "stream")
                sb.Append(StreamText(o)).Append('\n');
            foreach (string plain in Data(o, "text/plain"))
                sb.Append(plain).Append('\n');
            foreach (string html in Data(o, "text/html"))
                sb.Append(WebUtility.HtmlDecode(Tags().Replace(Scripts().Replace(html, ""), " "))).Append('\n');
        }

        // pwsh in the kernel colours its list and table headers (ANSI escapes)
        return Ansi().Replace(sb.ToString(), "").Replace("\r\n", "\n", StringComparison.Ordinal);
    }

    [GeneratedRegex("\u001b\\[[0-9;]*m")]
    private static partial Regex Ansi();

    [GeneratedRegex("<[^>]+>")]
    private static partial Regex Tags();

    [GeneratedRegex("<(script|style)[^>]*>[\\s\\S]*?</\\1>", RegexOptions.IgnoreCase)]
    private static partial Regex Scripts();

    [GeneratedRegex("Plotly\\.(newPlot|react)\\(|class=\"plotly-graph-div\"")]
    private static partial Regex PlotlyChart();
}
