using Analysis.Dumps;
using Analysis.Go;

namespace Analysis.Stacks;

/// <summary>Frames a blocked goroutine or thread sits in on behalf of its caller (runtime waits, lock entry).</summary>
public static class Plumbing
{
    /// <summary>True for Go runtime/sync waiting frames and .NET wait, sleep and lock-entry frames.</summary>
    public static bool IsPlumbing(StackFrameInfo frame)
    {
        ArgumentNullException.ThrowIfNull(frame);
        return frame.Kind switch
        {
            FrameKind.Go => GoFunctions.IsRuntimePlumbing(frame.Function),
            FrameKind.Managed => WaitMethods.IsWait(frame.Function) ||
                frame.Function.StartsWith("System.Threading.Monitor.", StringComparison.Ordinal) ||
                frame.Function.StartsWith("System.Threading.Lock.", StringComparison.Ordinal),
            _ => true,
        };
    }
}
