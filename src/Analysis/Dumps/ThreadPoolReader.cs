using System.Globalization;
using Analysis.Stacks;
using Microsoft.Diagnostics.Runtime;

namespace Analysis.Dumps;

/// <summary>Thread-pool workers running the same code: the user frame they are in and where they wait.</summary>
/// <param name="Frame">The first user frame the workers are in.</param>
/// <param name="WaitingIn">The wait they are in, when they wait; null when running.</param>
/// <param name="Count">Workers in the group.</param>
/// <param name="ThreadIds">Their managed thread ids, ascending.</param>
public sealed record WorkerGroup(string Frame, string? WaitingIn, int Count, ItemList<int> ThreadIds)
{
    /// <summary>"N in Frame, waiting in W".</summary>
    public override string ToString() =>
        string.Create(CultureInfo.InvariantCulture, $"{Count:N0} in {Frame}{(WaitingIn is null ? "" : ", waiting in " + WaitingIn)}");
}

/// <summary>Queued thread-pool work of one kind: "Contoso.Workers.ExportJob", "Task running Contoso.X.Flush" …</summary>
/// <param name="Description">What the work items run: a type, or "Task running M".</param>
/// <param name="Count">Queued items.</param>
/// <param name="Queue">"global", "high priority", "low priority" or "worker-local".</param>
public sealed record WorkItemGroup(string Description, int Count, string Queue)
{
    /// <summary>"N × Description (Queue)".</summary>
    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"{Count:N0} × {Description} ({Queue})");
}

/// <summary>Timers with the same callback and period.</summary>
/// <param name="Callback">The method the timers call ("Task.Delay" for delays).</param>
/// <param name="Count">Active timers (not cancelled) with this callback and period.</param>
/// <param name="DueTimeMs">The earliest due time among them, in ms; null when none is scheduled.</param>
/// <param name="PeriodMs">The period, in ms; null for one-shot timers.</param>
public sealed record TimerGroup(string Callback, int Count, long? DueTimeMs, long? PeriodMs)
{
    /// <summary>"N × Callback (due D ms|never, period P ms|none)".</summary>
    public override string ToString() =>
        string.Create(CultureInfo.InvariantCulture, $"{Count:N0} × {Callback} (due {(DueTimeMs is long d ? d + " ms" : "never")}, period {(PeriodMs is long p ? p + " ms" : "none")})");
}

/// <summary>The thread pool in a dump: worker counts, what busy workers do, queued work, timers.</summary>
public sealed record ThreadPoolReport
{
    /// <summary>The pool's minimum worker count (ThreadPool.SetMinThreads); 0 when the runtime's pool data is missing.</summary>
    public int MinWorkers { get; init; }

    /// <summary>The pool's maximum worker count; 0 when the runtime's pool data is missing.</summary>
    public int MaxWorkers { get; init; }

    /// <summary>Workers the pool counts as active (running or blocked in work items).</summary>
    public int ActiveWorkers { get; init; }

    /// <summary>Workers waiting for work.</summary>
    public int IdleWorkers { get; init; }

    /// <summary>Retired workers, as the runtime counts them (ClrMD's ClrThreadPool.RetiredWorkerThreads).</summary>
    public int RetiredWorkers { get; init; }

    /// <summary>CPU use the pool's hill climbing last saw, in percent (0–100).</summary>
    public int CpuUtilization { get; init; }

    /// <summary>Workers inside a work item (Dispatch on their stack), grouped by the user code they run.</summary>
    public ItemList<WorkerGroup> BusyWorkers { get; init; } = [];

    /// <summary>Workers inside a work item, summed over <see cref="BusyWorkers"/>.</summary>
    public int BusyWorkerCount => BusyWorkers.Sum(g => g.Count);

    /// <summary>Work items waiting in the global and per-thread queues.</summary>
    public int QueuedCount => Queued.Sum(q => q.Count);

    /// <summary>Queued work items grouped by description and queue ("global", "high priority", "low priority", "worker-local").</summary>
    public ItemList<WorkItemGroup> Queued { get; init; } = [];

    /// <summary>Timers in the timer queues, summed over <see cref="Timers"/>.</summary>
    public int TimerCount => Timers.Sum(t => t.Count);

    /// <summary>Timers grouped by callback and period; empty (with a warning) when the dump has no timer queues.</summary>
    public ItemList<TimerGroup> Timers { get; init; } = [];

    /// <summary>Work is queued while no worker is idle and the pool is at its limit (or every worker is busy): starvation.</summary>
    public bool IsStarved => QueuedCount > 0 && IdleWorkers == 0 && (ActiveWorkers >= MaxWorkers || BusyWorkerCount >= Math.Max(1, MinWorkers));

    /// <summary>What could not be read (pool data, work queue, timer queues missing). Empty on a healthy dump.</summary>
    public ItemList<string> Warnings { get; init; } = [];

    /// <summary>"thread pool: A active / I idle of max M, B busy, Q queued, T timers", with " — STARVED" when <see cref="IsStarved"/>.</summary>
    public override string ToString() =>
        string.Create(CultureInfo.InvariantCulture, $"thread pool: {ActiveWorkers} active / {IdleWorkers} idle of max {MaxWorkers}, {BusyWorkerCount} busy, {QueuedCount} queued, {TimerCount} timers{(IsStarved ? " — STARVED" : "")}");
}

/// <summary>Reads the thread pool's workers, queues and timers from runtime data structures on the heap.</summary>
internal static class ThreadPoolReader
{
    public static ThreadPoolReport Read(ClrRuntime runtime, IReadOnlyList<DumpThread> threads, CancellationToken cancellationToken)
    {
        var warnings = new List<string>();
        var pool = runtime.ThreadPool;
        var busy = threads
            .Where(t => t.IsAlive && t.Frames.Any(f => f.Function.StartsWith("System.Threading.ThreadPoolWorkQueue.Dispatch", StringComparison.Ordinal)))
            .Select(t => (Thread: t, Frame: ThreadFrames.UserFrame(t), Wait: ThreadFrames.WaitFrame(t)))
            .GroupBy(x => (x.Frame, x.Wait))
            .Select(g => new WorkerGroup(g.Key.Frame, g.Key.Wait, g.Count(), g.Select(x => x.Thread.ManagedThreadId).Order().ToArray()))
            .OrderByDescending(g => g.Count).ThenBy(g => g.Frame, StringComparer.Ordinal)
            .ToArray();

        var queued = new List<(string Description, string Queue)>();
        ClrHeap heap = runtime.Heap;
        var workQueue = StaticObject(runtime, "System.Threading.ThreadPool", "s_workQueue");
        if (workQueue.IsValid && !workQueue.IsNull)
        {
            foreach (var (field, queueName) in new[] { ("workItems", "global"), ("highPriorityWorkItems", "high priority"), ("lowPriorityWorkItems", "low priority") })
            {
                foreach (var item in ConcurrentQueueItems(runtime, workQueue.ReadObjectField(field)))
                    queued.Add((Describe(item), queueName));
            }

            var assignable = workQueue.Type?.GetFieldByName("_assignableWorkItemQueues") is { IsObjectReference: true } af ? af.ReadObject(workQueue.Address, false) : default;
            if (assignable.IsValid && !assignable.IsNull && assignable.IsArray)
            {
                var array = assignable.AsArray();
                for (int i = 0; i < array.Length; i++)
                {
                    foreach (var item in ConcurrentQueueItems(runtime, array.GetObjectValue(i)))
                        queued.Add((Describe(item), "global"));
                }
            }
        }
        else
        {
            warnings.Add("The thread pool's work queue (ThreadPool.s_workQueue) is not in the dump or not initialized; queued work items are not listed.");
        }

        cancellationToken.ThrowIfCancellationRequested();
        var locals = StaticObject(runtime, "System.Threading.ThreadPoolWorkQueue+WorkStealingQueueList", "_queues");
        if (locals.IsValid && !locals.IsNull && locals.IsArray)
        {
            var array = locals.AsArray();
            for (int i = 0; i < array.Length; i++)
            {
                var queue = array.GetObjectValue(i);
                var items = queue.IsValid && !queue.IsNull ? queue.ReadObjectField("m_array") : default;
                if (!items.IsValid || items.IsNull || !items.IsArray)
                    continue;
                var slots = items.AsArray();
                for (int k = 0; k < slots.Length; k++)
                {
                    var item = slots.GetObjectValue(k);
                    if (item.IsValid && !item.IsNull)
                        queued.Add((Describe(item), "worker-local"));
                }
            }
        }

        var timers = Timers(runtime, warnings, cancellationToken);
        return new ThreadPoolReport
        {
            MinWorkers = pool?.MinThreads ?? 0,
            MaxWorkers = pool?.MaxThreads ?? 0,
            ActiveWorkers = pool?.ActiveWorkerThreads ?? 0,
            IdleWorkers = pool?.IdleWorkerThreads ?? 0,
            RetiredWorkers = pool?.RetiredWorkerThreads ?? 0,
            CpuUtilization = pool?.CpuUtilization ?? 0,
            BusyWorkers = busy,
            Queued = queued.GroupBy(q => q).Select(g => new WorkItemGroup(g.Key.Description, g.Count(), g.Key.Queue))
                .OrderByDescending(g => g.Count).ThenBy(g => g.Description, StringComparer.Ordinal).ToArray(),
            Timers = timers,
            Warnings = pool is null ? [.. warnings, "The runtime's thread-pool data is not available (ClrRuntime.ThreadPool is null); worker counts are 0."] : warnings,
        };
    }

    private static TimerGroup[] Timers(ClrRuntime runtime, List<string> warnings, CancellationToken cancellationToken)
    {
        var queues = StaticObject(runtime, "System.Threading.TimerQueue", "<Instances>k__BackingField");
        if (!queues.IsValid || queues.IsNull || !queues.IsArray)
        {
            warnings.Add("No timer queues in the dump (TimerQueue.Instances is not set): timers are not listed.");
            return [];
        }

        var found = new List<(string Callback, long? Due, long? Period)>();
        var array = queues.AsArray();
        for (int i = 0; i < array.Length; i++)
        {
            var queue = array.GetObjectValue(i);
            if (!queue.IsValid || queue.IsNull)
                continue;
            foreach (string list in new[] { "_shortTimers", "_longTimers" })
            {
                var seen = new HashSet<ulong>();
                for (var timer = queue.ReadObjectField(list); timer.IsValid && !timer.IsNull && seen.Add(timer.Address) && seen.Count < 1_000_000; timer = timer.ReadObjectField("_next"))
                {
                    if ((seen.Count & 0xFFF) == 0)
                        cancellationToken.ThrowIfCancellationRequested();
                    if (timer.ReadField<bool>("_canceled"))
                        continue;
                    uint due = timer.ReadField<uint>("_dueTime"), period = timer.ReadField<uint>("_period");
                    var callback = timer.ReadObjectField("_timerCallback");
                    string name = callback.IsValid && !callback.IsNull ? DelegateMethod(callback) : "?";
                    if (name.StartsWith("System.Threading.Tasks.Task+DelayPromise", StringComparison.Ordinal))
                        name = "Task.Delay";
                    found.Add((name, due == uint.MaxValue ? null : due, period is 0 or uint.MaxValue ? null : period));
                }
            }
        }

        return found.GroupBy(t => (t.Callback, t.Period))
            .Select(g => new TimerGroup(g.Key.Callback, g.Count(), g.Min(t => t.Due), g.Key.Period))
            .OrderByDescending(g => g.Count).ThenBy(g => g.Callback, StringComparer.Ordinal).ToArray();
    }

    /// <summary>The items of a ConcurrentQueue&lt;object&gt;: non-null slot items of every segment (dequeued slots are cleared).</summary>
    private static IEnumerable<ClrObject> ConcurrentQueueItems(ClrRuntime runtime, ClrObject queue)
    {
        if (!queue.IsValid || queue.IsNull)
            yield break;
        var seen = new HashSet<ulong>();
        IDataReader reader = runtime.DataTarget.DataReader;
        for (var segment = queue.ReadObjectField("_head"); segment.IsValid && !segment.IsNull && seen.Add(segment.Address); segment = segment.ReadObjectField("_nextSegment"))
        {
            var slots = segment.ReadObjectField("_slots");
            if (!slots.IsValid || slots.IsNull || !slots.IsArray || slots.Type?.ComponentType is not { } slotType)
                continue;
            var itemField = slotType.GetFieldByName("Item");
            if (itemField is null)
                continue;
            int length = slots.AsArray().Length, size = slots.Type.ComponentSize;
            ulong data = slots.Address + (ulong)(2 * reader.PointerSize);
            for (int i = 0; i < length; i++)
            {
                ulong item = reader.ReadPointer(data + (ulong)(i * size) + (ulong)itemField.Offset);
                if (item != 0)
                {
                    var obj = runtime.Heap.GetObject(item);
                    if (obj.IsValid)
                        yield return obj;
                }
            }
        }
    }

    private static string Describe(ClrObject item)
    {
        string name = item.Type?.Name ?? "<unknown type>";
        int box = name.IndexOf("AsyncStateMachineBox<", StringComparison.Ordinal);
        if (box >= 0 && name.EndsWith('>'))
            return "continuation of " + AsyncAnalyzer.MethodName(name[(box + "AsyncStateMachineBox<".Length)..^1]);
        if (name.StartsWith("System.Threading.QueueUserWorkItemCallback", StringComparison.Ordinal))
        {
            var callback = item.ReadObjectField("_callback");
            return callback.IsValid && !callback.IsNull ? "work item " + DelegateMethod(callback) : name;
        }

        if (item.Type?.GetFieldByName("m_action") is { IsObjectReference: true } action && item.Type.GetFieldByName("m_stateFlags") is not null)
        {
            var del = action.ReadObject(item.Address, false);
            return del.IsValid && !del.IsNull ? "Task running " + DelegateMethod(del) : name;
        }

        return name;
    }

    internal static string DelegateMethod(ClrObject del)
    {
        if (del.IsDelegate)
        {
            try
            {
                if (del.AsDelegate().GetDelegateTarget()?.Method is { } method)
                    return $"{method.Type?.Name}.{method.Name}";
            }
            catch (Exception e) when (e is InvalidOperationException or ArgumentException or NullReferenceException)
            {
            }
        }

        return del.Type?.Name ?? "a delegate";
    }

    private static ClrObject StaticObject(ClrRuntime runtime, string typeName, string fieldName)
    {
        foreach (var module in runtime.EnumerateModules())
        {
            var type = module.GetTypeByName(typeName);
            if (type?.GetStaticFieldByName(fieldName) is not { } field)
                continue;
            foreach (var domain in runtime.AppDomains)
            {
                var value = field.ReadObject(domain);
                if (value.IsValid && !value.IsNull)
                    return value;
            }
        }

        return default;
    }
}
