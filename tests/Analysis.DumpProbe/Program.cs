// Asks every dump question of damaged dumps and prints one line per case, so a parent process can tell answers and
// AnalysisExceptions from any other exception, a hang, or a crash of this process inside the DAC.
//
//   Analysis.DumpProbe questions <dump> [<seconds>]
//       one case: the dump as it is
//   Analysis.DumpProbe flips <source dump> <work copy> <seed> <first case> <cases> [<seconds>]
//       case i damages a copy of the dump as DumpDamage case (seed, i) (tests/Analysis.Testing/DumpDamage.cs: bytes in
//       thread stacks, around the frames' stack pointers, in GC heap segments, in the note segments or anywhere in the
//       file; the same case as `Analysis.Fuzz case dump <seed> <i> <file> <dump>` writes), runs the questions, puts the
//       bytes back. The bytes in flight are kept in <work copy>.pending so the next run restores them if this one was killed.
//   Analysis.DumpProbe beside <source dump> <work copy> <seed> <first case> <cases> [<seconds>]
//       as flips, but each damaged dump is read in a new shared worker in which <source dump> was opened first: after
//       each case, "BESIDE <case> <outcome> reopened=<n>" says whether the undamaged dump still answers a new question,
//       and whether it had to open its dump again (the case ended the worker they shared).
//
// Lines: "START <case> <what was flipped>", "ASK <question>" before each question, then "END <case> <question>=<outcome>
// ..." with outcome OK, AE:<kind>(<cause>), CANCELLED (the per-case time ran out and the question observed it) or
// OTHER:<type>:<message>; "stackwalk=CUT" when a thread's stack roots were skipped for a walk that did not end.
using System.Diagnostics;
using System.Globalization;
using Analysis;
using Analysis.Dumps;
using Analysis.Testing;

return args switch
{
    ["questions", var dump, ..] => Probe.Questions(dump, Seconds(args, 2)),
    ["flips", var source, var work, var seed, var first, var count, ..] => Probe.Flips(source, work, Int(seed), Int(first), Int(count), Seconds(args, 6)),
    ["beside", var source, var work, var seed, var first, var count, ..] => Probe.Flips(source, work, Int(seed), Int(first), Int(count), Seconds(args, 6), beside: true),
    _ => Usage(),
};

static int Int(string s) => int.Parse(s, CultureInfo.InvariantCulture);

static TimeSpan Seconds(string[] args, int at) => TimeSpan.FromSeconds(args.Length > at ? Int(args[at]) : 60);

static int Usage()
{
    Console.Error.WriteLine("usage: Analysis.DumpProbe questions <dump> [<seconds>] | (flips|beside) <source> <work copy> <seed> <first> <count> [<seconds>]");
    return 2;
}

internal static class Probe
{
    public static int Questions(string dump, TimeSpan budget)
    {
        Console.WriteLine("START 0 unchanged");
        Console.WriteLine("END 0 " + Ask(dump, budget));
        return 0;
    }

    public static int Flips(string source, string work, int seed, int first, int count, TimeSpan budget, bool beside = false)
    {
        DumpDamage.PrepareCopy(source, work);
        DumpDamage damage;
        using (var session = DumpSession.Open(source, new DumpOpenOptions { NoCache = true, Isolation = EngineIsolation.InProcess }))
            damage = DumpDamage.Find(source, session.GetClrRuntime());
        for (int i = first; i < first + count; i++)
        {
            // beside: a new shared worker per case, the undamaged dump opened in it first, so the damaged one shares it
            DumpSession? good = null;
            if (beside)
            {
                Analysis.Isolation.SharedWorker.Drop();
                good = DumpSession.Open(source, new DumpOpenOptions { NoCache = true });
            }

            var flipped = damage.Damage(work, seed, i);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"START {i} {flipped}"));
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"END {i} {Ask(work, budget, shared: beside)}"));
            DumpDamage.Restore(work);
            if (good is not null)
            {
                // a question the undamaged dump's session has not asked before, so the worker must answer it
                string outcome;
                try
                {
                    _ = good.GetThreadPool().ToString();
                    outcome = "OK";
                }
                catch (Exception e)
                {
                    outcome = "FAILED:" + e.GetType().Name + ":" + e.Message.ReplaceLineEndings(" ");
                }

                Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"BESIDE {i} {outcome} reopened={good.Warnings.Count(w => w.Contains("worker process reading this dump ended", StringComparison.Ordinal))}"));
                good.Dispose();
            }
        }

        return 0;
    }

    /// <summary>Opens the dump and asks every question; one "name=outcome" per question.</summary>
    private static string Ask(string dump, TimeSpan budget, bool shared = false)
    {
        using var cts = new CancellationTokenSource(budget);
        var ct = cts.Token;
        var outcomes = new List<string>();
        DumpSession? session = null;
        string Run(string name, Action question)
        {
            Console.WriteLine("ASK " + name); // the question in flight, should this process die in it
            var sw = Stopwatch.StartNew();
            string outcome;
            try
            {
                question();
                outcome = "OK";
            }
            catch (AnalysisException e)
            {
                outcome = "AE:" + e.Kind + (e.InnerException is { } inner ? "(" + inner.GetType().Name + ")" : "");
            }
            catch (OperationCanceledException)
            {
                outcome = "CANCELLED";
            }
            catch (Exception e)
            {
                outcome = "OTHER:" + e.GetType().FullName + ":" + e.Message.ReplaceLineEndings(" ");
            }

            outcomes.Add(string.Create(CultureInfo.InvariantCulture, $"{name}={outcome}[{sw.ElapsedMilliseconds}ms]"));
            return outcome;
        }

        // every case in a new worker (the last case's would carry what that dump did to it), unless read beside another
        if (!shared)
            Analysis.Isolation.SharedWorker.Drop();
        if (Run("open", () => session = DumpSession.Open(dump, new DumpOpenOptions { NoCache = true }, ct)) != "OK" || session is null)
            return string.Join(' ', outcomes);
        using (session)
        {
            Run("text", () => _ = session.ToString() + session.HasHeap + session.Warnings.Count);
            Run("threads", () => session.GetThreads(ct));
            Run("heap", () => session.GetHeapTop(10, cancellationToken: ct));
            Run("finalizer", () => session.GetFinalizer(ct));
            Run("threadpool", () => session.GetThreadPool(ct));
            Run("roots", () => session.FindRootPaths("Contoso.*", 3, cancellationToken: ct));
            Run("retained", () => session.GetRetainedByType(10, cancellationToken: ct));
            Run("async", () => session.GetAsyncState(cancellationToken: ct));
            Run("triage", () => DumpTriage.Run(session, cancellationToken: ct));
            Run("objects", () =>
            {
                // objects and collections on root paths (Contoso objects, the dictionaries and arrays on the way), each also
                // at addresses that start no object: answers, or NotAnObject / ReadFailed, nothing else
                var paths = session.FindRootPaths("Contoso.*", 10, cancellationToken: ct).Paths;
                foreach (ulong address in paths.SelectMany(p => p.Addresses.Concat(p.Hops.Select(h => h.Address))).Distinct().Take(40))
                {
                    foreach (ulong at in new[] { address, address + 8, address + 3 })
                    {
                        try
                        {
                            _ = session.InspectObject(at, depth: 2, cancellationToken: ct).ToString();
                            _ = session.InspectCollection(at, depth: 1, first: 50, cancellationToken: ct).ToString();
                        }
                        catch (AnalysisException e) when (e.Kind == AnalysisErrorKind.NotAnObject)
                        {
                        }
                    }
                }
            });
            if (session.Warnings.Any(w => w.Contains("stack walk of thread", StringComparison.Ordinal)))
                outcomes.Add("stackwalk=CUT[0ms]"); // threads whose roots were skipped for a walk that did not end
        }

        return string.Join(' ', outcomes);
    }
}
