namespace Analysis.Dumps;

// Leaked GC handles (issue 14), asked of the worker and kept.
internal sealed partial class DumpWorkerReader
{
    private readonly CachedAnswer<ItemList<DumpHandle>> _handleLeaks = new();

    public override ItemList<DumpHandle> GetHandleLeaks(IProgress<WorkProgress>? progress, CancellationToken cancellationToken) =>
        _handleLeaks.Get((Reader: this, progress), static (s, ct) =>
            s.Reader.Ask(DumpService.HandleLeaks, "searching the dump's memory for GC handle values", null, DumpCodec.ReadHandles, s.progress, ct), cancellationToken);
}
