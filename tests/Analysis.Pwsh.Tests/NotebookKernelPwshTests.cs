using Analysis.Testing;
using Xunit;
using Xunit.Abstractions;

namespace Analysis.Pwsh.Tests;

/// <summary>
/// The notebook kernels in real pwsh: a cell that asks for input fails saying so (never waits on pwsh's own stdin),
/// a session opened by a PowerShell cell is usable from C# as its own type (both kernels see the module's load
/// context), and completion answers from the kernels as a live notebook asks (latency measured).
/// </summary>
public sealed class NotebookKernelPwshTests(ITestOutputHelper log) : IDisposable
{
    private readonly RealPwsh _pwsh = new();

    public void Dispose() => _pwsh.Dispose();

    [Fact]
    public void InvokeNotebook_ReadHostOrConsoleReadLine_FailsTheCellClearly_WithoutWaiting()
    {
        string dir = RepoPaths.NewScratchDirectory("analysis-pwsh-nbinput");
        File.WriteAllText(Path.Combine(dir, "asks.dib"), "#!pwsh\nWrite-Host 'before'\n$name = Read-Host 'Your name'\n\n#!pwsh\n'never'\n");
        File.WriteAllText(Path.Combine(dir, "reads.dib"), "#!csharp\nvar line = Console.ReadLine();\n");
        var r = _pwsh.Run("""
            $rendering = "$($PSStyle.OutputRendering)"
            $asks = Invoke-Notebook (Join-Path $dir 'asks.dib') -ErrorAction SilentlyContinue -ErrorVariable e1
            $reads = Invoke-Notebook (Join-Path $dir 'reads.dib') -ErrorAction SilentlyContinue -ErrorVariable e2
            '{0}|{1}' -f $asks.Succeeded, $asks.CodeCellsRun
            ($asks.GetNotebook().Cells[0].Outputs | ForEach-Object { if ($_.Text) { $_.Text } else { $_.ErrorValue } }) -join ''
            '{0}|{1}' -f $reads.Succeeded, $reads.CodeCellsRun
            $reads.Failure
            $e1[0].FullyQualifiedErrorId
            # the console's rendering is the console's again
            "$($PSStyle.OutputRendering)" -eq $rendering
            """, new Dictionary<string, object?> { ["dir"] = dir }, timeout: TimeSpan.FromMinutes(2));
        Assert.Empty(r.Errors);
        Assert.Equal("False|1", r.Output[0]);
        Assert.StartsWith("before\nThis notebook host does not accept input (Read-Host, prompts, Console.ReadLine)", r.Output[1], StringComparison.Ordinal);
        Assert.Equal("False|1", r.Output[2]);
        Assert.Contains("InvalidOperationException: This notebook host does not accept input", r.Output[3], StringComparison.Ordinal);
        Assert.StartsWith("NotebookCellFailed,", r.Output[4], StringComparison.Ordinal);
        Assert.Equal("True", r.Output[5]);
    }

    [Fact]
    public void SharedVariable_ADumpOpenedInPowerShell_IsUsedFromCSharp_AsTheModulesDumpSession()
    {
        var r = _pwsh.Run("""
            $ct = [Threading.CancellationToken]::None
            $ps = [Analysis.PowerShell.NotebookKernels]::PowerShell.Invoke($dir)
            $cs = [Analysis.Notebooks.CSharpKernel]::new($dir)
            try {
                $null = $ps.RunAsync('$s = Open-Dump ./app.dmp', [Analysis.Notebooks.CellOutputs]::new(), $ct).GetAwaiter().GetResult()
                $session = $null
                $ps.TryGetVariable('s', [ref]$session)
                $cs.SetVariable('s', $session)
                $out = [Analysis.Notebooks.CellOutputs]::new()
                $cs.RunAsync('Console.WriteLine(s.GetType() == typeof(Analysis.Dumps.DumpSession)); Console.WriteLine(s.GetHeapStatistics().Types.Single(t => t.TypeName == "Contoso.Orders.LeakedOrder").Count);', $out, $ct).GetAwaiter().GetResult()
                ($out.Items | ForEach-Object { if ($_.Text) { $_.Text } else { $_.ErrorValue } }) -join ''
                $back = $null
                $null = $cs.TryGetVariable('s', [ref]$back)
                [object]::ReferenceEquals($back, $session)
                $cs.CompleteAsync('s.GetHeapSt', 11, $ct).GetAwaiter().GetResult().Matches -join ','
                # inspection reads the docs the module ships in lib/
                $cs.InspectAsync('s.GetHeapStatistics()', 5, 0, $ct).GetAwaiter().GetResult().Data['text/plain']
            } finally {
                $null = $ps.RunAsync('Close-Dump -All', [Analysis.Notebooks.CellOutputs]::new(), $ct).GetAwaiter().GetResult()
                $ps.Dispose(); $cs.Dispose()
            }
            """, new Dictionary<string, object?> { ["dir"] = DemoFiles.Folder }, timeout: TimeSpan.FromMinutes(3));
        Assert.Empty(r.Errors);
        Assert.Equal("True", r.Output[0]);
        Assert.Equal("True", r.Output[1]);
        Assert.Equal($"True\n{TargetFacts.LeakedOrderCount}\n", r.Output[2]);
        Assert.Equal("True", r.Output[3]);
        Assert.Equal("GetHeapStatistics", r.Output[4]);
        string docs = Path.Combine(Path.GetDirectoryName(RepoPaths.ModuleManifest)!, "lib", "Analysis.xml");
        string summary = System.Xml.Linq.XDocument.Load(docs).Descendants("member")
            .Single(m => (string?)m.Attribute("name") == "M:Analysis.Dumps.DumpSession.GetHeapStatistics(System.IProgress{Analysis.WorkProgress},System.Threading.CancellationToken)")
            .Element("summary")!.Value;
        string firstSentence = string.Join(" ", summary.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries)).Split(". ")[0];
        string inspection = string.Join("\n", r.Output.Skip(5));
        Assert.StartsWith("HeapStatistics DumpSession.GetHeapStatistics(IProgress<WorkProgress>", inspection, StringComparison.Ordinal);
        Assert.Contains(firstSentence, inspection, StringComparison.Ordinal);
    }

    [Fact]
    public void Completion_InAFreshProcess_FirstAndWarm()
    {
        // timed inside pwsh: the first completion of a new kernel in a process that has not completed anything yet
        var r = _pwsh.Run("""
            $ct = [Threading.CancellationToken]::None
            $ps = [Analysis.PowerShell.NotebookKernels]::PowerShell.Invoke($dir)
            $cs = [Analysis.Notebooks.CSharpKernel]::new($dir)
            function Time($kernel, $code) {
                $clock = [Diagnostics.Stopwatch]::StartNew()
                $set = $kernel.CompleteAsync($code, $code.Length, $ct).GetAwaiter().GetResult()
                '{0}|{1}|{2}' -f $code, $clock.Elapsed.TotalMilliseconds, (($set.Matches | Select-Object -First 3) -join ',')
            }
            try {
                Time $ps 'Get-HeapT'
                Time $ps 'Get-HeapT'
                Time $ps 'Get-HeapTop -Path ./app.dmp -TypeName Contoso.Orders.Le'
                Time $ps 'Get-HeapTop -Path ./app.dmp -TypeName Contoso.Orders.Le'
                # C#: the process's first use of Roslyn, before any cell ran
                Time $cs 'System.IO.File.ReadAllT'
                Time $cs 'System.IO.File.ReadAllT'
                $null = $cs.RunAsync('var s = "x";', [Analysis.Notebooks.CellOutputs]::new(), $ct).GetAwaiter().GetResult()
                Time $cs 's.Len'
                Time $cs 's.Len'
            } finally {
                $null = $ps.RunAsync('Close-Dump -All', [Analysis.Notebooks.CellOutputs]::new(), $ct).GetAwaiter().GetResult()
                $ps.Dispose(); $cs.Dispose()
            }
            """, new Dictionary<string, object?> { ["dir"] = DemoFiles.Folder }, timeout: TimeSpan.FromMinutes(3));
        Assert.Empty(r.Errors);
        var rows = r.Output.Select(l => l.Split('|')).ToList();
        foreach (var row in rows)
            log.WriteLine($"{row[0],-60} {double.Parse(row[1], System.Globalization.CultureInfo.InvariantCulture),8:F0} ms  {row[2]}");
        Assert.Equal("Get-HeapTop", rows[0][2]);
        Assert.StartsWith(TargetFacts.LeakedOrderType, rows[2][2], StringComparison.Ordinal);
        Assert.Contains("ReadAllText", rows[4][2], StringComparison.Ordinal);
        Assert.Equal("Length", rows[6][2]);
    }
}
