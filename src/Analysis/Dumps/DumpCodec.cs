using Analysis.Stacks;

using static Analysis.ModelCodec;

namespace Analysis.Dumps;

/// <summary>
/// The binary form of the answers a dump worker sends back (threads, heap statistics, root paths, retained sizes, async
/// state, thread pool, finalizer), so the session gets the very objects the engine built in the worker. Shared objects
/// stay shared: the threads on one deadlock cycle point at one <see cref="DeadlockCycle"/>. Every count is checked
/// against the bytes left before anything is allocated for it.
/// </summary>
internal static partial class DumpCodec
{
    // ---- threads ----

    public static void WriteThreads(BinaryWriter w, IReadOnlyList<DumpThread> threads)
    {
        var cycles = new List<DeadlockCycle>();
        var cycleIndex = new Dictionary<DeadlockCycle, int>(ReferenceEqualityComparer.Instance);
        foreach (var t in threads)
        {
            if (t.Deadlock is { } c && cycleIndex.TryAdd(c, cycles.Count))
                cycles.Add(c);
        }

        w.Write(cycles.Count);
        foreach (var c in cycles)
            WriteList(w, c.Links, WriteLink);
        w.Write(threads.Count);
        foreach (var t in threads)
        {
            w.Write(t.ManagedThreadId);
            w.Write(t.OSThreadId);
            w.WriteOptional(t.Name);
            w.Write((int)t.State);
            w.Write(t.IsAlive);
            w.Write(t.IsBackground);
            w.Write(t.IsThreadPool);
            w.Write(t.IsFinalizer);
            WriteList(w, t.Frames, WriteFrame);
            WriteNullable(w, t.Exception, WriteException);
            WriteNullable(w, t.BlockedOn, WriteLock);
            WriteList(w, t.HeldLocks, WriteLock);
            w.Write(t.Deadlock is { } cycle ? cycleIndex[cycle] : -1);
            w.Write(t.Address);
        }
    }

    public static IReadOnlyList<DumpThread> ReadThreads(BinaryReader r)
    {
        var cycles = new DeadlockCycle[Count(r, 4)];
        for (int i = 0; i < cycles.Length; i++)
            cycles[i] = new DeadlockCycle(ReadList(r, 21, ReadLink));
        var threads = new DumpThread[Count(r, 39)];
        for (int i = 0; i < threads.Length; i++)
        {
            threads[i] = new DumpThread
            {
                ManagedThreadId = r.ReadInt32(),
                OSThreadId = r.ReadUInt32(),
                Name = r.ReadOptional(),
                State = (DumpThreadState)r.ReadInt32(),
                IsAlive = r.ReadBoolean(),
                IsBackground = r.ReadBoolean(),
                IsThreadPool = r.ReadBoolean(),
                IsFinalizer = r.ReadBoolean(),
                Frames = ReadList(r, 36, ReadFrame),
                Exception = ReadNullable(r, ReadException),
                BlockedOn = ReadNullable(r, ReadLock),
                HeldLocks = ReadList(r, 18, ReadLock),
                Deadlock = r.ReadInt32() is var c and >= 0 ? cycles[c] : null,
                Address = r.ReadUInt64(),
            };
        }

        return threads;
    }

    private static void WriteFrame(BinaryWriter w, StackFrameInfo f)
    {
        w.WriteText(f.Function);
        w.WriteOptional(f.Module);
        w.Write((int)f.Kind);
        w.WriteOptional(f.File);
        w.Write(f.Line);
        w.WriteOptional(f.Arguments);
        w.Write(f.Offset);
        w.Write(f.InstructionPointer);
        w.Write(f.StackPointer);
    }

    private static StackFrameInfo ReadFrame(BinaryReader r) =>
        new(r.ReadString(), r.ReadOptional(), (FrameKind)r.ReadInt32())
        {
            File = r.ReadOptional(),
            Line = r.ReadInt32(),
            Arguments = r.ReadOptional(),
            Offset = r.ReadInt64(),
            InstructionPointer = r.ReadUInt64(),
            StackPointer = r.ReadUInt64(),
        };

    private static void WriteException(BinaryWriter w, ExceptionInfo e)
    {
        w.WriteText(e.Type);
        w.WriteOptional(e.Message);
        w.Write(e.HResult);
        w.Write(e.Address);
        WriteList(w, e.StackTrace, WriteFrame);
        WriteNullable(w, e.InnerException, WriteException);
    }

    private static ExceptionInfo ReadException(BinaryReader r) =>
        new(r.ReadString(), r.ReadOptional(), r.ReadInt32(), r.ReadUInt64())
        {
            StackTrace = ReadList(r, 36, ReadFrame),
            InnerException = ReadNullable(r, ReadException),
        };

    private static void WriteLock(BinaryWriter w, LockInfo l)
    {
        w.Write(l.Address);
        w.WriteText(l.TypeName);
        w.Write((int)l.Kind);
        w.Write(l.OwnerThreadId ?? int.MinValue);
        w.Write(l.RecursionCount);
    }

    private static LockInfo ReadLock(BinaryReader r) =>
        new(r.ReadUInt64(), r.ReadString(), (LockKind)r.ReadInt32(), r.ReadInt32() is var o && o != int.MinValue ? o : null, r.ReadInt32());

    private static void WriteLink(BinaryWriter w, DeadlockLink l)
    {
        w.Write(l.ThreadId);
        w.WriteOptional(l.ThreadName);
        WriteNullable(w, l.Holds, WriteLock);
        WriteLock(w, l.WaitsFor);
        w.Write(l.WaitsForOwnerThreadId);
    }

    private static DeadlockLink ReadLink(BinaryReader r) =>
        new(r.ReadInt32(), r.ReadOptional(), ReadNullable(r, ReadLock), ReadLock(r), r.ReadInt32());

    // ---- heap statistics ----

    public static void WriteHeap(BinaryWriter w, HeapStatistics h)
    {
        WriteList(w, h.Types, (w, t) =>
        {
            w.WriteText(t.TypeName);
            w.Write(t.Count);
            w.Write(t.TotalSize);
            WriteList(w, t.MethodTables, (w, mt) => w.Write(mt));
        });
        w.Write(h.FreeCount);
        w.Write(h.FreeSize);
        w.Write(h.SegmentCount);
        WriteStrings(w, h.Warnings);
        w.Write(h.SkippedBytes);
        w.Write(h.Elapsed.Ticks);
    }

    public static HeapStatistics ReadHeap(BinaryReader r)
    {
        var types = ReadList(r, 21, r => new HeapTypeStat(r.ReadString(), r.ReadInt64(), r.ReadInt64()) { MethodTables = ReadList(r, 8, r => r.ReadUInt64()) });
        return new HeapStatistics(types, r.ReadInt64(), r.ReadInt64(), r.ReadInt32(), ReadStrings(r), r.ReadInt64(), TimeSpan.FromTicks(r.ReadInt64()));
    }

    // ---- root paths and retained sizes ----

    public static void WritePath(BinaryWriter w, GcRootPath p)
    {
        w.Write((byte)p.RootKind);
        w.WriteText(p.Root);
        WriteList(w, p.Hops, (w, h) =>
        {
            w.Write(h.Address);
            w.WriteText(h.TypeName);
            w.WriteOptional(h.Via);
        });
        w.Write(p.Count);
        WriteList(w, p.Addresses, (w, a) => w.Write(a));
        w.Write((byte)p.Tier);
    }

    public static GcRootPath ReadPath(BinaryReader r) =>
        new()
        {
            RootKind = (GcRootKind)r.ReadByte(),
            Root = r.ReadString(),
            Hops = ReadList(r, 10, r => new GcRootHop(r.ReadUInt64(), r.ReadString(), r.ReadOptional())),
            Count = r.ReadInt32(),
            Addresses = ReadList(r, 8, r => r.ReadUInt64()),
            Tier = (GcRootTier)r.ReadByte(),
        };

    public static void WritePaths(BinaryWriter w, IReadOnlyList<GcRootPath> paths) => WriteList(w, paths, WritePath);

    public static ItemList<GcRootPath> ReadPaths(BinaryReader r) => ReadList(r, 14, ReadPath);

    public static void WriteQuery(BinaryWriter w, GcRootQuery q)
    {
        w.WriteText(q.TypeNamePattern);
        WritePaths(w, q.Paths);
        w.Write(q.Unreachable);
        w.Write(q.Reachable);
    }

    public static GcRootQuery ReadQuery(BinaryReader r) =>
        new(r.ReadString(), ReadPaths(r), r.ReadInt32()) { Reachable = r.ReadInt32() };

    public static void WriteRetained(BinaryWriter w, IReadOnlyList<RetainedTypeStat> rows) =>
        WriteList(w, rows, (w, s) =>
        {
            w.WriteText(s.TypeName);
            w.Write(s.Count);
            w.Write(s.ShallowSize);
            w.Write(s.RetainedSize);
        });

    public static ItemList<RetainedTypeStat> ReadRetained(BinaryReader r) =>
        ReadList(r, 25, r => new RetainedTypeStat(r.ReadString(), r.ReadInt64(), r.ReadInt64(), r.ReadInt64()));

    // ---- async state, thread pool, finalizer ----

    public static void WriteAsync(BinaryWriter w, AsyncReport a)
    {
        WriteList(w, a.StateMachines, (w, m) =>
        {
            w.Write(m.Address);
            w.WriteText(m.Method);
            w.WriteText(m.StateMachineType);
            w.Write(m.State);
            w.WriteText(m.Status);
            w.WriteOptional(m.Awaiting);
            w.Write(m.AwaitingAddress);
            WriteStrings(w, m.Continuations);
            WriteStrings(w, m.AwaitedBy);
        });
        WriteList(w, a.Groups, (w, g) =>
        {
            w.WriteText(g.Method);
            w.Write(g.Count);
            w.WriteOptional(g.Awaiting);
            WriteStrings(w, g.AwaitedBy);
            WriteList(w, g.BlockedThreads, WriteSyncWait);
            WriteList(w, g.Addresses, (w, x) => w.Write(x));
        });
        WriteList(w, a.SyncWaits, WriteSyncWait);
    }

    public static AsyncReport ReadAsync(BinaryReader r)
    {
        var machines = ReadList(r, 30, r => new AsyncStateMachine
        {
            Address = r.ReadUInt64(),
            Method = r.ReadString(),
            StateMachineType = r.ReadString(),
            State = r.ReadInt32(),
            Status = r.ReadString(),
            Awaiting = r.ReadOptional(),
            AwaitingAddress = r.ReadUInt64(),
            Continuations = ReadStrings(r),
            AwaitedBy = ReadStrings(r),
        });
        var groups = ReadList(r, 18, r => new StuckAwaitGroup
        {
            Method = r.ReadString(),
            Count = r.ReadInt32(),
            Awaiting = r.ReadOptional(),
            AwaitedBy = ReadStrings(r),
            BlockedThreads = ReadList(r, 16, ReadSyncWait),
            Addresses = ReadList(r, 8, r => r.ReadUInt64()),
        });
        return new AsyncReport(machines, groups, ReadList(r, 16, ReadSyncWait));
    }

    private static void WriteSyncWait(BinaryWriter w, SyncOverAsyncWait s)
    {
        w.Write(s.ManagedThreadId);
        w.WriteOptional(s.ThreadName);
        w.WriteText(s.BlockingFrame);
        w.WriteText(s.WaitFrame);
        w.Write(s.TaskAddress);
        w.WriteText(s.Task);
    }

    private static SyncOverAsyncWait ReadSyncWait(BinaryReader r) =>
        new(r.ReadInt32(), r.ReadOptional(), r.ReadString(), r.ReadString(), r.ReadUInt64(), r.ReadString());

    public static void WriteThreadPool(BinaryWriter w, ThreadPoolReport p)
    {
        w.Write(p.MinWorkers);
        w.Write(p.MaxWorkers);
        w.Write(p.ActiveWorkers);
        w.Write(p.IdleWorkers);
        w.Write(p.RetiredWorkers);
        w.Write(p.CpuUtilization);
        WriteList(w, p.BusyWorkers, (w, g) =>
        {
            w.WriteText(g.Frame);
            w.WriteOptional(g.WaitingIn);
            w.Write(g.Count);
            WriteList(w, g.ThreadIds, (w, id) => w.Write(id));
        });
        WriteList(w, p.Queued, (w, q) =>
        {
            w.WriteText(q.Description);
            w.Write(q.Count);
            w.WriteText(q.Queue);
        });
        WriteList(w, p.Timers, (w, t) =>
        {
            w.WriteText(t.Callback);
            w.Write(t.Count);
            w.Write(t.DueTimeMs is not null);
            w.Write(t.DueTimeMs ?? 0);
            w.Write(t.PeriodMs is not null);
            w.Write(t.PeriodMs ?? 0);
        });
        WriteStrings(w, p.Warnings);
    }

    public static ThreadPoolReport ReadThreadPool(BinaryReader r) =>
        new()
        {
            MinWorkers = r.ReadInt32(),
            MaxWorkers = r.ReadInt32(),
            ActiveWorkers = r.ReadInt32(),
            IdleWorkers = r.ReadInt32(),
            RetiredWorkers = r.ReadInt32(),
            CpuUtilization = r.ReadInt32(),
            BusyWorkers = ReadList(r, 10, r => new WorkerGroup(r.ReadString(), r.ReadOptional(), r.ReadInt32(), ReadList(r, 4, r => r.ReadInt32()))),
            Queued = ReadList(r, 6, r => new WorkItemGroup(r.ReadString(), r.ReadInt32(), r.ReadString())),
            Timers = ReadList(r, 23, r => new TimerGroup(r.ReadString(), r.ReadInt32(), r.ReadBoolean() ? r.ReadInt64() : SkipInt64(r), r.ReadBoolean() ? r.ReadInt64() : SkipInt64(r))),
            Warnings = ReadStrings(r),
        };

    public static void WriteFinalizer(BinaryWriter w, FinalizerReport f)
    {
        w.Write(f.ThreadId ?? int.MinValue);
        WriteList(w, f.Frames, WriteFrame);
        w.WriteOptional(f.Finalizing);
        w.WriteOptional(f.WaitingIn);
        WriteList(w, f.Ready, (w, t) =>
        {
            w.WriteText(t.TypeName);
            w.Write(t.Count);
        });
        w.Write(f.RegisteredCount);
        WriteStrings(w, f.Warnings);
    }

    public static FinalizerReport ReadFinalizer(BinaryReader r) =>
        new()
        {
            ThreadId = r.ReadInt32() is var id && id != int.MinValue ? id : null,
            Frames = ReadList(r, 36, ReadFrame),
            Finalizing = r.ReadOptional(),
            WaitingIn = r.ReadOptional(),
            Ready = ReadList(r, 5, r => new TypeCount(r.ReadString(), r.ReadInt32())),
            RegisteredCount = r.ReadInt32(),
            Warnings = ReadStrings(r),
        };

    private static long? SkipInt64(BinaryReader r)
    {
        r.ReadInt64();
        return null;
    }

    // ---- out of memory ----

    public static void WriteOutOfMemory(BinaryWriter w, IReadOnlyList<OutOfMemoryInfo> records) =>
        WriteList(w, records, (w, o) =>
        {
            w.Write(o.HeapIndex);
            w.WriteText(o.Reason);
            w.WriteOptional(o.GetMemoryFailure);
            w.Write(o.IsLargeObjectHeap);
            w.Write(o.AllocationSize);
            w.Write(o.GcIndex);
            w.Write(o.AvailablePageFileMB);
        });

    public static ItemList<OutOfMemoryInfo> ReadOutOfMemory(BinaryReader r) =>
        ReadList(r, 31, r => new OutOfMemoryInfo(r.ReadInt32(), r.ReadString(), r.ReadOptional(), r.ReadBoolean(), r.ReadUInt64(), r.ReadUInt64(), r.ReadUInt64()));
}
