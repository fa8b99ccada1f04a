using Analysis.Testing;
using Xunit;

namespace Analysis.Pwsh.Tests;

/// <summary>Source lines in Get-DumpThreads and the crash finding of Get-DumpTriage, in real pwsh (worker mode, the default).</summary>
public sealed class SourceLineTests(PdbPlacementDump moved) : IClassFixture<PdbPlacementDump>, IDisposable
{
    private readonly RealPwsh _pwsh = new(width: 200, workingDirectory: DemoFiles.Folder);

    public void Dispose() => _pwsh.Dispose();

    private static int SourceLine(string file, string text)
    {
        var lines = File.ReadAllLines(Path.Combine(RepoPaths.Root, "tests", "TestTargets", "DumpTarget", file));
        return Array.FindIndex(lines, l => l.Contains(text, StringComparison.Ordinal)) + 1;
    }

    [Fact]
    public void GetDumpThreads_MainThreadFrame_HasFileAndLine_AndTheTableShowsIt()
    {
        var r = _pwsh.Run("""
            $main = Get-DumpThreads $d | Where-Object { $_.Frames.Function -like 'DumpTarget.Program.Main(*' }
            $f = $main.Frames | Where-Object Function -like 'DumpTarget.Program.Main(*'
            '{0}|{1}' -f $f.File, $f.Line
            $main | Out-String -Width 200
            """, new Dictionary<string, object?> { ["d"] = DumpSet.FactsLite[CapturedDump.CreateDumpWithHeap] });

        Assert.Empty(r.Errors);
        int line = SourceLine("Program.cs", "s_never.WaitOne();");
        Assert.Equal($"{Path.Combine(RepoPaths.Root, "tests", "TestTargets", "DumpTarget", "Program.cs")}|{line}", r.Output[0]);
        Assert.Contains($"DumpTarget.Program.Main (Program.cs:{line})", r.Text);
    }

    [Fact]
    public void GetDumpThreads_WithASymbolPathHoldingAnotherBuildsPdb_WarnsOnce_AndFramesHaveNoLines()
    {
        var r = _pwsh.Run("@(Get-DumpThreads $d -SymbolPath $wrong | ForEach-Object Frames | Where-Object File).Count",
            new Dictionary<string, object?> { ["d"] = moved.Dump, ["wrong"] = moved.WrongSymbolFolder });

        Assert.Empty(r.Errors);
        Assert.Equal("0", r.Output[^1]);
        string warning = Assert.Single(r.Warnings, w => w.Contains("source file and line", StringComparison.Ordinal));
        Assert.Contains("DumpTarget.dll", warning);
        Assert.Contains("another build", warning);

        var right = _pwsh.Run("@(Get-DumpThreads $d -SymbolPath $right | ForEach-Object Frames | Where-Object File).Count",
            new Dictionary<string, object?> { ["d"] = moved.Dump, ["right"] = moved.SymbolFolder });
        Assert.Empty(right.Errors);
        Assert.True(int.Parse(right.Output[^1], System.Globalization.CultureInfo.InvariantCulture) >= 10, right.Text);
        Assert.DoesNotContain(right.Warnings, w => w.Contains("DumpTarget.dll': ", StringComparison.Ordinal));
    }

    [Fact]
    public void GetDumpTriage_OfACrashDump_ShowsTheCrashFirst()
    {
        var r = _pwsh.Run("Get-DumpTriage $d | Select-Object -First 1 | ForEach-Object { $_.Severity; $_.Kind; $_.Summary; $_.Evidence }",
            new Dictionary<string, object?> { ["d"] = CrashDump.Shared.Dump });

        Assert.Empty(r.Errors);
        Assert.Equal(["Critical", "crash"], r.Output.Take(2));
        Assert.Contains($"unhandled {TargetFacts.CrashExceptionType}: {TargetFacts.CrashMessage} on thread '{TargetFacts.CrashThreadName}'", r.Output[2]);
        Assert.Contains(r.Output, l => l.StartsWith($"at {TargetFacts.CrashThrowingMethod} ({TargetFacts.CrashThrowingFile}:", StringComparison.Ordinal));
    }
}
