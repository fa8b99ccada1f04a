using System.Diagnostics;
using System.Globalization;
using Analysis.Dumps;
using Microsoft.Diagnostics.Runtime;

namespace Analysis.Bench;

/// <summary>
/// gcroot benchmark: "why is this object alive" on a big dump. Baseline: ClrMD's GCRoot enumerating the root paths
/// of one object, as SOS !gcroot does. Ours: the object-graph index (first question builds it, with the on-disk
/// cache written in the background), then a second question in the same session, then a new process that loads
/// the index from the cache. Each measurement runs in its own process.
///   Analysis.Bench gcroot &lt;dump&gt; [rounds]
/// </summary>
public static class GcRootBench
{
    private sealed record Result(string Kind, double FirstMs, double SecondMs, long PeakRssKb, int Hops, double RetainedMs, long RetainedRssKb);

    public static int Run(string dump, int rounds)
    {
        // The targets: a session held by a static dictionary, and an order held by a static list.
        ulong session, order;
        using (var s = DumpSession.Open(dump, new DumpOpenOptions { NoCache = true, Isolation = EngineIsolation.InProcess }))
        {
            session = s.FindRootPaths("Contoso.Retention.CustomerSession", 1).Paths[0].Addresses[0];
            order = s.FindRootPaths("Contoso.Orders.LeakedOrder", 1).Paths[0].Addresses[0];
        }

        var results = new List<Result>();
        for (int i = 0; i < rounds; i++)
        {
            string cache = Path.Combine(Path.GetTempPath(), $"analysis-bench-cache-{Guid.NewGuid():N}");
            try
            {
                foreach (string kind in new[] { "clrmd", "ours", "cached" })
                {
                    var r = RunChild(kind, dump, session, order, cache);
                    results.Add(r);
                    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                        $"  round {i + 1} {kind,-6}: first {r.FirstMs,8:F0} ms, second {r.SecondMs,8:F1} ms, peak RSS {r.PeakRssKb / 1024,5} MB, path of {r.Hops} objects"));
                }
            }
            finally
            {
                if (Directory.Exists(cache))
                    Directory.Delete(cache, recursive: true);
            }
        }

        double Med(string kind, Func<Result, double> f) => BenchProcess.Median(results.Where(r => r.Kind == kind).Select(f));
        long Rss(string kind) => results.Where(r => r.Kind == kind).Max(r => r.PeakRssKb);
        double clrmd = Med("clrmd", r => r.FirstMs);
        Console.WriteLine();
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"gcroot on {Path.GetFileName(dump)} ({new FileInfo(dump).Length / (1024 * 1024):N0} MB dump), median of {rounds}, {Environment.ProcessorCount} cores"));
        Console.WriteLine($"  {"",-40} {"time ms",10} {"peak RSS MB",12} {"ratio",8}");
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  {"ClrMD GCRoot, one object (baseline)",-40} {clrmd,10:F0} {Rss("clrmd") / 1024,12} {1.0,8:F2}"));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  {"ours, first question (builds the index)",-40} {Med("ours", r => r.FirstMs),10:F0} {Rss("ours") / 1024,12} {Med("ours", r => r.FirstMs) / clrmd,8:F2}   goal <= 0.25"));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  {"ours, next question, same session",-40} {Med("ours", r => r.SecondMs),10:F1} {"",12} {Med("ours", r => r.SecondMs) / clrmd,8:F4}   goal far less"));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  {"ours, new session, index from cache",-40} {Med("cached", r => r.FirstMs),10:F0} {Rss("cached") / 1024,12} {Med("cached", r => r.FirstMs) / clrmd,8:F2}"));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  {"ours, retained sizes by type (no baseline)",-40} {Med("ours", r => r.RetainedMs),10:F0} {results.Where(r => r.Kind == "ours").Max(r => r.RetainedRssKb) / 1024,12}   (dominator tree of the whole heap; SOS has none)"));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  memory ratio ours/ClrMD: {(double)Rss("ours") / Rss("clrmd"):F2}"));
        bool shortest = results.Where(r => r.Kind != "clrmd").All(r => r.Hops <= results.Where(c => c.Kind == "clrmd").Min(c => c.Hops));
        Console.WriteLine(shortest ? "  our paths are no longer than ClrMD's" : "  MISMATCH: our path is longer than ClrMD's");
        return shortest ? 0 : 1;
    }

    public static int Measure(string kind, string dump, ulong session, ulong order, string cache)
    {
        if (kind == "clrmd")
        {
            using var s = DumpSession.Open(dump, new DumpOpenOptions { NoCache = true, Isolation = EngineIsolation.InProcess });
            var sw = Stopwatch.StartNew();
            // What SOS !gcroot does: every root path of the object, found by ClrMD's GCRoot.
            int shortest = int.MaxValue;
            foreach (var (_, chain) in new GCRoot(s.GetClrRuntime().Heap, [session]).EnumerateRootPaths())
            {
                int n = 0;
                for (var link = chain; link is not null; link = link.Next)
                    n++;
                shortest = Math.Min(shortest, n);
            }

            double first = sw.Elapsed.TotalMilliseconds;
            Print(kind, first, 0, BenchProcess.PeakRssKb(), shortest, 0);
            return 0;
        }

        using var ours = DumpSession.Open(dump, new DumpOpenOptions { CacheDirectory = cache, Isolation = EngineIsolation.InProcess });
        var watch = Stopwatch.StartNew();
        var path = ours.FindRootPath(session) ?? throw new InvalidOperationException("no root path");
        double firstMs = watch.Elapsed.TotalMilliseconds;
        if (kind == "cached" && !ours.GraphLoadedFromCache)
            throw new InvalidOperationException("the index was not loaded from the cache");
        watch.Restart();
        _ = ours.FindRootPath(order) ?? throw new InvalidOperationException("no root path");
        double secondMs = watch.Elapsed.TotalMilliseconds;
        long rss = BenchProcess.PeakRssKb();
        watch.Restart();
        _ = ours.GetRetainedByType(10);
        double retainedMs = watch.Elapsed.TotalMilliseconds;
        ours.WaitForGraphCache();
        Print(kind, firstMs, secondMs, rss, path.Hops.Count, retainedMs);
        return 0;
    }

    private static void Print(string kind, double first, double second, long rssKb, int hops, double retained) =>
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"RESULT {kind} {first:F3} {second:F4} {rssKb} {hops} {retained:F3} {BenchProcess.PeakRssKb()}"));

    private static Result RunChild(string kind, string dump, ulong session, ulong order, string cache)
    {
        string[] f = BenchProcess.RunMeasurement(kind, "measure-gcroot", kind, dump, session.ToString(CultureInfo.InvariantCulture), order.ToString(CultureInfo.InvariantCulture), cache);
        return new Result(f[1], double.Parse(f[2], CultureInfo.InvariantCulture), double.Parse(f[3], CultureInfo.InvariantCulture),
            long.Parse(f[4], CultureInfo.InvariantCulture), int.Parse(f[5], CultureInfo.InvariantCulture), double.Parse(f[6], CultureInfo.InvariantCulture), long.Parse(f[7], CultureInfo.InvariantCulture));
    }
}
