using System.Diagnostics;
using Analysis.Dumps;
using Analysis.Testing;
using Xunit;

namespace Analysis.Tests.Dumps;

/// <summary>Our own capture code, on a live target.</summary>
public class DumpCaptureTests
{
    [Fact]
    public void Write_BothTools_ProduceDumpsThatOpen()
    {
        using var target = TargetProcess.Start("DumpTarget", TimeSpan.FromSeconds(120), "facts");
        string mini = Path.Combine(DumpSet.Facts.Scratch, $"capture-mini-{target.Id}.dmp");
        string heap = Path.Combine(DumpSet.Facts.Scratch, $"capture-heap-{target.Id}.dmp");
        try
        {
            DumpCapture.Write(target.Id, mini, DumpKind.Mini, DumpCaptureTool.DiagnosticsClient);
            DumpCapture.Write(target.Id, heap, DumpKind.WithHeap, DumpCaptureTool.CreateDump);

            using (var session = DumpSession.Open(mini))
            {
                Assert.False(session.HasHeap);
                Assert.Equal(target.Id, session.ProcessId);
            }

            using (var session = DumpSession.Open(heap))
            {
                Assert.True(session.HasHeap);
                Assert.Equal(TargetFacts.LeakedOrderCount, session.GetHeapTop(1, typeNamePattern: TargetFacts.LeakedOrderType)[0].Count);
                Assert.Equal(3, session.GetThreads().Count(t => t.IsDeadlocked));
            }
        }
        finally
        {
            File.Delete(mini);
            File.Delete(heap);
        }
    }

    [Fact]
    public void Write_ProcessThatIsGone_FailsWithProcessNotFound()
    {
        int pid;
        using (var p = Process.Start(new ProcessStartInfo("true") { UseShellExecute = false })!)
        {
            p.WaitForExit();
            pid = p.Id;
        }

        var e = Assert.Throws<AnalysisException>(() => DumpCapture.Write(pid, Path.Combine(DumpSet.Facts.Scratch, "gone.dmp")));
        Assert.Equal(AnalysisErrorKind.ProcessNotFound, e.Kind);
        Assert.Contains(pid.ToString(System.Globalization.CultureInfo.InvariantCulture), e.Message);
    }

    [Fact]
    public void Write_NonDotNetProcessThroughDiagnosticsClient_FailsWithProcessNotFound()
    {
        using var sleeper = Process.Start(new ProcessStartInfo("sleep", "30") { UseShellExecute = false })!;
        try
        {
            var e = Assert.Throws<AnalysisException>(() => DumpCapture.Write(sleeper.Id, Path.Combine(DumpSet.Facts.Scratch, "sleep-client.dmp")));
            Assert.Equal(AnalysisErrorKind.ProcessNotFound, e.Kind);
            Assert.Contains("no .NET diagnostics endpoint", e.Message);
        }
        finally
        {
            sleeper.Kill();
        }
    }
}
