using Analysis.Dumps;
using Microsoft.Diagnostics.Runtime;
using Xunit;

namespace Analysis.Tests.Dumps;

/// <summary>When a thread's stack roots are read: only after a capped walk of its frames ended by itself.</summary>
public class StackWalkTests
{
    private static ClrStackFrame Managed(ulong ip, ulong sp) => new(null, null, ip, sp, ClrStackFrameKind.ManagedMethod, null, null);

    private static ClrStackFrame Runtime(ulong sp) => new(null, null, 0, sp, ClrStackFrameKind.Runtime, null, "InlinedCallFrame");

    [Fact]
    public void WalkEnds_HealthyStackWithATransitionFrameReportedTwice_Ends()
    {
        Assert.True(StackWalk.WalkEnds([Managed(0x1000, 0x7000), Runtime(0x7100), Runtime(0x7100), Managed(0x2000, 0x7200)]));
    }

    [Fact]
    public void WalkEnds_ManagedFrameSeenTwice_DoesNotEnd()
    {
        // A corrupt frame chain that leads back to a frame already walked: the DAC's iterator would go round forever.
        Assert.False(StackWalk.WalkEnds([Managed(0x1000, 0x7000), Managed(0x2000, 0x7200), Managed(0x1000, 0x7000)]));
    }

    [Fact]
    public void WalkEnds_NoFrameAtAll_DoesNotEnd()
    {
        // The walk failed at its first frame (a damaged register context): the DAC's root walk there can loop.
        Assert.False(StackWalk.WalkEnds([]));
    }

    [Fact]
    public void WalkEnds_WalkCutAtTheFrameCap_DoesNotEnd()
    {
        var frames = Enumerable.Range(0, StackWalk.MaxFrames).Select(i => Managed(0x1000, 0x7000 + ((ulong)i * 16))).ToArray();
        Assert.False(StackWalk.WalkEnds(frames));
        Assert.True(StackWalk.WalkEnds(frames[..^1]));
    }
}
