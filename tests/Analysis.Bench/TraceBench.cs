using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;
using Analysis.Traces;

namespace Analysis.Bench;

/// <summary>
/// Trace benchmark: our GC summary + CPU top (one streaming pass) against `dotnet-trace report topN` on the same
/// file, each in its own process measured by <see cref="ChildRss"/>, alternating rounds, medians and ratios.
/// </summary>
internal static partial class TraceBench
{
    /// <summary>Traces TraceTarget's event-heavy "bulk" workload for the given time.</summary>
    public static int Generate(string targetDll, string output, double seconds)
    {
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardInput = true, RedirectStandardOutput = true };
        psi.ArgumentList.Add(targetDll);
        psi.ArgumentList.Add("bulk");
        psi.ArgumentList.Add(seconds.ToString(CultureInfo.InvariantCulture));
        using var target = Process.Start(psi)!;
        try
        {
            string? line;
            while ((line = target.StandardOutput.ReadLine()) is not null && !line.StartsWith("READY", StringComparison.Ordinal))
            {
            }

            using (var recording = TraceRecording.Start(target.Id, output, TraceProfile.All))
            {
                target.StandardInput.WriteLine("go");
                target.StandardInput.Flush();
                while ((line = target.StandardOutput.ReadLine()) is not null && line != "DONE")
                {
                }

                recording.Stop();
            }

            var a = TraceAnalysis.Read(output);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"generated {output}: {Analysis.Bytes.Format(new FileInfo(output).Length)}, {a.EventCount:N0} events, {a.Gcs.Count:N0} GCs, {a.SampleCount:N0} samples, {a.ExceptionCount:N0} exceptions"));
            return 0;
        }
        finally
        {
            target.Kill(entireProcessTree: true);
        }
    }

    /// <summary>Child mode: read the trace, summarize GCs, rank CPU; print the top functions.</summary>
    public static int MeasureOurs(string file)
    {
        var sw = Stopwatch.StartNew();
        var analysis = TraceAnalysis.Read(file);
        var gc = analysis.GetGcSummary();
        var top = analysis.GetCpuTop(10, filter: SampleFilter.All);
        sw.Stop();
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"GC {gc.Count} {gc.TotalPauseMs:F1}"));
        foreach (var f in top)
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"TOP {f.ExclusivePercent:F2} {f.Function}"));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"INTERNAL {sw.Elapsed.TotalMilliseconds:F1}"));
        return 0;
    }

    private sealed record Sample(string Kind, double Ms, long RssKb, string Output);

    public static int Run(string file, string dotnetTrace, int rounds)
    {
        string self = typeof(TraceBench).Assembly.Location;
        var samples = new List<Sample>();
        for (int i = 0; i < rounds; i++)
        {
            samples.Add(Measure("dotnet-trace", ["dotnet", self, "rss", dotnetTrace, "report", file, "topN", "-n", "10"]));
            samples.Add(Measure("ours", ["dotnet", self, "rss", "dotnet", self, "measure-trace", file]));
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  round {i + 1}: dotnet-trace {samples[^2].Ms:F0} ms / {samples[^2].RssKb / 1024} MB, ours {samples[^1].Ms:F0} ms / {samples[^1].RssKb / 1024} MB"));
        }

        double theirMs = BenchProcess.Median(samples.Where(s => s.Kind == "dotnet-trace").Select(s => s.Ms));
        double ourMs = BenchProcess.Median(samples.Where(s => s.Kind == "ours").Select(s => s.Ms));
        long theirRss = samples.Where(s => s.Kind == "dotnet-trace").Max(s => s.RssKb);
        long ourRss = samples.Where(s => s.Kind == "ours").Max(s => s.RssKb);

        Console.WriteLine();
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"trace analysis on {Path.GetFileName(file)} ({Analysis.Bytes.Format(new FileInfo(file).Length)}), whole processes, median of {rounds}"));
        Console.WriteLine($"  {"",-44} {"time ms",9} {"peak RSS MB",12}");
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  {"dotnet-trace report topN (baseline)",-44} {theirMs,9:F0} {theirRss / 1024,12}"));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  {"ours: read + GC summary + CPU top",-44} {ourMs,9:F0} {ourRss / 1024,12}"));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  ratios ours/dotnet-trace: time {ourMs / theirMs:F2} (goal <= 0.50), memory {(double)ourRss / theirRss:F2} (goal <= 1.00)"));

        // Top functions side by side. dotnet-trace weighs samples by thread time (SampleProfilerThreadTimeComputer);
        // ours counts samples, so percentages differ while the functions should largely be the same.
        var theirs = Regex.Matches(samples.First(s => s.Kind == "dotnet-trace").Output, @"^\d+\.\s+(?<name>\S.*?)\s+[\d.]+%\s+(?<excl>[\d.]+)%", RegexOptions.Multiline)
            .Select(m => (Name: m.Groups["name"].Value.Trim(), Pct: m.Groups["excl"].Value)).ToArray();
        var ours = samples.First(s => s.Kind == "ours").Output.Split('\n').Where(l => l.StartsWith("TOP ", StringComparison.Ordinal))
            .Select(l => l[4..].Split(' ', 2)).Select(p => (Name: p[1].Trim(), Pct: p[0])).ToArray();
        Console.WriteLine();
        Console.WriteLine($"  {"dotnet-trace top 5 (excl %)",-60} | ours, all samples (excl %)");
        for (int i = 0; i < 5; i++)
        {
            string l = i < theirs.Length ? $"{theirs[i].Pct,6}% {Shorten(theirs[i].Name)}" : "";
            string r = i < ours.Length ? $"{ours[i].Pct,6}% {Shorten(ours[i].Name)}" : "";
            Console.WriteLine($"  {l,-60} | {r}");
        }

        int common = theirs.Take(5).Count(t => ours.Take(10).Any(o => SameFunction(o.Name, t.Name)));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  {common} of dotnet-trace's top 5 are in our top 10"));
        return 0;
    }

    /// <summary>dotnet-trace prints "[Module!]Type.Method(args…" (short type name, arguments cut); ours is "Namespace.Type.Method(args)".</summary>
    private static bool SameFunction(string ours, string theirs)
    {
        string t = theirs.Contains('!', StringComparison.Ordinal) ? theirs[(theirs.IndexOf('!', StringComparison.Ordinal) + 1)..] : theirs;
        string theirHead = t.Split('(')[0];
        string ourHead = ours.Split('(')[0];
        return ourHead == theirHead || ourHead.EndsWith("." + theirHead, StringComparison.Ordinal);
    }

    private static string Shorten(string s) => s.Length <= 52 ? s : s[..49] + "...";

    private static Sample Measure(string kind, string[] command)
    {
        var psi = new ProcessStartInfo(command[0]) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (string a in command[1..])
            psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        string output = p.StandardOutput.ReadToEnd();
        string error = p.StandardError.ReadToEnd();
        p.WaitForExit();
        var child = output.Split('\n').LastOrDefault(l => l.StartsWith("CHILD ", StringComparison.Ordinal))?.Split(' ');
        if (child is null || child[1] != "0")
            throw new InvalidOperationException($"{kind} failed: {output} {error}");
        return new Sample(kind, double.Parse(child[2], CultureInfo.InvariantCulture), long.Parse(child[3], CultureInfo.InvariantCulture), output);
    }
}
