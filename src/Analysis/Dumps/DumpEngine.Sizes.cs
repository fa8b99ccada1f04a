using System.Globalization;

namespace Analysis.Dumps;

// Sizes, heap layout and handles (issue 14): objsize, eeheap -gc / gcheapstat / gcwhere, gchandles.
internal sealed partial class DumpEngine
{
    private CachedAnswer<GcHeapLayout>? _gcHeap;
    private CachedAnswer<ItemList<DumpHandle>>? _handles;
    private HeapScanner? _sizer; // layouts with pointer maps, kept for the next object measured (under the graph gate)
    private readonly System.Collections.Concurrent.ConcurrentDictionary<ulong, ObjectSize> _measured = new(); // direct walks, by address

    private CachedAnswer<GcHeapLayout> GcHeapAnswer => LazyInitializer.EnsureInitialized(ref _gcHeap, () => new(_graphGate, ThrowIfClosed));

    private CachedAnswer<ItemList<DumpHandle>> HandlesAnswer => LazyInitializer.EnsureInitialized(ref _handles, () => new(_graphGate, ThrowIfClosed));

    /// <summary>
    /// What the object at <paramref name="address"/> keeps alive (objsize): over the object-graph index when this
    /// session has built it, else read from the dump object by object (cheaper than indexing the whole heap for one
    /// object). Retained bytes come from the dominator tree: computed when <paramref name="retained"/> asks (indexing
    /// the graph first), else filled only when the tree is there already.
    /// </summary>
    /// <exception cref="AnalysisException">NotAnObject: no object starts at the address; NoHeap.</exception>
    public override ObjectSize MeasureObject(ulong address, bool retained, IProgress<WorkProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        RequireHeap("object sizes");
        if (retained || IsGraphIndexed)
        {
            var graph = Graph(progress, cancellationToken);
            int node = graph.Find(address);
            if (node < 0)
                throw NotAnObject(address);
            var (bytes, count) = ObjectSizer.Reachable(graph, node, cancellationToken);
            var dominators = retained ? DominatorTree(progress, cancellationToken) : _dominators.ValueOrDefault;
            bool reached = dominators is not null && dominators.ImmediateDominator(node) >= 0;
            return new ObjectSize
            {
                Address = address, TypeName = graph.TypeName(node), Size = graph.Sizes[node],
                ReachableBytes = bytes, ReachableCount = count,
                RetainedBytes = reached ? dominators!.RetainedSize(node) : null,
                RetainedCount = reached ? dominators!.RetainedCount(node) : null,
                FromGraphIndex = true,
            };
        }

        if (_measured.TryGetValue(address, out var known))
            return known;
        progress?.Report(new WorkProgress("Measuring an object", string.Create(CultureInfo.InvariantCulture, $"objects reachable from 0x{address:x}"), 0, 0));
        var found = WithGraphGate(() =>
        {
            _sizer ??= new HeapScanner(_runtime, pointerMaps: true);
            return ObjectSizer.Reachable(_sizer, HeapGraphBuilder.Dependents(_runtime), address, cancellationToken);
        }, "measuring an object", cancellationToken);
        if (found is not { } o)
            throw NotAnObject(address);
        var size = new ObjectSize { Address = address, TypeName = o.TypeName, Size = o.Size, ReachableBytes = o.Bytes, ReachableCount = o.Count };
        if (_measured.Count < 4096)
            _measured.TryAdd(address, size);
        return size;
    }

    /// <summary>
    /// Per GC heap and generation (and per segment): committed, allocated, object and free bytes. Counted in the one
    /// heap walk that heap statistics use (cached: asking both walks once).
    /// </summary>
    public override GcHeapLayout GetGcHeap(IProgress<WorkProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        var statistics = GetHeapStatistics(progress, cancellationToken);
        return Answer(GcHeapAnswer, "reading the GC heap's layout", (Engine: this, statistics), static (s, _) =>
            GcHeapLayouts.Build(s.Engine._runtime.Heap, s.statistics.Tallies ?? new Dictionary<(ulong, GcHeapGeneration), GenerationTally>(), s.statistics.Warnings), cancellationToken);
    }

    /// <summary>Which heap, generation and segment <paramref name="address"/> is in (gcwhere).</summary>
    /// <exception cref="AnalysisException">NotAnObject: no segment of the GC heap holds the address.</exception>
    public override GcAddressInfo FindGcAddress(ulong address, CancellationToken cancellationToken = default) =>
        WithGraphGate(() => GcHeapLayouts.Where(_runtime.Heap, address), "finding an address on the GC heap", cancellationToken)
        ?? throw new AnalysisException(AnalysisErrorKind.NotAnObject, Path, string.Create(CultureInfo.InvariantCulture,
            $"0x{address:x} is not in any segment of the GC heap of dump '{Path}'. Take addresses from Get-GcRoot, Get-DumpHandles or Get-GcHeap -Segment (Start..End)."));

    /// <summary>Every GC handle: kind, target and its type, size and generation; dependents. Read once.</summary>
    public override ItemList<DumpHandle> GetHandles(CancellationToken cancellationToken = default) =>
        Answer(HandlesAnswer, "reading the GC handles", this, static (e, ct) => GcHandles.Read(e._runtime, ct), cancellationToken);

    private AnalysisException NotAnObject(ulong address) =>
        new(AnalysisErrorKind.NotAnObject, Path, string.Create(CultureInfo.InvariantCulture,
            $"0x{address:x} is not the start of an object on the GC heap of dump '{Path}'. Take addresses from Get-GcRoot -TypeName (Addresses), Get-DumpHandles -List or SOS dumpheap."));
}
