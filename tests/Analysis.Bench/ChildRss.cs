using System.Diagnostics;
using System.Globalization;

namespace Analysis.Bench;

/// <summary>
/// Runs a command as our only child and prints its wall time and peak resident memory (getrusage RUSAGE_CHILDREN,
/// ru_maxrss), so any program — ours or a reference tool — is measured the same way.
/// </summary>
internal static class ChildRss
{
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
        long peakKb = BenchProcess.ChildrenPeakRssKb() ?? throw new InvalidOperationException("getrusage failed");
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"CHILD {p.ExitCode} {sw.Elapsed.TotalMilliseconds:F1} {peakKb}"));
        return p.ExitCode;
    }
}
