using System.Diagnostics;
using System.Globalization;

namespace Analysis.Tests.Dumps;

/// <summary>
/// Ends a worker process from outside with SIGKILL, as the kernel's OOM killer would, on the first progress report of
/// the question it answers: the moment it is known to be in the middle of it.
/// </summary>
internal sealed class KillOnFirstReport(int processId) : IProgress<WorkProgress>
{
    private int _signalled;

    /// <summary>How many times it sent the signal (once at most).</summary>
    public int Signalled => Volatile.Read(ref _signalled);

    public void Report(WorkProgress value)
    {
        if (Interlocked.Exchange(ref _signalled, 1) == 0)
        {
            using var kill = Process.Start("kill", ["-KILL", processId.ToString(CultureInfo.InvariantCulture)]);
            kill.WaitForExit();
        }
    }

    /// <summary>Whether the process has ended (or ends within <paramref name="wait"/>); one that is gone and reaped has.</summary>
    public static bool HasEnded(int processId, TimeSpan wait)
    {
        try
        {
            using var process = Process.GetProcessById(processId);
            return process.WaitForExit(wait);
        }
        catch (ArgumentException)
        {
            return true;
        }
    }
}
