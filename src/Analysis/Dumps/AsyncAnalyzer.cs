using System.Globalization;
using Microsoft.Diagnostics.Runtime;

namespace Analysis.Dumps;

/// <summary>One async method call in flight (or finished but still referenced): its state machine box on the heap.</summary>
public sealed record AsyncStateMachine
{
    /// <summary>Address of the state machine box (the Task the method returned).</summary>
    public required ulong Address { get; init; }

    /// <summary>The async method, e.g. "Contoso.Async.PaymentClient.WaitForConfirmationAsync".</summary>
    public required string Method { get; init; }

    /// <summary>The compiler-generated state machine type.</summary>
    public required string StateMachineType { get; init; }

    /// <summary>-1 running or not started, -2 finished, n ≥ 0 suspended at an await.</summary>
    public required int State { get; init; }

    /// <summary>The Task status from its flags: WaitingForActivation, Running, RanToCompletion, Faulted, Canceled.</summary>
    public required string Status { get; init; }

    /// <summary>Whether the task finished: RanToCompletion, Faulted or Canceled.</summary>
    public bool IsCompleted => Status is "RanToCompletion" or "Faulted" or "Canceled";

    /// <summary>What the suspended method awaits: another async method, "Task.Delay", "Task&lt;Boolean&gt; (TaskCompletionSource …)".</summary>
    public string? Awaiting { get; init; }

    /// <summary>Address of the awaited task or value-task source, 0 when none.</summary>
    public ulong AwaitingAddress { get; init; }

    /// <summary>What runs when this task completes: the awaiting async method, a synchronous waiter, or a continuation.</summary>
    public ItemList<string> Continuations { get; init; } = [];

    /// <summary>Async methods awaiting this one, innermost first (the chain up to the outermost caller).</summary>
    public ItemList<string> AwaitedBy { get; init; } = [];

    /// <summary>"Method [Status, state N] awaits X".</summary>
    public override string ToString() =>
        string.Create(CultureInfo.InvariantCulture, $"{Method} [{Status}, state {State}]{(Awaiting is null ? "" : " awaits " + Awaiting)}");
}

/// <summary>A thread blocked synchronously on a task (.Result, .Wait(), GetAwaiter().GetResult()): "sync over async".</summary>
/// <param name="ManagedThreadId">The blocked thread's managed id.</param>
/// <param name="ThreadName">The thread's name; null when unnamed.</param>
/// <param name="BlockingFrame">The caller that blocks (the frame below the wait), or "(no managed caller)".</param>
/// <param name="WaitFrame">The wait it is in, e.g. "Task.Wait", "TaskAwaiter.GetResult".</param>
/// <param name="TaskAddress">Address of the task waited for; 0 when it is not among the thread's stack roots.</param>
/// <param name="Task">The task waited for in words: "the task of M" for an async method's task, or what it is.</param>
public sealed record SyncOverAsyncWait(int ManagedThreadId, string? ThreadName, string BlockingFrame, string WaitFrame, ulong TaskAddress, string Task)
{
    /// <summary>"'name' (thread N)", or "thread N" for an unnamed thread.</summary>
    public string ThreadLabel => ThreadName is { Length: > 0 } n ? $"'{n}' (thread {ManagedThreadId})" : $"thread {ManagedThreadId}";

    /// <summary>"ThreadLabel blocks in BlockingFrame on Task (WaitFrame)".</summary>
    public override string ToString() => $"{ThreadLabel} blocks in {BlockingFrame} on {Task} ({WaitFrame})";
}

/// <summary>Async calls of one method that have not completed, with what they await and who awaits them.</summary>
public sealed record StuckAwaitGroup
{
    /// <summary>The async method, e.g. "Contoso.Async.PaymentClient.WaitForConfirmationAsync".</summary>
    public required string Method { get; init; }

    /// <summary>How many incomplete calls of this method the heap holds.</summary>
    public required int Count { get; init; }

    /// <summary>What most of them await.</summary>
    public string? Awaiting { get; init; }

    /// <summary>The callers' chain of one of them, innermost first (e.g. ["Contoso.Async.CheckoutFlow.RunAsync"]).</summary>
    public ItemList<string> AwaitedBy { get; init; } = [];

    /// <summary>Threads blocked synchronously on one of these tasks or on a task awaiting them.</summary>
    public ItemList<SyncOverAsyncWait> BlockedThreads { get; init; } = [];

    /// <summary>Some of the state machine boxes (at most 10).</summary>
    public ItemList<ulong> Addresses { get; init; } = [];

    /// <summary>The method and its callers, "Method ← Caller ← …" (from <see cref="AwaitedBy"/>).</summary>
    public string Chain => AwaitedBy.Count == 0 ? Method : Method + " ← " + string.Join(" ← ", AwaitedBy);

    /// <summary>"N × Chain awaiting X".</summary>
    public override string ToString() =>
        string.Create(CultureInfo.InvariantCulture, $"{Count:N0} × {Chain}{(Awaiting is null ? "" : " awaiting " + Awaiting)}");
}

/// <summary>Async state of a dump: every state machine box, the incomplete ones grouped, and sync-over-async waits.</summary>
/// <param name="StateMachines">Every async state machine box on the heap, completed ones included.</param>
/// <param name="Groups">The incomplete ones grouped by method, largest group first.</param>
/// <param name="SyncWaits">Threads blocked synchronously on a task.</param>
public sealed record AsyncReport(IReadOnlyList<AsyncStateMachine> StateMachines, IReadOnlyList<StuckAwaitGroup> Groups, IReadOnlyList<SyncOverAsyncWait> SyncWaits)
{
    /// <summary>State machines not completed. Counts <see cref="StateMachines"/> on each call.</summary>
    public int IncompleteCount => StateMachines.Count(m => !m.IsCompleted);
}

/// <summary>
/// Finds async state machines from the boxes the runtime allocates for them (AsyncStateMachineBox&lt;…&gt;), reads
/// their state and awaiter fields (struct state machines of optimized code inside the box, class ones of debug code
/// behind it), follows continuations to build the awaiting chains, and finds threads blocked in Task waits.
/// </summary>
internal static class AsyncAnalyzer
{
    private const int RanToCompletion = 0x1000000, Faulted = 0x200000, Canceled = 0x400000, Started = 0x10000, WaitingForActivation = 0x2000000;

    private static readonly string[] WaitFrames =
    [
        "System.Threading.Tasks.Task.InternalWaitCore", "System.Threading.Tasks.Task.SpinThenBlockingWait", "System.Threading.Tasks.Task.Wait",
        "System.Threading.Tasks.Task.GetResultCore", "System.Runtime.CompilerServices.TaskAwaiter.HandleNonSuccessAndDebuggerNotification",
        "System.Runtime.CompilerServices.TaskAwaiter.GetResult", "System.Threading.Tasks.Task`1.get_Result", "System.Threading.Tasks.Task.WaitAll",
        "System.Threading.Tasks.Task.InternalWaitCoreWithTimeout",
    ];

    public static AsyncReport Analyze(ClrRuntime runtime, HeapGraph graph, IReadOnlyList<DumpThread> threads, CancellationToken cancellationToken)
    {
        ClrHeap heap = runtime.Heap;
        var boxTypes = new bool[graph.TypeNames.Length];
        for (int t = 0; t < boxTypes.Length; t++)
            boxTypes[t] = graph.TypeNames[t].Contains("AsyncStateMachineBox<", StringComparison.Ordinal);

        var stateMachineTypes = new Dictionary<string, ClrType?>(StringComparer.Ordinal);
        var machines = new Dictionary<ulong, AsyncStateMachine>();
        for (int node = 0; node < graph.NodeCount; node++)
        {
            if (!boxTypes[graph.TypeIds[node]])
                continue;
            if ((machines.Count & 0x3FF) == 0)
                cancellationToken.ThrowIfCancellationRequested();
            ClrObject box = heap.GetObject(graph.Addresses[node]);
            if (box.Type is null)
                continue;
            var machine = ReadBox(runtime, box, stateMachineTypes);
            if (machine is not null)
                machines[box.Address] = machine;
        }

        // Continuations: who runs when each box completes. The awaiting chain follows boxes upward.
        var next = new Dictionary<ulong, ulong>();
        var withContinuations = new Dictionary<ulong, AsyncStateMachine>();
        foreach (var (address, machine) in machines)
        {
            var descriptions = new List<string>();
            foreach (var target in Continuations(heap.GetObject(address)))
            {
                if (target.IsValid && machines.TryGetValue(target.Address, out var awaiting))
                {
                    descriptions.Add(awaiting.Method);
                    next.TryAdd(address, target.Address);
                }
                else
                {
                    descriptions.Add(DescribeContinuation(target));
                }
            }

            withContinuations[address] = machine with { Continuations = descriptions };
        }

        foreach (var address in withContinuations.Keys.ToArray())
        {
            var chain = new List<string>();
            var seen = new HashSet<ulong> { address };
            for (ulong at = address; next.TryGetValue(at, out ulong up) && seen.Add(up) && chain.Count < 32; at = up)
                chain.Add(withContinuations[up].Method);
            withContinuations[address] = withContinuations[address] with { AwaitedBy = chain };
        }

        var syncWaits = FindSyncWaits(runtime, threads, withContinuations, cancellationToken);

        // Tasks a thread waits on, and every box awaiting them, carry the waiting thread into their group.
        var blockedByBox = new Dictionary<ulong, List<SyncOverAsyncWait>>();
        foreach (var wait in syncWaits)
        {
            // The waited task and the chain below it: boxes whose continuation chain reaches the waited task.
            foreach (var (address, _) in withContinuations)
            {
                var seen = new HashSet<ulong>();
                for (ulong at = address; seen.Add(at); )
                {
                    if (at == wait.TaskAddress)
                    {
                        (blockedByBox.TryGetValue(address, out var list) ? list : blockedByBox[address] = new()).Add(wait);
                        break;
                    }

                    if (!next.TryGetValue(at, out at))
                        break;
                }
            }
        }

        var groups = withContinuations.Values
            .Where(m => !m.IsCompleted)
            .GroupBy(m => m.Method, StringComparer.Ordinal)
            .Select(g => new StuckAwaitGroup
            {
                Method = g.Key,
                Count = g.Count(),
                Awaiting = g.Where(m => m.Awaiting is not null).GroupBy(m => m.Awaiting).OrderByDescending(a => a.Count()).Select(a => a.Key).FirstOrDefault(),
                AwaitedBy = g.OrderByDescending(m => m.AwaitedBy.Count).First().AwaitedBy,
                BlockedThreads = g.SelectMany(m => blockedByBox.GetValueOrDefault(m.Address) ?? []).Distinct().ToArray(),
                Addresses = g.Select(m => m.Address).Order().Take(10).ToArray(),
            })
            .OrderByDescending(g => g.BlockedThreads.Count > 0)
            .ThenByDescending(g => g.Count)
            .ThenBy(g => g.Method, StringComparer.Ordinal)
            .ToArray();

        return new AsyncReport(withContinuations.Values.OrderBy(m => m.Method, StringComparer.Ordinal).ThenBy(m => m.Address).ToArray(), groups, syncWaits);
    }

    private static AsyncStateMachine? ReadBox(ClrRuntime runtime, ClrObject box, Dictionary<string, ClrType?> stateMachineTypes)
    {
        string boxName = box.Type!.Name ?? "";
        int at = boxName.IndexOf("AsyncStateMachineBox<", StringComparison.Ordinal);
        if (at < 0 || !boxName.EndsWith('>'))
            return null;
        string smName = boxName[(at + "AsyncStateMachineBox<".Length)..^1];
        int flags = ReadInt(box, "m_stateFlags");
        string status = Status(flags);
        var field = box.Type.GetFieldByName("StateMachine");
        if (field is null)
            return null;

        // Optimized code: the state machine is a struct inside the box. Debug code: a class the box points to.
        ClrType? smType;
        ulong smAddress;
        bool interior;
        if (field.IsValueType && field.Type is { IsValueType: true } inline && inline.Name == smName)
        {
            smType = inline;
            smAddress = box.Address + (ulong)runtime.DataTarget.DataReader.PointerSize + (ulong)field.Offset;
            interior = true;
        }
        else
        {
            ClrObject smObject = field.IsObjectReference || field.Type?.Name == "System.__Canon" ? field.ReadObject(box.Address, interior: false) : default;
            if (smObject.IsValid && smObject.Type is not null)
            {
                smType = smObject.Type;
                smAddress = smObject.Address;
                interior = false;
            }
            else
            {
                if (!stateMachineTypes.TryGetValue(smName, out smType))
                    stateMachineTypes[smName] = smType = runtime.EnumerateModules().Select(m => m.GetTypeByName(smName)).FirstOrDefault(t => t is not null);
                if (smType is null || !smType.IsValueType)
                    return new AsyncStateMachine { Address = box.Address, Method = MethodName(smName), StateMachineType = smName, State = int.MinValue, Status = status };
                smAddress = box.Address + (ulong)runtime.DataTarget.DataReader.PointerSize + (ulong)field.Offset;
                interior = true;
            }
        }

        int state = smType.GetFieldByName("<>1__state") is { } stateField ? stateField.Read<int>(smAddress, interior) : int.MinValue;
        string? awaiting = null;
        ulong awaitingAddress = 0;
        if (state >= 0)
        {
            // The compiler clears an awaiter field after resuming: the one holding an object is the current await.
            foreach (var awaiter in smType.Fields.Where(f => f.Name?.StartsWith("<>u__", StringComparison.Ordinal) == true))
            {
                ClrObject awaited = FirstReference(awaiter, smAddress, interior, depth: 0);
                if (awaited.IsValid)
                {
                    awaitingAddress = awaited.Address;
                    awaiting = DescribeAwaited(awaited);
                    break;
                }

                if (awaiter.Type?.Name == "System.Runtime.CompilerServices.YieldAwaitable+YieldAwaiter" && awaiting is null)
                    awaiting = "Task.Yield (its continuation is queued)";
            }
        }

        return new AsyncStateMachine
        {
            Address = box.Address, Method = MethodName(smName), StateMachineType = smName, State = state, Status = status,
            Awaiting = awaiting, AwaitingAddress = awaitingAddress,
        };
    }

    /// <summary>The first non-null object reference inside an awaiter field (TaskAwaiter.m_task, ValueTaskAwaiter._value._obj …).</summary>
    private static ClrObject FirstReference(ClrInstanceField field, ulong owner, bool interior, int depth)
    {
        if (field.IsObjectReference)
        {
            ClrObject value = field.ReadObject(owner, interior);
            return value.IsValid && !value.IsNull ? value : default;
        }

        if (!field.IsValueType || field.Type is null || depth > 3)
            return default;
        ulong inner = field.GetAddress(owner, interior);
        foreach (var f in field.Type.Fields)
        {
            var found = FirstReference(f, inner, interior: true, depth + 1);
            if (found.IsValid)
                return found;
        }

        return default;
    }

    private static string DescribeAwaited(ClrObject awaited)
    {
        string name = awaited.Type?.Name ?? "?";
        int box = name.IndexOf("AsyncStateMachineBox<", StringComparison.Ordinal);
        if (box >= 0 && name.EndsWith('>'))
            return MethodName(name[(box + "AsyncStateMachineBox<".Length)..^1]);
        if (name.StartsWith("System.Threading.Tasks.Task+DelayPromise", StringComparison.Ordinal))
        {
            ClrObject timer = awaited.Type!.GetFieldByName("_timer") is { IsObjectReference: true } tf ? tf.ReadObject(awaited.Address, interior: false) : default;
            return timer.IsValid && !timer.IsNull ? "Task.Delay" : "Task.Delay (infinite: no timer will complete it)";
        }
        if (name.StartsWith("System.Threading.Tasks.Task+WhenAllPromise", StringComparison.Ordinal))
            return "Task.WhenAll";
        if (name.StartsWith("System.Threading.Tasks.Task+WhenAnyPromise", StringComparison.Ordinal) || name.StartsWith("System.Threading.Tasks.TaskFactory+CompleteOnInvokePromise", StringComparison.Ordinal))
            return "Task.WhenAny";
        if (name.StartsWith("System.Threading.Tasks.Task", StringComparison.Ordinal) && awaited.Type!.GetFieldByName("m_stateFlags") is not null)
        {
            int flags = ReadInt(awaited, "m_stateFlags");
            string status = Status(flags);
            string shortName = ShortTaskName(name);
            ClrObject action = awaited.ReadObjectField("m_action");
            if (action.IsValid && !action.IsNull)
                return $"{shortName} running {ThreadPoolReader.DelegateMethod(action)} ({status})";
            return (flags & (RanToCompletion | Faulted | Canceled)) != 0
                ? $"{shortName} ({status}; the continuation has not run yet)"
                : $"{shortName} (not completed; completed only by its owner, e.g. a TaskCompletionSource)";
        }

        return name;
    }

    private static IEnumerable<ClrObject> Continuations(ClrObject task)
    {
        ClrObject c = task.ReadObjectField("m_continuationObject");
        if (!c.IsValid || c.IsNull)
            yield break;
        foreach (var item in Unwrap(c, 0))
            yield return item;
    }

    /// <summary>Continuation objects down to what they run: a box, a delegate's target, a waiting thread's event.</summary>
    private static IEnumerable<ClrObject> Unwrap(ClrObject c, int depth)
    {
        if (depth > 4 || c.Type is null)
        {
            yield return c;
            yield break;
        }

        string name = c.Type.Name ?? "";
        if (name.StartsWith("System.Collections.Generic.List<", StringComparison.Ordinal))
        {
            ClrObject items = c.ReadObjectField("_items");
            int size = ReadInt(c, "_size");
            if (items.IsValid && items.IsArray)
            {
                var array = items.AsArray();
                for (int i = 0; i < Math.Min(size, array.Length); i++)
                {
                    var item = array.GetObjectValue(i);
                    if (item.IsValid && !item.IsNull)
                    {
                        foreach (var inner in Unwrap(item, depth + 1))
                            yield return inner;
                    }
                }
            }

            yield break;
        }

        if (c.IsDelegate)
        {
            ClrObject target = c.ReadObjectField("_target");
            yield return target.IsValid && !target.IsNull && target.Type?.Name?.Contains("AsyncStateMachineBox<", StringComparison.Ordinal) == true ? target : c;
            yield break;
        }

        foreach (string field in new[] { "m_action", "m_task" })
        {
            if (c.Type.GetFieldByName(field) is { IsObjectReference: true } f && !name.Contains("AsyncStateMachineBox<", StringComparison.Ordinal))
            {
                ClrObject inner = f.ReadObject(c.Address, interior: false);
                if (inner.IsValid && !inner.IsNull && (name.Contains("Continuation", StringComparison.Ordinal) || inner.IsDelegate))
                {
                    foreach (var x in Unwrap(inner, depth + 1))
                        yield return x;
                    yield break;
                }
            }
        }

        yield return c;
    }

    private static string DescribeContinuation(ClrObject c)
    {
        string name = c.Type?.Name ?? "?";
        if (name == "System.Threading.Tasks.Task+SetOnInvokeMres")
            return "a thread waiting synchronously (Wait/Result/GetResult)";
        if (c.IsDelegate)
            return "delegate " + ThreadPoolReader.DelegateMethod(c);
        return name;
    }

    private static List<SyncOverAsyncWait> FindSyncWaits(ClrRuntime runtime, IReadOnlyList<DumpThread> threads, Dictionary<ulong, AsyncStateMachine> machines, CancellationToken cancellationToken)
    {
        var result = new List<SyncOverAsyncWait>();
        var byId = threads.GroupBy(t => t.ManagedThreadId).ToDictionary(g => g.Key, g => g.First());
        foreach (ClrThread thread in runtime.Threads)
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (!thread.IsAlive || !byId.TryGetValue(thread.ManagedThreadId, out var info))
                continue;
            var frames = info.Frames.Where(f => f.Kind == Stacks.FrameKind.Managed).ToArray();
            int wait = Array.FindIndex(frames, f => WaitFrames.Any(w => f.Function.StartsWith(w, StringComparison.Ordinal)));
            if (wait < 0)
                continue;
            int lastWait = wait;
            while (lastWait + 1 < frames.Length && (WaitFrames.Any(w => frames[lastWait + 1].Function.StartsWith(w, StringComparison.Ordinal))
                || frames[lastWait + 1].Function.StartsWith("System.Runtime.CompilerServices.", StringComparison.Ordinal)
                || frames[lastWait + 1].Function.StartsWith("System.Threading.Tasks.", StringComparison.Ordinal)))
                lastWait++;
            string waitFrame = ShortFunction(frames[lastWait].Function);
            string blocking = lastWait + 1 < frames.Length ? frames[lastWait + 1].Function : "(no managed caller)";

            // The waited task: the innermost Task-typed stack root of the thread.
            ClrObject task = default;
            foreach (ClrStackRoot root in StackWalk.Roots(thread))
            {
                var obj = root.Object;
                if (!obj.IsValid || obj.Type is null)
                    continue;
                if (machines.ContainsKey(obj.Address) || IsTask(obj.Type))
                {
                    task = obj;
                    break;
                }
            }

            string description = task.IsValid
                ? machines.TryGetValue(task.Address, out var m) ? $"the task of {m.Method}" : DescribeAwaited(task)
                : "a task not found among the thread's stack roots";
            result.Add(new SyncOverAsyncWait(info.ManagedThreadId, info.Name, blocking, waitFrame, task.IsValid ? task.Address : 0, description));
        }

        return result;
    }

    private static bool IsTask(ClrType type)
    {
        for (ClrType? t = type; t is not null; t = t.BaseType)
        {
            if (t.Name == "System.Threading.Tasks.Task")
                return true;
        }

        return false;
    }

    private static int ReadInt(ClrObject obj, string field) => obj.Type?.GetFieldByName(field) is { } f ? f.Read<int>(obj.Address, interior: false) : 0;

    private static string Status(int flags) =>
        (flags & RanToCompletion) != 0 ? "RanToCompletion"
        : (flags & Faulted) != 0 ? "Faulted"
        : (flags & Canceled) != 0 ? "Canceled"
        : (flags & WaitingForActivation) != 0 ? "WaitingForActivation"
        : (flags & Started) != 0 ? "Running"
        : "Created";

    /// <summary>"Contoso.Async.PaymentClient+&lt;WaitForConfirmationAsync&gt;d__2" → "Contoso.Async.PaymentClient.WaitForConfirmationAsync".</summary>
    internal static string MethodName(string stateMachineType)
    {
        int plus = stateMachineType.LastIndexOf("+<", StringComparison.Ordinal);
        if (plus < 0)
            return stateMachineType;
        string owner = stateMachineType[..plus].Replace('+', '.');
        string nested = stateMachineType[(plus + 1)..];
        int close = nested.IndexOf(">d__", StringComparison.Ordinal);
        if (close < 0)
            close = nested.LastIndexOf('>');
        string method = close > 1 ? nested[1..close] : nested;
        // Lambdas: "<<Main>b__0_0>" → "Main (lambda)".
        if (method.StartsWith('<') && method.IndexOf('>') is int end and > 1)
            method = method[1..end] + " (lambda)";
        return owner + "." + method;
    }

    private static string ShortTaskName(string name) =>
        name.Replace("System.Threading.Tasks.", "", StringComparison.Ordinal).Replace("System.", "", StringComparison.Ordinal);

    /// <summary>"System.Runtime.CompilerServices.TaskAwaiter`1[[System.__Canon, …]].GetResult(…)" → "System.Runtime.CompilerServices.TaskAwaiter`1.GetResult".</summary>
    internal static string ShortFunction(string function)
    {
        int paren = function.IndexOf('(');
        string name = paren > 0 ? function[..paren] : function;
        int open = name.IndexOf("[[", StringComparison.Ordinal);
        int close = name.LastIndexOf("]]", StringComparison.Ordinal);
        return open > 0 && close > open ? name[..open] + name[(close + 2)..] : name;
    }
}
