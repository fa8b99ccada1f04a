namespace Analysis.Testing;

/// <summary>Facts the DumpTarget program sets up (tests/TestTargets/DumpTarget/Program.cs). Keep both in step.</summary>
public static class TargetFacts
{
    public const string LeakedOrderType = "Contoso.Orders.LeakedOrder";
    public const int LeakedOrderCount = 12_345;
    public const string SpreadLineType = "Contoso.Orders.SpreadLine";
    public const int SpreadChunks = 12;
    public const int SpreadLinesPerChunk = 25;
    public const string InvoiceType = "Contoso.Orders.Invoice";
    public const int InvoiceCount = 777;
    public const string BulkNodeType = "DumpTarget.BulkNode";

    public const string AccountLockType = "Contoso.Sync.AccountLock";
    public const string LockType = "System.Threading.Lock";
    public const string PaymentGateType = "Contoso.Sync.PaymentGate";

    /// <summary>The deadlock: worker-a holds account#1 and waits for account#2, worker-b holds account#2 and waits for the ledger Lock, worker-c holds the Lock and waits for account#1.</summary>
    public static readonly string[] DeadlockedThreads = ["worker-a", "worker-b", "worker-c"];

    public const string CatchThread = "payments";
    public const string CatchExceptionType = "System.InvalidOperationException";
    public const string CatchExceptionMessage = "payment declined for order 42";

    public const string EventWaiterThread = "event-waiter";
    public const string UnstartedThread = "never-started";
    public const string FinishedThread = "finished-worker";

    // Retention (Model.cs, Contoso.Retention): a static dictionary of sessions, an archive with a known retained size.
    public const string SessionType = "Contoso.Retention.CustomerSession";
    public const int SessionCount = 2_500;
    public const int SessionTokenBytes = 64;
    public const string SessionRegistryStatic = "Contoso.Retention.SessionRegistry.Sessions";
    public const string ArchiveType = "Contoso.Retention.ReportArchive";
    public const int ArchiveBlobBytes = 100_000;
    public const int ArchiveLines = 100;
    public const string SharedConfigType = "Contoso.Retention.SharedConfig";
    public const string NoteKeyType = "Contoso.Retention.NoteKey";
    public const string AttachedNoteType = "Contoso.Retention.AttachedNote";
    public const int AttachedNotes = 10;
    public const string NoteKeysStatic = "Contoso.Retention.SessionRegistry.NoteKeys";

    // Async (Contoso.Async project, optimized: struct state machines; LegacyController in DumpTarget: a class one).
    public const string CheckoutMethod = "Contoso.Async.CheckoutFlow.RunAsync";
    public const string ConfirmationMethod = "Contoso.Async.PaymentClient.WaitForConfirmationAsync";
    public const int StuckCheckouts = 7;
    public const string ReserveMethod = "Contoso.Async.InventoryService.ReserveAsync";
    public const int StuckReservations = 3;
    public const string LoadReportMethod = "Contoso.Async.LegacyController.LoadReportAsync";
    public const string SyncOverAsyncThread = "sync-over-async";
    public const string SyncOverAsyncFrame = "Contoso.Async.LegacyController.GetReport";

    // Thread pool (Scenarios.cs): capped at max(cores, 4) workers, all blocked; work queued behind them.
    public static int PoolWorkers => Math.Max(Environment.ProcessorCount, 4);
    public const string ReportJobFrame = "Contoso.Workers.ReportJob.Run";
    public const string PoolItemFrame = "DumpTarget.Waiters.PoolItemWaits";
    public const string ExportJobType = "Contoso.Workers.ExportJob";
    public const int QueuedExportJobs = 25;
    public const string AuditFlushMethod = "Contoso.Workers.AuditLog.Flush";
    public const int QueuedAuditFlushes = 5;
    public const string HeartbeatCallback = "Contoso.Workers.Heartbeat.Beat";
    public const int HeartbeatTimers = 3;
    public const int HeartbeatPeriodMs = 60_000;

    // Finalizer: LeakyHandle's finalizer blocks; PendingFile objects wait behind it.
    public const string BlockingFinalizerType = "Contoso.Resources.LeakyHandle";
    public const string PendingFileType = "Contoso.Resources.PendingFile";
    public const int PendingFiles = 50;
}
