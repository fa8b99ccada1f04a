using System.Globalization;
using Analysis.Stacks;

namespace Analysis.Dumps;

/// <summary>What a thread was doing when the dump was taken, as far as the dump tells.</summary>
public enum DumpThreadState
{
    /// <summary>Not in a known managed wait: executing managed code, or in native code it called that the dump does not explain.</summary>
    Running,
    /// <summary>In a wait, sleep or join (event, semaphore, Monitor.Wait, thread-pool idle wait …).</summary>
    Waiting,
    /// <summary>Trying to enter a Monitor or System.Threading.Lock held by another thread.</summary>
    BlockedOnLock,
    /// <summary>Blocked on a lock as part of a wait-for cycle: it will never proceed.</summary>
    Deadlocked,
    /// <summary>The thread has finished; its Thread object is still alive.</summary>
    Dead,
    /// <summary>Created but never started.</summary>
    Unstarted,
    /// <summary>
    /// Alive with no managed frame on its stack: in native or runtime code the dump does not explain (a thread the runtime
    /// started for itself, or one that has not run managed code yet). Whether it runs or waits is not known.
    /// </summary>
    NativeCode,
}

/// <summary>How a lock is implemented.</summary>
public enum LockKind
{
    /// <summary>A Monitor (<c>lock (obj)</c>) inflated into a sync block.</summary>
    Monitor,
    /// <summary>A Monitor held without contention, recorded in the object header (thin lock).</summary>
    ThinLock,
    /// <summary>A <c>System.Threading.Lock</c> (C# 13 <c>lock</c> on a Lock instance).</summary>
    Lock,
}

/// <summary>A lock object: its address and type, and the thread that holds it when known.</summary>
/// <param name="Address">Address of the lock object.</param>
/// <param name="TypeName">The lock object's type (full name).</param>
/// <param name="Kind">How it is held: a Monitor sync block, a thin lock in the object header, or a System.Threading.Lock.</param>
/// <param name="OwnerThreadId">Managed id of the thread that holds it; null when not held or not known.</param>
/// <param name="RecursionCount">How many times the owner has entered it (0 when not known).</param>
public sealed record LockInfo(ulong Address, string TypeName, LockKind Kind, int? OwnerThreadId, int RecursionCount = 0)
{
    /// <summary>Type name without namespace, e.g. <c>AccountLock</c>.</summary>
    public string ShortTypeName => TypeName[(TypeName.LastIndexOf('.') + 1)..];

    /// <summary>"Type 0xADDR (Kind, held by thread N)", or "owner unknown".</summary>
    public override string ToString() =>
        string.Create(CultureInfo.InvariantCulture, $"{TypeName} 0x{Address:x} ({Kind}{(OwnerThreadId is int o ? $", held by thread {o}" : ", owner unknown")})");
}

/// <summary>An exception object referenced by a thread.</summary>
/// <param name="Type">The exception's type (full name).</param>
/// <param name="Message">Its message; null when it has none.</param>
/// <param name="HResult">Its HResult.</param>
/// <param name="Address">Address of the exception object.</param>
public sealed record ExceptionInfo(string Type, string? Message, int HResult, ulong Address)
{
    /// <summary>The frames recorded in the exception's stack trace (where it was thrown), top first.</summary>
    public ItemList<StackFrameInfo> StackTrace { get; init; } = [];

    /// <summary>The exception's InnerException, null when it has none.</summary>
    public ExceptionInfo? InnerException { get; init; }

    /// <summary>"Type: Message", or the type alone when there is no message.</summary>
    public override string ToString() => Message is null ? Type : $"{Type}: {Message}";
}

/// <summary>One thread on a deadlock cycle: it holds <see cref="Holds"/> and waits for <see cref="WaitsFor"/>.</summary>
/// <param name="ThreadId">Managed id of the thread.</param>
/// <param name="ThreadName">Its name; null when unnamed.</param>
/// <param name="Holds">The lock it holds that the previous thread on the cycle waits for; null when not known.</param>
/// <param name="WaitsFor">The lock it waits to enter.</param>
/// <param name="WaitsForOwnerThreadId">Managed id of the thread holding <paramref name="WaitsFor"/> (the next on the cycle).</param>
public sealed record DeadlockLink(int ThreadId, string? ThreadName, LockInfo? Holds, LockInfo WaitsFor, int WaitsForOwnerThreadId)
{
    /// <summary>"name (thread N)", or "thread N" for an unnamed thread.</summary>
    public string ThreadLabel => ThreadName is { Length: > 0 } n ? $"{n} (thread {ThreadId})" : $"thread {ThreadId}";

    /// <summary>"label holds Type 0x…, waits for Type 0x… held by thread N".</summary>
    public override string ToString() =>
        string.Create(CultureInfo.InvariantCulture, $"{ThreadLabel}{(Holds is null ? "" : $" holds {Holds.TypeName} 0x{Holds.Address:x},")} waits for {WaitsFor.TypeName} 0x{WaitsFor.Address:x} held by thread {WaitsForOwnerThreadId}");
}

/// <summary>A wait-for cycle: every thread waits for a lock held by the next one, and the last waits for the first.</summary>
public sealed class DeadlockCycle
{
    internal DeadlockCycle(ItemList<DeadlockLink> links)
    {
        Links = links;
        // Label each distinct lock by short type name and ordinal in cycle order: AccountLock#1, AccountLock#2, Lock#1.
        var labels = new Dictionary<ulong, string>();
        var perType = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var link in links)
        {
            foreach (var lk in link.Holds is null ? new[] { link.WaitsFor } : new[] { link.Holds, link.WaitsFor })
            {
                if (labels.ContainsKey(lk.Address))
                    continue;
                int n = perType.GetValueOrDefault(lk.ShortTypeName) + 1;
                perType[lk.ShortTypeName] = n;
                labels[lk.Address] = string.Create(CultureInfo.InvariantCulture, $"{lk.ShortTypeName}#{n} (0x{lk.Address:x})");
            }
        }

        _labels = labels;
        Description = string.Join("; ", links.Select(Describe)) + ".";
    }

    private readonly Dictionary<ulong, string> _labels;

    /// <summary>The threads on the cycle, in cycle order: each waits for a lock held by the next.</summary>
    public ItemList<DeadlockLink> Links { get; }

    /// <summary>Managed thread ids on the cycle, in cycle order.</summary>
    public ItemList<int> ThreadIds => Links.Select(l => l.ThreadId).ToArray();

    /// <summary>Full type names of the locks waited for, in cycle order.</summary>
    public ItemList<string> LockTypes => Links.Select(l => l.WaitsFor.TypeName).ToArray();

    /// <summary>"worker-a (thread 4) holds AccountLock#1 (0x…), waits for AccountLock#2 (0x…) held by worker-b (thread 5); …"</summary>
    public string Description { get; }

    /// <summary>The label used for a lock in <see cref="Description"/>.</summary>
    public string LabelOf(LockInfo lockInfo) => _labels.GetValueOrDefault(lockInfo.Address, lockInfo.ShortTypeName);

    private string Describe(DeadlockLink link)
    {
        string owner = Links.FirstOrDefault(l => l.ThreadId == link.WaitsForOwnerThreadId)?.ThreadLabel ?? $"thread {link.WaitsForOwnerThreadId}";
        string holds = link.Holds is null ? "" : $" holds {LabelOf(link.Holds)},";
        return $"{link.ThreadLabel}{holds} waits for {LabelOf(link.WaitsFor)} held by {owner}";
    }

    /// <summary>The <see cref="Description"/>.</summary>
    public override string ToString() => Description;
}

/// <summary>A managed thread as the dump shows it.</summary>
public sealed record DumpThread : IStackSample
{
    /// <summary>The managed thread id (Environment.CurrentManagedThreadId in the process).</summary>
    public required int ManagedThreadId { get; init; }

    /// <summary>OS thread id (the Linux TID), 0 for unstarted and dead threads.</summary>
    public required uint OSThreadId { get; init; }

    /// <summary>Name from the thread's System.Threading.Thread object; null when unnamed.</summary>
    public string? Name { get; init; }

    /// <summary>Running, waiting, blocked on a lock, deadlocked, dead or unstarted, from the stack and the lock graph.</summary>
    public required DumpThreadState State { get; init; }

    /// <summary>False once the thread has finished (its Thread object may still be on the heap).</summary>
    public bool IsAlive { get; init; }

    /// <summary>Whether it is a background thread (does not keep the process alive).</summary>
    public bool IsBackground { get; init; }

    /// <summary>Whether it is a thread-pool worker or I/O completion thread.</summary>
    public bool IsThreadPool { get; init; }

    /// <summary>Whether it is the runtime's finalizer thread.</summary>
    public bool IsFinalizer { get; init; }

    /// <summary>Managed stack, top first; runtime transition frames included in brackets.</summary>
    public ItemList<StackFrameInfo> Frames { get; init; } = [];

    /// <summary>The first managed frame, or null for threads without managed code on their stack.</summary>
    public StackFrameInfo? TopFrame => Frames.FirstOrDefault(f => f.Kind == FrameKind.Managed);

    /// <inheritdoc/>
    public bool IsWaitFrame(StackFrameInfo frame)
    {
        ArgumentNullException.ThrowIfNull(frame);
        return frame.Kind != FrameKind.Managed || WaitMethods.IsWait(frame.Function) ||
            frame.Function.StartsWith("System.Threading.Monitor.", StringComparison.Ordinal) ||
            frame.Function.StartsWith("System.Threading.Lock.", StringComparison.Ordinal);
    }

    /// <summary>The exception in flight on this thread (being thrown, or being handled in a catch block).</summary>
    public ExceptionInfo? Exception { get; init; }

    /// <summary>The lock this thread is trying to enter.</summary>
    public LockInfo? BlockedOn { get; init; }

    /// <summary>The managed id of the thread holding <see cref="BlockedOn"/>, when known.</summary>
    public int? LockOwnerThreadId => BlockedOn?.OwnerThreadId;

    /// <summary>Locks this thread holds (sync blocks, thin locks and System.Threading.Lock instances found).</summary>
    public ItemList<LockInfo> HeldLocks { get; init; } = [];

    /// <summary>Whether the thread is on a wait-for cycle (<see cref="Deadlock"/> is set).</summary>
    public bool IsDeadlocked => Deadlock is not null;

    /// <summary>The wait-for cycle this thread is on, when deadlocked.</summary>
    public DeadlockCycle? Deadlock { get; init; }

    /// <summary>Address of the runtime's Thread structure (to correlate with SOS output).</summary>
    public ulong Address { get; init; }

    string IStackSample.Runtime => ".NET";

    long IStackSample.Id => ManagedThreadId;

    string IStackSample.State => State.ToString();

    /// <summary>"thread N 'name' [State] waits for Type 0x… held by thread M", or "at TopFrame".</summary>
    public override string ToString()
    {
        string name = Name is { Length: > 0 } ? $" '{Name}'" : "";
        string where = BlockedOn is { } lk
            ? string.Create(CultureInfo.InvariantCulture, $" waits for {lk.TypeName} 0x{lk.Address:x}{(lk.OwnerThreadId is int o ? $" held by thread {o}" : "")}")
            : TopFrame is { } f ? $" at {f.Function}" : "";
        return string.Create(CultureInfo.InvariantCulture, $"thread {ManagedThreadId}{name} [{State}]{where}");
    }
}
