using Microsoft.Diagnostics.Runtime;

namespace Analysis.Dumps;

/// <summary>Recognises runtime methods that enter locks or wait, by declaring type and method name.</summary>
internal static class WaitMethods
{
    // Types whose methods only wait on behalf of their callers.
    private static readonly HashSet<string> WaitTypes = new(StringComparer.Ordinal)
    {
        "System.Threading.WaitHandle",
        "System.Threading.LowLevelLifoSemaphore",
        "System.Threading.LowLevelMonitor",
        "System.Threading.LowLevelLock",
        "System.Threading.WaitSubsystem",
        "System.Threading.SpinWait",
    };

    private static readonly string[] WaitPrefixes =
    [
        "System.Threading.WaitHandle.",
        "System.Threading.LowLevelLifoSemaphore.",
        "System.Threading.LowLevelMonitor.",
        "System.Threading.LowLevelLock.",
        "System.Threading.Thread.Sleep",
        "System.Threading.Thread.Join",
        "System.Threading.Thread.SpinWait",
        "System.Threading.Thread.Yield",
        "System.Threading.Monitor.Wait",
        "System.Threading.Monitor.ObjWait",
        "System.Threading.ManualResetEventSlim.Wait",
        "System.Threading.SemaphoreSlim.Wait",
        "System.Threading.CountdownEvent.Wait",
        "System.Threading.Barrier.SignalAndWait",
        "System.Threading.Tasks.Task.Wait",
        "System.Threading.Tasks.Task.InternalWait",
        "System.Threading.Tasks.Task.SpinThenBlockingWait",
        "System.Threading.SpinWait.",
        "Interop+Sys.WaitForSocketEvents",
        "Interop+Sys.Poll",
        "Interop+Sys.Read(",
    ];

    /// <summary>True when a frame's function (full signature) is a wait, sleep or join.</summary>
    public static bool IsWait(string function)
    {
        foreach (string prefix in WaitPrefixes)
        {
            if (function.StartsWith(prefix, StringComparison.Ordinal))
                return true;
        }

        return false;
    }

    /// <summary>Frames between a lock-enter method and the actual wait (e.g. Lock.TryEnterSlow → WaitHandle.WaitOneNoCheck).</summary>
    public static bool IsInsideWait(ClrMethod method) =>
        method.Type?.Name is { } t && WaitTypes.Contains(t);

    public static bool IsMonitorEnter(ClrMethod method) =>
        method.Type?.Name == "System.Threading.Monitor" && method.Name is { } n &&
        (n.StartsWith("Enter", StringComparison.Ordinal) || n.StartsWith("ReliableEnter", StringComparison.Ordinal) ||
         n.StartsWith("TryEnter", StringComparison.Ordinal));

    public static bool IsLockEnter(ClrMethod method) =>
        method.Type?.Name == LockIndex.LockTypeName && method.Name is { } n &&
        (n.StartsWith("Enter", StringComparison.Ordinal) || n.StartsWith("TryEnter", StringComparison.Ordinal));
}
