using System.Globalization;
using Microsoft.Diagnostics.Runtime;

namespace Analysis.Dumps;

/// <summary>
/// An open dump read by ClrMD and the DAC in this process: owns the DataTarget and ClrRuntime, and caches what it has
/// computed (threads, heap statistics, the object graph) so a second question does not walk again. Thread-safe; dispose
/// to release the file. <see cref="DumpSession"/> runs one in a worker process (or, when asked, in this one).
/// </summary>
internal sealed partial class DumpEngine : DumpReader
{
    private readonly DataTarget _target;
    private readonly ClrRuntime _runtime;
    // Threads, the heap walk and the object graph are read under gates of their own (a heap walk need not wait for the
    // threads); everything built on the graph shares its gate with the graph questions that read the dump. Dispose takes
    // all three, so the runtime is not closed under a running question.
    private readonly SemaphoreSlim _threadsGate = new(1, 1);
    private readonly SemaphoreSlim _heapGate = new(1, 1);
    private readonly SemaphoreSlim _graphGate = new(1, 1);
    private readonly CachedAnswer<IReadOnlyList<DumpThread>> _threads;
    private readonly CachedAnswer<HeapStatistics> _heap;
    private readonly CachedAnswer<HeapGraph> _graph;
    private readonly CachedAnswer<GcRoots> _roots;
    private readonly CachedAnswer<Dominators> _dominators;
    private readonly CachedAnswer<AsyncReport> _async;
    private readonly CachedAnswer<ThreadPoolReport> _threadPool;
    private readonly CachedAnswer<FinalizerReport> _finalizer;
    private readonly CachedAnswer<ItemList<OutOfMemoryInfo>> _outOfMemory;
    private readonly HeapGraphCache.Use _graphCache;
    private volatile bool _disposed;

    private DumpEngine(string path, DumpFormat format, DataTarget target, ClrRuntime runtime, string runtimeVersion, string dacPath, DumpOpenOptions options, ModuleFileLocator locator)
    {
        _threads = new(_threadsGate, ThrowIfClosed);
        _heap = new(_heapGate, ThrowIfClosed);
        _graph = new(_graphGate, ThrowIfClosed);
        _roots = new(_graphGate, ThrowIfClosed);
        _dominators = new(_graphGate, ThrowIfClosed);
        _async = new(_graphGate, ThrowIfClosed);
        _threadPool = new(_graphGate, ThrowIfClosed);
        _finalizer = new(_graphGate, ThrowIfClosed);
        _outOfMemory = new(_heapGate, ThrowIfClosed);
        _graphCache = new HeapGraphCache.Use(path, options);
        _locator = locator;
        _sourceLines = new SourceLines(options, locator, AddWarning);
        Path = path;
        Format = format;
        _target = target;
        _runtime = runtime;
        RuntimeVersion = runtimeVersion;
        DacPath = dacPath;
        // Read now, while the dump is open: a closed session still answers these (a serializer reading every property
        // of a closed session must not reach into a disposed runtime).
        ProcessId = target.DataReader.ProcessId;
        HasHeap = ProbeHeap();
        IReadOnlyList<string> missing;
        try
        {
            missing = MissingModuleFiles();
        }
        catch (Exception e) when (IsEngineFailure(e))
        {
            missing = [];
            AddWarning($"The dump's module list could not be read ({e.GetType().Name}: {e.Message}); module names may be missing from stacks and types.");
        }

        if (missing.Count > 0)
        {
            string list = string.Join(", ", missing.Take(5)) + (missing.Count > 5 ? $" and {missing.Count - 5} more" : "");
            AddWarning(
                $"{missing.Count} module file{(missing.Count == 1 ? " is" : "s are")} not on this machine ({list}). The copy in the dump is used; where the dump lacks " +
                "a page, a method or type name may read as unknown. " + (_locator.UsesNetwork
                    ? "The symbol servers given did not have them either: pass -SymbolPath with a folder holding these files."
                    : "Pass -SymbolPath with a folder holding these files, or -SymbolServer to download them (no server is asked unless you name one)."));
        }
    }

    // what the dump is (documented on DumpSession, which shows them)
    public string Path { get; }

    public DumpFormat Format { get; }

    public string RuntimeVersion { get; }

    public string DacPath { get; }

    public int ProcessId { get; }

    public bool HasHeap { get; }

    /// <summary>Whether heap statistics have been computed and cached.</summary>
    public override bool IsHeapCached => _heap.IsKnown;

    public bool IsClosed => _disposed;

    /// <summary>
    /// The underlying ClrMD runtime, for questions this library does not answer yet. A method, not a property: its
    /// objects read the dump through the native DAC when their properties are read, so a serializer walking them
    /// (ConvertTo-Json, Export-Clixml) could crash the process; and it is only valid until the session is closed.
    /// </summary>
    public override ClrRuntime GetClrRuntime()
    {
        ThrowIfClosed();
        return _runtime;
    }

    /// <summary>
    /// Opens a dump read-only, locates the matching DAC and creates the runtime. Offline unless
    /// <see cref="DumpOpenOptions.SymbolServers"/> names a server; module files missing here are listed in
    /// <see cref="Warnings"/>.
    /// </summary>
    /// <exception cref="AnalysisException">
    /// The file is missing, not a dump, truncated or corrupted, not .NET, no DAC matches or the DAC cannot read it. Every
    /// failure of the engine (ClrMD, the DAC) comes as this exception with the engine's as its InnerException.
    /// </exception>
    public static DumpEngine Open(string path, DumpOpenOptions? options = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        options ??= new DumpOpenOptions();
        string fullPath = System.IO.Path.GetFullPath(path);
        DumpFormat format = DumpFile.Validate(fullPath);
        var locator = new ModuleFileLocator(options);

        DataTarget target;
        try
        {
            // Our locator, not ClrMD's default one (Microsoft's public symbol server, asked from inside DAC callbacks).
            target = DataTarget.LoadDump(fullPath, new DataTargetOptions { FileLocator = locator });
        }
        catch (Exception e) when (IsEngineFailure(e))
        {
            throw new AnalysisException(FormatKind(e), fullPath,
                $"Dump file '{fullPath}' could not be read as a {format} dump: {Cause(e)}. It may be truncated or corrupted: capture it again.", e);
        }

        string step = "listing the .NET runtimes loaded in it";
        try
        {
            ClrInfo? info = target.ClrVersions.FirstOrDefault(c => c.Flavor == ClrFlavor.Core) ?? target.ClrVersions.FirstOrDefault();
            if (info is null)
            {
                throw new AnalysisException(AnalysisErrorKind.NotDotNet, fullPath,
                    $"Dump '{fullPath}' is a dump of a process without a .NET runtime (no coreclr module is loaded in it); there are no managed threads or heap to analyze. " +
                    "Check that you dumped the right process (dotnet-dump ps lists .NET processes).");
            }

            // ClrMD parses some of the dump lazily from inside the DAC's callbacks (the threads' registers when the DAC first
            // asks for a context, the module list), where an exception cannot be caught and aborts the process. Parse them
            // here first: a damaged part fails now, as an AnalysisException, and what parses is cached for the DAC.
            step = "reading the threads' registers and the module list";
            _ = target.DataReader.GetThreadContext(0, 0, Span<byte>.Empty);
            _ = target.EnumerateModules().Count();

            step = "reading the runtime's version and build id";
            string version = DacLocator.RuntimeVersion(info, target);
            string dac = DacLocator.Locate(fullPath, info, target, options);
            ClrRuntime runtime;
            try
            {
                runtime = info.CreateRuntime(dac, ignoreMismatch: true);
            }
            catch (Exception e) when (IsEngineFailure(e))
            {
                throw new AnalysisException(AnalysisErrorKind.DacLoadFailed, fullPath,
                    $"The DAC '{dac}' could not be loaded for dump '{fullPath}' (runtime {version}): {Cause(e)}. Pass -DacPath with the {DacLocator.DacFileName} of exactly that runtime build; " +
                    "if it is the right one, the dump's runtime data is damaged: capture the dump again.", e);
            }

            step = "reading the process id, heap segments and module list";
            try
            {
                return new DumpEngine(fullPath, format, target, runtime, version, dac, options, locator);
            }
            catch
            {
                runtime.Dispose();
                throw;
            }
        }
        catch (Exception e) when (IsEngineFailure(e))
        {
            target.Dispose();
            throw new AnalysisException(FormatKind(e), fullPath,
                $"Dump '{fullPath}' could not be opened: {e.GetType().Name} while {step}: {Cause(e)}. The dump is probably truncated or corrupted: capture it again.", e);
        }
        catch
        {
            target.Dispose();
            throw;
        }
    }

    /// <summary>
    /// What this session could not do or find: module files missing on this machine, symbol servers that failed, stacks
    /// whose walk was cut short. Empty for a complete dump whose files are all here.
    /// </summary>
    public override ItemList<string> Warnings
    {
        get
        {
            lock (_warnings)
                return [.. _warnings, .. _locator.Problems.Where(p => !_warnings.Contains(p))];
        }
    }

    internal void AddWarning(string warning)
    {
        lock (_warnings)
        {
            if (!_warnings.Contains(warning))
                _warnings.Add(warning);
        }
    }

    private readonly List<string> _warnings = new();
    private readonly ModuleFileLocator _locator;
    private readonly SourceLines _sourceLines;

    /// <summary>Managed modules recorded with a path that is neither on this machine nor in a -SymbolPath folder (nor downloaded).</summary>
    private IReadOnlyList<string> MissingModuleFiles()
    {
        var missing = new List<string>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        ModuleInfo[]? images = null;
        foreach (ClrModule module in _runtime.EnumerateModules())
        {
            if (module.IsDynamic || module.Name is not { Length: > 0 } name || !System.IO.Path.IsPathRooted(name) || !seen.Add(name))
                continue;
            if (File.Exists(name) || _locator.FindInFolders(name, null) is not null)
                continue;
            if (_locator.UsesNetwork)
            {
                // Asked now, so an answer is in the local cache before the DAC wants it (and a failure is a warning, not a crash).
                images ??= _target.EnumerateModules().ToArray();
                var image = Array.Find(images, m => m.ImageBase == module.ImageBase);
                if (image is { IndexTimeStamp: not 0, IndexFileSize: not 0 } && _locator.FindPEImage(name, image.IndexTimeStamp, image.IndexFileSize, checkProperties: false) is not null)
                    continue;
            }

            missing.Add(name);
        }

        return missing;
    }

    /// <summary>
    /// The kind for an engine failure while opening. The file was readable when validated, so only an error of the
    /// operating system is a read failure; an IOException the engine throws itself (HResult COR_E_IO, "I/O error
    /// occurred") is about the content, as are all other types.
    /// </summary>
    private static AnalysisErrorKind FormatKind(Exception e) => e switch
    {
        EndOfStreamException => AnalysisErrorKind.Truncated,
        UnauthorizedAccessException => AnalysisErrorKind.ReadFailed,
        IOException when e.GetType() == typeof(IOException) && e.HResult != CorEIo => AnalysisErrorKind.ReadFailed,
        _ => AnalysisErrorKind.WrongFormat,
    };

    private const int CorEIo = unchecked((int)0x80131620);

    /// <summary>An exception's message for the middle of a sentence of ours (no final period).</summary>
    private static string Cause(Exception e) => e.Message.TrimEnd().TrimEnd('.');

    /// <summary>All managed threads with names, states, stacks, exceptions, locks and deadlock cycles. Computed once.</summary>
    public override IReadOnlyList<DumpThread> GetThreads(CancellationToken cancellationToken = default) =>
        Answer(_threads, "reading threads", this, static (e, ct) => ThreadAnalyzer.Analyze(e._runtime, e.HasHeap, ct, e.AddWarning, e._sourceLines), cancellationToken);

    /// <summary>
    /// Per-type object counts and sizes over the whole GC heap (<c>dumpheap -stat</c>), from one walk that is cached:
    /// later calls return at once. Cancelling leaves nothing cached.
    /// </summary>
    /// <exception cref="AnalysisException">The dump has no heap memory (NoHeap).</exception>
    public override HeapStatistics GetHeapStatistics(IProgress<WorkProgress>? progress = null, CancellationToken cancellationToken = default) =>
        Answer(_heap, "walking the heap", (Engine: this, progress), static (s, ct) =>
        {
            s.Engine.RequireHeap("heap questions");
            return HeapWalker.Walk(s.Engine._runtime, s.progress, ct);
        }, cancellationToken);

    /// <summary>Top types by size or count, optionally filtered by a type-name wildcard. Walks the heap on first use.</summary>
    public IReadOnlyList<HeapTypeStat> GetHeapTop(int top = 20, HeapSortBy sortBy = HeapSortBy.Size, string? typeNamePattern = null,
        IProgress<WorkProgress>? progress = null, CancellationToken cancellationToken = default) =>
        GetHeapStatistics(progress, cancellationToken).Top(top, sortBy, typeNamePattern);

    /// <summary>Whether the object graph (root paths, retained sizes) has been indexed in this session.</summary>
    public override bool IsGraphIndexed => _graph.IsKnown;

    /// <summary>
    /// Why the object at <paramref name="address"/> is alive: the shortest path from a GC root, or null when no root
    /// reaches it (garbage the GC has not collected yet). Indexes the object graph on first use (one heap pass).
    /// </summary>
    public override GcRootPath? FindRootPath(ulong address, IProgress<WorkProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        var roots = Roots(progress, cancellationToken);
        // Under the gate: naming the hops reads the dump, which Dispose must not close meanwhile.
        return WithGraphGate(() => roots.PathTo(address, cancellationToken), "searching root paths", cancellationToken);
    }

    /// <summary>
    /// Every root that keeps the object at <paramref name="address"/> alive, each with its shortest path (statics and
    /// handles first, then stacks, then the finalizer queue; shorter first). Empty when no root reaches it.
    /// </summary>
    public override IReadOnlyList<GcRootPath> FindAllRootPaths(ulong address, int top = 10, IProgress<WorkProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        var roots = Roots(progress, cancellationToken);
        return WithGraphGate(() => roots.AllPathsTo(address, top, cancellationToken), "searching root paths", cancellationToken);
    }

    /// <summary>Root paths of all objects whose type matches the wildcard, merged by shape, most objects first.</summary>
    public override GcRootQuery FindRootPaths(string typeNamePattern, int top = 10, IProgress<WorkProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(typeNamePattern);
        var roots = Roots(progress, cancellationToken);
        return WithGraphGate(() =>
        {
            var paths = roots.PathsToType(typeNamePattern, top, cancellationToken, out int unreachable, out int reachable);
            return new GcRootQuery(typeNamePattern, paths, unreachable) { Reachable = reachable };
        }, "searching root paths", cancellationToken);
    }

    /// <summary>Bytes that would be freed if the object at <paramref name="address"/> were no longer referenced.</summary>
    public override long GetRetainedSize(ulong address, IProgress<WorkProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        int node = Graph(progress, cancellationToken).NodeOf(address);
        return DominatorTree(progress, cancellationToken).RetainedSize(node);
    }

    /// <summary>Types by retained size (dominator tree), optionally filtered by a type-name wildcard.</summary>
    public override IReadOnlyList<RetainedTypeStat> GetRetainedByType(int top = 20, string? typeNamePattern = null, IProgress<WorkProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        return TopRetained(DominatorTree(progress, cancellationToken).ByType(cancellationToken), top, typeNamePattern);
    }

    /// <summary>The first <paramref name="top"/> rows (already largest first) whose type matches the wildcard.</summary>
    internal static IReadOnlyList<RetainedTypeStat> TopRetained(IEnumerable<RetainedTypeStat> rows, int top, string? typeNamePattern)
    {
        if (!string.IsNullOrEmpty(typeNamePattern))
        {
            var wildcard = new Wildcard(typeNamePattern);
            rows = rows.Where(r => wildcard.IsMatch(r.TypeName));
        }

        return rows.Take(top).ToArray();
    }

    /// <summary>
    /// Async state machines on the heap (state, what they await, who awaits them), the incomplete ones grouped by
    /// method, and threads blocked synchronously on tasks. Uses the object-graph index; computed once.
    /// </summary>
    public override AsyncReport GetAsyncState(IProgress<WorkProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        var graph = Graph(progress, cancellationToken);
        var threads = GetThreads(cancellationToken);
        return Answer(_async, "reading async state machines", (Engine: this, graph, threads, progress), static (s, ct) =>
        {
            s.progress?.Report(new WorkProgress("Reading async state machines", "state machine boxes, awaiters and continuations", 0, 0));
            return AsyncAnalyzer.Analyze(s.Engine._runtime, s.graph, s.threads, ct);
        }, cancellationToken);
    }

    /// <summary>Thread-pool workers (busy, idle, what they run), queued work items and timers. Computed once.</summary>
    public override ThreadPoolReport GetThreadPool(CancellationToken cancellationToken = default)
    {
        var threads = GetThreads(cancellationToken);
        RequireHeap("questions about the thread pool's queues and timers");
        return Answer(_threadPool, "reading the thread pool", (_runtime, threads), static (s, ct) => ThreadPoolReader.Read(s._runtime, s.threads, ct), cancellationToken);
    }

    /// <summary>The finalizer thread (what it runs, whether it waits) and the objects queued for finalization. Computed once.</summary>
    public override FinalizerReport GetFinalizer(CancellationToken cancellationToken = default)
    {
        var threads = GetThreads(cancellationToken);
        RequireHeap("questions about the finalizer queue");
        return Answer(_finalizer, "reading the finalizer queue", (_runtime, threads), static (s, ct) => FinalizerReader.Read(s._runtime, s.threads, ct), cancellationToken);
    }

    /// <summary>The GC's out-of-memory records, one per heap that has one (empty without a heap). Computed once.</summary>
    public override ItemList<OutOfMemoryInfo> GetOutOfMemory(CancellationToken cancellationToken = default) =>
        HasHeap ? Answer(_outOfMemory, "reading the GC's out-of-memory records", this, static (e, ct) => OutOfMemoryReader.Read(e._runtime), cancellationToken) : [];

    private void RequireHeap(string what)
    {
        if (!HasHeap)
        {
            throw new AnalysisException(AnalysisErrorKind.NoHeap, Path,
                $"Dump '{Path}' has no GC heap memory (it is a mini/normal or triage dump), so {what} cannot be answered; threads and stacks still work. " +
                "Capture with heap: createdump --withheap (or -u for full), dotnet-dump collect --type Heap, or DiagnosticsClient.WriteDump(DumpType.WithHeap, …).");
        }
    }

    /// <summary>Heap problems met while indexing the graph (unreadable segments, dangling references), then what the index cache said.</summary>
    public override ItemList<string> GraphWarnings => _graph.ValueOrDefault is { } graph ? [.. graph.Warnings, .. _graphCache.Notes] : [];

    internal HeapGraph Graph(IProgress<WorkProgress>? progress, CancellationToken cancellationToken) =>
        Answer(_graph, "indexing the object graph", (Engine: this, progress), static (s, ct) =>
        {
            var (engine, progress) = s;
            engine.RequireHeap("root paths, retained sizes and async state");
            long heapBytes = engine._runtime.Heap.Segments.Sum(segment => (long)segment.ObjectRange.Length);
            return engine._graphCache.LoadOrBuild(heapBytes, () => HeapGraphBuilder.Build(engine._runtime, progress, ct), progress, ct);
        }, cancellationToken);

    private GcRoots Roots(IProgress<WorkProgress>? progress, CancellationToken cancellationToken)
    {
        var graph = Graph(progress, cancellationToken);
        var threads = GetThreads(cancellationToken);
        return Answer(_roots, "searching root paths", (_runtime, graph, threads), static (s, _) =>
        {
            var names = s.threads.Where(t => t.Name is not null).GroupBy(t => t.ManagedThreadId).ToDictionary(g => g.Key, g => g.First().Name);
            return new GcRoots(s.graph, s._runtime, id => names.GetValueOrDefault(id));
        }, cancellationToken);
    }

    private Dominators DominatorTree(IProgress<WorkProgress>? progress, CancellationToken cancellationToken)
    {
        var graph = Graph(progress, cancellationToken);
        return Answer(_dominators, "computing retained sizes", (graph, progress), static (s, ct) =>
        {
            s.progress?.Report(new WorkProgress("Computing retained sizes", $"dominator tree of {s.graph.NodeCount:N0} objects", 0, 0));
            return new Dominators(s.graph, ct);
        }, cancellationToken);
    }

    /// <summary>Waits until the object-graph index of this session is on disk (it is written in the background).</summary>
    public override void WaitForGraphCache() => _graphCache.WaitForSave();

    /// <summary>The index file this session loaded or wrote, or null (no index yet, caching off, or not writable).</summary>
    public override string? GraphCacheFile => _graphCache.File;

    /// <summary>Whether the object graph came from the on-disk index instead of a heap pass.</summary>
    public override bool GraphLoadedFromCache => _graphCache.LoadedFromCache;

    /// <summary>
    /// A kept answer, else computed under its gate with the dump still open (checked again under the gate, which
    /// Dispose takes); a failure of the engine becomes a ReadFailed naming <paramref name="what"/>.
    /// </summary>
    private T Answer<TState, T>(CachedAnswer<T> answer, string what, TState state, Func<TState, CancellationToken, T> compute, CancellationToken cancellationToken)
    {
        ThrowIfClosed();
        try
        {
            return answer.Get(state, compute, cancellationToken);
        }
        catch (Exception e) when (IsEngineFailure(e))
        {
            throw ReadFailure(what, e);
        }
    }

    private T WithGraphGate<T>(Func<T> work, string what, CancellationToken cancellationToken) => WithGate(_graphGate, work, what, cancellationToken);

    /// <summary>Runs <paramref name="work"/> holding <paramref name="gate"/>, the engine's failures as one ReadFailed naming <paramref name="what"/>.</summary>
    private T WithGate<T>(SemaphoreSlim gate, Func<T> work, string what, CancellationToken cancellationToken)
    {
        gate.Wait(cancellationToken);
        try
        {
            ThrowIfClosed();
            return work();
        }
        catch (Exception e) when (IsEngineFailure(e))
        {
            throw ReadFailure(what, e);
        }
        finally
        {
            gate.Release();
        }
    }

    public override string ToString() =>
        string.Create(CultureInfo.InvariantCulture, $"{System.IO.Path.GetFileName(Path)} (pid {ProcessId}, .NET {RuntimeVersion}, {(HasHeap ? "with heap" : "no heap")})");

    public override void Dispose()
    {
        if (_disposed)
            return;
        // Wait for running questions so the runtime is not pulled from under them.
        _threadsGate.Wait();
        _heapGate.Wait();
        _graphGate.Wait();
        _objectsGate.Wait();
        try
        {
            _graphCache.WaitForSaveQuietly();
            _disposed = true;
            try
            {
                _runtime.Dispose();
                _target.Dispose();
                _sourceLines.Dispose();
            }
            catch (Exception e) when (IsEngineFailure(e))
            {
                // Closing must not fail: a runtime left inconsistent by a damaged dump is dropped with the session.
            }
        }
        finally
        {
            _objectsGate.Release();
            _graphGate.Release();
            _heapGate.Release();
            _threadsGate.Release();
        }
    }

    private bool ProbeHeap()
    {
        // A heap is present when the first object of some non-empty segment is readable; segments the runtime cannot
        // even list make a dump without a usable heap (threads and stacks still work).
        Span<byte> probe = stackalloc byte[8];
        try
        {
            foreach (var segment in _runtime.Heap.Segments)
            {
                if (segment.ObjectRange.Length > 0 && _target.DataReader.Read(segment.FirstObjectAddress, probe) == probe.Length)
                    return true;
            }
        }
        catch (Exception e) when (IsEngineFailure(e))
        {
        }

        return false;
    }

    private void ThrowIfClosed()
    {
        if (_disposed)
            throw DumpSession.Closed(Path);
    }

    /// <summary>
    /// Whether an exception is the engine failing on this dump (ClrMD, the DAC, our readers of its data): anything but
    /// cancellation and our own AnalysisExceptions. A corrupt dump makes ClrMD throw nearly any type (NullReference,
    /// IndexOutOfRange, Overflow, BadImageFormat, even OutOfMemory for an absurd count), so all are wrapped; the cause
    /// stays the InnerException.
    /// </summary>
    internal static bool IsEngineFailure(Exception e) =>
        e is not (OperationCanceledException or AnalysisException or StackOverflowException or ThreadInterruptedException) &&
        !(e is ArgumentException && !ThrownByEngine(e)); // a caller's bad argument, checked by our own code, stays itself

    private static bool ThrownByEngine(Exception e)
    {
        var engine = typeof(ClrRuntime).Assembly;
        foreach (var frame in new System.Diagnostics.StackTrace(e, fNeedFileInfo: false).GetFrames())
        {
            if (frame.GetMethod()?.Module.Assembly == engine)
                return true;
        }

        return false;
    }

    private AnalysisException ReadFailure(string what, Exception e) =>
        new(AnalysisErrorKind.ReadFailed, Path,
            $"Failed while {what} in dump '{Path}': {e.GetType().Name}: {Cause(e)}. The dump's data there is damaged or inconsistent; other questions may still work. " +
            "Capture the dump again if you need this answer.", e);

    // ---- the plain shortest root paths (Get-GcRoot -Shortest) ----

    /// <summary>The shortest path from any root to the object (no tiers: a thread's local beats a longer static path).</summary>
    public override GcRootPath? FindShortestRootPath(ulong address, IProgress<WorkProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        var roots = Roots(progress, cancellationToken);
        return WithGraphGate(() => roots.PathTo(address, shortest: true, cancellationToken), "searching root paths", cancellationToken);
    }

    /// <summary>The shortest paths from any root to the objects of the matching types, merged by shape, most objects first.</summary>
    public override GcRootQuery FindShortestRootPaths(string typeNamePattern, int top = 10, IProgress<WorkProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(typeNamePattern);
        var roots = Roots(progress, cancellationToken);
        return WithGraphGate(() =>
        {
            var paths = roots.PathsToType(typeNamePattern, top, shortest: true, cancellationToken, out int unreachable, out int reachable);
            return new GcRootQuery(typeNamePattern, paths, unreachable) { Reachable = reachable };
        }, "searching root paths", cancellationToken);
    }

    // ---- object listing (Get-HeapObject) and live/dead statistics

    private CachedAnswer<HeapLiveness>? _liveness;
    private CachedAnswer<HeapStatistics>? _liveStatistics;
    private CachedAnswer<HeapStatistics>? _deadStatistics;
    private HeapObjectLister? _lister;

    /// <summary>Which objects a root reaches: marked once over the object graph (indexed on first use), then kept.</summary>
    internal HeapLiveness Liveness(IProgress<WorkProgress>? progress, CancellationToken cancellationToken)
    {
        var graph = Graph(progress, cancellationToken);
        var answer = LazyInitializer.EnsureInitialized(ref _liveness, () => new CachedAnswer<HeapLiveness>(_graphGate, ThrowIfClosed));
        return Answer(answer, "marking live objects", (graph, progress), static (s, ct) =>
        {
            s.progress?.Report(new WorkProgress("Marking live objects", $"reachability of {s.graph.NodeCount:N0} objects from {s.graph.Roots.Length:N0} roots", 0, 0));
            return new HeapLiveness(s.graph, ct);
        }, cancellationToken);
    }

    /// <summary>Up to <paramref name="max"/> objects matching the query from <paramref name="from"/> on, and where to go on.</summary>
    public override HeapObjectBatch ReadObjects(HeapObjectQuery query, HeapCursor from, int max, IProgress<WorkProgress>? progress, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(query);
        ArgumentOutOfRangeException.ThrowIfNegative(from.Segment);
        ThrowIfClosed();
        RequireHeap("object listings");
        var liveness = query.Liveness == ObjectLiveness.All ? null : Liveness(progress, cancellationToken);
        return WithGate(_heapGate, () => (_lister ??= new HeapObjectLister(_runtime)).Read(query, liveness, from, max, cancellationToken), "listing objects", cancellationToken);
    }

    /// <summary>Per-type statistics of only the live or only the dead objects (all objects: <see cref="GetHeapStatistics(IProgress{WorkProgress}?, CancellationToken)"/>).</summary>
    public override HeapStatistics GetHeapStatistics(ObjectLiveness liveness, IProgress<WorkProgress>? progress, CancellationToken cancellationToken)
    {
        if (liveness == ObjectLiveness.All)
            return GetHeapStatistics(progress, cancellationToken);
        var live = Liveness(progress, cancellationToken);
        ref var slot = ref liveness == ObjectLiveness.Live ? ref _liveStatistics : ref _deadStatistics;
        var answer = LazyInitializer.EnsureInitialized(ref slot, () => new CachedAnswer<HeapStatistics>(_graphGate, ThrowIfClosed));
        return Answer(answer, "counting live objects", (Engine: this, live, liveness), static (s, ct) =>
            s.live.Statistics(s.liveness == ObjectLiveness.Live, s.Engine._runtime.Heap.Segments.Count(x => x.ObjectRange.Length > 0), ct), cancellationToken);
    }
}
