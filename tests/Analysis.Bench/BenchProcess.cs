using System.Diagnostics;
using System.Globalization;

namespace Analysis.Bench;

/// <summary>What every benchmark shares: medians, this process's peak memory, and measuring in a child process.</summary>
internal static partial class BenchProcess
{
    public static double Median(IEnumerable<double> values)
    {
        var sorted = values.Order().ToArray();
        return sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[(sorted.Length / 2) - 1] + sorted[sorted.Length / 2]) / 2;
    }

    /// <summary>Peak resident memory of this process (VmHWM), in KB.</summary>
    public static long PeakRssKb()
    {
        foreach (string line in File.ReadLines("/proc/self/status"))
        {
            if (line.StartsWith("VmHWM:", StringComparison.Ordinal))
                return long.Parse(line[6..].Trim().Split(' ')[0], CultureInfo.InvariantCulture);
        }

        return Process.GetCurrentProcess().PeakWorkingSet64 / 1024;
    }

    /// <summary>The largest peak resident memory among this process's ended children (getrusage, ru_maxrss), in KB; null when unreadable.</summary>
    public static long? ChildrenPeakRssKb()
    {
        Span<long> usage = stackalloc long[18];
        // struct rusage: ru_utime (2 longs), ru_stime (2 longs), ru_maxrss (KB)
        return GetRusage(RusageChildren, ref System.Runtime.InteropServices.MemoryMarshal.GetReference(usage)) == 0 ? usage[4] : null;
    }

    private const int RusageChildren = -1;

    [System.Runtime.InteropServices.LibraryImport("libc", EntryPoint = "getrusage")]
    private static partial int GetRusage(int who, ref long usage);

    /// <summary>
    /// Runs this benchmark program again with <paramref name="args"/> (a "measure…" mode) and returns the fields of
    /// the last "RESULT …" line it prints, so each measurement has a fresh process.
    /// </summary>
    public static string[] RunMeasurement(string what, params string[] args)
    {
        var psi = new ProcessStartInfo(Environment.ProcessPath!);
        if (Path.GetFileNameWithoutExtension(Environment.ProcessPath!) == "dotnet")
            psi.ArgumentList.Add(typeof(BenchProcess).Assembly.Location);
        foreach (string a in args)
            psi.ArgumentList.Add(a);
        return RunForResult(what, psi);
    }

    /// <summary>Runs <paramref name="psi"/> to its end and returns the fields of the last "RESULT …" line it printed.</summary>
    public static string[] RunForResult(string what, ProcessStartInfo psi)
    {
        psi.RedirectStandardOutput = true;
        psi.RedirectStandardError = true;
        using var p = Process.Start(psi)!;
        var error = p.StandardError.ReadToEndAsync();
        string output = p.StandardOutput.ReadToEnd();
        p.WaitForExit();
        string? line = output.Split('\n').LastOrDefault(l => l.StartsWith("RESULT ", StringComparison.Ordinal));
        if (p.ExitCode != 0 || line is null)
            throw new InvalidOperationException($"{what} measurement failed ({p.ExitCode}): {output} {error.Result}");
        return line.Trim().Split(' ');
    }

    /// <summary>A process's minor page faults (first touches of memory) so far ("self" for this process).</summary>
    public static long MinorFaults(string pid = "self") => Analysis.Isolation.ProcStat.MinorFaults(pid);

    /// <summary>A process's CPU time so far (user + system), in ms; the kernel counts it in 10 ms ticks.</summary>
    public static double CpuMs(int pid)
    {
        var f = Analysis.Isolation.ProcStat.Fields(pid.ToString(CultureInfo.InvariantCulture));
        return (long.Parse(f[11], CultureInfo.InvariantCulture) + long.Parse(f[12], CultureInfo.InvariantCulture)) * 10.0; // utime + stime
    }
}
