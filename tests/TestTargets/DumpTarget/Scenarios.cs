// Async, thread-pool and finalizer facts of the "facts" mode. Every number is mirrored in
// tests/Analysis.Testing/TargetFacts.cs.
using System.Runtime.CompilerServices;

namespace Contoso.Async
{
    // Sync over async: a named thread blocks in GetReport on the Task of LoadReportAsync, which awaits a
    // TaskCompletionSource nobody completes.
    public static class LegacyController
    {
        public static readonly TaskCompletionSource<string> ReportSource = new(TaskCreationOptions.RunContinuationsAsynchronously);

        [MethodImpl(MethodImplOptions.NoInlining)]
        public static string GetReport() => LoadReportAsync().GetAwaiter().GetResult();

        [MethodImpl(MethodImplOptions.NoInlining)]
        public static async Task<string> LoadReportAsync()
        {
            string body = await ReportSource.Task;
            return body.ToUpperInvariant();
        }
    }
}

namespace Contoso.Workers
{
    // Thread-pool starvation: every worker the pool may have is blocked in ReportJob.Run, and export jobs and
    // audit flushes wait in the queue behind them.
    public static class ReportJob
    {
        [MethodImpl(MethodImplOptions.NoInlining)]
        public static void Run(CountdownEvent started, WaitHandle never)
        {
            started.Signal();
            never.WaitOne();
        }
    }

    public sealed class ExportJob(int id) : IThreadPoolWorkItem
    {
        public const int Queued = 25;
        public int Id = id;

        public void Execute() => Console.WriteLine($"export {Id}");
    }

    public static class AuditLog
    {
        public const int QueuedFlushes = 5;

        [MethodImpl(MethodImplOptions.NoInlining)]
        public static void Flush() => Console.WriteLine("flush");
    }

    // Timers that never fire while the test runs (due in an hour).
    public static class Heartbeat
    {
        public const int Timers = 3;
        public const int PeriodMs = 60_000;

        [MethodImpl(MethodImplOptions.NoInlining)]
        public static void Beat(object? state) => Console.WriteLine($"beat {state}");
    }
}

namespace Contoso.Resources
{
    // A blocked finalizer: LeakyHandle's finalizer waits forever, so the PendingFile objects that died after it
    // stay in the finalizer queue.
    public sealed class LeakyHandle
    {
        public static readonly ManualResetEventSlim Entered = new(false);
        public static readonly ManualResetEvent Never = new(false);

        ~LeakyHandle()
        {
            Entered.Set();
            Never.WaitOne();
        }
    }

    public sealed class PendingFile(int id)
    {
        public const int Count = 50;
        public int Id = id;

        ~PendingFile() => Console.WriteLine($"closing {Id}");
    }
}

namespace DumpTarget
{
    internal static class Scenarios
    {
        private static readonly List<object> s_keep = new();
        private static readonly ManualResetEvent s_never = new(false);

        /// <summary>The pool's worker limit in the facts dump: max(cores, 4); all of them end up blocked.</summary>
        public static int PoolWorkers => Math.Max(Environment.ProcessorCount, 4);

        public static void SetUpAsync()
        {
            for (int i = 0; i < Contoso.Async.CheckoutFlow.StuckCheckouts; i++)
                s_keep.Add(Contoso.Async.CheckoutFlow.RunAsync(1000 + i));
            for (int i = 0; i < Contoso.Async.InventoryService.StuckReservations; i++)
                s_keep.Add(Contoso.Async.InventoryService.ReserveAsync(500 + i));

            // The Task.Yield continuations run on the pool: let them reach their await before the pool is blocked.
            var deadline = DateTime.UtcNow.AddSeconds(60);
            while (Volatile.Read(ref Contoso.Async.PaymentClient.ReachedAwait) < Contoso.Async.CheckoutFlow.StuckCheckouts && DateTime.UtcNow < deadline)
                Thread.Sleep(10);
            Thread.Sleep(100);

            using var blocked = new ManualResetEventSlim(false);
            var t = new Thread(() =>
            {
                blocked.Set();
                Contoso.Async.LegacyController.GetReport();
            })
            { Name = "sync-over-async", IsBackground = true };
            s_keep.Add(t);
            t.Start();
            blocked.Wait();
        }

        /// <summary>Caps the pool, blocks every worker but the one step 6 already blocked, then queues work behind them.</summary>
        public static void SetUpThreadPool(int alreadyBlocked)
        {
            ThreadPool.GetMaxThreads(out _, out int io);
            if (!ThreadPool.SetMaxThreads(PoolWorkers, io))
                throw new InvalidOperationException($"ThreadPool.SetMaxThreads({PoolWorkers}) refused");
            int toBlock = PoolWorkers - alreadyBlocked;
            using var started = new CountdownEvent(toBlock);
            for (int i = 0; i < toBlock; i++)
                ThreadPool.UnsafeQueueUserWorkItem(_ => Contoso.Workers.ReportJob.Run(started, s_never), null);
            if (!started.Wait(TimeSpan.FromSeconds(60)))
                throw new InvalidOperationException("thread-pool workers did not start");

            for (int i = 0; i < Contoso.Workers.ExportJob.Queued; i++)
                ThreadPool.UnsafeQueueUserWorkItem(new Contoso.Workers.ExportJob(i), preferLocal: false);
            for (int i = 0; i < Contoso.Workers.AuditLog.QueuedFlushes; i++)
                s_keep.Add(Task.Run(Contoso.Workers.AuditLog.Flush));

            for (int i = 0; i < Contoso.Workers.Heartbeat.Timers; i++)
                s_keep.Add(new Timer(Contoso.Workers.Heartbeat.Beat, i, TimeSpan.FromHours(1), TimeSpan.FromMilliseconds(Contoso.Workers.Heartbeat.PeriodMs)));
        }

        public static void SetUpFinalizer()
        {
            MakeLeakyHandle();
            GC.Collect();
            if (!Contoso.Resources.LeakyHandle.Entered.Wait(TimeSpan.FromSeconds(60)))
                throw new InvalidOperationException("the finalizer did not run");
            MakePendingFiles();
            GC.Collect();
            GC.Collect();
        }

        [MethodImpl(MethodImplOptions.NoInlining)]
        private static void MakeLeakyHandle() => _ = new Contoso.Resources.LeakyHandle();

        [MethodImpl(MethodImplOptions.NoInlining)]
        private static void MakePendingFiles()
        {
            for (int i = 0; i < Contoso.Resources.PendingFile.Count; i++)
                _ = new Contoso.Resources.PendingFile(i);
        }
    }
}
