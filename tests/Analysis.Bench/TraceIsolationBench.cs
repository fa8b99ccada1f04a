using System.Diagnostics;
using System.Globalization;
using Analysis.Isolation;
using Analysis.Traces;

namespace Analysis.Bench;

/// <summary>
/// Issue 12: the trace reading pass in this process against the same pass in a worker process (the default), on the same
/// files, each measured in a fresh process, alternating, medians of the rounds: first open (cold: what Import-Trace costs
/// in a new session), second open (warm: the next trace in the same session), the questions after it (they read our
/// model, so they should not change), the worker's start and one round trip, and the memory of the session's process
/// and of the worker.
///   Analysis.Bench isolation &lt;file.nettrace&gt;... [--rounds N]
///   Analysis.Bench measure-isolation (inprocess|worker) &lt;file&gt;      (child mode: one RESULT line)
/// </summary>
internal static class TraceIsolationBench
{
    private sealed record Sample(string Mode, double FirstMs, double SecondMs, double QuestionsMs, double FirstQuestionsMs, long ParentPeakKb, long ParentAfterKb, long WorkerPeakKb, double StartMs, double RoundTripMs, long ModelBytes, double EncodeMs, double DecodeMs, string Digest, double SecondQuestionsMs);

    public static int Run(IReadOnlyList<string> files, int rounds)
    {
        bool agree = true;
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"trace reading in this process vs in a worker process, fresh process per measurement, median of {rounds}, {Environment.ProcessorCount} cores"));
        foreach (string file in files)
        {
            var samples = new List<Sample>();
            for (int i = 0; i < rounds; i++)
            {
                foreach (string mode in new[] { "inprocess", "worker" })
                {
                    var r = BenchProcess.RunMeasurement("isolation", "measure-isolation", mode, file);
                    var s = new Sample(mode, D(r[1]), D(r[2]), D(r[3]), D(r[4]), L(r[5]), L(r[6]), L(r[7]), D(r[8]), D(r[9]), L(r[10]), D(r[11]), D(r[12]), r[13], D(r[14]));
                    samples.Add(s);
                    Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  round {i + 1} {mode,-9}: first open {s.FirstMs,8:F0} ms, second {s.SecondMs,8:F0} ms, questions {s.FirstQuestionsMs,7:F1} / {s.SecondQuestionsMs,7:F1} / {s.QuestionsMs,7:F1} ms"));
                }
            }

            var inProcess = samples.Where(s => s.Mode == "inprocess").ToList();
            var worker = samples.Where(s => s.Mode == "worker").ToList();
            double M(List<Sample> list, Func<Sample, double> f) => BenchProcess.Median(list.Select(f));
            Console.WriteLine();
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{Path.GetFileName(file)} ({Bytes.Format(new FileInfo(file).Length)})"));
            Console.WriteLine($"  {"",-40} {"in-process",12} {"worker",12} {"ratio",8}");
            void Row(string name, double a, double b, string unit) =>
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  {name,-40} {a,9:F1} {unit,-2} {b,9:F1} {unit,-2} {(a > 0 ? b / a : double.NaN),8:F2}"));
            Row("first open (cold session)", M(inProcess, s => s.FirstMs), M(worker, s => s.FirstMs), "ms");
            Row("second open (same session)", M(inProcess, s => s.SecondMs), M(worker, s => s.SecondMs), "ms");
            Row("questions, first time (with their JIT)", M(inProcess, s => s.FirstQuestionsMs), M(worker, s => s.FirstQuestionsMs), "ms");
            Row("questions, asked again a second later", M(inProcess, s => s.SecondQuestionsMs), M(worker, s => s.SecondQuestionsMs), "ms");
            Row("questions at steady state (rounds 4-6)", M(inProcess, s => s.QuestionsMs), M(worker, s => s.QuestionsMs), "ms");
            Row("session process peak RSS", inProcess.Max(s => s.ParentPeakKb) / 1024.0, worker.Max(s => s.ParentPeakKb) / 1024.0, "MB");
            Row("session process RSS after open", M(inProcess, s => s.ParentAfterKb / 1024.0), M(worker, s => s.ParentAfterKb / 1024.0), "MB");
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  {"worker peak RSS",-40} {"",12} {worker.Max(s => s.WorkerPeakKb) / 1024.0,9:F1} MB"));
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  {"worker start (to ready) / one round trip",-40} {"",12} {M(worker, s => s.StartMs),9:F1} ms / {M(worker, s => s.RoundTripMs):F2} ms"));
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  {"model sent back: size / write / read",-40} {"",12} {Bytes.Format(worker[0].ModelBytes)} / {M(worker, s => s.EncodeMs):F1} ms / {M(worker, s => s.DecodeMs):F1} ms"));
            bool same = samples.Select(s => s.Digest).Distinct().Count() == 1;
            agree &= same;
            Console.WriteLine(same ? "  answers identical in both modes (digest of every query)" : "  MISMATCH: the modes answer differently");
            Console.WriteLine();
        }

        return agree ? 0 : 1;
    }

    /// <summary>Diagnosis: each question's time over rounds a second apart, after one open in the given mode.</summary>
    public static int Detail(string mode, string file, int rounds)
    {
        var analysis = TraceAnalysis.Read(file, new TraceReadOptions { Isolation = mode == "worker" ? EngineIsolation.Worker : EngineIsolation.InProcess });
        GC.Collect();
        var questions = new (string Name, Func<int> Ask)[]
        {
            ("gc summary", () => analysis.GetGcSummary().ToString().Length),
            ("cpu top", () => analysis.GetCpuTop(50, filter: SampleFilter.All).Count),
            ("cpu top inclusive", () => analysis.GetCpuTop(50, inclusive: true).Count),
            ("folded stacks", () => analysis.GetFoldedStacks(SampleFilter.All).Take(200).Count()),
            ("exceptions by type", () => analysis.CountExceptionsByType().Count),
            ("exceptions", () => analysis.EnumerateExceptions().Take(1000).Sum(e => (e + " " + e.Stack).Length)),
            ("contention", () => analysis.EnumerateContention().Take(1000).Sum(c => (c + " " + c.Stack).Length)),
            ("exceptions: enumerate", () => analysis.EnumerateExceptions().Take(1000).Count()),
            ("exceptions: text", () => analysis.EnumerateExceptions().Take(1000).Sum(e => e.ToString().Length)),
            ("exceptions: stack text", () => analysis.EnumerateExceptions().Take(1000).Sum(e => e.Stack.ToString().Length)),
            ("exceptions: stack frames", () => analysis.EnumerateExceptions().Take(1000).Sum(e => e.Stack.Count)),
        };
        for (int round = 0; round < rounds; round++)
        {
            Thread.Sleep(1000);
            var parts = new List<string>();
            foreach (var (name, ask) in questions)
            {
                int gcs = GC.CollectionCount(0);
                var clock = Stopwatch.StartNew();
                ask();
                parts.Add(string.Create(CultureInfo.InvariantCulture, $"{name} {clock.Elapsed.TotalMilliseconds:F2} ({GC.CollectionCount(0) - gcs} GCs)"));
            }

            Console.WriteLine($"{mode} round {round + 1}: {string.Join(", ", parts)}; minor page faults so far {BenchProcess.MinorFaults()}");
        }

        return 0;
    }

    /// <summary>Child mode: two opens, then the questions; prints RESULT with times, memory and a digest of the answers.</summary>
    public static int Measure(string mode, string file)
    {
        var options = new TraceReadOptions { Isolation = mode == "worker" ? EngineIsolation.Worker : EngineIsolation.InProcess };
        var clock = Stopwatch.StartNew();
        var first = TraceAnalysis.Read(file, options);
        double firstMs = clock.Elapsed.TotalMilliseconds;
        clock.Restart();
        var analysis = TraceAnalysis.Read(file, options);
        double secondMs = clock.Elapsed.TotalMilliseconds;
        if (analysis.ReadBy != options.Isolation || first.EventCount != analysis.EventCount)
            throw new InvalidOperationException($"read by {analysis.ReadBy}, asked {options.Isolation}");
        first = null;
        GC.Collect();
        long afterKb = CurrentRssKb();
        if (Environment.GetEnvironmentVariable("BENCH_DROP_WORKER") == "1")
            WorkerPool.Drop(); // diagnosis: no kept worker finishing its own work beside the questions

        double questionsMs = 0, firstQuestionsMs = 0, secondQuestionsMs = 0;
        var steady = new List<double>();
        var digest = new System.IO.Hashing.XxHash64();
        void Add(object o) => digest.Append(System.Text.Encoding.UTF8.GetBytes(o.ToString() + "\n"));

        // the questions six times at an investigator's pace (a second apart): the first includes compiling them; the
        // second and third still run partly in tier-0 code (in this process's mode the reading pass has already promoted
        // the shared collection and text code, so it reaches tier 1 sooner); from the fourth on, the steady state
        for (int round = 0; round < 6; round++)
        {
            if (round > 0)
                Thread.Sleep(1000);
            digest.Reset();
            clock.Restart();
            Add(analysis.GetGcSummary());
            foreach (var f in analysis.GetCpuTop(50, filter: SampleFilter.All))
                Add(f);
            foreach (var f in analysis.GetCpuTop(50, inclusive: true))
                Add(f);
            foreach (var s in analysis.GetFoldedStacks(SampleFilter.All).Take(200))
                Add(s);
            foreach (var (type, count) in analysis.CountExceptionsByType())
                Add($"{type} {count}");
            foreach (var e in analysis.EnumerateExceptions().Take(1000))
                Add(e + " " + e.Stack);
            foreach (var c in analysis.EnumerateContention().Take(1000))
                Add(c + " " + c.Stack);
            foreach (string w in analysis.Warnings)
                Add(w);
            if (round == 0)
                firstQuestionsMs = clock.Elapsed.TotalMilliseconds;
            else if (round == 1)
                secondQuestionsMs = clock.Elapsed.TotalMilliseconds;
            else if (round >= 3)
                steady.Add(clock.Elapsed.TotalMilliseconds);
        }

        questionsMs = BenchProcess.Median(steady);

        double startMs = 0, roundTripMs = 0, encodeMs = 0, decodeMs = 0;
        long modelBytes = 0;
        if (mode == "worker")
        {
            // the model's trip: written in the worker, read in the session (what a warm open adds to the reading pass)
            using var model = new MemoryStream();
            analysis.WriteModel(model);
            model.SetLength(0);
            clock.Restart();
            analysis.WriteModel(model);
            encodeMs = clock.Elapsed.TotalMilliseconds;
            modelBytes = model.Length;
            model.Position = 0;
            clock.Restart();
            _ = TraceAnalysis.ReadModel(model, file, new FileInfo(file).Length);
            decodeMs = clock.Elapsed.TotalMilliseconds;

            var host = WorkerHost.Find(out string? whyNot) ?? throw new InvalidOperationException(whyNot);
            clock.Restart();
            using var worker = EngineWorker.Start(host, new WorkerStart(file, "measuring", 256L << 20) { TestOperations = true });
            startMs = clock.Elapsed.TotalMilliseconds;
            worker.Invoke("worker.sleep", w => { w.Write(0); w.Write(false); }, null, default);
            clock.Restart();
            for (int i = 0; i < 20; i++)
                worker.Invoke("worker.sleep", w => { w.Write(0); w.Write(false); }, null, default);
            roundTripMs = clock.Elapsed.TotalMilliseconds / 20;
        }

        long workerPeakKb = BenchProcess.ChildrenPeakRssKb() ?? 0;
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"RESULT {firstMs:F1} {secondMs:F1} {questionsMs:F2} {firstQuestionsMs:F2} {BenchProcess.PeakRssKb()} {afterKb} {workerPeakKb} {startMs:F1} {roundTripMs:F3} {modelBytes} {encodeMs:F1} {decodeMs:F1} {digest.GetCurrentHashAsUInt64():x16} {secondQuestionsMs:F2}"));
        return 0;
    }

    private static long CurrentRssKb()
    {
        foreach (string line in File.ReadLines("/proc/self/status"))
        {
            if (line.StartsWith("VmRSS:", StringComparison.Ordinal))
                return long.Parse(line[6..].Trim().Split(' ')[0], CultureInfo.InvariantCulture);
        }

        return 0;
    }

    private static double D(string s) => double.Parse(s, CultureInfo.InvariantCulture);

    private static long L(string s) => long.Parse(s, CultureInfo.InvariantCulture);
}
