using System.Globalization;
using Analysis.Isolation;
using Microsoft.Diagnostics.Runtime;

namespace Analysis.Dumps;

/// <summary>
/// An open dump. ClrMD and the DAC read it in a worker process (unless <see cref="DumpOpenOptions.Isolation"/> says this
/// process): a damaged dump that crashes the DAC, exhausts memory or hangs past cancellation ends the worker, the
/// question fails with one <see cref="AnalysisException"/> naming the dump and what was asked, and the next question
/// starts a new worker; this process and its other sessions live on. Answers are computed once and kept here (threads,
/// heap statistics, async state, thread pool, finalizer), so asking again costs nothing. Thread-safe; dispose to release
/// the file and end the worker. After Dispose every question (the methods, and the properties that report what the
/// session has read: <see cref="Warnings"/>, <see cref="IsHeapCached"/>, the graph's) fails with SessionClosed; what the
/// dump is (<see cref="Path"/>, <see cref="ProcessId"/>, <see cref="RuntimeVersion"/>, …) stays readable.
/// </summary>
public sealed class DumpSession : IAnalysisSession
{
    private readonly DumpOpenOptions _options;
    private readonly DumpEngine? _engine; // in this process
    private readonly object _gate = new();
    private EngineWorker? _worker;
    private DumpEngine? _localForClrMD; // GetClrRuntime in worker mode
    private DumpService.EngineState _state;
    // the worker's answers, kept here (in this process's mode the engine keeps its own)
    private readonly CachedAnswer<IReadOnlyList<DumpThread>> _threads = new();
    private readonly CachedAnswer<HeapStatistics> _heap = new();
    private readonly CachedAnswer<IReadOnlyList<RetainedTypeStat>> _retainedByType = new();
    private readonly CachedAnswer<AsyncReport> _async = new();
    private readonly CachedAnswer<ThreadPoolReport> _threadPool = new();
    private readonly CachedAnswer<FinalizerReport> _finalizer = new();
    private volatile bool _disposed;

    private DumpSession(DumpOpenOptions options, DumpEngine? engine, string path, DumpFormat format, string runtimeVersion, string dacPath, int processId, bool hasHeap, DumpService.EngineState state)
    {
        _options = options;
        _engine = engine;
        Path = path;
        Format = format;
        RuntimeVersion = runtimeVersion;
        DacPath = dacPath;
        ProcessId = processId;
        HasHeap = hasHeap;
        _state = state;
    }

    /// <summary>Full path of the dump file.</summary>
    public string Path { get; }

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
    public EngineIsolation ReadBy => _engine is null ? EngineIsolation.Worker : EngineIsolation.InProcess;

    /// <summary>Whether heap statistics have been computed and kept.</summary>
    public bool IsHeapCached => Answered(_engine?.IsHeapCached ?? _heap.IsKnown);

    public bool IsClosed => _disposed;

    /// <summary>
    /// What this session could not do or find: module files missing on this machine, symbol servers that failed, stacks
    /// whose walk was cut short, a worker that ended. Empty for a complete dump whose files are all here.
    /// </summary>
    public ItemList<string> Warnings
    {
        get
        {
            ThrowIfClosed();
            if (_engine is not null)
                return _engine.Warnings;
            lock (_notes)
                return [.. _state.Warnings, .. _notes.Where(n => !_state.Warnings.Contains(n))];
        }
    }

    private readonly List<string> _notes = new();

    /// <summary>Whether the object graph (root paths, retained sizes) has been indexed in this session.</summary>
    public bool IsGraphIndexed => Answered(_engine?.IsGraphIndexed ?? _state.IsGraphIndexed);

    /// <summary>Heap problems met while indexing the graph (unreadable segments, dangling references).</summary>
    public ItemList<string> GraphWarnings => Answered(_engine?.GraphWarnings ?? _state.GraphWarnings);

    /// <summary>The index file this session loaded or wrote, or null (no index yet, caching off, or not writable).</summary>
    public string? GraphCacheFile => Answered(_engine is not null ? _engine.GraphCacheFile : _state.GraphCacheFile);

    /// <summary>Whether the object graph came from the on-disk index instead of a heap pass.</summary>
    public bool GraphLoadedFromCache => Answered(_engine?.GraphLoadedFromCache ?? _state.GraphLoadedFromCache);

    /// <summary>The worker's process id while it runs (null in this process's mode or before the first question after a crash).</summary>
    internal int? WorkerProcessId => _worker is { IsAlive: true } w ? w.ProcessId : null;

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
            var (worker, o) = StartWorker(host, fullPath, options, cancellationToken);
            return new DumpSession(options, null, o.Path, o.Format, o.RuntimeVersion, o.DacPath, o.ProcessId, o.HasHeap, o.State) { _worker = worker };
        }

        var engine = DumpEngine.Open(fullPath, options);
        if (inProcessWarning is not null)
            engine.AddWarning(inProcessWarning);
        return new DumpSession(options, engine, engine.Path, engine.Format, engine.RuntimeVersion, engine.DacPath, engine.ProcessId, engine.HasHeap, Empty);
    }

    private static readonly DumpService.EngineState Empty = new([], [], false, null, false);

    /// <summary>What the worker said when it opened the dump.</summary>
    private sealed record Opened(string Path, DumpFormat Format, string RuntimeVersion, string DacPath, int ProcessId, bool HasHeap, DumpService.EngineState State);

    /// <summary>Starts a worker and opens the dump in it (the first time, and again after a worker ended).</summary>
    private static (EngineWorker Worker, Opened Opened) StartWorker(WorkerHost host, string path, DumpOpenOptions options, CancellationToken cancellationToken)
    {
        long length = new FileInfo(path).Length;
        var start = new WorkerStart(path, "reading the dump", EngineIsolationPolicy.MemoryLimit(length, options.MemoryLimitBytes));
        // a worker of its own (never the pool's: it keeps this dump open until the session closes)
        var worker = EngineWorker.Start(host, start);
        try
        {
            byte[] answer = worker.Invoke(DumpService.Open, w =>
            {
                w.Write(path);
                DumpService.WriteOptions(w, options);
            }, null, cancellationToken, (path, "opening the dump"));
            return (worker, WorkerProtocol.DecodeAnswer(answer, path, "opening the dump", r => new Opened(r.ReadString(), (DumpFormat)r.ReadInt32(), r.ReadString(), r.ReadString(), r.ReadInt32(), r.ReadBoolean(), DumpService.EngineState.Read(r))));
        }
        catch
        {
            worker.Dispose();
            throw;
        }
    }

    /// <summary>Asks the worker (starting one, and opening the dump in it, when the last one ended) and decodes its answer.</summary>
    private T Ask<T>(string operation, string what, Action<BinaryWriter>? arguments, Func<BinaryReader, T> read, IProgress<WorkProgress>? progress, CancellationToken cancellationToken)
    {
        ThrowIfClosed();
        EngineWorker worker;
        lock (_gate)
        {
            ThrowIfClosed();
            if (_worker is not { IsAlive: true })
            {
                _worker?.Dispose();
                _worker = null;
                var host = WorkerHost.Find(out string? whyNot) ?? throw new AnalysisException(AnalysisErrorKind.EngineFailed, Path, $"Dump '{Path}' cannot be read in a worker process: {whyNot}.");
                _worker = StartWorker(host, Path, _options, cancellationToken).Worker;
                Note("A worker process reading this dump ended (see the error of that question); a new one opened the dump again. Questions answered before were kept; the object graph is indexed again when next needed.");
            }

            worker = _worker!;
        }

        byte[] answer;
        try
        {
            answer = worker.Invoke(operation, arguments, progress, cancellationToken, (Path, what));
        }
        catch (AnalysisException) when (_disposed)
        {
            ThrowIfClosed();
            throw;
        }

        return WorkerProtocol.DecodeAnswer(answer, Path, what + " in dump", r =>
        {
            var result = read(r);
            _state = DumpService.EngineState.Read(r);
            return result;
        });
    }

    private void Note(string note)
    {
        lock (_notes)
        {
            if (!_notes.Contains(note))
                _notes.Add(note);
        }
    }

    /// <summary>
    /// The underlying ClrMD runtime, for questions this library does not answer yet. A method, not a property: its
    /// objects read the dump through the native DAC when their properties are read, so a serializer walking them
    /// (ConvertTo-Json, Export-Clixml) could crash the process; and it is only valid until the session is closed. It
    /// always reads in this process (when the session reads in a worker, the dump is opened here too on the first call):
    /// a damaged dump that crashes the DAC ends this process.
    /// </summary>
    public ClrRuntime GetClrRuntime()
    {
        ThrowIfClosed();
        if (_engine is not null)
            return _engine.GetClrRuntime();
        lock (_gate)
        {
            ThrowIfClosed();
            _localForClrMD ??= DumpEngine.Open(Path, _options with { Isolation = EngineIsolation.InProcess });
            return _localForClrMD.GetClrRuntime();
        }
    }

    /// <summary>All managed threads with names, states, stacks, exceptions, locks and deadlock cycles. Computed once.</summary>
    public IReadOnlyList<DumpThread> GetThreads(CancellationToken cancellationToken = default)
    {
        ThrowIfClosed();
        if (_engine is not null)
            return _engine.GetThreads(cancellationToken);
        return _threads.Get(ct => Ask(DumpService.Threads, "reading threads", null, DumpCodec.ReadThreads, null, ct), cancellationToken);
    }

    /// <summary>
    /// Per-type object counts and sizes over the whole GC heap (<c>dumpheap -stat</c>), from one walk that is cached:
    /// later calls return at once. Cancelling leaves nothing cached.
    /// </summary>
    /// <exception cref="AnalysisException">The dump has no heap memory (NoHeap).</exception>
    public HeapStatistics GetHeapStatistics(IProgress<WorkProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ThrowIfClosed();
        if (_engine is not null)
            return _engine.GetHeapStatistics(progress, cancellationToken);
        return _heap.Get(ct => Ask(DumpService.Heap, "walking the heap", null, DumpCodec.ReadHeap, progress, ct), cancellationToken);
    }

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
    public GcRootPath? FindRootPath(ulong address, IProgress<WorkProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ThrowIfClosed();
        if (_engine is not null)
            return _engine.FindRootPath(address, progress, cancellationToken);
        return Remembered((DumpService.RootPath, address, 0, null), () =>
            Ask(DumpService.RootPath, "searching root paths", w => w.Write(address), r => r.ReadBoolean() ? DumpCodec.ReadPath(r) : null, progress, cancellationToken));
    }

    /// <summary>
    /// Every root that keeps the object at <paramref name="address"/> alive, each with its shortest path (statics and
    /// handles first, then stacks, then the finalizer queue; shorter first). Empty when no root reaches it.
    /// </summary>
    public IReadOnlyList<GcRootPath> FindAllRootPaths(ulong address, int top = 10, IProgress<WorkProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ThrowIfClosed();
        if (_engine is not null)
            return _engine.FindAllRootPaths(address, top, progress, cancellationToken);
        return Remembered((DumpService.AllRootPaths, address, top, null), () => Ask(DumpService.AllRootPaths, "searching root paths", w =>
        {
            w.Write(address);
            w.Write(top);
        }, DumpCodec.ReadPaths, progress, cancellationToken));
    }

    /// <summary>Root paths of all objects whose type matches the wildcard, merged by shape, most objects first.</summary>
    public GcRootQuery FindRootPaths(string typeNamePattern, int top = 10, IProgress<WorkProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(typeNamePattern);
        ThrowIfClosed();
        if (_engine is not null)
            return _engine.FindRootPaths(typeNamePattern, top, progress, cancellationToken);
        return Remembered((DumpService.RootPaths, 0, top, typeNamePattern), () => Ask(DumpService.RootPaths, "searching root paths", w =>
        {
            w.Write(typeNamePattern);
            w.Write(top);
        }, DumpCodec.ReadQuery, progress, cancellationToken));
    }

    /// <summary>Bytes that would be freed if the object at <paramref name="address"/> were no longer referenced.</summary>
    public long GetRetainedSize(ulong address, IProgress<WorkProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ThrowIfClosed();
        if (_engine is not null)
            return _engine.GetRetainedSize(address, progress, cancellationToken);
        return Remembered((DumpService.Retained, address, 0, null), () =>
            Ask(DumpService.Retained, "computing retained sizes", w => w.Write(address), r => r.ReadInt64(), progress, cancellationToken));
    }

    /// <summary>Types by retained size (dominator tree), optionally filtered by a type-name wildcard.</summary>
    public IReadOnlyList<RetainedTypeStat> GetRetainedByType(int top = 20, string? typeNamePattern = null, IProgress<WorkProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ThrowIfClosed();
        if (_engine is not null)
            return _engine.GetRetainedByType(top, typeNamePattern, progress, cancellationToken);
        var rows = _retainedByType.Get(ct => Ask(DumpService.RetainedByType, "computing retained sizes", null, DumpCodec.ReadRetained, progress, ct), cancellationToken);
        return DumpEngine.TopRetained(rows, top, typeNamePattern);
    }

    /// <summary>
    /// Async state machines on the heap (state, what they await, who awaits them), the incomplete ones grouped by
    /// method, and threads blocked synchronously on tasks. Uses the object-graph index; computed once.
    /// </summary>
    public AsyncReport GetAsyncState(IProgress<WorkProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ThrowIfClosed();
        if (_engine is not null)
            return _engine.GetAsyncState(progress, cancellationToken);
        return _async.Get(ct => Ask(DumpService.Async, "reading async state machines", null, DumpCodec.ReadAsync, progress, ct), cancellationToken);
    }

    /// <summary>Thread-pool workers (busy, idle, what they run), queued work items and timers. Computed once.</summary>
    public ThreadPoolReport GetThreadPool(CancellationToken cancellationToken = default)
    {
        ThrowIfClosed();
        if (_engine is not null)
            return _engine.GetThreadPool(cancellationToken);
        return _threadPool.Get(ct => Ask(DumpService.ThreadPool, "reading the thread pool", null, DumpCodec.ReadThreadPool, null, ct), cancellationToken);
    }

    /// <summary>The finalizer thread (what it runs, whether it waits) and the objects queued for finalization. Computed once.</summary>
    public FinalizerReport GetFinalizer(CancellationToken cancellationToken = default)
    {
        ThrowIfClosed();
        if (_engine is not null)
            return _engine.GetFinalizer(cancellationToken);
        return _finalizer.Get(ct => Ask(DumpService.Finalizer, "reading the finalizer queue", null, DumpCodec.ReadFinalizer, null, ct), cancellationToken);
    }

    /// <summary>
    /// The answer to a question about one object or type asked before in this session, else the worker's (kept, up to
    /// <see cref="RememberedAnswers"/> of them: a dump does not change, and a notebook or a triage asks the same again).
    /// </summary>
    private T Remembered<T>((string Operation, ulong Address, int Top, string? Pattern) question, Func<T> ask)
    {
        ThrowIfClosed();
        if (_answers.TryGetValue(question, out object? known))
            return (T)known!;
        T answer = ask();
        if (_answers.Count < RememberedAnswers)
            _answers.TryAdd(question, answer);
        return answer;
    }

    private const int RememberedAnswers = 4096;
    private readonly System.Collections.Concurrent.ConcurrentDictionary<(string Operation, ulong Address, int Top, string? Pattern), object?> _answers = new();

    /// <summary>Waits until the object-graph index of this session is on disk (it is written in the background).</summary>
    public void WaitForGraphCache()
    {
        ThrowIfClosed();
        if (_engine is not null)
            _engine.WaitForGraphCache();
        else if (_worker is { IsAlive: true })
            Ask(DumpService.WaitForCache, "writing the object-graph index", null, _ => true, null, CancellationToken.None);
    }

    public override string ToString() =>
        string.Create(CultureInfo.InvariantCulture, $"{System.IO.Path.GetFileName(Path)} (pid {ProcessId}, .NET {RuntimeVersion}, {(HasHeap ? "with heap" : "no heap")})");

    public void Dispose()
    {
        if (_disposed)
            return;
        if (_engine is not null)
        {
            _engine.Dispose();
            _disposed = true;
            return;
        }

        EngineWorker? worker;
        lock (_gate)
        {
            if (_disposed)
                return;
            worker = _worker;
            _worker = null;
            // the engine in the worker finishes writing the object-graph index before it closes
            if (worker is { IsAlive: true })
            {
                try
                {
                    worker.Invoke(DumpService.Close, null, null, CancellationToken.None, (Path, "closing the dump"));
                }
                catch (AnalysisException)
                {
                    // a worker that fails while closing is ended below all the same
                }
            }

            _disposed = true;
            _localForClrMD?.Dispose();
        }

        worker?.Dispose();
    }

    private void ThrowIfClosed()
    {
        if (_disposed)
            throw Closed(Path);
    }

    /// <summary>What a property that reports what the session has read answers while the session is open.</summary>
    private T Answered<T>(T value)
    {
        ThrowIfClosed();
        return value;
    }

    /// <summary>The answer to any question of a closed session (the ObjectDisposedException inside says which object).</summary>
    internal static AnalysisException Closed(string path) =>
        new(AnalysisErrorKind.SessionClosed, path, $"The session for dump '{path}' was closed. Open the dump again (Open-Dump).", new ObjectDisposedException(nameof(DumpSession)));
}
