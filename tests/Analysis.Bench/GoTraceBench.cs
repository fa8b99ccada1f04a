using System.Diagnostics;
using System.Globalization;
using Analysis.Go;
using Analysis.Tests.Go;

namespace Analysis.Bench;

/// <summary>
/// The Go execution trace decoder's memory and speed, in this process, per trace: bytes allocated while it loads
/// (GC.GetAllocatedBytesForCurrentThread: the decoder runs on the calling thread), the peak of what it retains (a
/// second thread forcing a full GC every millisecond or so while it loads, GC.GetTotalMemory(true), less what was live
/// before; the file's bytes, which the decoder holds while it runs, are counted), the median load time of the rounds
/// (without the sampler), each per input byte and per event, and the SHA-256 of everything the result exposes
/// (GoTraceCanonical, the decoder tests' fingerprint).
///   Analysis.Bench gotrace &lt;trace&gt;... [--rounds N]
/// The traces: the committed ones (tests/testdata/go) and busy ones that tests/TestTargets/go/generate.sh busy-trace
/// writes (MBs; not committed).
/// </summary>
internal static class GoTraceBench
{
    public static int Run(IReadOnlyList<string> files, int rounds)
    {
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"Go execution trace decoder, in process, median of {rounds} loads, {Environment.ProcessorCount} cores, {(System.Runtime.GCSettings.IsServerGC ? "server" : "workstation")} GC"));
        Console.WriteLine($"  {"trace",-22} {"bytes",11} {"events",10} {"gens",5} {"alloc B",13} {"alloc/B",8} {"alloc/ev",9} {"peak B",12} {"peak/B",7} {"peak/ev",8} {"ms",8} {"ns/ev",6}  digest");
        foreach (string file in files)
        {
            long size = new FileInfo(file).Length;
            var trace = GoExecutionTrace.Load(file); // compiled, and the digest
            string digest = GoTraceCanonical.Digest(trace);
            long events = trace.EventCount;
            var times = new List<double>();
            long allocated = 0;
            for (int i = 0; i < rounds; i++)
            {
                GC.Collect();
                GC.WaitForPendingFinalizers();
                long before = GC.GetAllocatedBytesForCurrentThread();
                var sw = Stopwatch.StartNew();
                _ = GoExecutionTrace.Load(file);
                sw.Stop();
                allocated = GC.GetAllocatedBytesForCurrentThread() - before;
                times.Add(sw.Elapsed.TotalMilliseconds);
            }

            long peak = PeakRetained(file);
            double ms = BenchProcess.Median(times);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"  {Path.GetFileName(Path.GetDirectoryName(file)) + "/" + Path.GetFileName(file),-22} {size,11:N0} {events,10:N0} {trace.Generations,5} {allocated,13:N0} {allocated / (double)size,8:F1} {allocated / (double)Math.Max(1, events),9:F1} {peak,12:N0} {peak / (double)size,7:F2} {peak / (double)Math.Max(1, events),8:F1} {ms,8:F1} {ms * 1e6 / Math.Max(1, events),6:F0}  {digest[..16]}"));
        }

        return 0;
    }

    /// <summary>The most the heap held while <paramref name="file"/> loaded, less what it held before: full GCs from another thread, back to back.</summary>
    private static long PeakRetained(string file)
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        long baseline = GC.GetTotalMemory(true);
        long peak = 0;
        using var done = new ManualResetEventSlim();
        var sampler = new Thread(() =>
        {
            while (!done.IsSet)
            {
                peak = Math.Max(peak, GC.GetTotalMemory(true));
                Thread.Sleep(1);
            }
        });
        sampler.Start();
        var kept = GoExecutionTrace.Load(file);
        done.Set();
        sampler.Join();
        GC.KeepAlive(kept);
        return Math.Max(0, peak - baseline);
    }
}
