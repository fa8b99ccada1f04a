using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using Analysis.Go;

namespace Analysis.Bench;

/// <summary>Go benchmarks: grouping a 100k-goroutine dump against panicparse; pprof top on the fixtures.</summary>
internal static partial class GoBench
{
    /// <summary>Writes a debug=2 dump of <paramref name="count"/> goroutines by repeating the real dump's goroutines with new ids and argument values.</summary>
    public static void Synthesize(string template, int count, string output)
    {
        var blocks = File.ReadAllText(template).Split("\n\n", StringSplitOptions.RemoveEmptyEntries).Where(b => b.StartsWith("goroutine ", StringComparison.Ordinal)).ToArray();
        using var writer = new StreamWriter(output, false, new UTF8Encoding(false), 1 << 20);
        writer.NewLine = "\n";
        for (int id = 1; id <= count; id++)
        {
            string block = blocks[(id - 1) % blocks.Length];
            block = HeaderId().Replace(block, $"goroutine {id}", 1);
            block = block.Replace("0xc0000", string.Create(CultureInfo.InvariantCulture, $"0xc{id % 0xfffff:x5}"), StringComparison.Ordinal);
            writer.Write(block.TrimEnd('\n'));
            writer.Write("\n\n");
        }
    }

    public static int Measure(string dump)
    {
        var sw = Stopwatch.StartNew();
        var (buckets, summary) = GoroutineDumpParser.GroupFile(dump);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"GROUPED {buckets.Count} {buckets.Sum(b => b.Count)} {summary.Skipped.Count} {sw.Elapsed.TotalMilliseconds:F1}"));
        return 0;
    }

    public static int Run(string template, int count, string output, int rounds)
    {
        Synthesize(template, count, output);
        string self = typeof(GoBench).Assembly.Location;
        string? panicparse = FindPanicparse();
        var ours = new List<(double Ms, long Kb)>();
        var theirs = new List<(double Ms, long Kb)>();
        string oursOut = "";
        for (int i = 0; i < rounds; i++)
        {
            var o = Child(["dotnet", self, "rss", "dotnet", self, "measure-goroutines", output]);
            ours.Add((o.Ms, o.Kb));
            oursOut = o.Output;
            if (panicparse is not null)
            {
                var t = Child(["dotnet", self, "rss", panicparse, "-aggressive", "-html", "/dev/null", output]);
                theirs.Add((t.Ms, t.Kb));
            }

            string theirsText = theirs.Count > i ? string.Create(CultureInfo.InvariantCulture, $", panicparse {theirs[i].Ms:F0} ms / {theirs[i].Kb / 1024} MB") : "";
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  round {i + 1}: ours {o.Ms:F0} ms / {o.Kb / 1024} MB{theirsText}"));
        }

        var grouped = oursOut.Split('\n').First(l => l.StartsWith("GROUPED ", StringComparison.Ordinal)).Split(' ');
        Console.WriteLine();
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"goroutine grouping on {Path.GetFileName(output)} ({Analysis.Bytes.Format(new FileInfo(output).Length)}, {count:N0} goroutines → {grouped[1]} buckets, {grouped[3]} lines skipped), whole processes, median of {rounds}"));
        double ourMs = BenchProcess.Median(ours.Select(o => o.Ms));
        long ourKb = ours.Max(o => o.Kb);
        Console.WriteLine($"  {"",-40} {"time ms",9} {"peak RSS MB",12}");
        if (theirs.Count > 0)
        {
            double theirMs = BenchProcess.Median(theirs.Select(t => t.Ms));
            long theirKb = theirs.Max(t => t.Kb);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  {"panicparse -aggressive (baseline)",-40} {theirMs,9:F0} {theirKb / 1024,12}"));
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  {"ours: Group-Stacks -Path (streamed)",-40} {ourMs,9:F0} {ourKb / 1024,12}"));
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  ratio ours/panicparse: time {ourMs / theirMs:F2} (goal <= 0.20); our peak {ourKb / 1024} MB (goal <= 200 MB)"));
        }
        else
        {
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  {"ours: Group-Stacks -Path (streamed)",-40} {ourMs,9:F0} {ourKb / 1024,12}"));
            Console.WriteLine("  panicparse is not installed (Debian package 'panicparse'): ours alone");
        }

        return 0;
    }

    /// <summary>Load + top for every pprof fixture, in milliseconds (in-process, after one warm-up).</summary>
    public static int Pprof(string folder)
    {
        var files = Directory.GetFiles(folder, "*.pb.gz").Order(StringComparer.Ordinal).ToArray();
        foreach (string f in files)
            PprofQueries.Top(PprofProfile.Load(f), 10);
        Console.WriteLine($"pprof load + top 10 on the fixtures (median of 5, warm):");
        foreach (string f in files)
        {
            var times = new List<double>();
            int samples = 0;
            for (int i = 0; i < 5; i++)
            {
                var sw = Stopwatch.StartNew();
                var p = PprofProfile.Load(f);
                PprofQueries.Top(p, 10);
                times.Add(sw.Elapsed.TotalMilliseconds);
                samples = p.SampleCount;
            }

            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  {Path.GetFileName(f),-18} {Analysis.Bytes.Format(new FileInfo(f).Length),10} {samples,6} samples {BenchProcess.Median(times),8:F2} ms"));
        }

        return 0;
    }

    private static string? FindPanicparse()
    {
        foreach (string dir in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':'))
        {
            string p = Path.Combine(dir, "panicparse");
            if (File.Exists(p))
                return p;
        }

        return null;
    }

    private static (double Ms, long Kb, string Output) Child(string[] command)
    {
        var psi = new ProcessStartInfo(command[0]) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (string a in command[1..])
            psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        string output = p.StandardOutput.ReadToEnd();
        p.StandardError.ReadToEnd();
        p.WaitForExit();
        var child = output.Split('\n').Last(l => l.StartsWith("CHILD ", StringComparison.Ordinal)).Split(' ');
        return (double.Parse(child[2], CultureInfo.InvariantCulture), long.Parse(child[3], CultureInfo.InvariantCulture), output);
    }

    [GeneratedRegex(@"^goroutine \d+", RegexOptions.Multiline)]
    private static partial Regex HeaderId();
}
