// Test target: builds a process state with facts the tests know exactly, prints READY and waits
// until it is killed. Modes:
//   facts      (default) leaked objects, a 3-thread deadlock, a thread inside a catch, waiting/named threads
//   bulk <n>   n live small objects (benchmark heap) and n/10 BulkTag objects, plus the facts of "facts" mode
//   crash      an unhandled exception on a named thread ends the process (Crash.cs); no READY
//   oom        an unhandled OutOfMemoryException on a named thread (run it under DOTNET_GCHeapHardLimit); no READY
// Options: --watch-stdin   exit when standard input closes (the parent test host died)
//          --exit-after s  exit after s seconds (default 1800) so a forgotten target never lingers
// Every number here is mirrored in tests/Analysis.Testing/TargetFacts.cs.
using System.Runtime.CompilerServices;
using Contoso.Orders;
using Contoso.Sync;

namespace DumpTarget;

public static class Program
{
    public const int LeakedOrderCount = 12_345;
    public const int SpreadChunks = 12;
    public const int SpreadLinesPerChunk = 25;
    public const int InvoiceCount = 777;
    public const int BulkNodesPerTag = 10;

    // Rooted so nothing here is collected before the dump.
    private static readonly List<object> s_roots = new();
    private static readonly object s_cacheGate = new();
    private static List<CachedReport>? s_cache; // created on the first "grow", so the facts dumps have no CachedReport types
    private static readonly ManualResetEvent s_never = new(false);
    private static Lock? s_ledger;

    public static int Main(string[] args)
    {
        var positional = new List<string>();
        int exitAfterSeconds = 1800;
        for (int i = 0; i < args.Length; i++)
        {
            if (args[i] == "--watch-stdin")
                WatchStdin();
            else if (args[i] == "--exit-after" && i + 1 < args.Length)
                exitAfterSeconds = int.Parse(args[++i], System.Globalization.CultureInfo.InvariantCulture);
            else
                positional.Add(args[i]);
        }

        // A dedicated thread, not a Timer: the facts mode blocks every thread-pool worker.
        var lifetime = new Thread(() =>
        {
            Thread.Sleep(TimeSpan.FromSeconds(exitAfterSeconds));
            Environment.Exit(3);
        })
        { Name = "lifetime", IsBackground = true };
        lifetime.Start();

        string mode = positional.Count > 0 ? positional[0] : "facts";
        if (mode == "crash")
            return Crash.Run();
        if (mode == "oom")
            return Crash.RunOutOfMemory();
        if (mode == "bulk")
        {
            int n = positional.Count > 1 ? int.Parse(positional[1], System.Globalization.CultureInfo.InvariantCulture) : 10_000_000;
            s_roots.Add(BulkNodes(n));
        }
        else if (mode != "facts")
        {
            Console.Error.WriteLine($"unknown mode '{mode}' (expected: facts | bulk <n> | crash | oom)");
            return 2;
        }

        SetUpFacts();
        Console.WriteLine($"READY {Environment.ProcessId}");
        Console.Out.Flush();
        // Main thread waits forever on an event: a "waiting" thread with a known top frame.
        s_never.WaitOne();
        return 0;
    }

    private static void SetUpFacts()
    {
        // 1. Exactly N instances of named classes, rooted by a static list.
        var orders = new LeakedOrder[LeakedOrderCount];
        for (int i = 0; i < orders.Length; i++)
            orders[i] = new LeakedOrder(i, 100 + i);
        s_roots.Add(orders);
        var spread = new SpreadLine[SpreadChunks][];
        for (int c = 0; c < spread.Length; c++)
        {
            spread[c] = new SpreadLine[SpreadLinesPerChunk];
            for (int i = 0; i < SpreadLinesPerChunk; i++)
                spread[c][i] = new SpreadLine((c * SpreadLinesPerChunk) + i);
        }

        s_roots.Add(spread);
        var invoices = new List<Invoice>();
        for (int i = 0; i < InvoiceCount; i++)
            invoices.Add(new Invoice(i));
        s_roots.Add(invoices);

        // 2. A deadlock cycle of three threads over two Monitor locks and one System.Threading.Lock:
        //    worker-a holds account#1, waits account#2; worker-b holds account#2, waits the ledger Lock;
        //    worker-c holds the ledger Lock, waits account#1.
        var account1 = new AccountLock(1);
        var account2 = new AccountLock(2);
        var ledger = new Lock();
        s_roots.Add(account1); s_roots.Add(account2); s_ledger = ledger;
        using var allHold = new Barrier(3);
        StartNamed("worker-a", background: true, () => Deadlock.MonitorThenMonitor(account1, account2, allHold));
        StartNamed("worker-b", background: true, () => Deadlock.MonitorThenLock(account2, ledger, allHold));
        StartNamed("worker-c", background: true, () => Deadlock.LockThenMonitor(ledger, account1, allHold));

        // 3. A thread inside a catch block (exception in flight), holding an uncontended (thin) lock,
        //    waiting on an event.
        var gate = new PaymentGate();
        s_roots.Add(gate);
        using var inCatch = new ManualResetEventSlim(false);
        StartNamed("payments", background: false, () => Payments.ProcessInsideCatch(gate, inCatch, s_never));
        inCatch.Wait();

        // 4. A named thread waiting on an event (not a lock).
        using var waiting = new ManualResetEventSlim(false);
        StartNamed("event-waiter", background: true, () => Waiters.WaitForSignal(waiting, s_never));
        waiting.Wait();

        // 5. A thread that was created but never started, and one that ran and finished.
        var unstarted = new Thread(() => { }) { Name = "never-started" };
        s_roots.Add(unstarted);
        var finished = new Thread(() => { }) { Name = "finished-worker" };
        finished.Start();
        finished.Join();
        s_roots.Add(finished);

        // 6. A thread-pool work item blocked on an event.
        using var poolStarted = new ManualResetEventSlim(false);
        ThreadPool.UnsafeQueueUserWorkItem(_ => Waiters.PoolItemWaits(poolStarted, s_never), null);
        poolStarted.Wait();

        // 7. Retention: sessions held by a static dictionary, an archive with a known retained size.
        Contoso.Retention.SessionRegistry.Fill();

        // 8. Stuck awaits and a thread blocked synchronously on a task (Scenarios.cs).
        Scenarios.SetUpAsync();

        // 9. Thread-pool starvation: every worker blocked (step 6 holds one), work queued behind them, timers.
        Scenarios.SetUpThreadPool(alreadyBlocked: 1);

        // 10. A blocked finalizer with objects waiting in the finalizer queue behind it.
        Scenarios.SetUpFinalizer();

        // 11. Objects, collections and GC handles with known contents (Inspect.cs).
        Contoso.Inspect.Inspectables.SetUp();
        Contoso.Inspect.Leaks.SetUp(); // and a leaked GC handle (InspectLeak.cs)

        // Wait until all three workers are blocked on their second lock.
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (!Deadlock.AllBlocked && DateTime.UtcNow < deadline)
            Thread.Sleep(10);
        // Give them time to move from spinning into the blocking wait.
        Thread.Sleep(300);
    }

    private static void WatchStdin()
    {
        var watcher = new Thread(() =>
        {
            // "grow <n>": n more CachedReport objects (and their byte[] bodies) stay rooted; answers "GREW <total>".
            // The thread keeps the list in a local too: a second, shorter (stack) path next to the static one.
            List<CachedReport>? held = null;
            while (Console.In.ReadLine() is { } line)
            {
                if (line.StartsWith("grow ", StringComparison.Ordinal))
                {
                    int n = int.Parse(line[5..], System.Globalization.CultureInfo.InvariantCulture);
                    lock (s_cacheGate)
                    {
                        s_cache ??= new List<CachedReport>();
                        held = s_cache;
                        for (int i = 0; i < n; i++)
                            s_cache.Add(new CachedReport(s_cache.Count));
                        Console.WriteLine($"GREW {s_cache.Count}");
                        Console.Out.Flush();
                    }
                }
            }

            GC.KeepAlive(held);
            Environment.Exit(4);
        })
        { Name = "stdin-watch", IsBackground = true };
        watcher.Start();
    }

    private static object BulkNodes(int n)
    {
        // n small objects in a linked chain of arrays: every node is live; and one BulkTag per ten nodes, in one array
        // (a type with a tenth of the objects: what the benchmark lists by type name against SOS dumpheap -type).
        var chunks = new BulkNode[(n + 65535) / 65536][];
        int made = 0;
        for (int c = 0; c < chunks.Length; c++)
        {
            int size = Math.Min(65536, n - made);
            chunks[c] = new BulkNode[size];
            for (int i = 0; i < size; i++)
                chunks[c][i] = new BulkNode(made++);
        }

        var tags = new BulkTag[n / BulkNodesPerTag];
        for (int i = 0; i < tags.Length; i++)
            tags[i] = new BulkTag(i);
        s_roots.Add(tags);
        return chunks;
    }

    private static void StartNamed(string name, bool background, Action body)
    {
        var t = new Thread(() => body()) { Name = name, IsBackground = background };
        s_roots.Add(t);
        t.Start();
    }
}

internal sealed class BulkNode(int value)
{
    public int Value = value;
}

internal sealed class BulkTag(int value)
{
    public int Value = value;
}

internal static class Deadlock
{
    private static int s_blocked;
    public static bool AllBlocked => Volatile.Read(ref s_blocked) == 3;

    [MethodImpl(MethodImplOptions.NoInlining)]
    public static void MonitorThenMonitor(AccountLock first, AccountLock second, Barrier allHold)
    {
        lock (first)
        {
            allHold.SignalAndWait();
            Interlocked.Increment(ref s_blocked);
            lock (second)
            {
                Console.WriteLine("unreachable");
            }
        }
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    public static void MonitorThenLock(AccountLock first, Lock second, Barrier allHold)
    {
        lock (first)
        {
            allHold.SignalAndWait();
            Interlocked.Increment(ref s_blocked);
            lock (second)
            {
                Console.WriteLine("unreachable");
            }
        }
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    public static void LockThenMonitor(Lock first, AccountLock second, Barrier allHold)
    {
        lock (first)
        {
            allHold.SignalAndWait();
            Interlocked.Increment(ref s_blocked);
            lock (second)
            {
                Console.WriteLine("unreachable");
            }
        }
    }
}

internal static class Payments
{
    [MethodImpl(MethodImplOptions.NoInlining)]
    public static void ProcessInsideCatch(PaymentGate gate, ManualResetEventSlim inCatch, WaitHandle never)
    {
        lock (gate)
        {
            try
            {
                Charge(42);
            }
            catch (InvalidOperationException)
            {
                inCatch.Set();
                never.WaitOne();
            }
        }
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void Charge(int orderId) =>
        throw new InvalidOperationException($"payment declined for order {orderId}");
}

internal static class Waiters
{
    [MethodImpl(MethodImplOptions.NoInlining)]
    public static void WaitForSignal(ManualResetEventSlim started, WaitHandle never)
    {
        started.Set();
        never.WaitOne();
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    public static void PoolItemWaits(ManualResetEventSlim started, WaitHandle never)
    {
        started.Set();
        never.WaitOne();
    }
}
