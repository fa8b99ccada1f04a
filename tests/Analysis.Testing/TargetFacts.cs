namespace Analysis.Testing;

/// <summary>Facts the DumpTarget program sets up (tests/TestTargets/DumpTarget/Program.cs). Keep both in step.</summary>
public static class TargetFacts
{
    public const string LeakedOrderType = "Contoso.Orders.LeakedOrder";
    public const int LeakedOrderCount = 12_345;
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
}
