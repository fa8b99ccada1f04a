namespace Analysis.Dumps;

// Sizes, heap layout and handles (issue 14), asked of the worker and kept.
internal sealed partial class DumpWorkerReader
{
    private readonly CachedAnswer<GcHeapLayout> _gcHeap = new();
    private readonly CachedAnswer<ItemList<DumpHandle>> _handles = new();

    public override ObjectSize MeasureObject(ulong address, bool retained, IProgress<WorkProgress>? progress, CancellationToken cancellationToken)
    {
        // An answer without retained sizes is not kept: the graph may be indexed later, and then the worker fills them.
        // One with them is final (a dump does not change): kept, as root paths are.
        ObjectSize Measure() => Ask(DumpService.ObjectSize, "measuring an object", w =>
        {
            w.Write(address);
            w.Write(retained);
        }, DumpCodec.ReadObjectSize, progress, cancellationToken);
        return retained ? Remembered((DumpService.ObjectSize, address, 1, null), Measure) : Measure();
    }

    public override GcHeapLayout GetGcHeap(IProgress<WorkProgress>? progress, CancellationToken cancellationToken) =>
        _gcHeap.Get((Reader: this, progress), static (s, ct) => s.Reader.Ask(DumpService.GcHeap, "reading the GC heap's layout", null, DumpCodec.ReadGcHeap, s.progress, ct), cancellationToken);

    public override GcAddressInfo FindGcAddress(ulong address, CancellationToken cancellationToken) =>
        Remembered((DumpService.GcWhere, address, 0, null), () =>
            Ask(DumpService.GcWhere, "finding an address on the GC heap", w => w.Write(address), DumpCodec.ReadGcAddress, null, cancellationToken));

    public override ItemList<DumpHandle> GetHandles(CancellationToken cancellationToken) =>
        _handles.Get(this, static (r, ct) => r.Ask(DumpService.Handles, "reading the GC handles", null, DumpCodec.ReadHandles, null, ct), cancellationToken);
}
