using System.Diagnostics;
using Analysis.Testing;
using Analysis.Traces;
using Xunit;

namespace Analysis.Tests.Traces;

public class TraceCaptureTests
{
    [Fact]
    public void Collect_ForAFixedTime_WritesACompleteTraceWithRundown()
    {
        using var target = TargetProcess.Start("TraceTarget", TimeSpan.FromSeconds(120), "facts");
        string path = Path.Combine(TraceCaptures.Folder, $"collect-{target.Id}.nettrace");
        var progress = new List<WorkProgress>();
        long length = TraceRecording.Collect(target.Id, path, TimeSpan.FromSeconds(1), TraceProfile.Gc | TraceProfile.Cpu, new SyncProgress(progress.Add));

        Assert.Equal(new FileInfo(path).Length, length);
        var a = TraceAnalysis.Read(path);
        Assert.False(a.IsTruncated);
        Assert.Equal(target.Id, a.ProcessId);
        Assert.DoesNotContain(a.Warnings, w => w.Contains("rundown", StringComparison.Ordinal));
        Assert.True(a.SampleCount > 0);
        Assert.NotEmpty(progress);
    }

    [Fact]
    public void Start_ProcessGone_FailsWithProcessNotFound()
    {
        int pid;
        using (var p = Process.Start(new ProcessStartInfo("true") { UseShellExecute = false })!)
        {
            p.WaitForExit();
            pid = p.Id;
        }

        var e = Assert.Throws<AnalysisException>(() => TraceRecording.Start(pid, Path.Combine(TraceCaptures.Folder, "gone.nettrace")));
        Assert.Equal(AnalysisErrorKind.ProcessNotFound, e.Kind);
    }

    [Fact]
    public void Start_DiagnosticsDisabled_SaysSo()
    {
        var env = new Dictionary<string, string> { ["DOTNET_EnableDiagnostics"] = "0" };
        using var target = TargetProcess.Start("TraceTarget", TimeSpan.FromSeconds(120), env, "facts");
        var e = Assert.Throws<AnalysisException>(() => TraceRecording.Start(target.Id, Path.Combine(TraceCaptures.Folder, "disabled.nettrace")));
        Assert.Equal(AnalysisErrorKind.ProcessNotFound, e.Kind);
        Assert.Contains("DOTNET_EnableDiagnostics=0", e.Message);
    }
}
