using Analysis.Testing;
using Xunit;

namespace Analysis.Pwsh.Tests;

/// <summary>
/// PowerShell's conventions as a daily pwsh user relies on them: -Path wildcards and -LiteralPath, rows that say
/// which file they came from, files written only with -Force, Get-Item objects back, relative paths meaning the
/// caller's location.
/// </summary>
public sealed class ConventionTests : IDisposable
{
    private readonly RealPwsh _pwsh = new(width: 120, workingDirectory: DemoFiles.Folder);
    private readonly string _scratch = RepoPaths.NewScratchDirectory("analysis-pwsh-conventions");

    public void Dispose()
    {
        _pwsh.Dispose();
        Directory.Delete(_scratch, recursive: true);
    }

    private Dictionary<string, object?> Vars(params (string Name, object? Value)[] vars)
    {
        var all = new Dictionary<string, object?> { ["scratch"] = _scratch };
        foreach (var (name, value) in vars)
            all[name] = value;
        return all;
    }

    [Fact]
    public void PathWildcard_ReadsEveryMatch_AndGroupsTheRowsBySource()
    {
        var r = _pwsh.Run("""
            $rows = Get-HeapTop ./app*.dmp -Top 1
            $rows.Count
            ($rows | ForEach-Object { Split-Path $_.Source -Leaf }) -join ','
            ($rows | ForEach-Object TypeName | Sort-Object -Unique) -join ','
            $rows | Out-String -Width 120
            """);
        Assert.Empty(r.Errors);
        Assert.Equal("2", r.Output[0]);
        Assert.Equal("app.dmp,app2.dmp", r.Output[1]);
        Assert.Equal(TargetFacts.LeakedOrderType, r.Output[2]); // both dumps are of the facts target
        string table = r.Output[3];
        Assert.Contains($"Source: {DemoFiles.File("app.dmp")}", table, StringComparison.Ordinal);
        Assert.Contains($"Source: {DemoFiles.File("app2.dmp")}", table, StringComparison.Ordinal);
    }

    [Fact]
    public void OneFile_RowsCarryTheirSource_ButTheTableDoesNotShowIt()
    {
        var r = _pwsh.Run("""
            $rows = Get-HeapTop ./app.dmp -Top 2
            ($rows | ForEach-Object Source | Sort-Object -Unique)
            $rows | Out-String -Width 120
            $d = Open-Dump ./app.dmp
            $d | Get-HeapTop -Top 2 | Out-String -Width 120
            """);
        Assert.Empty(r.Errors);
        Assert.Equal(DemoFiles.File("app.dmp"), r.Output[0]);
        Assert.DoesNotContain("Source", r.Output[1], StringComparison.Ordinal);
        Assert.Contains(TargetFacts.LeakedOrderType, r.Output[1], StringComparison.Ordinal);
        Assert.DoesNotContain("Source", r.Output[2], StringComparison.Ordinal); // a session through the pipeline is one input too
    }

    [Fact]
    public void GetChildItem_PipedIn_BindsLiteralPath_AndSeveralFilesShowTheirSources()
    {
        var r = _pwsh.Run("""
            Get-ChildItem ./app.dmp, ./app2.dmp | Get-HeapTop -Top 1 | Out-String -Width 120
            Get-ChildItem ./app.dmp | Get-HeapTop -Top 1 | Out-String -Width 120
            Get-ChildItem ./goroutines.txt, ./panic.txt | Get-Goroutines | Group-Object { Split-Path $_.Source -Leaf } | ForEach-Object { '{0}={1}' -f $_.Name, $_.Count }
            """);
        Assert.Empty(r.Errors);
        Assert.Equal(2, r.Output[0].Split("Source: ").Length - 1);
        Assert.DoesNotContain("Source", r.Output[1], StringComparison.Ordinal);
        Assert.Equal(2, r.Output.Count(l => l.StartsWith("goroutines.txt=", StringComparison.Ordinal) || l.StartsWith("panic.txt=", StringComparison.Ordinal)));
    }

    [Fact]
    public void LiteralPath_TakesBracketsAsWritten_WhilePathTreatsThemAsAPattern()
    {
        string odd = Path.Combine(_scratch, "odd[1].dmp");
        File.CreateSymbolicLink(odd, DumpSet.FactsLite[CapturedDump.ClientWithHeap]);
        var r = _pwsh.Run("""
            Get-HeapTop -LiteralPath $odd -Top 1 | ForEach-Object TypeName
            Get-HeapTop -LP $odd -Top 1 | ForEach-Object { Split-Path $_.Source -Leaf }
            """, Vars(("odd", odd)));
        Assert.Empty(r.Errors);
        Assert.Equal([TargetFacts.LeakedOrderType, "odd[1].dmp"], r.Output);

        var pattern = _pwsh.Run("Get-HeapTop -Path $odd -Top 1", Vars(("odd", odd)));
        Assert.Equal(["DumpNotFound"], pattern.ErrorIds); // [1] is a character class: it matches 'odd1.dmp', not this file
        Assert.Contains("-LiteralPath", pattern.Errors[0].Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ExportTraceStacks_TakesTheFormatFromTheExtension()
    {
        var r = _pwsh.Run("""
            $folded = Export-TraceStacks ./app.nettrace -OutFile (Join-Path $scratch 'cpu.folded')
            $json = Export-TraceStacks ./app.nettrace -OutFile (Join-Path $scratch 'cpu.json')
            (Get-Content $folded.FullName -TotalCount 1)
            (Get-Content $json.FullName -Raw).TrimStart().Substring(0, 1)
            (Get-Content $json.FullName -Raw | ConvertFrom-Json).'$schema'
            Export-TraceStacks ./app.nettrace -OutFile (Join-Path $scratch 'cpu.bin')
            """, Vars());
        Assert.Matches(@"^[^;{]+(;[^;]+)* \d+$", r.Output[0]); // folded: "root;…;leaf count"
        Assert.Equal("{", r.Output[1]);
        Assert.Contains("speedscope", r.Output[2], StringComparison.Ordinal);
        Assert.Equal(["UnknownStackFormat"], r.ErrorIds);
        Assert.False(File.Exists(Path.Combine(_scratch, "cpu.bin")));
    }

    [Fact]
    public void FilesWritten_RefuseToOverwriteWithoutForce_HonourWhatIf_AndComeBackAsGetItemWould()
    {
        string report = Path.Combine(_scratch, "report.html");
        File.WriteAllText(report, "keep me");
        var refused = _pwsh.Run("Export-IncidentReport $report -DumpPath ./app.dmp", Vars(("report", report)));
        Assert.Equal(["FileExists"], refused.ErrorIds);
        Assert.Contains("-Force", refused.Errors[0].Message, StringComparison.Ordinal);
        Assert.Equal("keep me", File.ReadAllText(report));

        var whatIf = _pwsh.Run("Export-IncidentReport $report -DumpPath ./app.dmp -Force -WhatIf", Vars(("report", report)));
        Assert.Empty(whatIf.Errors);
        Assert.Equal("keep me", File.ReadAllText(report));

        var written = _pwsh.Run("""
            $item = Export-IncidentReport $report -DumpPath ./app.dmp -Force
            $item.GetType().FullName
            $item.PSPath
            ($item | Out-String -Width 120) -eq (Get-Item $report | Out-String -Width 120)
            $item.UnixMode
            """, Vars(("report", report)));
        Assert.Empty(written.Errors);
        Assert.StartsWith("<!DOCTYPE html>", File.ReadAllText(report), StringComparison.OrdinalIgnoreCase);
        Assert.Equal("System.IO.FileInfo", written.Output[0]);
        Assert.Equal($"Microsoft.PowerShell.Core\\FileSystem::{report}", written.Output[1]);
        Assert.Equal("True", written.Output[2]);
        Assert.StartsWith("-rw", written.Output[3], StringComparison.Ordinal);
    }

    [Fact]
    public void InvokeNotebook_RelativeParameterPaths_MeanTheCallersLocation()
    {
        // the README's line: Invoke-Notebook ./notebooks/x.ipynb -Parameters @{ DumpPath = './app.dmp' }, run from where app.dmp is
        string books = Path.Combine(_scratch, "books");
        Directory.CreateDirectory(books);
        File.WriteAllText(Path.Combine(books, "params.dib"), """
            #!pwsh
            # parameters
            $DumpPath = 'unset'
            $Pattern = 'Contoso.*'

            #!pwsh
            "path=$DumpPath"
            "pattern=$Pattern"
            (Get-HeapTop $DumpPath -Top 1).TypeName
            """);
        var r = _pwsh.Run("""
            $r = Invoke-Notebook (Join-Path $scratch 'books/params.dib') -Parameters @{ DumpPath = './app.dmp'; Pattern = 'Contoso.*' } -Verbose
            $r.Succeeded
            ($r.GetNotebook().Cells | ForEach-Object { $_.Outputs } | ForEach-Object { $_.Text }) -join ''
            """, Vars());
        Assert.Empty(r.Errors);
        Assert.Equal("True", r.Output[0]);
        Assert.Contains($"path={DemoFiles.File("app.dmp")}", r.Output[1], StringComparison.Ordinal);
        Assert.Contains("pattern=Contoso.*", r.Output[1], StringComparison.Ordinal); // not a path: unchanged
        Assert.Contains(TargetFacts.LeakedOrderType, r.Output[1], StringComparison.Ordinal);
        Assert.Contains(r.Verbose, v => v.Contains("DumpPath", StringComparison.Ordinal) && v.Contains(DemoFiles.File("app.dmp"), StringComparison.Ordinal));
    }

    [Fact]
    public void GoroutineDump_Verbose_ListsEachSkippedLineOnce_AtItsOwnLine()
    {
        string file = Path.Combine(_scratch, "garbled.txt");
        File.WriteAllText(file, "goroutine 1 [running]:\nmain.main()\ngarbage here\n\ngoroutine 2 [select]:\nmain.tick()");
        var r = _pwsh.Run("$null = Get-Goroutines $f -Verbose", Vars(("f", file)));
        Assert.Empty(r.Errors);
        Assert.Equal(
            [
                "line 2: function line without its '\\tfile:line': main.main",
                "line 3: expected a function call line 'package.Function(args)': garbage here",
                "line 6: function line without its '\\tfile:line': main.tick",
            ], r.Verbose);
        Assert.Single(r.Warnings);
        Assert.StartsWith("3 line(s) were not understood", r.Warnings[0], StringComparison.Ordinal);
    }
}
