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
    public const string BulkTagType = "DumpTarget.BulkTag"; // one per BulkNodesPerTag nodes, in bulk mode
    public const int BulkNodesPerTag = 10;

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

    // Inspection (Inspect.cs): one object with a field of every kind, collections with known entries, GC handles.
    public const string InspectedOrderType = "Contoso.Inspect.InspectedOrder";
    public const string InspectablesType = "Contoso.Inspect.Inspectables";
    public const int InspectedOrderId = 4242;
    public const int InspectedNextId = 4243;
    public const long InspectedTotal = 123_456_789_012;
    public const string InspectedCustomer = "Ada Lovelace";
    public const string InspectedNextCustomer = "Grace Hopper";
    public const string InspectedCity = "Zürich ✓";
    public const string InspectedStatus = "Shipped";
    public const string InspectedChannels = "Web, Store";
    public const long InspectedPriceCents = 1999;
    public const string InspectedPriceCurrency = "EUR";
    public static readonly int[] InspectedQuantities = [3, 1, 4, 1, 5, 9, 2, 6];
    public static readonly byte[] InspectedPayload = [0xCA, 0xFE, 0xBA, 0xBE, 0x00, 0x01];
    public static readonly string[] InspectedTags = ["urgent", "fragile", "gift"];
    public const int InspectedLongNoteLength = 10_000;
    public const string ShippingLabelType = "Contoso.Inspect.ShippingLabel";
    public const string GeoPointType = "Contoso.Inspect.GeoPoint";
    public const string HomeStatic = "Contoso.Inspect.Inspectables.Home"; // the one boxed GeoPoint: a struct static
    public static readonly string[] InspectNames = ["alpha", "beta", "gamma"];
    public static readonly (string Key, int Value)[] InspectStock = [("apple", 3), ("pear", 5), ("plum", 7)];
    public static readonly int[] InspectPrimes = [2, 3, 5, 7, 11];
    public static readonly (int Key, string Value)[] InspectLookup = [(1, "one"), (2, "two"), (3, "three")];
    public static readonly string[] InspectPending = ["q1", "q2", "q3"];
    public static readonly int[] InspectRing = [12, 13, 14, 15, 16];
    public static readonly string[] InspectUndo = ["s2", "s1"]; // top first, as a stack enumerates
    public const int PinnedBufferBytes = 4_096;
    public const int PinnedHeapBytes = 8_192;
    public const int StrongHandles = 5;

    // Crash mode (Crash.cs, Contoso.Async/Refunds.cs): an unhandled exception on a named thread, dumped by the runtime.
    public const string CrashThreadName = "refund-worker";
    public const string CrashExceptionType = "Contoso.Async.LedgerCorruptException";
    public const string CrashMessage = "refund ledger corrupt for order 4711";
    public const string CrashThrowingMethod = "Contoso.Async.RefundLedger.Post";
    public const string CrashCallerMethod = "DumpTarget.Crash.Refund";
    public const string CrashThrowingFile = "Refunds.cs";
    public const string OomThreadName = "report-builder";
    public const int OomChunkBytes = 1 << 20;

    // Inspection (InspectText.cs): a string with control characters and a lone surrogate.
    public const string InspectAwkwardType = "Contoso.Inspect.AwkwardText";
    public const string InspectAwkwardText = "tab\there\nbell\u0007 esc\u001b[31m lone\ud800 end";

    // A leaked GC handle (InspectLeak.cs): a strong handle to a LeakedBuffer whose value nothing holds.
    public const string LeakedBufferType = "Contoso.Inspect.LeakedBuffer";
    public const int LeakedBufferBytes = 1_000;

    // Inspection (InspectMore.cs): Nullable and DateTimeOffset fields, a LinkedList, a two-dimensional array.
    public const string InspectMoreType = "Contoso.Inspect.MoreInspectables";
    public const string InspectScheduleType = "Contoso.Inspect.Schedule";
    public const int InspectScheduleRetries = 3;
    public static readonly DateTime InspectScheduleDue = new(2026, 12, 24, 18, 0, 0, DateTimeKind.Utc);
    public static readonly (double Lat, double Lon) InspectSchedulePin = (46.2044, 6.1432);
    public static readonly DateTimeOffset InspectScheduleOpened = new(2026, 11, 28, 13, 45, 30, TimeSpan.FromMinutes(90));
    public static readonly DateTimeOffset InspectScheduleClosed = new(2026, 11, 29, 8, 0, 0, TimeSpan.FromHours(-5));
    public static readonly int?[] InspectScheduleScores = [7, null, 9];
    public static readonly string[] InspectRoute = ["Genève", "Basel", "Zürich", "Chur"]; // "Bern" removed
    public static readonly (string Key, int Value)[] InspectRanks = [("alpha", 1), ("bravo", 2), ("delta", 4), ("echo", 5)]; // "charlie" removed
    public static readonly int[] InspectMilestones = [10, 20, 30, 50, 60, 70]; // 40 removed
    public static readonly string[] InspectCrew = ["Ada", "Alan", "Grace", "Barbara", "Edsger"]; // "Linus" removed
    public const int InspectGridRows = 3;
    public const int InspectGridColumns = 4;
    public static int InspectGridValue(int row, int column) => (10 * row) + column;
}
