using Analysis.Stacks;

namespace Analysis.Dumps;

/// <summary>What a thread's frames say about it: the user code it runs, the wait it is in.</summary>
internal static class ThreadFrames
{
    private static readonly string[] IdleWaits = ["System.Threading.LowLevelLifoSemaphore", "System.Threading.PortableThreadPool+WorkerThread.WorkerThreadStart"];

    /// <summary>The topmost managed frame outside the framework: the user code a worker runs.</summary>
    internal static string UserFrame(DumpThread thread)
    {
        foreach (var f in thread.Frames)
        {
            if (f.Kind == FrameKind.Managed && !f.Function.StartsWith("System.", StringComparison.Ordinal) && !f.Function.StartsWith("Microsoft.", StringComparison.Ordinal)
                && !f.Function.StartsWith("Interop", StringComparison.Ordinal))
                return AsyncAnalyzer.ShortFunction(f.Function);
        }

        return thread.TopFrame is { } top ? AsyncAnalyzer.ShortFunction(top.Function) : "(no managed frame)";
    }

    /// <summary>The wait the thread is in (its top managed frame when that is a wait, sleep or lock), else null.</summary>
    internal static string? WaitFrame(DumpThread thread)
    {
        if (thread.TopFrame is not { } top)
            return null;
        string f = AsyncAnalyzer.ShortFunction(top.Function);
        bool isWait = f.Contains("Wait", StringComparison.Ordinal) || f.Contains("Sleep", StringComparison.Ordinal) || f.Contains("Monitor.Enter", StringComparison.Ordinal)
            || f.Contains("Lock.", StringComparison.Ordinal) || f.Contains("Join", StringComparison.Ordinal) || IdleWaits.Any(w => f.StartsWith(w, StringComparison.Ordinal));
        return isWait ? f : null;
    }
}
