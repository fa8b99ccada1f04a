using System.Collections;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Analysis.Testing;
using Xunit;

namespace Analysis.PowerShell.Tests;

/// <summary>Invoke-Notebook, and every notebook in notebooks/ run on the test artifacts.</summary>
public class NotebookCmdletTests
{
    private static string Go(string name) => Path.Combine(RepoPaths.Root, "tests", "testdata", "go", name);

    private static string NotebookFolder => Path.Combine(RepoPaths.Root, "notebooks");

    /// <summary>All text of a run's outputs (streams, text/plain, text/html, errors), one output per line.</summary>
    private const string AllOutput = """
        $all = foreach ($c in $r.GetNotebook().Cells) {
            foreach ($o in $c.Outputs) {
                if ($o.Text) { $o.Text }
                foreach ($k in $o.Data.Keys) { $o.Data[$k] }
                if ($o.ErrorValue) { $o.ErrorValue }
            }
        }
        $all -join "`n"
        """;

    /// <summary>What each notebook is run with here, and what its outputs must show. Every notebook in notebooks/ needs an entry.</summary>
    private static readonly Dictionary<string, (Func<Hashtable> Parameters, Action<string> Check)> s_notebooks = new()
    {
        ["dump-triage.ipynb"] = (() => new Hashtable { ["DumpPath"] = DumpSet.FactsLite[CapturedDump.ClientWithHeap], ["Top"] = 5 }, text =>
        {
            Assert.Contains("Deadlocks: 1\n", text);
            Assert.Matches(@"worker-a \(thread \d+\) holds AccountLock#1 \(0x[0-9a-f]+\), waits for AccountLock#2", text);
            Assert.Contains("<td>Contoso.Orders.LeakedOrder</td>", text);
            Assert.Contains("<td style=\"text-align:right\">12,345</td>", text);
            Assert.Contains("Threads with an exception in flight: 1", text);
            Assert.Contains("<td>System.InvalidOperationException</td>", text);
            // triage, async, thread pool and finalizer cells
            Assert.Contains("<td>thread-pool starvation</td>", text);
            Assert.Contains("<td>blocked finalizer</td>", text);
            Assert.Contains($"<td>{TargetFacts.ConfirmationMethod} ← {TargetFacts.CheckoutMethod}</td>", text);
            Assert.Contains($"busy: {TargetFacts.PoolWorkers - 1} in {TargetFacts.ReportJobFrame}", text);
            Assert.Contains($"finalizer running {TargetFacts.BlockingFinalizerType}.Finalize()", text);
        }),
        ["memory-growth.ipynb"] = (() => new Hashtable { ["BeforePath"] = GrowthDumps.Instance.Before, ["AfterPath"] = GrowthDumps.Instance.After }, text =>
        {
            Assert.Contains($"Contoso.Orders.CachedReport: +{GrowthDumps.GrowBy:N0} objects", text);
            Assert.Matches(@"Live heap: [\d.]+ MB -> [\d.]+ MB \(\+[\d.]+ MB\)", text);
            Assert.Contains("Heap growth by type (bytes)", text);
            Assert.Contains($"{GrowthDumps.GrowBy:N0} x static DumpTarget.Program.s_cache → System.Collections.Generic.List<Contoso.Orders.CachedReport> ._items", text);
            // a closer look: one grown object keeps itself and its body array; the list that holds them all
            Assert.Matches(@"Contoso\.Orders\.CachedReport at 0x[0-9a-f]+ keeps 2 objects \(([\d,]+) bytes\) reachable, \1 bytes retained", text);
            Assert.Contains($"System.Collections.Generic.List<Contoso.Orders.CachedReport> at 0x", text);
            Assert.Contains($" holds {GrowthDumps.GrowBy:N0} entries; the first: ", text);
        }),
        ["gc-pauses.ipynb"] = (() => new Hashtable { ["TracePath"] = TraceCaptures.Facts }, text =>
        {
            // the per-generation table: generation 2 row ends with the induced count
            Assert.Matches($@"(?m)^2\s+\d+\s+[\d.,]+\s+[\d.,]+\s+{TraceFacts.InducedGen2Count}\s*$", text);
            Assert.Contains("GC pauses and heap size", text);
        }),
        ["cpu-flamegraph.ipynb"] = (() => new Hashtable { ["TracePath"] = TraceCaptures.Facts, ["Top"] = 5 }, text =>
        {
            Assert.Contains($"<td>{TraceFacts.HotMethod}</td>", text);
            Assert.Contains("CPU flame graph", text);
            Assert.Matches(@"[\d,]+ samples over [\d.]+ s", text);
        }),
        ["go-goroutine-leak.ipynb"] = (() => new Hashtable { ["GoroutineDump"] = Go("goroutines-debug2.txt") }, text =>
        {
            Assert.Contains("188 goroutines in", text);
            Assert.Matches(@"<td style=""text-align:right"">100</td><td>chan receive</td>", text);
            Assert.Contains("Largest stack buckets", text);
        }),
        ["go-heap-diff.ipynb"] = (() => new Hashtable { ["BaseProfile"] = Go("heap-1.pb.gz"), ["Profile"] = Go("heap-2.pb.gz"), ["GcTracePath"] = Go("gctrace.log") }, text =>
        {
            string top = File.ReadLines(Go("MANIFEST")).Single(l => l.StartsWith("pprof.heapdiff.inuse_space.top=", StringComparison.Ordinal)).Split('=')[1];
            Assert.Contains(top + "\n", text);
            Assert.Contains($"<td>{top}</td>", text);
            Assert.Contains("Go GC cycles (gctrace)", text);
        }),
        ["go-timeline.ipynb"] = (() => new Hashtable
        {
            ["GcTracePath"] = Go("gctrace.log"), ["GoTracePath"] = Go("trace.out"), ["HeapProfiles"] = $"{Go("heap-1.pb.gz")}, {Go("heap-2.pb.gz")}",
            ["CpuProfile"] = Go("cpu.pb.gz"), ["GoroutineDump"] = Go("goroutines-debug2.txt"),
        }, CheckGoTimeline),
        ["dotnet-timeline.ipynb"] = (() => new Hashtable { ["TracePath"] = TraceCaptures.Facts, ["DumpPath"] = DumpSet.FactsLite[CapturedDump.ClientWithHeap] }, text =>
        {
            // the facts target induces its gen2 GCs during the trace; the dump, an ELF core, is placed by its file's time, with a warning
            Assert.Matches($@"trace \d{{4}}-\d\d-\d\d [\d:.]+ to [\d:.]+ UTC: \d+ GCs \(induced gen2 {TraceFacts.InducedGen2Count}\)", text);
            Assert.Equal(TraceFacts.InducedGen2Count, Regex.Count(text, "induced gen2 GC at "));
            Assert.Matches($@"dump {Regex.Escape(Path.GetFileName(DumpSet.FactsLite[CapturedDump.ClientWithHeap]))} at \d{{4}}-\d\d-\d\d [\d:.]+ UTC", text);
            Assert.Contains(".NET: trace and dump on one clock", text);
        }),
    };

    /// <summary>
    /// The Go timeline notebook's findings against the fixtures themselves: the runtime's start is heap-1's time_nanos
    /// less gc 2's @x (the profile was written just after gc 2 ended), the trace's GCs are the gctrace's last forced
    /// cycles (MANIFEST: facts.forced_gcs_in_trace), the CPU profile's window is its time_nanos and duration_nanos.
    /// </summary>
    private static void CheckGoTimeline(string text)
    {
        string log = File.ReadAllText(Go("gctrace.log"));
        double at2 = double.Parse(Regex.Match(log, @"^gc 2 @([\d.]+)s", RegexOptions.Multiline).Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);
        var forced = Regex.Matches(log, @"^gc (\d+) @.*\(forced\)", RegexOptions.Multiline).Select(m => m.Groups[1].Value).ToList();
        int inTrace = int.Parse(File.ReadLines(Go("MANIFEST")).Single(l => l.StartsWith("facts.forced_gcs_in_trace=", StringComparison.Ordinal)).Split('=')[1], System.Globalization.CultureInfo.InvariantCulture);
        Assert.Equal(inTrace, Regex.Count(text, "the trace's GC at "));
        foreach (string n in forced.TakeLast(inTrace))
            Assert.Matches($@"the trace's GC at [\d:.]+ is gc {n} \(", text);

        using var host = new PwshHost();
        var times = host.Run("foreach ($f in $h1, $cpu) { $p = Import-Pprof $f; $p.TimeNanos; $p.DurationNanos }", new Dictionary<string, object?> { ["h1"] = Go("heap-1.pb.gz"), ["cpu"] = Go("cpu.pb.gz") })
            .Strings.Select(v => long.Parse(v, System.Globalization.CultureInfo.InvariantCulture)).ToArray();
        DateTime Unix(long ns) => DateTime.UnixEpoch.AddTicks(ns / 100);
        var start = DateTime.ParseExact(Regex.Match(text, @"Go runtime started at (\S+ \S+) UTC").Groups[1].Value, "yyyy-MM-dd HH:mm:ss.fff", System.Globalization.CultureInfo.InvariantCulture);
        Assert.InRange((Unix(times[0]).AddSeconds(-at2) - start).TotalMilliseconds, -1.5, 50);
        var cpuStart = Unix(times[2]);
        var cpuEnd = Unix(times[2] + times[3]);
        Assert.Matches($@"CPU profile window {cpuStart:yyyy-MM-dd HH:mm:ss.fff} to {cpuEnd:HH:mm:ss.fff} UTC, [\d.]+ ms before the trace starts", text);
        Assert.Contains("! goroutines-debug2.txt is a goroutine dump: it records no time", text);
        Assert.Contains("Go: gctrace, trace and profiles on one clock", text);
    }

    private static string[] NotebookNames => Directory.GetFiles(NotebookFolder).Select(f => Path.GetFileName(f))
        .Where(n => n.EndsWith(".ipynb", StringComparison.Ordinal) || n.EndsWith(".dib", StringComparison.Ordinal)).Order(StringComparer.Ordinal).ToArray();

    public static TheoryData<string> Notebooks => new(NotebookNames);

    [Fact]
    public void EveryNotebookInTheFolder_IsCoveredHere()
    {
        Assert.Equal(s_notebooks.Keys.Order(StringComparer.Ordinal), NotebookNames);
    }

    [Theory]
    [MemberData(nameof(Notebooks))]
    public void Notebook_RunsOnTheTestArtifacts_AndShowsTheirFacts(string name)
    {
        var (parameters, check) = s_notebooks[name];
        string dir = RepoPaths.NewScratchDirectory("nbrun");
        string html = Path.Combine(dir, "out.html"), ipynb = Path.Combine(dir, "out.ipynb");
        using var host = new PwshHost();
        var r = host.Run($"$r = Invoke-Notebook -Path $nb -Parameters $p -OutFile $html -OutNotebook $ipynb\n$r.Succeeded\n$r.Failure\n{AllOutput}",
            new Dictionary<string, object?> { ["nb"] = Path.Combine(NotebookFolder, name), ["p"] = parameters(), ["html"] = html, ["ipynb"] = ipynb });
        Assert.Empty(r.Errors);
        var lines = r.Strings.ToList();
        Assert.True(lines[0] == "True", $"{name}: {lines[1]}");
        check(lines[2].Replace("\r\n", "\n", StringComparison.Ordinal));

        // the executed notebook is valid nbformat 4 with the injected parameters and every code cell run
        var json = JsonNode.Parse(File.ReadAllText(ipynb))!;
        Assert.Equal(4, json["nbformat"]!.GetValue<int>());
        var code = json["cells"]!.AsArray().Where(c => c!["cell_type"]!.GetValue<string>() == "code").ToList();
        Assert.All(code, c => Assert.NotNull(c!["execution_count"]?.GetValue<int?>()));
        Assert.Contains(code, c => c!["metadata"]!["tags"]?.AsArray().Any(t => t!.GetValue<string>() == "injected-parameters") == true);

        // one offline page: plotly.js embedded once, charts drawn by it
        string page = File.ReadAllText(html);
        Assert.Single(Regex.Matches(page, "Copyright 2012-20\\d\\d, Plotly, Inc"));
        Assert.Contains("Plotly.newPlot", page);
        Assert.DoesNotContain("<script src=\"http", page);
    }

    /// <summary>The Go leak notebook on a core dump (5,000 goroutines): the counts per state the runtime printed, the process's state, the big buckets.</summary>
    [SkippableFact]
    public void GoLeakNotebook_OnACoreDump_ShowsTheRuntimesGoroutinesAndTheProcess()
    {
        Skip.If(GoCoreSet.Missing is not null, $"Skipped: {GoCoreSet.Missing}");
        var many = GoCoreSet.Instance["go1.23", GoCoreMode.Many];
        string dir = RepoPaths.NewScratchDirectory("nbrun");
        using var host = new PwshHost();
        var r = host.Run($"$r = Invoke-Notebook -Path $nb -Parameters $p -OutFile $html\n$r.Succeeded\n$r.Failure\n{AllOutput}",
            new Dictionary<string, object?>
            {
                ["nb"] = Path.Combine(NotebookFolder, "go-goroutine-leak.ipynb"),
                ["p"] = new Hashtable { ["GoroutineDump"] = many.CorePath, ["Executable"] = many.Executable, ["MinCount"] = 1000, ["MinWaitMinutes"] = 0 },
                ["html"] = Path.Combine(dir, "out.html"),
            });
        Assert.Empty(r.Errors);
        var lines = r.Strings.ToList();
        Assert.True(lines[0] == "True", lines[1]);
        string text = lines[2];
        int total = many.Traceback.Goroutines.Count(g => g.Id != 0);
        Assert.Contains($"{total} goroutines in {many.CorePath}", text);
        foreach (var state in many.Traceback.Goroutines.Where(g => g.Id != 0).GroupBy(g => g.State))
            Assert.Contains($"{state.Count(),8:N0}  {state.Key}", text);
        Assert.Contains(many.Build.GoVersion, text);
        Assert.Contains("manyReceive", text); // a leak suspect: a bucket of 1,250
        Assert.Contains("Largest stack buckets", text);
    }

    [Fact]
    public void PowerShellCells_ShareState_StreamHostAndWarnings_AndResolvePathsFromTheNotebook()
    {
        string dir = RepoPaths.NewScratchDirectory("nbps");
        File.WriteAllText(Path.Combine(dir, "data.txt"), "x");
        // the hosted SMA has no Write-Host/Write-Warning (Utility module): an advanced function writes the same streams
        File.WriteAllText(Path.Combine(dir, "ps.dib"), """
            #!pwsh
            function Say { [CmdletBinding()] param([string] $Info, [string] $Warning)
                if ($Info) { $PSCmdlet.WriteInformation($Info, [string[]]@('PSHOST')) }
                if ($Warning) { $PSCmdlet.WriteWarning($Warning) } }
            $n = 41
            Say -Info 'from host'
            #!pwsh
            $n + 1
            Say -Warning 'careful'
            [System.IO.File]::Exists([System.IO.Path]::Combine($PWD.Path, 'data.txt'))
            $PWD.Path
            """);
        using var host = new PwshHost();
        var r = host.Run("""
            $r = Invoke-Notebook ([System.IO.Path]::Combine($d, 'ps.dib'))
            $r.Succeeded
            foreach ($o in $r.GetNotebook().Cells[0].Outputs) { "$($o.OutputType)/$($o.Name): $($o.Text)" }
            foreach ($o in $r.GetNotebook().Cells[1].Outputs) { "$($o.OutputType)/$($o.Name): $($o.Text)" }
            """, new Dictionary<string, object?> { ["d"] = dir });
        Assert.Empty(r.Errors);
        Assert.Equal(["True", "stream/stdout: from host\n", "stream/stderr: WARNING: careful\n", $"stream/stdout: 42\nTrue\n{dir}\n"], r.Strings);
    }

    [Fact]
    public void FailingPowerShellCell_IsReported_WithTheCell_AndTheOutputsAreStillWritten()
    {
        string dir = RepoPaths.NewScratchDirectory("nbfail");
        string nb = Path.Combine(dir, "fail.dib");
        File.WriteAllText(nb, "#!pwsh\n'first'\n#!pwsh\nGet-HeapTop -Path ./absent.dmp\n#!pwsh\n'never'\n");
        using var host = new PwshHost();
        var r = host.Run("$r = Invoke-Notebook $nb -OutFile $html; $r.Succeeded; $r.FailedCellIndex; $r.GetNotebook().Cells[2].ExecutionCount -eq $null",
            new Dictionary<string, object?> { ["nb"] = nb, ["html"] = Path.Combine(dir, "fail.html") });
        var error = Assert.Single(r.Errors);
        Assert.Equal("NotebookCellFailed,Analysis.PowerShell.Commands.InvokeNotebookCommand", error.FullyQualifiedErrorId);
        Assert.Contains("Cell 2 (pwsh, 'Get-HeapTop -Path ./absent.dmp') failed: DumpNotFound", error.Exception.Message);
        Assert.Contains(Path.Combine(dir, "absent.dmp"), error.Exception.Message);
        Assert.Contains($"The outputs up to the failure are in '{Path.Combine(dir, "fail.html")}'", error.Exception.Message);
        Assert.Equal(["False", "1", "True"], r.Strings);
        Assert.Contains("DumpNotFound", File.ReadAllText(Path.Combine(dir, "fail.html")));

        // a terminating error fails the cell the same way, and the session keeps working
        File.WriteAllText(nb, "#!pwsh\nthrow 'stop here'\n");
        var t = host.Run("$r = Invoke-Notebook $nb; $r.Failure; 'still alive'", new Dictionary<string, object?> { ["nb"] = nb });
        Assert.Single(t.Errors);
        Assert.Equal(["Cell 1 (pwsh, 'throw 'stop here'') failed: stop here: stop here", "still alive"], t.Strings);
    }

    [Fact]
    public void StopProcessing_StopsARunningPowerShellCell_AndTheSessionKeepsWorking()
    {
        string dir = RepoPaths.NewScratchDirectory("nbstop");
        string nb = Path.Combine(dir, "loop.dib");
        File.WriteAllText(nb, "#!pwsh\n'started'\n#!pwsh\n$i = 0; while ($true) { $i++ }\n#!pwsh\n'never'\n");
        using var host = new PwshHost();
        using var ps = System.Management.Automation.PowerShell.Create(host.Runspace);
        using var inLoop = new ManualResetEventSlim();
        ps.Streams.Progress.DataAdded += (_, e) =>
        {
            if (ps.Streams.Progress[e.Index].StatusDescription.Contains("while ($true)", StringComparison.Ordinal))
                inLoop.Set();
        };
        ps.AddScript("Invoke-Notebook $nb");
        host.Runspace.SessionStateProxy.SetVariable("nb", nb);
        var async = ps.BeginInvoke();
        Assert.True(inLoop.Wait(TimeSpan.FromSeconds(60)), "the loop cell never started");
        Thread.Sleep(300);
        var stopped = System.Diagnostics.Stopwatch.StartNew();
        ps.Stop();
        Assert.Throws<System.Management.Automation.PipelineStoppedException>(() => ps.EndInvoke(async));
        Assert.True(stopped.Elapsed < TimeSpan.FromSeconds(10), $"stopping took {stopped.Elapsed}");
        Assert.Equal("3", Assert.Single(host.Run("1 + 2").Strings));
    }

    [Fact]
    public void BadNotebooksAndArguments_WriteErrorRecords()
    {
        string dir = RepoPaths.NewScratchDirectory("nbbad");
        File.WriteAllText(Path.Combine(dir, "empty.ipynb"), "");
        File.WriteAllText(Path.Combine(dir, "garbage.ipynb"), "not json at all");
        File.WriteAllText(Path.Combine(dir, "ok.dib"), "#!pwsh\n1");
        using var host = new PwshHost();
        string Id(string script)
        {
            var r = host.Run(script, new Dictionary<string, object?> { ["d"] = dir });
            return Assert.Single(r.Errors).FullyQualifiedErrorId.Split(',')[0];
        }

        Assert.Equal("NotebookNotFound", Id("Invoke-Notebook ([IO.Path]::Combine($d, 'absent.ipynb'))"));
        Assert.Equal("NotebookEmpty", Id("Invoke-Notebook ([IO.Path]::Combine($d, 'empty.ipynb'))"));
        Assert.Equal("NotANotebook", Id("Invoke-Notebook ([IO.Path]::Combine($d, 'garbage.ipynb'))"));
        Assert.Equal("PathIsDirectory", Id("Invoke-Notebook $d"));
        Assert.Equal("OutputIsInput", Id("Invoke-Notebook ([IO.Path]::Combine($d, 'ok.dib')) -OutFile ([IO.Path]::Combine($d, 'ok.dib'))"));
        Assert.Equal("InvalidNotebookParameter", Id("Invoke-Notebook ([IO.Path]::Combine($d, 'ok.dib')) -Parameters @{ 'bad name' = 1 }"));
        Assert.Equal("InvalidNotebookParameter", Id("Invoke-Notebook ([IO.Path]::Combine($d, 'ok.dib')) -Parameters @{ Obj = [System.Text.StringBuilder]::new() }"));
        Assert.Equal("1", Assert.Single(host.Run("(Invoke-Notebook ([IO.Path]::Combine($d, 'ok.dib'))).CodeCellsRun", new Dictionary<string, object?> { ["d"] = dir }).Strings));
    }
}
