using Analysis.Testing;
using Xunit;

namespace Analysis.Pwsh.Tests;

/// <summary>
/// Issue 12 in the investigator's real pwsh: a trace on which TraceEvent crashes its process (an access violation the
/// runtime cannot catch) ends only the module's worker process; pwsh gets one error record and goes on. The same for a
/// dump whose worker dies in a question: the session survives and answers the next one, and so does another dump that
/// shared the worker.
/// </summary>
public sealed class EngineIsolationTests : IDisposable
{
    private readonly RealPwsh _pwsh = new(width: 200);

    public void Dispose() => _pwsh.Dispose();

    [Fact]
    public void TraceThatCrashesTraceEvent_IsOneEngineFailedRecord_AndPwshGoesOn()
    {
        string folder = RepoPaths.NewScratchDirectory("analysis-pwsh-engine");
        string fixture = DamagedTraces.Make(DamagedTraces.AccessViolation, folder);
        var r = _pwsh.Run("$before = $PID; Get-TraceGcSummary -LiteralPath $f; \"alive $($PID -eq $before)\"", new Dictionary<string, object?> { ["f"] = fixture });

        var error = Assert.Single(r.Errors);
        Assert.Equal("EngineFailed", r.ErrorIds.Single());
        Assert.Equal("ReadError", error.Category);
        Assert.Contains(fixture, error.Message, StringComparison.Ordinal);
        Assert.Contains("System.AccessViolationException", error.Message, StringComparison.Ordinal);
        Assert.Equal("alive True", Assert.Single(r.Output));

        // the worker ships in the module's lib/, beside the core
        var where = _pwsh.Run("(Get-Module Analysis).ModuleBase");
        Assert.True(File.Exists(Path.Combine(Assert.Single(where.Output), "lib", "Analysis.Worker.dll")));
        Assert.True(File.Exists(Path.Combine(Assert.Single(where.Output), "lib", "Analysis.Worker.runtimeconfig.json")));
        Directory.Delete(folder, recursive: true);
    }

    [Fact]
    public void DumpWorkerEndedInAQuestion_IsOneEngineFailedRecord_AndTheSameDumpAndTheOneBesideAnswerTheNext()
    {
        string bulk = DumpSet.Bulk[CapturedDump.ClientWithHeap], beside = DumpSet.FactsLite[CapturedDump.ClientMini];
        // the worker reading the dump is pwsh's child; it is ended (SIGKILL, as the OOM killer would) once it has spent
        // 0.2 s of CPU on the retained-size question (indexing millions of objects takes several times that)
        var r = _pwsh.Run("""
            $before = $PID
            $d = Open-Dump -LiteralPath $f -NoCache
            $e = Open-Dump -LiteralPath $g
            function Workers { @(Get-Process | Where-Object { $_.Parent.Id -eq $PID -and $_.CommandLine -like '*Analysis.Worker.dll*' }) }
            $w = Workers
            "workers $($w.Count) $($d.ReadBy) $($e.ReadBy)"
            $watch = 'p={0}; b=$(awk ''{{print $14+$15}}'' /proc/$p/stat); while kill -0 $p 2>/dev/null; do n=$(awk ''{{print $14+$15}}'' /proc/$p/stat); if [ $((n-b)) -ge 20 ]; then kill -KILL $p; exit 0; fi; sleep 0.02; done' -f $w[0].Id
            $null = [Diagnostics.Process]::Start('sh', [string[]]@('-c', $watch))
            Get-HeapTop -Dump $d -Retained -Top 1
            "alive $($PID -eq $before)"
            "again $(@(Get-HeapTop -Dump $d -Top 1 -TypeName 'DumpTarget.BulkNode').Count) $(@(Get-DumpThreads -Dump $d).Count -gt 0)"
            "beside $(@(Get-DumpThreads -Dump $e).Count -gt 0) $(@($e.Warnings | Where-Object { $_.Contains($f) }).Count)"
            "workers $(@(Workers).Count)"
            """, new Dictionary<string, object?> { ["f"] = bulk, ["g"] = beside });

        // both dumps in one worker; after, the dump whose question ended it reads alone, the other in a new shared one
        Assert.True(r.Output.Count > 0 && r.Output[0] == "workers 1 Worker Worker", string.Join(" | ", r.Output));
        Assert.True(r.Errors.Count == 1, string.Join(" | ", r.Output));
        var error = Assert.Single(r.Errors);
        Assert.Equal("EngineFailed", r.ErrorIds.Single());
        Assert.Contains(bulk, error.Message, StringComparison.Ordinal);
        Assert.Contains("SIGKILL", error.Message, StringComparison.Ordinal);
        Assert.Equal(["workers 1 Worker Worker", "alive True", "again 1 True", "beside True 1", "workers 2"], r.Output);
    }
}
