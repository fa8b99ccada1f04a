// Test target for traces. Prints "READY <pid>", waits for a line "go" on stdin (the tracer is attached by then),
// runs the workload once, prints "DONE" and waits until killed (or stdin closes). Modes:
//   facts            the workload below, with exact counts mirrored in tests/Analysis.Testing/TraceFacts.cs
//   bulk <seconds>   a longer, event-heavy workload for the trace benchmark (allocations, GCs, exceptions, CPU)
// Option: --auto-start <ms>  start the workload after a delay instead of waiting for "go".
using System.Globalization;
using System.Runtime.CompilerServices;

namespace Contoso.TraceTarget;

public static class Program
{
    public const int InducedGen2Count = 5;
    public const int ExceptionCount = 17;
    public const int ContentionRounds = 6;
    public const int HotMilliseconds = 1500;

    public static int Main(string[] args)
    {
        // Options such as --watch-stdin are accepted and ignored: this program always exits when stdin closes.
        var positional = args.Where((a, i) => !a.StartsWith("--", StringComparison.Ordinal) && (i == 0 || args[i - 1] != "--auto-start")).ToArray();
        string mode = positional.Length > 0 ? positional[0] : "facts";
        double seconds = positional.Length > 1 ? double.Parse(positional[1], CultureInfo.InvariantCulture) : 20;
        Console.WriteLine($"READY {Environment.ProcessId}");
        Console.Out.Flush();

        // --auto-start <ms>: run the workload after a delay instead of waiting for "go" (the demo traces it that way).
        int autoStart = Array.IndexOf(args, "--auto-start");
        if (autoStart >= 0 && autoStart + 1 < args.Length)
        {
            Thread.Sleep(int.Parse(args[autoStart + 1], CultureInfo.InvariantCulture));
        }
        else
        {
            string? line;
            while ((line = Console.In.ReadLine()) is not null && line != "go")
            {
            }

            if (line is null)
                return 4;
        }

        if (mode == "bulk")
            Bulk.Run(TimeSpan.FromSeconds(seconds));
        else
            Facts.Run();

        Console.WriteLine("DONE");
        Console.Out.Flush();
        while (Console.In.ReadLine() is not null)
        {
        }

        return 0;
    }
}

public static class Facts
{
    public static void Run()
    {
        // Settle: whatever the runtime did at start-up is over before the counted work begins.
        Thread.Sleep(200);

        // 1. Exactly N induced, blocking gen2 collections, each with the wall time (UTC) read just before it, printed
        //    after it (the printing is not between the reading and the GC): "INDUCED-GC <n> <ISO 8601 UTC, 100 ns>".
        var inducedAt = new DateTime[Program.InducedGen2Count];
        for (int i = 0; i < Program.InducedGen2Count; i++)
        {
            Garbage.Make(2_000);
            inducedAt[i] = DateTime.UtcNow;
            GC.Collect(2, GCCollectionMode.Forced, blocking: true, compacting: true);
        }

        for (int i = 0; i < inducedAt.Length; i++)
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"INDUCED-GC {i + 1} {inducedAt[i]:O}"));
        Console.Out.Flush();

        // 2. A CPU-hot method with a distinctive name.
        Hot.SpinPrimeSieve(Program.HotMilliseconds);

        // 3. A known exception thrown and caught M times.
        for (int i = 0; i < Program.ExceptionCount; i++)
        {
            try
            {
                Billing.Reject(i);
            }
            catch (InvoiceRejectedException)
            {
            }
        }

        // 4. A lock another thread holds, once per round.
        Contention.Run(Program.ContentionRounds);
        Thread.Sleep(200);
    }
}

public static class Garbage
{
    public static object? Sink;

    [MethodImpl(MethodImplOptions.NoInlining)]
    public static void Make(int count)
    {
        for (int i = 0; i < count; i++)
            Sink = new byte[100 + (i % 50)];
    }
}

public static class Hot
{
    public static long Result;

    /// <summary>Burns CPU in this very frame (no calls in the loop) for the given time.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    public static void SpinPrimeSieve(int milliseconds)
    {
        long start = Environment.TickCount64;
        long found = 0;
        long candidate = 3;
        while (Environment.TickCount64 - start < milliseconds)
        {
            for (int k = 0; k < 2000; k++)
            {
                bool prime = true;
                for (long d = 3; d * d <= candidate; d += 2)
                {
                    if (candidate % d == 0)
                    {
                        prime = false;
                        break;
                    }
                }

                if (prime)
                    found++;
                candidate += 2;
                if (candidate > 2_000_000)
                    candidate = 3;
            }
        }

        Result = found;
    }
}

public sealed class InvoiceRejectedException(string message) : Exception(message);

public static class Billing
{
    [MethodImpl(MethodImplOptions.NoInlining)]
    public static void Reject(int invoice) => throw new InvoiceRejectedException($"invoice {invoice} rejected");
}

public static class Contention
{
    private static readonly object s_ledger = new();

    public static void Run(int rounds)
    {
        for (int i = 0; i < rounds; i++)
        {
            using var held = new ManualResetEventSlim();
            var holder = new Thread(() => HoldLedger(held)) { Name = "ledger-holder" };
            holder.Start();
            held.Wait();
            WaitForLedger();
            holder.Join();
        }
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void HoldLedger(ManualResetEventSlim held)
    {
        lock (s_ledger)
        {
            held.Set();
            Thread.Sleep(60);
        }
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void WaitForLedger()
    {
        lock (s_ledger)
        {
            Garbage.Sink = null;
        }
    }
}

public static class Bulk
{
    public static void Run(TimeSpan duration)
    {
        var end = DateTime.UtcNow + duration;
        var workers = new List<Thread>();
        for (int w = 0; w < 2; w++)
        {
            var t = new Thread(() =>
            {
                int n = 0;
                while (DateTime.UtcNow < end)
                {
                    Garbage.Make(2_000);
                    Hot.SpinPrimeSieve(1);
                    for (int e = 0; e < 40; e++)
                    {
                        try
                        {
                            Billing.Reject(n++);
                        }
                        catch (InvoiceRejectedException)
                        {
                        }
                    }

                    if (n % 20_000 == 0)
                        GC.Collect(2, GCCollectionMode.Forced, blocking: true);
                }
            }) { Name = $"bulk-{w}" };
            t.Start();
            workers.Add(t);
        }

        foreach (var t in workers)
            t.Join();
    }
}
