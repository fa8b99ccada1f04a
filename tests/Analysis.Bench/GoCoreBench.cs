using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;

namespace Analysis.Bench;

/// <summary>
/// Every goroutine's stack from a Go core, whole processes as a user meets them: our Get-Goroutines in real pwsh with the
/// module imported, against Delve (<c>dlv core exe core</c> with <c>goroutines -t 50</c>, Debian's 1.20.2). Both must
/// list the same number of goroutines. Median of the rounds.
/// </summary>
internal static partial class GoCoreBench
{
    public static int Run(string core, string executable, string manifest, int rounds)
    {
        core = Path.GetFullPath(core);
        executable = Path.GetFullPath(executable);
        string? dlv = FindOnPath("dlv");
        string Quote(string s) => "'" + s.Replace("'", "''", StringComparison.Ordinal) + "'";
        string ours = $"$ErrorActionPreference = 'Stop'; Import-Module {Quote(Path.GetFullPath(manifest))}; "
            + $"$g = @(Get-Goroutines -Path {Quote(core)} -Executable {Quote(executable)}); "
            + "'GOROUTINES ' + $g.Count + ' FRAMES ' + ($g | ForEach-Object { $_.Frames.Count } | Measure-Object -Sum).Sum";
        string commands = Path.Combine(Path.GetTempPath(), $"dlv-{Environment.ProcessId}.txt");
        File.WriteAllText(commands, "goroutines -t 50\nexit\n");
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"whole processes on {Path.GetFileName(core)} ({new FileInfo(core).Length / (1024 * 1024):N0} MB apparent): ours = dotnet pwsh -NoProfile -c \"Import-Module Analysis; Get-Goroutines -Path core -Executable exe\", "
            + $"Delve = dlv core exe core --init 'goroutines -t 50'; median of {rounds}, {Environment.ProcessorCount} cores"));
        var oursMs = new List<double>();
        var dlvMs = new List<double>();
        bool ok = true;
        for (int round = 1; round <= rounds; round++)
        {
            var (o, oOut) = Time("dotnet", ["pwsh", "-NoProfile", "-NonInteractive", "-Command", ours]);
            oursMs.Add(o);
            var m = OursCount().Match(oOut);
            string line = string.Create(CultureInfo.InvariantCulture, $"  round {round}: ours {o,6:F0} ms ({(m.Success ? m.Groups[1].Value : "?")} goroutines, {(m.Success ? m.Groups[2].Value : "?")} frames)");
            if (dlv is not null)
            {
                var (d, dOut) = Time(dlv, ["core", executable, core, "--check-go-version=false", "--allow-non-terminal-interactive=true", "--init", commands]);
                dlvMs.Add(d);
                var dm = DlvCount().Match(dOut);
                line += string.Create(CultureInfo.InvariantCulture, $", Delve {d,6:F0} ms ({(dm.Success ? dm.Groups[1].Value : "?")} goroutines)");
                if (!m.Success || !dm.Success || m.Groups[1].Value != dm.Groups[1].Value)
                {
                    Console.WriteLine($"  the goroutine counts differ:\n--- ours\n{oOut}\n--- Delve (last lines)\n{string.Join('\n', dOut.Split('\n').TakeLast(5))}");
                    ok = false;
                }
            }

            Console.WriteLine(line);
        }

        File.Delete(commands);
        double oursMedian = BenchProcess.Median(oursMs);
        if (dlv is null)
        {
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"go core: ours {oursMedian:F0} ms; Delve (dlv) is not installed, so no ratio"));
            return ok ? 0 : 1;
        }

        double dlvMedian = BenchProcess.Median(dlvMs);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"go core: ours {oursMedian:F0} ms, Delve {dlvMedian:F0} ms: ratio {oursMedian / dlvMedian:F2}"));
        return ok ? 0 : 1;
    }

    private static string? FindOnPath(string name) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries).Select(d => Path.Combine(d, name)).FirstOrDefault(File.Exists);

    private static (double Ms, string Output) Time(string file, string[] args)
    {
        var psi = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true, UseShellExecute = false };
        foreach (string a in args)
            psi.ArgumentList.Add(a);
        psi.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        psi.Environment["NO_COLOR"] = "1";
        var sw = Stopwatch.StartNew();
        using var p = Process.Start(psi)!;
        p.StandardInput.Close();
        var error = p.StandardError.ReadToEndAsync();
        string output = p.StandardOutput.ReadToEnd();
        p.WaitForExit();
        sw.Stop();
        return (sw.Elapsed.TotalMilliseconds, output + error.Result);
    }

    [GeneratedRegex(@"GOROUTINES (\d+) FRAMES (\d+)")]
    private static partial Regex OursCount();

    [GeneratedRegex(@"\[(\d+) goroutines\]")]
    private static partial Regex DlvCount();
}
