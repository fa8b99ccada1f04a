using Analysis.Testing;
using Xunit;

namespace Analysis.Pwsh.Tests;

/// <summary>
/// Issue 12 in the investigator's real pwsh: a trace on which TraceEvent crashes its process (an access violation the
/// runtime cannot catch) ends only the module's worker process; pwsh gets one error record and goes on.
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
}
