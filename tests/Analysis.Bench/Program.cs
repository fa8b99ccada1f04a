using System.Diagnostics;
using System.Globalization;
using Analysis;
using Analysis.Dumps;

namespace Analysis.Bench;

/// <summary>
/// heap-top benchmark: our cached, block-reading, parallel heap walk against the plain ClrMD loop every SOS-like
/// tool writes (EnumerateObjects, group by type name). Both run on the same dump, in separate child processes,
/// alternating, several rounds; medians and ratios are printed. Exit code 1 when the two disagree on any type.
///   Analysis.Bench heaptop &lt;dump&gt; [rounds]
///   Analysis.Bench measure (ours|naive) &lt;dump&gt;      (child mode: prints one result line)
/// </summary>
public static class Program
{
    public static int Main(string[] args)
    {
        if (args.Length >= 3 && args[0] == "measure")
            return Measure(args[1], args[2]);
        if (args.Length >= 2 && args[0] == "heaptop")
            return HeapTop(args[1], args.Length > 2 ? int.Parse(args[2], CultureInfo.InvariantCulture) : 3);
        if (args.Length >= 4 && args[0] == "tracegen")
            return TraceBench.Generate(args[1], args[2], double.Parse(args[3], CultureInfo.InvariantCulture));
        if (args.Length >= 3 && args[0] == "trace")
            return TraceBench.Run(args[1], args[2], args.Length > 3 ? int.Parse(args[3], CultureInfo.InvariantCulture) : 3);
        if (args.Length >= 2 && args[0] == "isolation")
        {
            var (files, rounds) = FilesAndRounds(args[1..]);
            return TraceIsolationBench.Run(files, rounds);
        }

        if (args.Length >= 3 && args[0] == "session-isolation")
        {
            bool own = args.Contains("--own");
            var (files, rounds) = FilesAndRounds([.. args[2..].Where(a => a != "--own")]);
            return SessionIsolationBench.Run(Path.GetFullPath(args[1]), files, rounds, own);
        }

        if (args.Length >= 2 && args[0] == "dump-isolation")
        {
            var (dumps, rounds) = FilesAndRounds(args[1..]);
            return DumpIsolationBench.Run(dumps, rounds);
        }

        if (args.Length >= 3 && args[0] == "measure-dump-isolation")
            return DumpIsolationBench.Measure(args[1], args[2]);
        if (args.Length >= 3 && args[0] == "dump-isolation-detail")
            return DumpIsolationBench.Detail(args[1], args[2]);
        if (args.Length >= 3 && args[0] == "isolation-detail")
            return TraceIsolationBench.Detail(args[1], args[2], args.Length > 3 ? int.Parse(args[3], CultureInfo.InvariantCulture) : 5);
        if (args.Length >= 3 && args[0] == "measure-isolation")
            return TraceIsolationBench.Measure(args[1], args[2]);
        if (args.Length >= 2 && args[0] == "measure-trace")
            return TraceBench.MeasureOurs(args[1]);
        if (args.Length >= 4 && args[0] == "goroutines")
            return GoBench.Run(args[1], int.Parse(args[2], CultureInfo.InvariantCulture), args[3], args.Length > 4 ? int.Parse(args[4], CultureInfo.InvariantCulture) : 3);
        if (args.Length >= 2 && args[0] == "measure-goroutines")
            return GoBench.Measure(args[1]);
        if (args.Length >= 2 && args[0] == "pprof")
            return GoBench.Pprof(args[1]);
        if (args.Length >= 2 && args[0] == "gcroot")
            return GcRootBench.Run(args[1], args.Length > 2 ? int.Parse(args[2], CultureInfo.InvariantCulture) : 3);
        if (args.Length >= 6 && args[0] == "measure-gcroot")
            return GcRootBench.Measure(args[1], args[2], ulong.Parse(args[3], CultureInfo.InvariantCulture), ulong.Parse(args[4], CultureInfo.InvariantCulture), args[5]);
        if (args.Length >= 3 && args[0] == "sos")
            return SosBench.Run(args[1], args[2], args.Length > 3 ? int.Parse(args[3], CultureInfo.InvariantCulture) : 3, args.Length > 4 ? args[4] : null);
        if (args.Length >= 4 && args[0] == "gocore")
            return GoCoreBench.Run(args[1], args[2], args[3], args.Length > 4 ? int.Parse(args[4], CultureInfo.InvariantCulture) : 3);
        if (args.Length >= 2 && args[0] == "rss")
            return ChildRss.Run(args[1..]);
        if (args.Length >= 1 && args[0] == "kernel")
            return KernelBench.Run(args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 3);
        if (args.Length >= 2 && args[0] == "gotrace")
        {
            var (traces, rounds) = FilesAndRounds(args[1..]);
            return GoTraceBench.Run(traces, rounds);
        }

        Console.Error.WriteLine("usage: Analysis.Bench heaptop <dump> [rounds] | tracegen <TraceTarget.dll> <out.nettrace> <seconds> | trace <file.nettrace> <dotnet-trace> [rounds]");
        return 2;
    }

    /// <summary>The files named, and "--rounds N" among them (3 when absent).</summary>
    private static (List<string> Files, int Rounds) FilesAndRounds(string[] args)
    {
        var files = args.ToList();
        int rounds = 3;
        if (files.IndexOf("--rounds") is int at and >= 0 && at + 1 < files.Count)
        {
            rounds = int.Parse(files[at + 1], CultureInfo.InvariantCulture);
            files.RemoveRange(at, 2);
        }

        return (files, rounds);
    }

    private sealed record Result(string Kind, double FirstMs, double SecondMs, long PeakRssKb, long Objects, long Bytes, string Digest);

    private static int HeapTop(string dump, int rounds)
    {
        var results = new List<Result>();
        for (int i = 0; i < rounds; i++)
        {
            foreach (string kind in new[] { "naive", "ours" })
            {
                var r = RunChild(kind, dump);
                results.Add(r);
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  round {i + 1} {kind,-5}: {r.FirstMs,8:F0} ms, peak RSS {r.PeakRssKb / 1024,5} MB"));
            }
        }

        var naive = results.Where(r => r.Kind == "naive").ToList();
        var ours = results.Where(r => r.Kind == "ours").ToList();
        double naiveMs = BenchProcess.Median(naive.Select(r => r.FirstMs));
        double oursMs = BenchProcess.Median(ours.Select(r => r.FirstMs));
        double cachedMs = BenchProcess.Median(ours.Select(r => r.SecondMs));
        long naiveRss = naive.Max(r => r.PeakRssKb);
        long oursRss = ours.Max(r => r.PeakRssKb);

        Console.WriteLine();
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"heap-top on {Path.GetFileName(dump)} ({new FileInfo(dump).Length / (1024 * 1024):N0} MB dump, {ours[0].Objects:N0} live objects, {Bytes.Format(ours[0].Bytes)}), median of {rounds}, {Environment.ProcessorCount} cores"));
        Console.WriteLine($"  {"",-26} {"time ms",10} {"peak RSS MB",12} {"ratio",8}");
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  {"naive ClrMD loop (baseline)",-26} {naiveMs,10:F0} {naiveRss / 1024,12} {1.0,8:F2}"));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  {"ours, first question",-26} {oursMs,10:F0} {oursRss / 1024,12} {oursMs / naiveMs,8:F2}   goal <= 0.60"));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  {"ours, second question",-26} {cachedMs,10:F3} {"",12} {cachedMs / naiveMs,8:F6}   goal near 0 (cached)"));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  memory ratio ours/naive: {(double)oursRss / naiveRss:F2}"));

        bool agree = results.Select(r => r.Digest).Distinct().Count() == 1;
        Console.WriteLine(agree ? "  results agree: same counts and sizes per type" : "  MISMATCH: ours and the naive loop disagree");
        return agree ? 0 : 1;
    }

    private static Result RunChild(string kind, string dump)
    {
        string[] f = BenchProcess.RunMeasurement(kind, "measure", kind, dump);
        return new Result(f[1], double.Parse(f[2], CultureInfo.InvariantCulture), double.Parse(f[3], CultureInfo.InvariantCulture),
            long.Parse(f[4], CultureInfo.InvariantCulture), long.Parse(f[5], CultureInfo.InvariantCulture), long.Parse(f[6], CultureInfo.InvariantCulture), f[7]);
    }

    private static int Measure(string kind, string dump)
    {
        // in this process: the heap walk against ClrMD's loop (the worker's cost is the dump-isolation benchmark's)
        using var session = DumpSession.Open(dump, new DumpOpenOptions { Isolation = EngineIsolation.InProcess });
        var sw = Stopwatch.StartNew();
        Dictionary<string, (long Count, long Size)> perType;
        double secondMs = 0;
        if (kind == "ours")
        {
            var stats = session.GetHeapStatistics();
            sw.Stop();
            var again = Stopwatch.StartNew();
            _ = session.GetHeapStatistics();
            secondMs = again.Elapsed.TotalMilliseconds;
            perType = stats.Types.ToDictionary(t => t.TypeName, t => (t.Count, t.TotalSize));
        }
        else
        {
            // The loop a tool author writes with ClrMD: one ClrObject per object, grouped by type name.
            perType = new Dictionary<string, (long, long)>();
            foreach (var obj in session.GetClrRuntime().Heap.EnumerateObjects())
            {
                if (obj.IsFree)
                    continue;
                string name = obj.Type?.Name ?? "<unknown>";
                var acc = perType.GetValueOrDefault(name);
                perType[name] = (acc.Count + 1, acc.Size + (long)obj.Size);
            }

            sw.Stop();
        }

        string digest = Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(
            string.Join("\n", perType.OrderBy(kv => kv.Key, StringComparer.Ordinal).Select(kv => $"{kv.Key}={kv.Value.Count}/{kv.Value.Size}")))))[..16];
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"RESULT {kind} {sw.Elapsed.TotalMilliseconds:F3} {secondMs:F4} {BenchProcess.PeakRssKb()} {perType.Values.Sum(v => v.Count)} {perType.Values.Sum(v => v.Size)} {digest}"));
        return 0;
    }
}
