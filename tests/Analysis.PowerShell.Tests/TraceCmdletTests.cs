using System.Text.Json;
using Analysis.Testing;
using Xunit;

namespace Analysis.PowerShell.Tests;

public class TraceCmdletTests
{
    private static Dictionary<string, object?> Vars(params (string Name, object? Value)[] vars) => vars.ToDictionary(v => v.Name, v => v.Value);

    private static Dictionary<string, object?> Facts => Vars(("f", TraceCaptures.Facts));

    [Fact]
    public void ImportTrace_ThenGcQuestions_GiveTheInducedGen2s()
    {
        using var host = new PwshHost();
        var r = host.Run("""
            $t = Import-Trace $f
            @($t | Get-TraceGc -Generation 2 -Induced).Count
            ($t | Get-TraceGcSummary).InducedGen2Count
            ($t | Get-TraceGcSummary).Anomalies.Kind -join ','
            """, Facts);
        Assert.Empty(r.Errors);
        Assert.Equal([$"{TraceFacts.InducedGen2Count}", $"{TraceFacts.InducedGen2Count}", "InducedGen2,Gen2Storm"], r.Strings);
    }

    [Fact]
    public void OldUnitNames_StillRead_ButAreNotListed()
    {
        // the .NET trace members were named *MSec before the units became one (Ms); scripts using them keep working
        using var host = new PwshHost();
        var r = host.Run("""
            $s = Get-TraceGcSummary $f -PauseThresholdMSec 0
            $s.MaxPauseMSec -eq $s.MaxPauseMs -and $s.MaxPauseMs -gt 0
            $s.PauseThresholdMs -eq 0
            $g = @(Get-TraceGc $f -MinPauseMSec 0)[0]
            $g.PauseMSec -eq $g.PauseMs -and $g.StartMSec -eq $g.StartMs
            @($s.Anomalies)[0].Description -eq @($s.Anomalies)[0].Summary
            @($s | Get-Member -Name *MSec).Count
            ($g | ConvertTo-Csv)[0] -match 'MSec'
            """, Facts);
        Assert.Empty(r.Errors);
        Assert.Equal(["True", "True", "True", "True", "0", "False"], r.Strings);
    }

    [Fact]
    public void GetTraceCpuTop_HotMethodFirst_AndThreadFilterWorks()
    {
        using var host = new PwshHost();
        var r = host.Run("""
            (Get-TraceCpuTop $f -Top 1).Function
            $pidOfTrace = (Get-TraceExceptions $f | ForEach-Object ThreadId)[0]
            (Get-TraceCpuTop $f -Top 1 -Thread $pidOfTrace).Function
            @(Get-TraceCpuTop $f -Top 3 -Inclusive).Count
            """, Facts);
        Assert.Empty(r.Errors);
        Assert.Equal([TraceFacts.HotMethod, TraceFacts.HotMethod, "3"], r.Strings);
    }

    [Fact]
    public void GetTraceExceptions_AndContention_HaveTheTargetsCounts()
    {
        using var host = new PwshHost();
        var r = host.Run("""
            @(Get-TraceExceptions $f -Type '*.InvoiceRejectedException').Count
            (Get-TraceExceptions $f -Type '*.InvoiceRejectedException')[3].Message
            (Get-TraceExceptions $f -Type '*.InvoiceRejectedException')[0].ThrownIn.Function
            @(Get-TraceContention $f -MinDurationMs 30 | Where-Object { $_.Stack.Function -contains $m }).Count
            """, Vars(("f", TraceCaptures.Facts), ("m", TraceFacts.ContendedMethod)));
        Assert.Empty(r.Errors);
        Assert.Equal([$"{TraceFacts.ExceptionCount}", "invoice 3 rejected", TraceFacts.ExceptionThrower, $"{TraceFacts.ContentionRounds}"], r.Strings);
    }

    [Fact]
    public void GetTraceStacks_TopStackEndsInTheHotMethod()
    {
        using var host = new PwshHost();
        var r = host.Run("(Get-TraceStacks $f)[0].Stack; (Get-TraceStacks $f -PerThread)[0].Stack", Facts);
        Assert.Empty(r.Errors);
        Assert.EndsWith("!" + TraceFacts.HotMethod, r.Strings.First());
        Assert.StartsWith("thread ", r.Strings.Last());
    }

    [Fact]
    public void ExportTraceStacks_WritesSpeedscopeAndFolded()
    {
        using var host = new PwshHost();
        string json = Path.Combine(TraceCaptures.Folder, "export.speedscope.json");
        string folded = Path.Combine(TraceCaptures.Folder, "export.folded");
        var r = host.Run("(Export-TraceStacks $f -OutFile $j).FullName; (Export-TraceStacks $f -OutFile $o -Format Folded).FullName",
            Vars(("f", TraceCaptures.Facts), ("j", json), ("o", folded)));
        Assert.Empty(r.Errors);
        Assert.Equal([json, folded], r.Strings);
        using var doc = JsonDocument.Parse(File.ReadAllText(json));
        Assert.Equal("https://www.speedscope.app/file-format-schema.json", doc.RootElement.GetProperty("$schema").GetString());
        Assert.Contains(File.ReadLines(folded), l => l.Contains(TraceFacts.HotMethod, StringComparison.Ordinal));
    }

    [Fact]
    public void ImportTrace_WritesProgress_AndLaterQuestionsDoNotReadAgain()
    {
        using var host = new PwshHost();
        var first = host.Run("Import-Trace $f | ForEach-Object IsRead", Facts);
        Assert.Equal("True", Assert.Single(first.Strings));
        Assert.Contains(first.Progress, p => p.Activity == "Reading trace" && p.PercentComplete > 0);
        var second = host.Run("Get-TraceGcSummary -Path $f | ForEach-Object Count", Facts);
        Assert.Empty(second.Progress);
    }

    public static TheoryData<string, string> BadInputs => new()
    {
        { "missing", "TraceNotFound" },
        { "empty", "TraceEmpty" },
        { "text", "NotATrace" },
        { "elf", "NotATrace" },
        { "header-cut", "TraceTruncated" },
        { "engine-crash", "EngineFailed" },
    };

    [Theory]
    [MemberData(nameof(BadInputs))]
    public void BadInput_WritesErrorRecordWithStableId_AndTheSessionKeepsWorking(string input, string errorId)
    {
        string path = input switch
        {
            "missing" => Path.Combine(TraceCaptures.Folder, "missing.nettrace"),
            "empty" => TraceCaptures.Scratch("empty.nettrace", []),
            "text" => TraceCaptures.Scratch("text.nettrace", "not a trace\n"u8.ToArray()),
            "elf" => Path.Combine(Path.GetDirectoryName(typeof(object).Assembly.Location)!, "libcoreclr.so"),
            // TraceEvent's GC analysis reads outside an event and the runtime aborts: only the worker ends (issue 12)
            "engine-crash" => DamagedTraces.Make(DamagedTraces.AccessViolation, TraceCaptures.Folder),
            _ => TraceCaptures.Scratch("header-cut.nettrace", File.ReadAllBytes(TraceCaptures.Facts)[..20]),
        };
        using var host = new PwshHost();
        var r = host.Run("Get-TraceGcSummary -Path $p; 'still running'", Vars(("p", path)));
        var error = Assert.Single(r.Errors);
        Assert.Equal($"{errorId},Analysis.PowerShell.Commands.GetTraceGcSummaryCommand", error.FullyQualifiedErrorId);
        Assert.Contains(path, error.Exception.Message);
        Assert.Equal("still running", Assert.Single(r.Strings));

        var next = host.Run("(Get-TraceGcSummary $f).InducedGen2Count", Facts);
        Assert.Empty(next.Errors);
        Assert.Equal($"{TraceFacts.InducedGen2Count}", Assert.Single(next.Strings));
    }

    [Fact]
    public void TruncatedTrace_IsAnalyzedWithAWarningOnce()
    {
        var bytes = File.ReadAllBytes(TraceCaptures.Facts);
        string cut = TraceCaptures.Scratch("cut.nettrace", bytes[..(bytes.Length * 6 / 10)]);
        using var host = new PwshHost();
        var import = host.Run("$t = Import-Trace $c; $t.IsRead", Vars(("c", cut)));
        Assert.Empty(import.Errors);
        Assert.Contains(import.Warnings, w => w.Message.Contains("is truncated", StringComparison.Ordinal));
        var later = host.Run("$null = $t | Get-TraceGc");
        Assert.Empty(later.Warnings);
    }

    [Fact]
    public void InvokeTraceCapture_OfALiveTarget_ReturnsATraceTheOtherCmdletsRead()
    {
        using var target = TargetProcess.Start("TraceTarget", TimeSpan.FromSeconds(120), "facts");
        string path = Path.Combine(TraceCaptures.Folder, $"invoke-{target.Id}.nettrace");
        using var host = new PwshHost();
        var r = host.Run("Invoke-TraceCapture -ProcessId $id -OutFile $p -Duration 00:00:01 -Profile Gc,Cpu | Import-Trace | ForEach-Object { $_.IsRead }",
            Vars(("id", target.Id), ("p", path)));
        Assert.Empty(r.Errors);
        Assert.Equal("True", Assert.Single(r.Strings));
        Assert.Contains(r.Progress, p => p.Activity == "Tracing");
    }

    [Fact]
    public void StartTraceCapture_ProcessGone_WritesProcessNotFound()
    {
        using var host = new PwshHost();
        var r = host.Run("Start-TraceCapture -ProcessId 999999 -OutFile \"$d/x.nettrace\"", Vars(("d", TraceCaptures.Folder)));
        Assert.Equal("ProcessNotFound,Analysis.PowerShell.Commands.StartTraceCaptureCommand", Assert.Single(r.Errors).FullyQualifiedErrorId);
    }
}
