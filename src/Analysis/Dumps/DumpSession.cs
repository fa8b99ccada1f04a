using System.Globalization;
using Analysis.Isolation;
using Microsoft.Diagnostics.Runtime;

namespace Analysis.Dumps;

/// <summary>
/// An open dump. ClrMD and the DAC read it in a worker process (unless <see cref="DumpOpenOptions.Isolation"/> says this
/// process): a damaged dump that crashes the DAC, exhausts memory or hangs past cancellation ends the worker, the
/// question fails with one <see cref="AnalysisException"/> naming the dump and what was asked, and the next question
/// starts a new worker; this process and its other sessions live on. Answers are computed once and kept (threads, heap
/// statistics, async state, thread pool, finalizer: the worker's here, see <see cref="DumpWorkerReader"/>), so asking
/// again costs nothing. Thread-safe; dispose to release
/// the file and end the worker. After Dispose every question (the methods, and the properties that report what the
/// session has read: <see cref="Warnings"/>, <see cref="IsHeapCached"/>, the graph's) fails with SessionClosed; what the
/// dump is (<see cref="Path"/>, <see cref="ProcessId"/>, <see cref="RuntimeVersion"/>, …) stays readable.
/// </summary>
public sealed partial class DumpSession : IAnalysisSession
{
    private readonly DumpReader _reader; // a DumpEngine here, or a DumpWorkerReader asking one in a worker
    private int _closing;
    private volatile bool _disposed;

    private DumpSession(DumpReader reader, string path, DumpFormat format, string runtimeVersion, string dacPath, int processId, bool hasHeap)
    {
        _reader = reader;
        Path = path;
        Format = format;
        RuntimeVersion = runtimeVersion;
        DacPath = dacPath;
        ProcessId = processId;
        HasHeap = hasHeap;
    }

    /// <summary>Full path of the dump file.</summary>
    public string Path { get; }

    /// <summary>The dump's container: ELF core, Windows minidump or Mach-O core.</summary>
    public DumpFormat Format { get; }

    /// <summary>The .NET runtime version the dump was taken from, e.g. "10.0.12".</summary>
    public string RuntimeVersion { get; }

    /// <summary>The DAC used to read the runtime's data structures.</summary>
    public string DacPath { get; }

    /// <summary>The process id recorded in the dump.</summary>
    public int ProcessId { get; }

    /// <summary>Whether the dump contains GC heap memory (full and with-heap dumps do, mini/triage dumps don't).</summary>
    public bool HasHeap { get; }

    /// <summary>Where ClrMD and the DAC read this dump: <see cref="EngineIsolation.Worker"/> or <see cref="EngineIsolation.InProcess"/>.</summary>
    public EngineIsolation ReadBy => _reader is DumpEngine ? EngineIsolation.InProcess : EngineIsolation.Worker;

    /// <summary>Whether heap statistics have been computed and kept.</summary>
    public bool IsHeapCached => Reader.IsHeapCached;

    /// <summary>Whether the session was disposed; every question then fails with SessionClosed.</summary>
    public bool IsClosed => _disposed;

    /// <summary>
    /// What this session could not do or find: module files missing on this machine, symbol servers that failed, stacks
    /// whose walk was cut short, a worker that ended. Empty for a complete dump whose files are all here.
    /// </summary>
    public ItemList<string> Warnings => Reader.Warnings;

    /// <summary>Whether the object graph (root paths, retained sizes) has been indexed in this session.</summary>
    public bool IsGraphIndexed => Reader.IsGraphIndexed;

    /// <summary>Heap problems met while indexing the graph (unreadable segments, dangling references).</summary>
    public ItemList<string> GraphWarnings => Reader.GraphWarnings;

    /// <summary>The index file this session loaded or wrote, or null (no index yet, caching off, or not writable).</summary>
    public string? GraphCacheFile => Reader.GraphCacheFile;

    /// <summary>Whether the object graph came from the on-disk index instead of a heap pass.</summary>
    public bool GraphLoadedFromCache => Reader.GraphLoadedFromCache;

    /// <summary>The worker's process id while it runs (null in this process's mode or before the first question after a crash).</summary>
    internal int? WorkerProcessId => (_reader as DumpWorkerReader)?.WorkerProcessId;

    /// <summary>
    /// Opens a dump read-only, locates the matching DAC and creates the runtime, in a worker process unless
    /// <see cref="DumpOpenOptions.Isolation"/> (or ANALYSIS_ENGINE_ISOLATION) says this one. Offline unless
    /// <see cref="DumpOpenOptions.SymbolServers"/> names a server; module files missing here are listed in
    /// <see cref="Warnings"/>.
    /// </summary>
    /// <exception cref="AnalysisException">
    /// The file is missing, not a dump, truncated or corrupted, not .NET, no DAC matches or the DAC cannot read it. Every
    /// failure of the engine (ClrMD, the DAC) comes as this exception with the engine's as its InnerException; a crash of
    /// the engine as EngineFailed, a runaway allocation as MemoryLimitExceeded.
    /// </exception>
    public static DumpSession Open(string path, DumpOpenOptions? options = null) => Open(path, options, CancellationToken.None);

    /// <inheritdoc cref="Open(string, DumpOpenOptions?)"/>
    /// <param name="path">The dump file.</param>
    /// <param name="options">How to open it.</param>
    /// <param name="cancellationToken">Stops the open in the worker (ending the worker if the DAC does not return); an open in this process cannot be stopped.</param>
    public static DumpSession Open(string path, DumpOpenOptions? options, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        options ??= new DumpOpenOptions();
        string fullPath = System.IO.Path.GetFullPath(path);
        if (EngineIsolationPolicy.HostFor(options.Isolation, fullPath, "dump", "the DAC", out string? inProcessWarning) is { } host)
        {
            DumpFile.Validate(fullPath);
            var (reader, o) = DumpWorkerReader.Open(host, fullPath, options, cancellationToken);
            return new DumpSession(reader, o.Path, o.Format, o.RuntimeVersion, o.DacPath, o.ProcessId, o.HasHeap);
        }

        var engine = DumpEngine.Open(fullPath, options);
        if (inProcessWarning is not null)
            engine.AddWarning(inProcessWarning);
        return new DumpSession(engine, engine.Path, engine.Format, engine.RuntimeVersion, engine.DacPath, engine.ProcessId, engine.HasHeap);
    }

    /// <summary>
    /// The underlying ClrMD runtime, for questions this library does not answer yet. A method, not a property: its
    /// objects read the dump through the native DAC when their properties are read, so a serializer walking them
    /// (ConvertTo-Json, Export-Clixml) could crash the process; and it is only valid until the session is closed. It
    /// always reads in this process (when the session reads in a worker, the dump is opened here too on the first call):
    /// a damaged dump that crashes the DAC ends this process.
    /// </summary>
    public ClrRuntime GetClrRuntime() => Reader.GetClrRuntime();

    /// <summary>All managed threads with names, states, stacks, exceptions, locks and deadlock cycles. Computed once.</summary>
    public IReadOnlyList<DumpThread> GetThreads(CancellationToken cancellationToken = default) => Reader.GetThreads(cancellationToken);

    /// <summary>
    /// Per-type object counts and sizes over the whole GC heap (<c>dumpheap -stat</c>), from one walk that is cached:
    /// later calls return at once. Cancelling leaves nothing cached.
    /// </summary>
    /// <exception cref="AnalysisException">The dump has no heap memory (NoHeap).</exception>
    public HeapStatistics GetHeapStatistics(IProgress<WorkProgress>? progress = null, CancellationToken cancellationToken = default) =>
        Reader.GetHeapStatistics(progress, cancellationToken);

    /// <summary>Top types by size or count, optionally filtered by a type-name wildcard. Walks the heap on first use.</summary>
    public IReadOnlyList<HeapTypeStat> GetHeapTop(int top = 20, HeapSortBy sortBy = HeapSortBy.Size, string? typeNamePattern = null,
        IProgress<WorkProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(top);
        return GetHeapStatistics(progress, cancellationToken).Top(top, sortBy, typeNamePattern);
    }

    /// <summary>
    /// Why the object at <paramref name="address"/> is alive: the shortest path from a GC root, or null when no root
    /// reaches it (garbage the GC has not collected yet). Indexes the object graph on first use (one heap pass).
    /// </summary>
    public GcRootPath? FindRootPath(ulong address, IProgress<WorkProgress>? progress = null, CancellationToken cancellationToken = default) =>
        Reader.FindRootPath(address, progress, cancellationToken);

    /// <summary>
    /// Every root that keeps the object at <paramref name="address"/> alive, each with its shortest path (statics and
    /// handles first, then stacks, then the finalizer queue; shorter first). Empty when no root reaches it.
    /// </summary>
    public IReadOnlyList<GcRootPath> FindAllRootPaths(ulong address, int top = 10, IProgress<WorkProgress>? progress = null, CancellationToken cancellationToken = default) =>
        Reader.FindAllRootPaths(address, top, progress, cancellationToken);

    /// <summary>Root paths of all objects whose type matches the wildcard, merged by shape, most objects first.</summary>
    public GcRootQuery FindRootPaths(string typeNamePattern, int top = 10, IProgress<WorkProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(typeNamePattern);
        return Reader.FindRootPaths(typeNamePattern, top, progress, cancellationToken);
    }

    /// <summary>Bytes that would be freed if the object at <paramref name="address"/> were no longer referenced.</summary>
    public long GetRetainedSize(ulong address, IProgress<WorkProgress>? progress = null, CancellationToken cancellationToken = default) =>
        Reader.GetRetainedSize(address, progress, cancellationToken);

    /// <summary>Types by retained size (dominator tree), optionally filtered by a type-name wildcard.</summary>
    public IReadOnlyList<RetainedTypeStat> GetRetainedByType(int top = 20, string? typeNamePattern = null, IProgress<WorkProgress>? progress = null, CancellationToken cancellationToken = default) =>
        Reader.GetRetainedByType(top, typeNamePattern, progress, cancellationToken);

    /// <summary>
    /// Async state machines on the heap (state, what they await, who awaits them), the incomplete ones grouped by
    /// method, and threads blocked synchronously on tasks. Uses the object-graph index; computed once.
    /// </summary>
    public AsyncReport GetAsyncState(IProgress<WorkProgress>? progress = null, CancellationToken cancellationToken = default) =>
        Reader.GetAsyncState(progress, cancellationToken);

    /// <summary>Thread-pool workers (busy, idle, what they run), queued work items and timers. Computed once.</summary>
    public ThreadPoolReport GetThreadPool(CancellationToken cancellationToken = default) => Reader.GetThreadPool(cancellationToken);

    /// <summary>The finalizer thread (what it runs, whether it waits) and the objects queued for finalization. Computed once.</summary>
    public FinalizerReport GetFinalizer(CancellationToken cancellationToken = default) => Reader.GetFinalizer(cancellationToken);

    /// <summary>The GC's records of managed allocations it could not satisfy (SOS analyzeoom), one per heap that has one; empty without a heap. Computed once.</summary>
    public ItemList<OutOfMemoryInfo> GetOutOfMemory(CancellationToken cancellationToken = default) => Reader.GetOutOfMemory(cancellationToken);

    /// <summary>Tells the reader what is about to be asked, in order (<see cref="DumpReader.AskAhead"/>): a worker computes ahead.</summary>
    internal Task AskAhead(IReadOnlyList<DumpAnswer> answers, IProgress<WorkProgress>? progress, CancellationToken cancellationToken) =>
        Reader.AskAhead(answers, progress, cancellationToken);

    /// <summary>Waits until the object-graph index of this session is on disk (it is written in the background).</summary>
    public void WaitForGraphCache() => Reader.WaitForGraphCache();

    /// <summary>"file.dmp (pid N, .NET version, with heap|no heap)".</summary>
    public override string ToString() =>
        string.Create(CultureInfo.InvariantCulture, $"{System.IO.Path.GetFileName(Path)} (pid {ProcessId}, .NET {RuntimeVersion}, {(HasHeap ? "with heap" : "no heap")})");

    /// <summary>
    /// Closes the dump (the engine first finishes writing the object-graph index). The worker that read it goes on
    /// serving the other dumps open, and the next dumps opened, warm, when the dump was read without a failure
    /// (<see cref="Isolation.SharedWorker"/>); otherwise it ends once no dump is open in it.
    /// </summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _closing, 1) != 0)
            return;
        // the reader waits for running questions, then closes; questions asked meanwhile fail as closed
        _reader.Dispose();
        _disposed = true;
    }

    /// <summary>What answers the questions, once the session is checked to be open.</summary>
    private DumpReader Reader
    {
        get
        {
            ThrowIfClosed();
            return _reader;
        }
    }

    private void ThrowIfClosed()
    {
        if (_disposed)
            throw Closed(Path);
    }

    // ---- objects and collections (issue 14)

    /// <summary>
    /// The object at <paramref name="address"/> field by field (SOS dumpobj, dumparray, dumpvc): primitives, decimals,
    /// Guids, DateTimes and TimeSpans as .NET values, enums by name, strings length-capped, structs inline, references as
    /// address and type, followed <paramref name="depth"/> levels (each object once, at most 1,000 in all); for an array
    /// the elements <paramref name="skip"/> to skip + <paramref name="first"/>.
    /// </summary>
    /// <exception cref="AnalysisException">No object starts at the address (NotAnObject: not on the heap, inside another object, free space); no heap (NoHeap).</exception>
    public DumpObject InspectObject(ulong address, int depth = 0, int skip = 0, int first = 100, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(depth);
        ArgumentOutOfRangeException.ThrowIfNegative(skip);
        ArgumentOutOfRangeException.ThrowIfNegative(first);
        return Reader.InspectObject(address, depth, skip, first, cancellationToken);
    }

    /// <summary>
    /// What the collection at <paramref name="address"/> holds: List, Dictionary (free entries skipped), HashSet,
    /// ConcurrentDictionary, ConcurrentQueue, Queue (from its head), Stack (top first) or an array; its count and its
    /// first <paramref name="first"/> entries, keys and items read as fields are, references followed <paramref name="depth"/> levels.
    /// </summary>
    /// <exception cref="AnalysisException">No object there, or not a collection this reads (NotAnObject); a layout this does not know (ReadFailed); no heap (NoHeap).</exception>
    public DumpCollection InspectCollection(ulong address, int depth = 0, int first = 1000, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(depth);
        ArgumentOutOfRangeException.ThrowIfNegative(first);
        return Reader.InspectCollection(address, depth, first, cancellationToken);
    }

    /// <summary>The answer to any question of a closed session (the ObjectDisposedException inside says which object).</summary>
    internal static AnalysisException Closed(string path) =>
        new(AnalysisErrorKind.SessionClosed, path, $"The session for dump '{path}' was closed. Open the dump again (Open-Dump).", new ObjectDisposedException(nameof(DumpSession)));

    // ---- the plain shortest root paths (Get-GcRoot -Shortest) ----

    /// <summary>
    /// The plain shortest path from any GC root to the object at <paramref name="address"/> (one breadth-first search
    /// from all roots at once, <see cref="GcRootTier.AllRoots"/>), or null when no root reaches it. Unlike
    /// <see cref="FindRootPath"/>, a thread's local one hop from the object wins over a longer path from a static.
    /// </summary>
    public GcRootPath? FindShortestRootPath(ulong address, IProgress<WorkProgress>? progress = null, CancellationToken cancellationToken = default) =>
        Reader.FindShortestRootPath(address, progress, cancellationToken);

    /// <summary>The plain shortest root paths of all objects whose type matches the wildcard, merged by shape, most objects first.</summary>
    public GcRootQuery FindShortestRootPaths(string typeNamePattern, int top = 10, IProgress<WorkProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(typeNamePattern);
        return Reader.FindShortestRootPaths(typeNamePattern, top, progress, cancellationToken);
    }

    // ---- object listing (Get-HeapObject) and live/dead statistics

    /// <summary>Objects a listing asks for in its first batch; later batches double up to <see cref="LastBatchSize"/>.</summary>
    internal const int FirstBatchSize = 1024;

    /// <summary>The largest batch of a listing (about 1.4 MB from a worker).</summary>
    internal const int LastBatchSize = 65536;

    private long _objectBatchesRead;

    /// <summary>Batches of objects read by listings of this session (how far listings walked; for tests and diagnostics).</summary>
    internal long ObjectBatchesRead => Interlocked.Read(ref _objectBatchesRead);

    /// <summary>
    /// The heap's objects matching <paramref name="query"/> (all objects when null), in address order, free space left
    /// out (<c>dumpheap</c>, <c>dumpgen</c>). Lazy and possibly huge: objects are decoded in batches as they are asked
    /// for (from the worker, with a resume point), so the first arrive at once, memory stays bounded, and stopping the
    /// enumeration (or cancelling) stops the walk. Live or dead objects need the object graph (indexed on first use,
    /// like <see cref="FindRootPath"/>).
    /// </summary>
    /// <exception cref="AnalysisException">The dump has no heap memory (NoHeap), or its heap cannot be read.</exception>
    public IEnumerable<HeapObject> EnumerateObjects(HeapObjectQuery? query = null, CancellationToken cancellationToken = default) =>
        EnumerateObjects(query, null, null, cancellationToken);

    /// <inheritdoc cref="EnumerateObjects(HeapObjectQuery?, CancellationToken)"/>
    /// <param name="query">Which objects (null: all).</param>
    /// <param name="warning">Receives, as they are met, the parts of the heap that could not be listed (quoting the segment and address).</param>
    /// <param name="progress">Receives progress of indexing the object graph, when live or dead objects are asked for.</param>
    /// <param name="cancellationToken">Stops the walk.</param>
    public IEnumerable<HeapObject> EnumerateObjects(HeapObjectQuery? query, Action<string>? warning, IProgress<WorkProgress>? progress, CancellationToken cancellationToken)
    {
        query ??= new HeapObjectQuery();
        if (query.MinSize > query.MaxSize)
            throw new ArgumentException($"MinSize {query.MinSize} is above MaxSize {query.MaxSize}: no object can match.", nameof(query));
        ThrowIfClosed();
        return Enumerate(query, warning, progress, cancellationToken);
    }

    private IEnumerable<HeapObject> Enumerate(HeapObjectQuery query, Action<string>? warning, IProgress<WorkProgress>? progress, CancellationToken cancellationToken)
    {
        // From the second batch on, the next one is read while this one is consumed (the worker decodes while the
        // pipeline formats); a consumer that stops after the first batch reads no other.
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        Task<HeapObjectBatch>? ahead = null;
        try
        {
            HeapCursor? from = new HeapCursor(0, 0);
            int size = FirstBatchSize;
            bool first = true;
            while (from is { } at)
            {
                cancellationToken.ThrowIfCancellationRequested();
                HeapObjectBatch batch;
                if (ahead is not null)
                {
                    batch = ahead.GetAwaiter().GetResult();
                    ahead = null;
                }
                else
                {
                    batch = Read(at, size, cancellationToken);
                    size = Math.Min(size * 2, LastBatchSize);
                }

                from = batch.Next;
                if (!first && from is { } next)
                {
                    int aheadSize = size;
                    ahead = Task.Run(() => Read(next, aheadSize, stop.Token), CancellationToken.None);
                    size = Math.Min(size * 2, LastBatchSize);
                }

                first = false;
                foreach (string w in batch.Warnings)
                    warning?.Invoke(w);
                foreach (var o in batch.Objects)
                    yield return o with { Source = Path };
            }
        }
        finally
        {
            if (ahead is not null)
            {
                stop.Cancel();
                try
                {
                    ahead.Wait(CancellationToken.None);
                }
                catch (AggregateException)
                {
                    // the read ahead was cancelled (or failed) with nobody left to want it
                }
            }
        }

        HeapObjectBatch Read(HeapCursor at, int max, CancellationToken ct)
        {
            Interlocked.Increment(ref _objectBatchesRead);
            return Reader.ReadObjects(query, at, max, progress, ct);
        }
    }

    /// <summary>
    /// Per-type statistics of only the live (<c>dumpheap -stat -live</c>) or only the dead (<c>-dead</c>) objects, from
    /// the object graph (indexed on first use) marked once from the GC roots; <see cref="HeapStatistics.RootsCounted"/>
    /// says which roots counted. <see cref="ObjectLiveness.All"/> is <see cref="GetHeapStatistics(IProgress{WorkProgress}?, CancellationToken)"/>. Cached.
    /// </summary>
    /// <exception cref="AnalysisException">The dump has no heap memory (NoHeap).</exception>
    public HeapStatistics GetHeapStatistics(ObjectLiveness liveness, IProgress<WorkProgress>? progress, CancellationToken cancellationToken) =>
        Reader.GetHeapStatistics(liveness, progress, cancellationToken);
}
