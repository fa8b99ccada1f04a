using Analysis.Stacks;
using Microsoft.Diagnostics.Runtime;

namespace Analysis.Dumps;

/// <summary>
/// Builds <see cref="DumpThread"/>s from a runtime: names from Thread objects, stacks, exceptions, the locks each
/// thread holds and waits for, and deadlock cycles in the wait-for graph.
/// </summary>
/// <remarks>
/// ClrMD has no blocking-object API for .NET 10, so lock ownership is read from three places: held sync blocks
/// (inflated monitors), thin locks in object headers, and the owner field of System.Threading.Lock instances.
/// The lock a thread waits for is the lock object among the stack roots of its Monitor.Enter / Lock.Enter frames
/// (or of the caller that entered them) that another thread holds.
/// </remarks>
internal static class ThreadAnalyzer
{
    private const int TsInterruptible = 0x02000000; // sitting in a Sleep(), Wait(), Join()
    public static IReadOnlyList<DumpThread> Analyze(ClrRuntime runtime, bool heapAvailable, CancellationToken cancellationToken, Action<string>? warn = null, SourceLines? lines = null)
    {
        var threads = runtime.Threads;
        var byAddress = new Dictionary<ulong, ClrThread>();
        foreach (var t in threads)
            byAddress.TryAdd(t.Address, t);

        var threadObjects = heapAvailable ? ReadThreadObjects(runtime, cancellationToken) : new Dictionary<ulong, ThreadObject>();
        var locks = new LockIndex(runtime.Heap, byAddress, heapAvailable);
        var modules = new Dictionary<ulong, string?>();

        var work = new List<ThreadWork>(threads.Length);
        foreach (var thread in threads)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var clrFrames = thread.IsAlive ? StackWalk.Frames(thread) : [];
            var roots = heapAvailable && thread.IsAlive ? StackWalk.Roots(thread).Where(r => r.Object.IsValid && !r.IsInterior).ToArray() : [];
            work.Add(new ThreadWork(thread, clrFrames, roots));
        }

        if (StackWalk.Warning(threads) is { } cut)
            warn?.Invoke(cut);

        // Locks held: monitors owned in the sync block table, plus thin locks and Lock instances on any stack.
        var held = new Dictionary<int, List<LockInfo>>();
        void AddHeld(LockInfo info)
        {
            if (info.OwnerThreadId is not int owner)
                return;
            var list = held.TryGetValue(owner, out var l) ? l : held[owner] = [];
            if (!list.Exists(x => x.Address == info.Address))
                list.Add(info);
        }

        foreach (var info in locks.HeldMonitors())
            AddHeld(info);
        foreach (var w in work)
        {
            foreach (var root in w.Roots)
            {
                if (locks.Lookup(root.Object) is { OwnerThreadId: not null } info)
                    AddHeld(info);
            }
        }

        // The lock each thread is trying to enter.
        var blockedOn = new Dictionary<int, LockInfo>();
        var inEnter = new HashSet<int>();
        foreach (var w in work)
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (FindEnterFrames(w.Frames) is not { } enter)
                continue;
            inEnter.Add(w.Thread.ManagedThreadId);
            if (FindAwaitedLock(w, enter, locks) is { } awaited)
                blockedOn[w.Thread.ManagedThreadId] = awaited;
        }

        var cycles = FindCycles(blockedOn);

        var result = new List<DumpThread>(work.Count);
        foreach (var w in work)
        {
            var t = w.Thread;
            int id = t.ManagedThreadId;
            threadObjects.TryGetValue(t.Address, out var tobj);
            var state = t.State;
            DeadlockCycle? cycle = cycles.GetValueOrDefault(id);
            blockedOn.TryGetValue(id, out var waitsFor);
            var frames = ToFrames(w.Frames, modules, lines);

            result.Add(new DumpThread
            {
                ManagedThreadId = id,
                OSThreadId = t.OSThreadId,
                Name = string.IsNullOrEmpty(tobj?.Name) ? null : tobj.Name,
                State = ClassifyState(t, state, frames, cycle is not null, waitsFor is not null || inEnter.Contains(id)),
                IsAlive = t.IsAlive,
                IsBackground = (state & ClrThreadState.TS_Background) != 0,
                IsThreadPool = (state & (ClrThreadState.TS_TPWorkerThread | ClrThreadState.TS_CompletionPortThread)) != 0 || tobj?.IsThreadPool == true,
                IsFinalizer = t.IsFinalizer,
                Frames = frames,
                Exception = ToExceptionInfo(SafeException(t), modules, lines, depth: 0),
                BlockedOn = waitsFor,
                HeldLocks = held.TryGetValue(id, out var h) ? h.OrderBy(x => x.Address).ToArray() : [],
                Deadlock = cycle,
                Address = t.Address,
            });
        }

        return cycles.Count == 0 ? result : NameCycles(result, cycles);
    }

    private static DumpThreadState ClassifyState(ClrThread t, ClrThreadState state, IReadOnlyList<StackFrameInfo> frames, bool deadlocked, bool blocked)
    {
        if ((state & ClrThreadState.TS_Unstarted) != 0)
            return DumpThreadState.Unstarted;
        if ((state & ClrThreadState.TS_Dead) != 0 || !t.IsAlive)
            return DumpThreadState.Dead;
        if (deadlocked)
            return DumpThreadState.Deadlocked;
        if (blocked)
            return DumpThreadState.BlockedOnLock;
        if (((int)state & TsInterruptible) != 0)
            return DumpThreadState.Waiting;
        var top = frames.FirstOrDefault(f => f.Kind == FrameKind.Managed);
        if (top is null)
            return t.IsFinalizer ? DumpThreadState.Waiting : DumpThreadState.NativeCode; // an idle finalizer waits in native code
        return WaitMethods.IsWait(top.Function) ? DumpThreadState.Waiting : DumpThreadState.Running;
    }

    // ---- stacks ----

    private sealed record ThreadWork(ClrThread Thread, IReadOnlyList<ClrStackFrame> Frames, IReadOnlyList<ClrStackRoot> Roots);

    private readonly record struct EnterFrames(int First, int End, bool IsLock);

    private static ClrException? SafeException(ClrThread thread)
    {
        try
        {
            return thread.CurrentException;
        }
        catch (Exception e) when (DumpEngine.IsEngineFailure(e))
        {
            return null;
        }
    }

    private static ItemList<StackFrameInfo> ToFrames(IReadOnlyList<ClrStackFrame> frames, Dictionary<ulong, string?> modules, SourceLines? lines)
    {
        var list = new List<StackFrameInfo>(frames.Count);
        StackFrameInfo? previous = null;
        for (int i = 0; i < frames.Count; i++)
        {
            var f = frames[i];
            // Only the innermost frame, or the one a hardware fault stopped (below a FaultingExceptionFrame), is at the
            // instruction it executes; every other is at a return address.
            bool atInstruction = i == 0 || frames[i - 1] is { Kind: ClrStackFrameKind.Runtime, FrameName: "FaultingExceptionFrame" };
            var info = ToFrame(f, modules, lines, isCallSite: !atInstruction);
            // ClrMD reports some transition frames twice in a row; keep one.
            if (previous is not null && info.Kind == FrameKind.Runtime && previous.Kind == FrameKind.Runtime &&
                previous.Function == info.Function && previous.StackPointer == info.StackPointer)
                continue;
            list.Add(info);
            previous = info;
        }

        return list;
    }

    private static StackFrameInfo ToFrame(ClrStackFrame f, Dictionary<ulong, string?> modules, SourceLines? lines, bool isCallSite)
    {
        if (f.Method is { } m)
        {
            string function = m.Signature ?? $"{m.Type?.Name}.{m.Name}";
            var source = lines?.Find(m, f.InstructionPointer, isCallSite);
            return new StackFrameInfo(function, ModuleName(m.Type?.Module, modules), FrameKind.Managed)
            {
                InstructionPointer = f.InstructionPointer,
                StackPointer = f.StackPointer,
                File = source?.File,
                Line = source?.Line ?? 0,
            };
        }

        return new StackFrameInfo(string.IsNullOrEmpty(f.FrameName) ? "Runtime" : f.FrameName, null, FrameKind.Runtime)
        {
            InstructionPointer = f.InstructionPointer,
            StackPointer = f.StackPointer,
        };
    }

    private static string? ModuleName(ClrModule? module, Dictionary<ulong, string?> cache)
    {
        if (module is null)
            return null;
        if (!cache.TryGetValue(module.Address, out var name))
        {
            string? raw = module.Name ?? module.AssemblyName;
            name = raw is null ? null : Path.GetFileNameWithoutExtension(raw.Replace('\\', '/'));
            cache[module.Address] = name;
        }

        return name;
    }

    private static ExceptionInfo? ToExceptionInfo(ClrException? e, Dictionary<ulong, string?> modules, SourceLines? lines, int depth)
    {
        if (e is null || depth > 8)
            return null;
        ItemList<StackFrameInfo> trace;
        try
        {
            // The runtime stores an exception's frames at the call instruction already (return address - 1, as SOS's pe shows).
            trace = e.StackTrace.Select(f => ToFrame(f, modules, lines, isCallSite: false)).ToArray();
        }
        catch (Exception ex) when (ex is InvalidOperationException or IOException or ClrDiagnosticsException)
        {
            trace = [];
        }

        return new ExceptionInfo(e.Type?.Name ?? "<unknown type>", e.Message, e.HResult, e.Address)
        {
            StackTrace = trace,
            InnerException = ToExceptionInfo(e.Inner, modules, lines, depth + 1),
        };
    }

    // ---- thread objects (names) ----

    private sealed record ThreadObject(string? Name, bool IsThreadPool);

    /// <summary>
    /// Finds the System.Threading.Thread object of each runtime thread through the handle table (each exposed
    /// Thread object has a handle) and reads its name: ClrMD exposes no thread names for .NET 10.
    /// </summary>
    private static Dictionary<ulong, ThreadObject> ReadThreadObjects(ClrRuntime runtime, CancellationToken cancellationToken)
    {
        var result = new Dictionary<ulong, ThreadObject>();
        var byManagedId = runtime.Threads.GroupBy(t => t.ManagedThreadId).ToDictionary(g => g.Key, g => g.First().Address);
        int n = 0;
        try
        {
            foreach (var handle in runtime.EnumerateHandles())
            {
                if ((++n & 0xfff) == 0)
                    cancellationToken.ThrowIfCancellationRequested();
                var obj = handle.Object;
                if (obj.Type?.Name != "System.Threading.Thread")
                    continue;

                ulong native = obj.TryReadField("_DONT_USE_InternalThread", out nint p) ? (ulong)p : 0;
                if (native == 0 && obj.TryReadField("_managedThreadId", out int mid))
                    native = byManagedId.GetValueOrDefault(mid);
                if (native == 0 || result.ContainsKey(native))
                    continue;

                obj.TryReadStringField("_name", maxLength: 1024, out string? name);
                obj.TryReadField("_isThreadPool", out bool isPool);
                result[native] = new ThreadObject(name, isPool);
            }
        }
        catch (Exception e) when (e is InvalidOperationException or IOException or ClrDiagnosticsException)
        {
            // Names are best effort: a damaged handle table leaves threads unnamed.
        }

        return result;
    }

    // ---- locks ----

    /// <summary>
    /// The Monitor/Lock enter frames at the top of a stack (below any wait plumbing), and the caller that entered:
    /// [First, End) where End includes the caller frame when there is one.
    /// </summary>
    private static EnterFrames? FindEnterFrames(IReadOnlyList<ClrStackFrame> frames)
    {
        static bool IsEnter(ClrMethod m) => WaitMethods.IsMonitorEnter(m) || WaitMethods.IsLockEnter(m);

        int i = 0;
        while (i < frames.Count && (frames[i].Method is not { } m || WaitMethods.IsInsideWait(m)))
            i++;
        int first = i;
        bool isLock = false;
        while (i < frames.Count && (frames[i].Method is not { } m || IsEnter(m)))
        {
            isLock |= frames[i].Method is { } e && WaitMethods.IsLockEnter(e);
            i++;
        }

        if (!frames.Skip(first).Take(i - first).Any(f => f.Method is not null))
            return null;
        return new EnterFrames(first, Math.Min(i + 1, frames.Count), isLock);
    }

    private static LockInfo? FindAwaitedLock(ThreadWork w, EnterFrames enter, LockIndex locks)
    {
        int self = w.Thread.ManagedThreadId;
        var enterSps = new HashSet<ulong>();
        ulong callerSp = 0;
        for (int i = enter.First; i < enter.End; i++)
        {
            bool isCaller = i == enter.End - 1 && w.Frames[i].Method is { } m && !WaitMethods.IsMonitorEnter(m) && !WaitMethods.IsLockEnter(m);
            if (isCaller)
                callerSp = w.Frames[i].StackPointer;
            else
                enterSps.Add(w.Frames[i].StackPointer);
        }

        bool Fits(ClrObject o) => !enter.IsLock || o.Type?.Name == LockIndex.LockTypeName;

        // 1. An object rooted by the enter frames themselves is the lock being entered, held or not.
        foreach (var root in w.Roots)
        {
            if (root.StackFrame is { } f && enterSps.Contains(f.StackPointer) && Fits(root.Object))
            {
                var info = locks.Lookup(root.Object) ?? locks.Unowned(root.Object, enter.IsLock);
                if (info.OwnerThreadId != self)
                    return info;
            }
        }

        // 2. Otherwise a lock object in the caller's frame that another thread holds.
        foreach (var root in w.Roots)
        {
            if (root.StackFrame is { } f && f.StackPointer == callerSp && Fits(root.Object) &&
                locks.Lookup(root.Object) is { OwnerThreadId: int owner } info && owner != self)
                return info;
        }

        return null;
    }

    // ---- cycles ----

    private static Dictionary<int, DeadlockCycle> FindCycles(Dictionary<int, LockInfo> blockedOn)
    {
        var result = new Dictionary<int, DeadlockCycle>();
        var state = new Dictionary<int, int>(); // 1 = on the current path, 2 = finished
        foreach (int start in blockedOn.Keys.Order())
        {
            if (state.ContainsKey(start))
                continue;
            var path = new List<int>();
            int current = start;
            while (true)
            {
                if (state.TryGetValue(current, out int s))
                {
                    if (s == 1)
                    {
                        var members = path.Skip(path.IndexOf(current)).ToList();
                        var cycle = BuildCycle(members, blockedOn);
                        foreach (int m in members)
                            result[m] = cycle;
                    }

                    break;
                }

                state[current] = 1;
                path.Add(current);
                if (!blockedOn.TryGetValue(current, out var lk) || lk.OwnerThreadId is not int next)
                    break;
                current = next;
            }

            foreach (int p in path)
                state[p] = 2;
        }

        return result;
    }

    private static DeadlockCycle BuildCycle(List<int> members, Dictionary<int, LockInfo> blockedOn)
    {
        // Start at the smallest thread id so the description is stable.
        int rotate = members.IndexOf(members.Min());
        var ordered = members.Skip(rotate).Concat(members.Take(rotate)).ToList();
        var links = new List<DeadlockLink>(ordered.Count);
        for (int i = 0; i < ordered.Count; i++)
        {
            int tid = ordered[i];
            int previous = ordered[(i + ordered.Count - 1) % ordered.Count];
            var waitsFor = blockedOn[tid];
            links.Add(new DeadlockLink(tid, null, blockedOn[previous], waitsFor, waitsFor.OwnerThreadId!.Value));
        }

        return new DeadlockCycle(links);
    }

    private static List<DumpThread> NameCycles(List<DumpThread> threads, Dictionary<int, DeadlockCycle> cycles)
    {
        // Rebuild each cycle once with thread names, then attach it to its members.
        var names = threads.ToDictionary(t => t.ManagedThreadId, t => t.Name);
        var renamed = new Dictionary<DeadlockCycle, DeadlockCycle>(ReferenceEqualityComparer.Instance);
        foreach (var cycle in cycles.Values.Distinct())
            renamed[cycle] = new DeadlockCycle(cycle.Links.Select(l => l with { ThreadName = names.GetValueOrDefault(l.ThreadId) }).ToArray());
        return threads.Select(t => t.Deadlock is null ? t : t with { Deadlock = renamed[t.Deadlock] }).ToList();
    }
}
