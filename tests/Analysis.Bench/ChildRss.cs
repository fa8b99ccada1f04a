using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;

namespace Analysis.Bench;

/// <summary>
/// Runs a command as our only child and prints its wall time and peak resident memory (getrusage RUSAGE_CHILDREN,
/// ru_maxrss), so any program — ours or a reference tool — is measured the same way.
/// </summary>
internal static partial class ChildRss
{
    private const int RusageChildren = -1;

    public static int Run(string[] command)
    {
        var psi = new ProcessStartInfo(command[0]) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (string a in command[1..])
            psi.ArgumentList.Add(a);
        var sw = Stopwatch.StartNew();
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        p.WaitForExit();
        sw.Stop();
        Console.Write(stdout.Result);
        Console.Error.Write(stderr.Result);
        Span<long> usage = stackalloc long[18];
        if (GetRusage(RusageChildren, ref MemoryMarshal.GetReference(usage)) != 0)
            throw new InvalidOperationException("getrusage failed");
        // struct rusage: ru_utime (2 longs), ru_stime (2 longs), ru_maxrss (KB)
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"CHILD {p.ExitCode} {sw.Elapsed.TotalMilliseconds:F1} {usage[4]}"));
        return p.ExitCode;
    }

    [LibraryImport("libc", EntryPoint = "getrusage")]
    private static partial int GetRusage(int who, ref long usage);
}
