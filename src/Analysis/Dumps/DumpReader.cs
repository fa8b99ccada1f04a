using Microsoft.Diagnostics.Runtime;

namespace Analysis.Dumps;

/// <summary>
/// What a <see cref="DumpSession"/> asks of its dump, answered by a <see cref="DumpEngine"/> in this process or by a
/// <see cref="DumpWorkerReader"/> that asks one in a worker process. The session checks that it is open and delegates.
/// An abstract class rather than an interface: a kept answer is one virtual call away, with no dispatch stubs to build.
/// </summary>
internal abstract class DumpReader : IDisposable
{
    public abstract ItemList<string> Warnings { get; }

    public abstract bool IsHeapCached { get; }

    public abstract bool IsGraphIndexed { get; }

    public abstract ItemList<string> GraphWarnings { get; }

    public abstract string? GraphCacheFile { get; }

    public abstract bool GraphLoadedFromCache { get; }

    public abstract ClrRuntime GetClrRuntime();

    public abstract IReadOnlyList<DumpThread> GetThreads(CancellationToken cancellationToken);

    public abstract HeapStatistics GetHeapStatistics(IProgress<WorkProgress>? progress, CancellationToken cancellationToken);

    public abstract GcRootPath? FindRootPath(ulong address, IProgress<WorkProgress>? progress, CancellationToken cancellationToken);

    public abstract IReadOnlyList<GcRootPath> FindAllRootPaths(ulong address, int top, IProgress<WorkProgress>? progress, CancellationToken cancellationToken);

    public abstract GcRootQuery FindRootPaths(string typeNamePattern, int top, IProgress<WorkProgress>? progress, CancellationToken cancellationToken);

    public abstract long GetRetainedSize(ulong address, IProgress<WorkProgress>? progress, CancellationToken cancellationToken);

    public abstract IReadOnlyList<RetainedTypeStat> GetRetainedByType(int top, string? typeNamePattern, IProgress<WorkProgress>? progress, CancellationToken cancellationToken);

    public abstract AsyncReport GetAsyncState(IProgress<WorkProgress>? progress, CancellationToken cancellationToken);

    public abstract ThreadPoolReport GetThreadPool(CancellationToken cancellationToken);

    public abstract FinalizerReport GetFinalizer(CancellationToken cancellationToken);

    public abstract void WaitForGraphCache();

    /// <summary>
    /// Told that <paramref name="answers"/> are about to be asked for, in that order (the triage's detectors). A reader
    /// whose engine is in another process asks for them in the background, so that process computes the next answer
    /// while this one examines the last; a caller asking meanwhile waits for the answer being computed, as with any
    /// kept answer. In process there is nothing to overlap: the engine answers when asked. The task ends when all are
    /// kept, at the first failure (whoever asks that question meets the failure itself), or when cancelled; it does not
    /// fault on an engine's failure or on cancellation.
    /// </summary>
    public virtual Task AskAhead(IReadOnlyList<DumpAnswer> answers, IProgress<WorkProgress>? progress, CancellationToken cancellationToken) => Task.CompletedTask;

    // ---- sizes, heap layout and handles (issue 14): DumpEngine.Sizes.cs, DumpWorkerReader.Sizes.cs ----

    public abstract ObjectSize MeasureObject(ulong address, bool retained, IProgress<WorkProgress>? progress, CancellationToken cancellationToken);

    public abstract GcHeapLayout GetGcHeap(IProgress<WorkProgress>? progress, CancellationToken cancellationToken);

    public abstract GcAddressInfo FindGcAddress(ulong address, CancellationToken cancellationToken);

    public abstract ItemList<DumpHandle> GetHandles(CancellationToken cancellationToken);

    /// <summary>The GC's records of managed allocations it could not satisfy (SOS analyzeoom), one per heap that has one.</summary>
    public abstract ItemList<OutOfMemoryInfo> GetOutOfMemory(CancellationToken cancellationToken);

    public abstract void Dispose();

    // ---- the plain shortest root paths (Get-GcRoot -Shortest) ----

    public abstract GcRootPath? FindShortestRootPath(ulong address, IProgress<WorkProgress>? progress, CancellationToken cancellationToken);

    public abstract GcRootQuery FindShortestRootPaths(string typeNamePattern, int top, IProgress<WorkProgress>? progress, CancellationToken cancellationToken);

    // ---- objects and collections (issue 14)

    public abstract DumpObject InspectObject(ulong address, int depth, int skip, int first, CancellationToken cancellationToken);

    public abstract DumpCollection InspectCollection(ulong address, int depth, int first, CancellationToken cancellationToken);

    // ---- object listing (Get-HeapObject) and live/dead statistics

    /// <summary>Up to <paramref name="max"/> objects matching the query from <paramref name="from"/> on, and where to go on.</summary>
    public abstract HeapObjectBatch ReadObjects(HeapObjectQuery query, HeapCursor from, int max, IProgress<WorkProgress>? progress, CancellationToken cancellationToken);

    /// <summary>Per-type statistics of only the live or only the dead objects (from the object graph; cached).</summary>
    public abstract HeapStatistics GetHeapStatistics(ObjectLiveness liveness, IProgress<WorkProgress>? progress, CancellationToken cancellationToken);

    // ---- leaked GC handles (gchandleleaks)

    /// <summary>Every GC handle, the strong and pinned ones marked leaked or not by a search of the dump's memory (cached).</summary>
    public abstract ItemList<DumpHandle> GetHandleLeaks(IProgress<WorkProgress>? progress, CancellationToken cancellationToken);
}

/// <summary>A whole-dump answer that can be asked for ahead of its use (<see cref="DumpReader.AskAhead"/>).</summary>
internal enum DumpAnswer
{
    OutOfMemory,
    ThreadPool,
    Finalizer,
    AsyncState,
    RetainedByType,
    HeapStatistics,
}
