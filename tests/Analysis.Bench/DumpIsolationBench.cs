using System.Diagnostics;
using System.Globalization;
using Analysis.Dumps;

namespace Analysis.Bench;

/// <summary>
/// Issue 12: a dump session whose ClrMD and DAC run in this process against one whose engine runs in a worker process
/// (the default), on the same dumps, each measured in a fresh process, alternating, medians of the rounds: the open, each
/// first question (threads, heap statistics, root paths with the object-graph index, retained sizes, triage), the same
/// questions asked again (kept in the session), and new questions in a warm session (root paths and retained sizes of
/// single objects, another type's paths: a round trip each), with the memory of the session's process and the worker.
///   Analysis.Bench dump-isolation &lt;dump&gt;... [--rounds N]
///   Analysis.Bench measure-dump-isolation (inprocess|worker) &lt;dump&gt;      (child mode: one RESULT line)
/// </summary>
internal static class DumpIsolationBench
{
    private static readonly string[] Steps = ["open", "threads", "heap", "rootpaths", "retained", "triage", "again", "new", "newagain"];

    public static int Run(IReadOnlyList<string> dumps, int rounds)
    {
        bool agree = true;
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"dump sessions in this process vs in a worker process, fresh process per measurement, median of {rounds}, {Environment.ProcessorCount} cores"));
        foreach (string dump in dumps)
        {
            var samples = new List<(string Mode, double[] Ms, long ParentPeakKb, long WorkerPeakKb, string Digest)>();
            for (int i = 0; i < rounds; i++)
            {
                foreach (string mode in new[] { "inprocess", "worker" })
                {
                    var r = BenchProcess.RunMeasurement("dump isolation", "measure-dump-isolation", mode, dump);
                    var ms = r.Skip(1).Take(Steps.Length).Select(v => double.Parse(v, CultureInfo.InvariantCulture)).ToArray();
                    samples.Add((mode, ms, long.Parse(r[Steps.Length + 1], CultureInfo.InvariantCulture), long.Parse(r[Steps.Length + 2], CultureInfo.InvariantCulture), r[Steps.Length + 3]));
                    Console.WriteLine($"  round {i + 1} {mode,-9}: " + string.Join(", ", Steps.Select((s, k) => string.Create(CultureInfo.InvariantCulture, $"{s} {ms[k]:F1}"))));
                }
            }

            var inProcess = samples.Where(s => s.Mode == "inprocess").ToList();
            var worker = samples.Where(s => s.Mode == "worker").ToList();
            Console.WriteLine();
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{Path.GetFileName(dump)} ({Bytes.Format(new FileInfo(dump).Length)})"));
            Console.WriteLine($"  {"",-52} {"in-process",12} {"worker",12} {"ratio",8}");
            void Row(string name, double a, double b, string unit) =>
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  {name,-52} {a,9:F1} {unit,-2} {b,9:F1} {unit,-2} {(a > 0 ? b / a : double.NaN),8:F2}"));
            string[] names =
            [
                "open (worker start, DAC, module list)", "threads, first time", "heap statistics, first time (heap walk)",
                "root paths of a type, first time (graph index)", "retained sizes by type, first time (dominators)", "triage, first time",
                "the same questions again (kept in the session)", "new questions about single objects and types", "those questions again",
            ];
            for (int k = 0; k < Steps.Length; k++)
                Row(names[k], BenchProcess.Median(inProcess.Select(s => s.Ms[k])), BenchProcess.Median(worker.Select(s => s.Ms[k])), "ms");
            double firstIn = BenchProcess.Median(inProcess.Select(s => s.Ms[..6].Sum())), firstWorker = BenchProcess.Median(worker.Select(s => s.Ms[..6].Sum()));
            Row("open and first questions, in all", firstIn, firstWorker, "ms");
            Row("session process peak RSS", inProcess.Max(s => s.ParentPeakKb) / 1024.0, worker.Max(s => s.ParentPeakKb) / 1024.0, "MB");
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  {"worker peak RSS",-52} {"",12} {worker.Max(s => s.WorkerPeakKb) / 1024.0,9:F1} MB"));
            bool same = samples.Select(s => s.Digest).Distinct().Count() == 1;
            agree &= same;
            Console.WriteLine(same ? "  answers identical in both modes (digest of every answer)" : "  MISMATCH: the modes answer differently");
            Console.WriteLine();
        }

        return agree ? 0 : 1;
    }

    /// <summary>Child mode: opens the dump, asks the questions; prints RESULT with the time of each step, memory and a digest.</summary>
    public static int Measure(string mode, string dump)
    {
        var isolation = mode == "worker" ? EngineIsolation.Worker : EngineIsolation.InProcess;
        var digest = new System.IO.Hashing.XxHash64();
        void Add(object? o) => digest.Append(System.Text.Encoding.UTF8.GetBytes((o?.ToString() ?? "null") + "\n"));
        var ms = new double[Steps.Length];
        var clock = Stopwatch.StartNew();
        void Step(int k)
        {
            ms[k] = clock.Elapsed.TotalMilliseconds;
            clock.Restart();
        }

        using var session = DumpSession.Open(dump, new DumpOpenOptions { NoCache = true, Isolation = isolation });
        Step(0);
        if (session.ReadBy != isolation)
            throw new InvalidOperationException($"read by {session.ReadBy}, asked {isolation}");
        foreach (var t in session.GetThreads())
            Add(t + " " + t.Frames);
        Step(1);
        foreach (var t in session.GetHeapTop(50))
            Add(t);
        Step(2);
        string type = session.GetHeapTop(200, typeNamePattern: "Contoso.*").FirstOrDefault()?.TypeName ?? session.GetHeapTop(1)[0].TypeName;
        var query = session.FindRootPaths(type, 10);
        foreach (var p in query.Paths)
            Add(p);
        Step(3);
        foreach (var r in session.GetRetainedByType(50))
            Add(r);
        Step(4);
        foreach (var f in DumpTriage.Run(session))
            Add(f.Summary);
        Step(5);

        Thread.Sleep(1000); // at an investigator's pace: the runtime's tiered compilation has caught up
        clock.Restart();
        Add(session.GetThreads().Count);
        Add(session.GetHeapTop(20, HeapSortBy.Count, "System.*").Count);
        Add(session.GetRetainedByType(10, "Contoso.*").Count);
        Add(DumpTriage.Run(session).Count);
        Step(6);

        // new questions, each a round trip to the worker: the reverse references every "all roots" question needs are
        // built first (by one such question, untimed); then, a second later, questions about objects and types not asked
        // before; then the same questions again
        var addresses = query.Paths.SelectMany(p => p.Addresses).Take(11).ToList();
        var types = session.GetHeapTop(10, typeNamePattern: "System.*").Select(t => t.TypeName).ToList();
        Add(session.FindAllRootPaths(addresses[^1], 3).Count);
        addresses.RemoveAt(addresses.Count - 1);
        for (int pass = 0; pass < 2; pass++)
        {
            Thread.Sleep(1000);
            clock.Restart();
            foreach (ulong a in addresses)
            {
                Add(session.FindRootPath(a));
                Add(session.GetRetainedSize(a));
                Add(session.FindAllRootPaths(a, 3).Count);
            }

            foreach (string t in types)
                Add(session.FindRootPaths(t, 3).Reachable);
            Step(7 + pass);
        }

        long workerPeakKb = mode == "worker" ? BenchProcess.ChildrenPeakRssKb() ?? 0 : 0;
        // the session closes at the end of the scope: its worker has ended by then for the children's peak; read it now
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"RESULT {string.Join(' ', ms.Select(m => m.ToString("F1", CultureInfo.InvariantCulture)))} {BenchProcess.PeakRssKb()} {WorkerPeak(session, workerPeakKb)} {digest.GetCurrentHashAsUInt64():x16}"));
        return 0;
    }

    /// <summary>
    /// Diagnosis: each step's wall time in this process, the worker's CPU time (0 in process) and this process's minor
    /// page faults, after one open in the given mode; then each kind of new question, ten times.
    /// </summary>
    public static int Detail(string mode, string dump)
    {
        var isolation = mode == "worker" ? EngineIsolation.Worker : EngineIsolation.InProcess;
        using var session = DumpSession.Open(dump, new DumpOpenOptions { NoCache = true, Isolation = isolation });
        var parts = new List<string>();
        void Time(string name, Action ask)
        {
            long faults = BenchProcess.MinorFaults();
            double cpu = WorkerCpuMs(session);
            var clock = Stopwatch.StartNew();
            ask();
            parts.Add(string.Create(CultureInfo.InvariantCulture, $"{name} {clock.Elapsed.TotalMilliseconds:F1} ms (worker cpu {WorkerCpuMs(session) - cpu:F0}, faults {BenchProcess.MinorFaults() - faults})"));
        }

        Time("threads", () => session.GetThreads());
        Time("heap", () => session.GetHeapTop(50));
        string type = session.GetHeapTop(200, typeNamePattern: "Contoso.*").FirstOrDefault()?.TypeName ?? session.GetHeapTop(1)[0].TypeName;
        GcRootQuery? query = null;
        Time("rootpaths", () => query = session.FindRootPaths(type, 10));
        Time("retained", () => session.GetRetainedByType(50));
        Time("async", () => session.GetAsyncState());
        Time("thread pool", () => session.GetThreadPool());
        Time("finalizer", () => session.GetFinalizer());
        Time("oom", () => session.GetOutOfMemory());
        Time("heap statistics", () => session.GetHeapStatistics());
        if (Environment.GetEnvironmentVariable("BENCH_DETECTORS") == "1")
        {
            // each detector of the triage, timed alone in a first run (diagnosis of the triage's own cost)
            var detectors = (Func<TriageContext, IEnumerable<Analysis.Findings.Finding>>[])typeof(DumpTriage)
                .GetField("Detectors", System.Reflection.BindingFlags.NonPublic | System.Reflection.BindingFlags.Static)!.GetValue(null)!;
            var context = new TriageContext(session, new TriageOptions(), null, default);
            foreach (var detect in detectors)
                Time("detector " + detect.Method.Name, () => detect(context).ToList());
        }

        Time("triage", () => DumpTriage.Run(session));
        Time("triage again", () => DumpTriage.Run(session));
        Console.WriteLine($"{mode} first: " + string.Join(", ", parts));
        parts.Clear();
        var addresses = query!.Paths.SelectMany(p => p.Addresses).Take(11).ToList();
        var types = session.GetHeapTop(10, typeNamePattern: "System.*").Select(t => t.TypeName).ToList();
        session.FindAllRootPaths(addresses[^1], 3);
        addresses.RemoveAt(addresses.Count - 1);
        Thread.Sleep(1000);
        var each = new List<string>();
        Time("root path x10", () => addresses.ForEach(a => { var c = Stopwatch.StartNew(); session.FindRootPath(a); each.Add(c.Elapsed.TotalMilliseconds.ToString("F2", CultureInfo.InvariantCulture)); }));
        parts.Add("[" + string.Join(" ", each) + "]");
        Time("retained size x10", () => addresses.ForEach(a => session.GetRetainedSize(a)));
        Time("all root paths x10", () => addresses.ForEach(a => session.FindAllRootPaths(a, 3)));
        Time("type root paths x10", () => types.ForEach(t => session.FindRootPaths(t, 3)));
        Console.WriteLine($"{mode} new: " + string.Join(", ", parts));
        return 0;
    }

    private static double WorkerCpuMs(DumpSession session) => session.WorkerProcessId is int pid ? BenchProcess.CpuMs(pid) : 0;

    /// <summary>The worker's peak resident set: from /proc while it runs (a child's rusage counts only after it ends).</summary>
    private static long WorkerPeak(DumpSession session, long fromRusage)
    {
        if (session.WorkerProcessId is not int pid)
            return fromRusage;
        try
        {
            foreach (string line in File.ReadLines($"/proc/{pid}/status"))
            {
                if (line.StartsWith("VmHWM:", StringComparison.Ordinal))
                    return Math.Max(fromRusage, long.Parse(line["VmHWM:".Length..].Trim().Split(' ')[0], CultureInfo.InvariantCulture));
            }
        }
        catch (IOException)
        {
        }

        return fromRusage;
    }
}
