namespace Analysis.Dumps;

// Sizes, heap layout and handles (issue 14): objsize, eeheap -gc / gcheapstat / gcwhere, gchandles.
public sealed partial class DumpSession
{
    /// <summary>
    /// What the object at <paramref name="address"/> keeps alive (SOS objsize): the bytes and count of every object it
    /// references transitively (itself included), and, when <paramref name="retained"/> asks or the dominator tree is
    /// there already, the bytes and count only it keeps alive. Without the object-graph index the objects are read from
    /// the dump one by one (faster than indexing the whole heap for one object); once indexed, the index answers.
    /// </summary>
    /// <exception cref="AnalysisException">NotAnObject: no object starts at the address; NoHeap: a dump without heap.</exception>
    public ObjectSize MeasureObject(ulong address, bool retained = false, IProgress<WorkProgress>? progress = null, CancellationToken cancellationToken = default) =>
        Reader.MeasureObject(address, retained, progress, cancellationToken);

    /// <summary>
    /// The GC heap's layout (SOS eeheap -gc, gcheapstat): per heap and generation committed, allocated, object and free
    /// bytes, segment counts, and every segment. Counted in the heap walk that heap statistics use, cached.
    /// </summary>
    /// <exception cref="AnalysisException">NoHeap: a dump without heap memory.</exception>
    public GcHeapLayout GetGcHeap(IProgress<WorkProgress>? progress = null, CancellationToken cancellationToken = default) =>
        Reader.GetGcHeap(progress, cancellationToken);

    /// <summary>Which GC heap, generation and segment an address is in (SOS gcwhere).</summary>
    /// <exception cref="AnalysisException">NotAnObject: no segment of the GC heap holds the address.</exception>
    public GcAddressInfo FindGcAddress(ulong address, CancellationToken cancellationToken = default) =>
        Reader.FindGcAddress(address, cancellationToken);

    /// <summary>Every GC handle (SOS gchandles): kind, target object, its type, size and generation; dependents. Read once.</summary>
    public ItemList<DumpHandle> GetHandles(CancellationToken cancellationToken = default) => Reader.GetHandles(cancellationToken);

    /// <summary>The GC handles of some kinds (null or empty: all) whose target's type matches a wildcard (null: all).</summary>
    public IReadOnlyList<DumpHandle> GetHandles(IReadOnlyCollection<GcHandleKind>? kinds, string? typeNamePattern, CancellationToken cancellationToken = default) =>
        GcHandles.Where(GetHandles(cancellationToken), kinds, typeNamePattern).ToArray();

    /// <summary>
    /// GC handles grouped by kind and target type (SOS gchandles -stat, by type), optionally only some kinds and target
    /// types matching a wildcard; pinned handles to generation 0/1 objects counted per group.
    /// </summary>
    public IReadOnlyList<HandleGroup> GetHandleGroups(IReadOnlyCollection<GcHandleKind>? kinds = null, string? typeNamePattern = null, CancellationToken cancellationToken = default) =>
        GcHandles.Group(GcHandles.Where(GetHandles(cancellationToken), kinds, typeNamePattern));
}
