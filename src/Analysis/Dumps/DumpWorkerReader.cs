using Analysis.Isolation;
using Microsoft.Diagnostics.Runtime;

namespace Analysis.Dumps;

/// <summary>
/// A dump read by a <see cref="DumpEngine"/> in a worker process: the session's shared worker (<see cref="SharedWorker"/>),
/// or one of its own when it asked to read alone or once a question about it ended a shared worker. Asks the worker
/// (opening the dump again in a new one when the last one ended), decodes its answers and keeps them, and mirrors the
/// engine's state (warnings, the graph index). Thread-safe.
/// </summary>
internal sealed partial class DumpWorkerReader : DumpReader
{
    private readonly string _path;
    private readonly DumpOpenOptions _options;
    private readonly object _gate = new();
    private readonly SemaphoreSlim _asking = new(1, 1); // one question at a time in the engine (other dumps' go beside)
    private Connection? _connection;
    private bool _ownWorker; // reads alone: asked to, or since a question about it ended a shared worker
    private DumpEngine? _localForClrMD; // GetClrRuntime reads in this process
    private DumpService.EngineState _state;
    private readonly List<string> _notes = new();
    private volatile bool _disposed;
    private volatile bool _readCleanly = true; // no question failed in reading: its worker may serve the next dump

    // the worker's answers, kept here
    private readonly CachedAnswer<IReadOnlyList<DumpThread>> _threads = new();
    private readonly CachedAnswer<HeapStatistics> _heap = new();
    private readonly CachedAnswer<IReadOnlyList<RetainedTypeStat>> _retainedByType = new();
    private readonly CachedAnswer<AsyncReport> _async = new();
    private readonly CachedAnswer<ThreadPoolReport> _threadPool = new();
    private readonly CachedAnswer<FinalizerReport> _finalizer = new();
    private readonly CachedAnswer<ItemList<OutOfMemoryInfo>> _outOfMemory = new();

    private DumpWorkerReader(string path, DumpOpenOptions options, bool ownWorker, Connection connection, DumpService.EngineState state)
    {
        _path = path;
        _options = options;
        _ownWorker = ownWorker;
        _connection = connection;
        _state = state;
    }

    /// <summary>The worker reading the dump, the dump's handle in it, and its place in the shared worker (null: a worker of its own).</summary>
    private sealed record Connection(EngineWorker Worker, int Handle, SharedWorker.Member? Shared)
    {
        /// <summary>
        /// The dump leaves the worker: the shared one goes on with its other dumps (and the next ones, when
        /// <paramref name="clean"/>: no question failed in reading); one of its own becomes the shared one when clean
        /// (<see cref="SharedWorker.Keep"/>), else it ends.
        /// </summary>
        public void Release(bool clean)
        {
            if (Shared is not null)
                SharedWorker.Leave(Shared, clean);
            else if (!clean || !SharedWorker.Keep(Worker))
                Worker.Dispose();
        }
    }

    /// <summary>What the worker said when it opened the dump.</summary>
    internal sealed record Opened(int Handle, string Path, DumpFormat Format, string RuntimeVersion, string DacPath, int ProcessId, bool HasHeap, DumpService.EngineState State);

    /// <summary>Opens the dump in a worker and returns the reader and what the dump is.</summary>
    public static (DumpWorkerReader Reader, Opened Opened) Open(WorkerHost host, string path, DumpOpenOptions options, CancellationToken cancellationToken)
    {
        // reads alone when asked to, or with a ceiling of its own (a shared worker's is the sum of its dumps')
        bool own = EngineIsolationPolicy.Resolve(options.Isolation) == EngineIsolation.OwnWorker || options.MemoryLimitBytes is not null;
        var (connection, opened) = Connect(host, path, options, own, cancellationToken);
        return (new DumpWorkerReader(opened.Path, options, own, connection, opened.State), opened);
    }

    /// <summary>The worker's process id while it runs (null before the first question after a crash, or once closed).</summary>
    public int? WorkerProcessId => _connection is { Worker.IsAlive: true } c ? c.Worker.ProcessId : null;

    /// <summary>Opens the dump in the shared worker or one of its own (the first time, and again after a worker ended).</summary>
    private static (Connection Connection, Opened Opened) Connect(WorkerHost host, string path, DumpOpenOptions options, bool own, CancellationToken cancellationToken)
    {
        long length = new FileInfo(path).Length;
        var start = new WorkerStart(path, "reading the dump", EngineIsolationPolicy.MemoryLimit(length, options.MemoryLimitBytes)) { DumpJitProfile = true };
        // alone: the shared worker when it waits with no dump (its start overlapped with what the session did meanwhile)
        var shared = own ? null : SharedWorker.Join(host, start);
        var worker = shared?.Worker ?? SharedWorker.TakeIdle(host, start) ?? EngineWorker.Start(host, start);
        try
        {
            byte[] answer = worker.Invoke(DumpService.Open, w =>
            {
                w.Write(path);
                DumpService.WriteOptions(w, options);
            }, null, cancellationToken, (path, "opening the dump"), WhileOpening);
            var opened = WorkerProtocol.DecodeAnswer(answer, path, "opening the dump", r => new Opened(r.ReadInt32(), r.ReadString(), (DumpFormat)r.ReadInt32(), r.ReadString(), r.ReadString(), r.ReadInt32(), r.ReadBoolean(), DumpService.EngineState.Read(r)));
            return (new Connection(worker, opened.Handle, shared), opened);
        }
        catch (Exception e)
        {
            // a shared worker whose open was cancelled takes the next dumps; one of its own ends
            new Connection(worker, 0, shared).Release(clean: shared is not null && e is OperationCanceledException && worker.IsAlive);
            throw;
        }
    }

    /// <summary>What the session does while its worker opens the dump: compiles the answers' readers, touches its allocation area (until the answer comes, the first time).</summary>
    private static void WhileOpening(Func<bool> answered)
    {
        Precompilation.Compile([typeof(DumpWorkerReader), .. DumpService.Codecs]);
        AllocationWarmup.RunInSession(answered);
    }

    /// <summary>
    /// Asks the worker (opening the dump again in a new one when the last one ended) and decodes its answer. A shared
    /// worker found ended by another dump's question is asked again in a new one, once.
    /// </summary>
    private T Ask<T>(string operation, string what, Action<BinaryWriter>? arguments, Func<BinaryReader, T> read, IProgress<WorkProgress>? progress, CancellationToken cancellationToken)
    {
        ThrowIfClosed();
        for (int attempt = 0; ; attempt++)
        {
            Connection connection;
            lock (_gate)
            {
                ThrowIfClosed();
                if (_connection is not { Worker.IsAlive: true })
                    Reconnect(cancellationToken);
                connection = _connection!;
            }

            byte[] answer;
            _asking.Wait(cancellationToken);
            try
            {
                answer = connection.Worker.Invoke(operation, w =>
                {
                    w.Write(connection.Handle);
                    arguments?.Invoke(w);
                }, progress, cancellationToken, (_path, what), asker: this);
            }
            catch (AnalysisException) when (_disposed)
            {
                ThrowIfClosed();
                throw;
            }
            catch (AnalysisException e) when (!IsAnswer(e.Kind))
            {
                if (attempt == 0 && connection.Shared is not null && !connection.Worker.IsAlive)
                {
                    var enders = connection.Worker.EndedAsking;
                    if (!enders.Contains(this))
                        continue; // another dump's question ended the shared worker: this one is asked of a new worker
                    if (enders.Count > 1)
                        continue; // ended while questions about other dumps ran too: asked again alone (Reconnect), it tells
                }

                _readCleanly = false;
                if (connection.Shared is { } shared)
                    SharedWorker.Retire(shared);
                throw;
            }
            finally
            {
                _asking.Release();
            }

            return WorkerProtocol.DecodeAnswer(answer, _path, what + " in dump", r =>
            {
                var result = read(r);
                _state = DumpService.EngineState.Read(r);
                return result;
            });
        }
    }

    /// <summary>
    /// Under the lock: the worker reading the dump ended; opens it again in a new one, with a note saying why. A dump whose
    /// question ended a shared worker reads alone from then on.
    /// </summary>
    private void Reconnect(CancellationToken cancellationToken)
    {
        var ended = _connection;
        _connection = null;
        string why = "see the error of that question";
        if (ended is not null)
        {
            var asking = ended.Worker.EndedAsking;
            ended.Release(clean: false);
            if (ended.Shared is not null)
            {
                if (asking.Contains(this))
                {
                    // its question ended the worker, or ran when it ended beside another dump's: which one did cannot be
                    // told, and a question that ends a worker again ends only its own
                    _ownWorker = true;
                    why = (asking.OfType<DumpWorkerReader>().FirstOrDefault(r => r != this) is { } beside
                        ? $"it ended while questions about this dump and another it read, '{beside._path}', ran"
                        : "see the error of that question")
                        + "; this dump now reads in a worker process of its own, which the other dumps open do not share";
                }
                else
                {
                    why = asking.OfType<DumpWorkerReader>().FirstOrDefault() is { } other
                        ? $"a question about another dump it read, '{other._path}', ended it"
                        : "it was ended while it answered no question about this dump";
                }
            }
        }

        var host = WorkerHost.Find(out string? whyNot) ?? throw new AnalysisException(AnalysisErrorKind.EngineFailed, _path, $"Dump '{_path}' cannot be read in a worker process: {whyNot}.");
        _connection = Connect(host, _path, _options, _ownWorker, cancellationToken).Connection;
        Note($"A worker process reading this dump ended ({why}); a new one opened the dump again. Questions answered before were kept; the object graph is indexed again when next needed.");
    }

    /// <summary>A failure that answers the question (the dump has no heap, the address holds no object), not one of reading it.</summary>
    private static bool IsAnswer(AnalysisErrorKind kind) => kind is AnalysisErrorKind.NoHeap or AnalysisErrorKind.NotAnObject;

    private void Note(string note)
    {
        lock (_notes)
        {
            if (!_notes.Contains(note))
                _notes.Add(note);
        }
    }

    public override ItemList<string> Warnings
    {
        get
        {
            lock (_notes)
                return [.. _state.Warnings, .. _notes.Where(n => !_state.Warnings.Contains(n))];
        }
    }

    public override bool IsHeapCached => _heap.IsKnown;

    public override bool IsGraphIndexed => _state.IsGraphIndexed;

    public override ItemList<string> GraphWarnings => _state.GraphWarnings;

    public override string? GraphCacheFile => _state.GraphCacheFile;

    public override bool GraphLoadedFromCache => _state.GraphLoadedFromCache;

    /// <summary>The ClrMD runtime of a copy of the dump opened in this process on the first call (the worker's cannot cross).</summary>
    public override ClrRuntime GetClrRuntime()
    {
        lock (_gate)
        {
            ThrowIfClosed();
            _localForClrMD ??= DumpEngine.Open(_path, _options with { Isolation = EngineIsolation.InProcess });
            return _localForClrMD.GetClrRuntime();
        }
    }

    public override IReadOnlyList<DumpThread> GetThreads(CancellationToken cancellationToken) =>
        _threads.Get(this, static (r, ct) => r.Ask(DumpService.Threads, "reading threads", null, DumpCodec.ReadThreads, null, ct), cancellationToken);

    public override HeapStatistics GetHeapStatistics(IProgress<WorkProgress>? progress, CancellationToken cancellationToken) =>
        _heap.Get((Reader: this, progress), static (s, ct) => s.Reader.Ask(DumpService.Heap, "walking the heap", null, DumpCodec.ReadHeap, s.progress, ct), cancellationToken);

    public override GcRootPath? FindRootPath(ulong address, IProgress<WorkProgress>? progress, CancellationToken cancellationToken) =>
        Remembered((DumpService.RootPath, address, 0, null), () =>
            Ask(DumpService.RootPath, "searching root paths", w => w.Write(address), r => r.ReadBoolean() ? DumpCodec.ReadPath(r) : null, progress, cancellationToken));

    public override IReadOnlyList<GcRootPath> FindAllRootPaths(ulong address, int top, IProgress<WorkProgress>? progress, CancellationToken cancellationToken) =>
        Remembered((DumpService.AllRootPaths, address, top, null), () => Ask(DumpService.AllRootPaths, "searching root paths", w =>
        {
            w.Write(address);
            w.Write(top);
        }, DumpCodec.ReadPaths, progress, cancellationToken));

    public override GcRootQuery FindRootPaths(string typeNamePattern, int top, IProgress<WorkProgress>? progress, CancellationToken cancellationToken) =>
        Remembered((DumpService.RootPaths, 0, top, typeNamePattern), () => Ask(DumpService.RootPaths, "searching root paths", w =>
        {
            w.Write(typeNamePattern);
            w.Write(top);
        }, DumpCodec.ReadQuery, progress, cancellationToken));

    public override long GetRetainedSize(ulong address, IProgress<WorkProgress>? progress, CancellationToken cancellationToken) =>
        Remembered((DumpService.Retained, address, 0, null), () =>
            Ask(DumpService.Retained, "computing retained sizes", w => w.Write(address), r => r.ReadInt64(), progress, cancellationToken));

    public override IReadOnlyList<RetainedTypeStat> GetRetainedByType(int top, string? typeNamePattern, IProgress<WorkProgress>? progress, CancellationToken cancellationToken)
    {
        var rows = _retainedByType.Get((Reader: this, progress), static (s, ct) => s.Reader.Ask(DumpService.RetainedByType, "computing retained sizes", null, DumpCodec.ReadRetained, s.progress, ct), cancellationToken);
        return DumpEngine.TopRetained(rows, top, typeNamePattern);
    }

    public override AsyncReport GetAsyncState(IProgress<WorkProgress>? progress, CancellationToken cancellationToken) =>
        _async.Get((Reader: this, progress), static (s, ct) => s.Reader.Ask(DumpService.Async, "reading async state machines", null, DumpCodec.ReadAsync, s.progress, ct), cancellationToken);

    public override ThreadPoolReport GetThreadPool(CancellationToken cancellationToken) =>
        _threadPool.Get(this, static (r, ct) => r.Ask(DumpService.ThreadPool, "reading the thread pool", null, DumpCodec.ReadThreadPool, null, ct), cancellationToken);

    public override FinalizerReport GetFinalizer(CancellationToken cancellationToken) =>
        _finalizer.Get(this, static (r, ct) => r.Ask(DumpService.Finalizer, "reading the finalizer queue", null, DumpCodec.ReadFinalizer, null, ct), cancellationToken);

    public override ItemList<OutOfMemoryInfo> GetOutOfMemory(CancellationToken cancellationToken) =>
        _outOfMemory.Get(this, static (r, ct) => r.Ask(DumpService.OutOfMemory, "reading the GC's out-of-memory records", null, DumpCodec.ReadOutOfMemory, null, ct), cancellationToken);

    /// <summary>Asks the worker for <paramref name="answers"/> on a pool thread, one after another, each kept as if its caller had asked.</summary>
    public override Task AskAhead(IReadOnlyList<DumpAnswer> answers, IProgress<WorkProgress>? progress, CancellationToken cancellationToken) =>
        answers.Count == 0 ? Task.CompletedTask : Task.Run(() =>
        {
            foreach (var answer in answers)
            {
                if (cancellationToken.IsCancellationRequested || _disposed)
                    return;
                try
                {
                    _ = answer switch
                    {
                        DumpAnswer.OutOfMemory => (object)GetOutOfMemory(cancellationToken),
                        DumpAnswer.ThreadPool => GetThreadPool(cancellationToken),
                        DumpAnswer.Finalizer => GetFinalizer(cancellationToken),
                        DumpAnswer.AsyncState => GetAsyncState(progress, cancellationToken),
                        DumpAnswer.RetainedByType => GetRetainedByType(0, null, progress, cancellationToken),
                        DumpAnswer.HeapStatistics => GetHeapStatistics(progress, cancellationToken),
                        _ => throw new ArgumentOutOfRangeException(nameof(answers), answer, "not an answer that can be asked ahead"),
                    };
                }
                catch (Exception e) when (e is AnalysisException or OperationCanceledException or ObjectDisposedException)
                {
                    return; // the question's own caller asks again and meets the failure (a new worker, when this one ended)
                }
            }
        }, CancellationToken.None);

    public override void WaitForGraphCache()
    {
        if (_connection is { Worker.IsAlive: true })
            Ask(DumpService.WaitForCache, "writing the object-graph index", null, _ => true, null, CancellationToken.None);
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

    public override void Dispose()
    {
        Connection? connection;
        bool closed = false;
        lock (_gate)
        {
            if (_disposed)
                return;
            connection = _connection;
            _connection = null;
            // the engine in the worker finishes writing the object-graph index before it closes
            if (connection is { Worker.IsAlive: true })
            {
                _asking.Wait(); // the question running finishes first
                try
                {
                    connection.Worker.Invoke(DumpService.Close, w => w.Write(connection.Handle), null, CancellationToken.None, (_path, "closing the dump"));
                    closed = true;
                }
                catch (AnalysisException)
                {
                    // a worker that fails while closing is not given another dump
                }
                finally
                {
                    _asking.Release();
                }
            }

            _disposed = true;
            _localForClrMD?.Dispose();
        }

        // the dump read without a failure and closed, its worker serves the next dumps (SharedWorker); else it ends
        connection?.Release(clean: closed && _readCleanly);
    }

    private void ThrowIfClosed()
    {
        if (_disposed)
            throw DumpSession.Closed(_path);
    }

    // ---- the plain shortest root paths (Get-GcRoot -Shortest) ----

    public override GcRootPath? FindShortestRootPath(ulong address, IProgress<WorkProgress>? progress, CancellationToken cancellationToken) =>
        Remembered((DumpService.ShortestRootPath, address, 0, null), () =>
            Ask(DumpService.ShortestRootPath, "searching root paths", w => w.Write(address), r => r.ReadBoolean() ? DumpCodec.ReadPath(r) : null, progress, cancellationToken));

    public override GcRootQuery FindShortestRootPaths(string typeNamePattern, int top, IProgress<WorkProgress>? progress, CancellationToken cancellationToken) =>
        Remembered((DumpService.ShortestRootPaths, 0, top, typeNamePattern), () => Ask(DumpService.ShortestRootPaths, "searching root paths", w =>
        {
            w.Write(typeNamePattern);
            w.Write(top);
        }, DumpCodec.ReadQuery, progress, cancellationToken));

    // ---- objects and collections (issue 14)

    public override DumpObject InspectObject(ulong address, int depth, int skip, int first, CancellationToken cancellationToken) =>
        Remembered((DumpService.InspectObject, address, first, string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{depth},{skip}")), () =>
            Ask(DumpService.InspectObject, "reading an object", w =>
            {
                w.Write(address);
                w.Write(depth);
                w.Write(skip);
                w.Write(first);
            }, DumpObjectCodec.ReadObject, null, cancellationToken));

    public override DumpCollection InspectCollection(ulong address, int depth, int first, CancellationToken cancellationToken) =>
        Remembered((DumpService.InspectCollection, address, first, depth.ToString(System.Globalization.CultureInfo.InvariantCulture)), () =>
            Ask(DumpService.InspectCollection, "reading a collection", w =>
            {
                w.Write(address);
                w.Write(depth);
                w.Write(first);
            }, DumpObjectCodec.ReadCollection, null, cancellationToken));

    // ---- object listing (Get-HeapObject) and live/dead statistics

    private readonly Dictionary<ulong, string> _typeNames = new();
    private readonly CachedAnswer<HeapStatistics> _liveHeap = new();
    private readonly CachedAnswer<HeapStatistics> _deadHeap = new();

    /// <summary>One batch from the worker; type names are shared with the earlier batches' (one string per type in this process).</summary>
    public override HeapObjectBatch ReadObjects(HeapObjectQuery query, HeapCursor from, int max, IProgress<WorkProgress>? progress, CancellationToken cancellationToken) =>
        Ask(DumpService.Objects, "listing objects", w => HeapObjectCodec.WriteRequest(w, query, from, max), r =>
        {
            lock (_typeNames)
                return HeapObjectCodec.ReadBatch(r, _typeNames);
        }, progress, cancellationToken);

    public override HeapStatistics GetHeapStatistics(ObjectLiveness liveness, IProgress<WorkProgress>? progress, CancellationToken cancellationToken)
    {
        if (liveness == ObjectLiveness.All)
            return GetHeapStatistics(progress, cancellationToken);
        var answer = liveness == ObjectLiveness.Live ? _liveHeap : _deadHeap;
        return answer.Get((Reader: this, progress, liveness), static (s, ct) =>
            s.Reader.Ask(DumpService.HeapByLiveness, "counting live objects", w => w.Write((byte)s.liveness), HeapObjectCodec.ReadStatistics, s.progress, ct), cancellationToken);
    }
}
