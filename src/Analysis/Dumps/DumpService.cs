using Analysis.Isolation;

namespace Analysis.Dumps;

/// <summary>
/// The dump questions as worker operations: a worker process holds the <see cref="DumpEngine"/>s (ClrMD and the DAC) of
/// the dumps open in it (the session's shared worker holds several, see <see cref="SharedWorker"/>), each opened by
/// <see cref="Open"/>, which answers its handle. Every other operation's arguments start with that handle; it answers
/// in the form <see cref="DumpCodec"/> writes, followed by the engine's state (warnings, whether the object graph is
/// indexed, its cache file), which the session mirrors.
/// </summary>
internal static class DumpService
{
    public const string Open = "dump.open";
    public const string Threads = "dump.threads";
    public const string Heap = "dump.heap";
    public const string RootPath = "dump.rootpath";
    public const string AllRootPaths = "dump.allrootpaths";
    public const string RootPaths = "dump.rootpaths";
    public const string Retained = "dump.retained";
    public const string RetainedByType = "dump.retainedbytype";
    public const string Async = "dump.async";
    public const string ThreadPool = "dump.threadpool";
    public const string Finalizer = "dump.finalizer";
    public const string WaitForCache = "dump.waitforcache";
    public const string Close = "dump.close";
    public const string ShortestRootPath = "dump.shortestrootpath";
    public const string ShortestRootPaths = "dump.shortestrootpaths";

    // sizes, heap layout and handles (issue 14)
    public const string ObjectSize = "dump.objectsize";
    public const string GcHeap = "dump.gcheap";
    public const string GcWhere = "dump.gcwhere";
    public const string Handles = "dump.handles";
    public const string OutOfMemory = "dump.outofmemory";
    public const string InspectObject = "dump.object";
    public const string InspectCollection = "dump.collection";
    public const string Objects = "dump.objects";
    public const string HeapByLiveness = "dump.heapbyliveness";
    public const string HandleLeaks = "dump.handleleaks";

    /// <summary>The operations, by name, for the worker program to serve (<see cref="WorkerServer.Serve"/>).</summary>
    public static IEnumerable<KeyValuePair<string, WorkerOperation>> Operations =>
    [
        new(Open, ServeOpen),
        new(Threads, Answer((e, a, p, c) => DumpCodec.WriteThreads(a, e.GetThreads(c)))),
        new(Heap, Answer((e, a, p, c) => DumpCodec.WriteHeap(a, e.GetHeapStatistics(p, c)))),
        new(RootPath, Answer((e, a, p, c, r) =>
        {
            var path = e.FindRootPath(r.ReadUInt64(), p, c);
            a.Write(path is not null);
            if (path is not null)
                DumpCodec.WritePath(a, path);
        })),
        new(AllRootPaths, Answer((e, a, p, c, r) => DumpCodec.WritePaths(a, e.FindAllRootPaths(r.ReadUInt64(), r.ReadInt32(), p, c)))),
        new(RootPaths, Answer((e, a, p, c, r) => DumpCodec.WriteQuery(a, e.FindRootPaths(r.ReadString(), r.ReadInt32(), p, c)))),
        new(Retained, Answer((e, a, p, c, r) => a.Write(e.GetRetainedSize(r.ReadUInt64(), p, c)))),
        new(RetainedByType, Answer((e, a, p, c) => DumpCodec.WriteRetained(a, e.GetRetainedByType(int.MaxValue, null, p, c)))),
        new(Async, Answer((e, a, p, c) => DumpCodec.WriteAsync(a, e.GetAsyncState(p, c)))),
        new(ThreadPool, Answer((e, a, p, c) => DumpCodec.WriteThreadPool(a, e.GetThreadPool(c)))),
        new(Finalizer, Answer((e, a, p, c) => DumpCodec.WriteFinalizer(a, e.GetFinalizer(c)))),
        new(WaitForCache, Answer((e, a, p, c) => e.WaitForGraphCache())),
        new(Close, ServeClose),
        new(ShortestRootPath, Answer((e, a, p, c, r) =>
        {
            var path = e.FindShortestRootPath(r.ReadUInt64(), p, c);
            a.Write(path is not null);
            if (path is not null)
                DumpCodec.WritePath(a, path);
        })),
        new(ShortestRootPaths, Answer((e, a, p, c, r) => DumpCodec.WriteQuery(a, e.FindShortestRootPaths(r.ReadString(), r.ReadInt32(), p, c)))),
        new(ObjectSize, Answer((e, a, p, c, r) => DumpCodec.WriteObjectSize(a, e.MeasureObject(r.ReadUInt64(), r.ReadBoolean(), p, c)))),
        new(GcHeap, Answer((e, a, p, c) => DumpCodec.WriteGcHeap(a, e.GetGcHeap(p, c)))),
        new(GcWhere, Answer((e, a, p, c, r) => DumpCodec.WriteGcAddress(a, e.FindGcAddress(r.ReadUInt64(), c)))),
        new(Handles, Answer((e, a, p, c) => DumpCodec.WriteHandles(a, e.GetHandles(c)))),
        new(OutOfMemory, Answer((e, a, p, c) => DumpCodec.WriteOutOfMemory(a, e.GetOutOfMemory(c)))),
        new(InspectObject, Answer((e, a, p, c, r) => DumpObjectCodec.WriteObject(a, e.InspectObject(r.ReadUInt64(), r.ReadInt32(), r.ReadInt32(), r.ReadInt32(), c)))),
        new(InspectCollection, Answer((e, a, p, c, r) => DumpObjectCodec.WriteCollection(a, e.InspectCollection(r.ReadUInt64(), r.ReadInt32(), r.ReadInt32(), c)))),
        new(Objects, Answer((e, a, p, c, r) =>
        {
            var (query, from, max) = HeapObjectCodec.ReadRequest(r);
            HeapObjectCodec.WriteBatch(a, e.ReadObjects(query, from, max, p, c));
        })),
        new(HeapByLiveness, Answer((e, a, p, c, r) => HeapObjectCodec.WriteStatistics(a, e.GetHeapStatistics((ObjectLiveness)r.ReadByte(), p, c)))),
        new(HandleLeaks, Answer((e, a, p, c) => DumpCodec.WriteHandles(a, e.GetHandleLeaks(p, c)))),
    ];

    /// <summary>The types that write (in the worker) and read (in the session) the answers: compiled ahead on both sides (<see cref="Precompilation"/>).</summary>
    internal static readonly Type[] Codecs = [typeof(DumpCodec), typeof(DumpObjectCodec), typeof(HeapObjectCodec), typeof(ModelCodec), typeof(WorkerProtocol)];

    /// <summary>
    /// When the worker was started to (<see cref="WorkerStart.CompileDumpEngine"/>): compiles the dump engine on a pool
    /// thread while the worker waits for its first dump (the shared worker, started ahead). Otherwise the open does it beside itself (<see cref="ServeOpen"/>).
    /// </summary>
    public static void CompileEngineIfAsked()
    {
        if (Environment.GetEnvironmentVariable(WorkerStart.CompileDumpEngineVariable) == "1")
            CompileEngineOnce();
    }

    private static Task? s_compiling;

    /// <summary>Starts <see cref="CompileEngine"/> on a pool thread, once per process (a second compiler would only take a core).</summary>
    private static void CompileEngineOnce()
    {
        var compiling = new Task(CompileEngine);
        if (Interlocked.CompareExchange(ref s_compiling, compiling, null) is null)
            compiling.Start(TaskScheduler.Default);
    }

    /// <summary>
    /// Compiles the answers' writers and the dump engine, every method of the Analysis.Dumps and Analysis.Stacks types
    /// (about 2,500, 0.15 s of one core), so the first questions about a dump skip the worker's JIT, as they did in a
    /// session that read its dump in its own process. Nothing depends on it: a method not reached yet compiles on first
    /// call; each type is compiled once per process.
    /// </summary>
    private static void CompileEngine()
    {
        Type[] types;
        try
        {
            types = typeof(DumpService).Assembly.GetTypes();
        }
        catch (System.Reflection.ReflectionTypeLoadException e)
        {
            types = [.. e.Types.OfType<Type>()];
        }

        Precompilation.Compile([typeof(DumpService), .. Codecs, .. types.Where(t => !t.IsNested && t.Namespace is "Analysis.Dumps" or "Analysis.Stacks")]);
    }

    private static readonly System.Collections.Concurrent.ConcurrentDictionary<int, DumpEngine> s_engines = new();
    private static int s_nextHandle;

    private static void ServeOpen(BinaryReader arguments, Stream result, IProgress<WorkProgress> progress, CancellationToken cancellationToken)
    {
        string path = arguments.ReadString();
        var options = ReadOptions(arguments);
        // the answers' writers and the engine compile beside the open (another core), not in the first question of each
        // kind (a worker started ahead has done it already while it waited)
        CompileEngineOnce();
        var engine = DumpEngine.Open(path, options);
        int handle = Interlocked.Increment(ref s_nextHandle);
        s_engines[handle] = engine;
        using var w = new BinaryWriter(result, System.Text.Encoding.UTF8, leaveOpen: true);
        w.Write(handle);
        w.WriteText(engine.Path);
        w.Write((int)engine.Format);
        w.WriteText(engine.RuntimeVersion);
        w.WriteText(engine.DacPath);
        w.Write(engine.ProcessId);
        w.Write(engine.HasHeap);
        WriteState(w, engine);
    }

    private static void ServeClose(BinaryReader arguments, Stream result, IProgress<WorkProgress> progress, CancellationToken cancellationToken)
    {
        if (s_engines.TryRemove(arguments.ReadInt32(), out var engine))
            engine.Dispose(); // waits for the object-graph index being written
        // the last dump closed, the worker may wait for the next (SharedWorker): what the engines held goes back to the system now
        if (s_engines.IsEmpty)
            WorkerServer.ReleaseMemory();
        result.WriteByte(1);
    }

    private static WorkerOperation Answer(Action<DumpEngine, BinaryWriter, IProgress<WorkProgress>, CancellationToken> answer) =>
        Answer((e, w, p, c, _) => answer(e, w, p, c));

    private static WorkerOperation Answer(Action<DumpEngine, BinaryWriter, IProgress<WorkProgress>, CancellationToken, BinaryReader> answer) =>
        (arguments, result, progress, cancellationToken) =>
        {
            int handle = arguments.ReadInt32();
            var engine = s_engines.TryGetValue(handle, out var open) ? open : throw new InvalidOperationException($"this worker has no dump open as {handle}");
            using var w = new BinaryWriter(result, System.Text.Encoding.UTF8, leaveOpen: true);
            answer(engine, w, progress, cancellationToken, arguments);
            WriteState(w, engine);
        };

    /// <summary>What the session shows of the engine besides the answers: its warnings and the object graph's state.</summary>
    internal sealed record EngineState(ItemList<string> Warnings, ItemList<string> GraphWarnings, bool IsGraphIndexed, string? GraphCacheFile, bool GraphLoadedFromCache)
    {
        public static EngineState Read(BinaryReader r) =>
            new(ModelCodec.ReadStrings(r), ModelCodec.ReadStrings(r), r.ReadBoolean(), r.ReadOptional(), r.ReadBoolean());
    }

    private static void WriteState(BinaryWriter w, DumpEngine engine)
    {
        ModelCodec.WriteStrings(w, engine.Warnings);
        ModelCodec.WriteStrings(w, engine.GraphWarnings);
        w.Write(engine.IsGraphIndexed);
        w.WriteOptional(engine.GraphCacheFile);
        w.Write(engine.GraphLoadedFromCache);
    }

    public static void WriteOptions(BinaryWriter w, DumpOpenOptions o)
    {
        w.WriteOptional(o.DacPath);
        WriteOptionalList(w, o.RuntimeSearchRoots);
        w.WriteOptional(o.CacheDirectory);
        w.Write(o.NoCache);
        WriteOptionalList(w, o.SymbolPaths);
        WriteOptionalList(w, o.SymbolServers);
        w.WriteOptional(o.SymbolCacheDirectory);
    }

    private static DumpOpenOptions ReadOptions(BinaryReader r) =>
        new()
        {
            DacPath = r.ReadOptional(),
            RuntimeSearchRoots = ReadOptionalList(r),
            CacheDirectory = r.ReadOptional(),
            NoCache = r.ReadBoolean(),
            SymbolPaths = ReadOptionalList(r),
            SymbolServers = ReadOptionalList(r),
            SymbolCacheDirectory = r.ReadOptional(),
            Isolation = EngineIsolation.InProcess,
        };

    private static void WriteOptionalList(BinaryWriter w, IReadOnlyList<string>? items)
    {
        w.Write(items is not null);
        if (items is not null)
            ModelCodec.WriteStrings(w, items);
    }

    private static ItemList<string>? ReadOptionalList(BinaryReader r) => r.ReadBoolean() ? ModelCodec.ReadStrings(r) : null;
}
