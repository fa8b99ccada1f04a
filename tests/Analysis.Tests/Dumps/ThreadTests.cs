using Analysis.Dumps;
using Analysis.Stacks;
using Analysis.Testing;
using Xunit;

namespace Analysis.Tests.Dumps;

/// <summary>Facts of the DumpTarget threads, checked on dumps from both capture tools.</summary>
public class ThreadTests
{
    public static TheoryData<CapturedDump> HeapCaptures => new(CapturedDump.CreateDumpWithHeap, CapturedDump.CreateDumpFull, CapturedDump.ClientWithHeap, CapturedDump.ClientFull);

    private static IReadOnlyList<DumpThread> Threads(CapturedDump kind)
    {
        using var session = DumpSession.Open(DumpSet.Facts[kind]);
        return session.GetThreads();
    }

    private static DumpThread Named(IReadOnlyList<DumpThread> threads, string name) => Assert.Single(threads, t => t.Name == name);

    [Theory]
    [MemberData(nameof(HeapCaptures))]
    public void Deadlock_ThreeWorkers_AreExactlyTheDeadlockedThreads(CapturedDump kind)
    {
        var threads = Threads(kind);

        var deadlocked = threads.Where(t => t.IsDeadlocked).Select(t => t.Name).Order().ToArray();
        Assert.Equal(TargetFacts.DeadlockedThreads, deadlocked);
        Assert.All(threads.Where(t => t.IsDeadlocked), t => Assert.Equal(DumpThreadState.Deadlocked, t.State));
        Assert.Single(threads.Where(t => t.Deadlock is not null).Select(t => t.Deadlock).Distinct());
    }

    [Theory]
    [MemberData(nameof(HeapCaptures))]
    public void Deadlock_Cycle_LinksHoldersWaitersAndLockTypes(CapturedDump kind)
    {
        var threads = Threads(kind);
        var a = Named(threads, "worker-a");
        var b = Named(threads, "worker-b");
        var c = Named(threads, "worker-c");

        // Who waits for whom.
        Assert.Equal(b.ManagedThreadId, a.LockOwnerThreadId);
        Assert.Equal(c.ManagedThreadId, b.LockOwnerThreadId);
        Assert.Equal(a.ManagedThreadId, c.LockOwnerThreadId);

        // On what kind of lock.
        Assert.Equal(TargetFacts.AccountLockType, a.BlockedOn!.TypeName);
        Assert.Equal(LockKind.Monitor, a.BlockedOn.Kind);
        Assert.Equal(TargetFacts.LockType, b.BlockedOn!.TypeName);
        Assert.Equal(LockKind.Lock, b.BlockedOn.Kind);
        Assert.Equal(TargetFacts.AccountLockType, c.BlockedOn!.TypeName);

        // Each waits for a lock the next one holds.
        Assert.Contains(b.HeldLocks, l => l.Address == a.BlockedOn.Address);
        Assert.Contains(c.HeldLocks, l => l.Address == b.BlockedOn.Address && l.Kind == LockKind.Lock);
        Assert.Contains(a.HeldLocks, l => l.Address == c.BlockedOn.Address);

        var cycle = a.Deadlock!;
        Assert.Equal([a.ManagedThreadId, b.ManagedThreadId, c.ManagedThreadId], cycle.ThreadIds);
        Assert.Equal([TargetFacts.AccountLockType, TargetFacts.LockType, TargetFacts.AccountLockType], cycle.LockTypes);
    }

    [Fact]
    public void Deadlock_Description_ReadsAsASentencePerThread()
    {
        var threads = Threads(CapturedDump.ClientWithHeap);
        var a = Named(threads, "worker-a");
        var b = Named(threads, "worker-b");
        var c = Named(threads, "worker-c");
        ulong account1 = c.BlockedOn!.Address, account2 = a.BlockedOn!.Address, ledger = b.BlockedOn!.Address;

        Assert.Equal(
            $"worker-a (thread {a.ManagedThreadId}) holds AccountLock#1 (0x{account1:x}), waits for AccountLock#2 (0x{account2:x}) held by worker-b (thread {b.ManagedThreadId}); " +
            $"worker-b (thread {b.ManagedThreadId}) holds AccountLock#2 (0x{account2:x}), waits for Lock#1 (0x{ledger:x}) held by worker-c (thread {c.ManagedThreadId}); " +
            $"worker-c (thread {c.ManagedThreadId}) holds Lock#1 (0x{ledger:x}), waits for AccountLock#1 (0x{account1:x}) held by worker-a (thread {a.ManagedThreadId}).",
            a.Deadlock!.Description);
    }

    [Theory]
    [MemberData(nameof(HeapCaptures))]
    public void Catch_ThreadInsideCatch_HasExceptionTypeMessageAndThrowSite(CapturedDump kind)
    {
        var t = Named(Threads(kind), TargetFacts.CatchThread);

        Assert.NotNull(t.Exception);
        Assert.Equal(TargetFacts.CatchExceptionType, t.Exception.Type);
        Assert.Equal(TargetFacts.CatchExceptionMessage, t.Exception.Message);
        Assert.Contains(t.Exception.StackTrace, f => f.Function.StartsWith("DumpTarget.Payments.Charge(", StringComparison.Ordinal));
        Assert.Equal(DumpThreadState.Waiting, t.State);
        Assert.False(t.IsBackground);
    }

    [Fact]
    public void Catch_ThreadHoldsItsUncontendedLockAsThinLock()
    {
        var t = Named(Threads(CapturedDump.ClientWithHeap), TargetFacts.CatchThread);
        var held = Assert.Single(t.HeldLocks);
        Assert.Equal(TargetFacts.PaymentGateType, held.TypeName);
        Assert.Equal(LockKind.ThinLock, held.Kind);
        Assert.Equal(t.ManagedThreadId, held.OwnerThreadId);
        Assert.Null(t.BlockedOn);
    }

    [Fact]
    public void OnlyTheCatchThreadHasAnException()
    {
        string[] withException = Threads(CapturedDump.ClientWithHeap).Where(t => t.Exception is not null).Select(t => t.Name ?? "").ToArray();
        Assert.Equal([TargetFacts.CatchThread], withException);
    }

    [Fact]
    public void EventWaiter_IsWaitingInWaitHandleAndNotBlocked()
    {
        var t = Named(Threads(CapturedDump.ClientWithHeap), TargetFacts.EventWaiterThread);

        Assert.Equal(DumpThreadState.Waiting, t.State);
        Assert.Null(t.BlockedOn);
        Assert.False(t.IsDeadlocked);
        Assert.StartsWith("System.Threading.WaitHandle.", t.TopFrame!.Function, StringComparison.Ordinal);
        Assert.Contains(t.Frames, f => f.Function.StartsWith("DumpTarget.Waiters.WaitForSignal(", StringComparison.Ordinal) && f.Module == "DumpTarget");
        Assert.True(t.IsBackground);
    }

    [Fact]
    public void UnstartedAndFinishedThreads_HaveTheirStatesAndNoFrames()
    {
        var threads = Threads(CapturedDump.ClientWithHeap);
        var unstarted = Named(threads, TargetFacts.UnstartedThread);
        var finished = Named(threads, TargetFacts.FinishedThread);

        Assert.Equal(DumpThreadState.Unstarted, unstarted.State);
        Assert.Equal(DumpThreadState.Dead, finished.State);
        Assert.Empty(unstarted.Frames);
        Assert.Empty(finished.Frames);
        Assert.Equal(0u, finished.OSThreadId);
    }

    [Theory]
    [MemberData(nameof(HeapCaptures))]
    public void AliveThreadsWithoutManagedFrames_AreNativeCode_NotRunning(CapturedDump kind)
    {
        // the runtime's own threads have no managed frame: the dump cannot say they run (issue 14)
        var threads = Threads(kind);
        bool Managed(DumpThread t) => t.Frames.Any(f => f.Kind == FrameKind.Managed);
        var native = threads.Where(t => t.IsAlive && !t.IsFinalizer && !Managed(t)).ToArray();
        Assert.NotEmpty(native);
        Assert.All(native, t => Assert.Equal(DumpThreadState.NativeCode, t.State));
        Assert.All(threads.Where(t => t.State is DumpThreadState.Running or DumpThreadState.NativeCode), t => Assert.Equal(t.State == DumpThreadState.Running, Managed(t)));
    }

    [Fact]
    public void ThreadPoolWorkItem_RunsOnAThreadPoolThread()
    {
        var t = Assert.Single(Threads(CapturedDump.ClientWithHeap), t => t.Frames.Any(f => f.Function.StartsWith("DumpTarget.Waiters.PoolItemWaits(", StringComparison.Ordinal)));
        Assert.True(t.IsThreadPool);
        Assert.Equal(DumpThreadState.Waiting, t.State);
        Assert.Equal(".NET TP Worker", t.Name);
    }

    [Fact]
    public void Names_ComeFromThreadObjects_OnePerNamedThread()
    {
        var threads = Threads(CapturedDump.ClientWithHeap);
        foreach (string name in TargetFacts.DeadlockedThreads.Concat([TargetFacts.CatchThread, TargetFacts.EventWaiterThread, TargetFacts.UnstartedThread, TargetFacts.FinishedThread, "stdin-watch"]))
            Assert.Single(threads, t => t.Name == name);
        Assert.Single(threads, t => t.IsFinalizer);
        Assert.Equal(threads.Count, threads.Select(t => t.ManagedThreadId).Distinct().Count());
    }

    [Fact]
    public void Frames_HaveModulesAndReadableText()
    {
        var a = Named(Threads(CapturedDump.ClientWithHeap), "worker-a");
        var top = a.TopFrame!;
        Assert.Equal("System.Private.CoreLib", top.Module);
        Assert.StartsWith("System.Threading.Monitor.Enter", top.Function, StringComparison.Ordinal);
        Assert.Equal($"System.Private.CoreLib!{top.Function}", top.ToString());
        var user = Assert.Single(a.Frames, f => f.Function.StartsWith("DumpTarget.Deadlock.MonitorThenMonitor(", StringComparison.Ordinal));
        Assert.Equal("DumpTarget", user.Module);
        Assert.Equal(FrameKind.Managed, user.Kind);
        Assert.Contains("worker-a", a.ToString());
        Assert.Contains("Deadlocked", a.ToString());
    }

    [Fact]
    public void GetThreads_IsComputedOncePerSession()
    {
        using var session = DumpSession.Open(DumpSet.Facts[CapturedDump.ClientWithHeap]);
        Assert.Same(session.GetThreads(), session.GetThreads());
    }

    [Fact]
    public void MiniDump_StillGivesStacksWithoutHeap()
    {
        using var session = DumpSession.Open(DumpSet.Facts[CapturedDump.ClientMini]);
        Assert.False(session.HasHeap);
        var threads = session.GetThreads();
        Assert.Contains(threads, t => t.Frames.Any(f => f.Function.StartsWith("DumpTarget.Deadlock.MonitorThenMonitor(", StringComparison.Ordinal)));
        Assert.Contains(threads, t => t.Frames.Any(f => f.Function.StartsWith("DumpTarget.Payments.ProcessInsideCatch(", StringComparison.Ordinal)));
    }
}
