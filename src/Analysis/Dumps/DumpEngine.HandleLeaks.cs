namespace Analysis.Dumps;

// Leaked GC handles (issue 14): gchandleleaks.
internal sealed partial class DumpEngine
{
    private CachedAnswer<ItemList<DumpHandle>>? _handleLeaks;

    private CachedAnswer<ItemList<DumpHandle>> HandleLeaksAnswer => LazyInitializer.EnsureInitialized(ref _handleLeaks, () => new(_graphGate, ThrowIfClosed));

    /// <summary>
    /// Every GC handle, the strong and pinned ones marked <see cref="DumpHandle.IsLeaked"/> by one search of the dump's
    /// memory for their values (<see cref="HandleLeaks"/>). Searched once, kept.
    /// </summary>
    /// <exception cref="AnalysisException">WrongFormat: not a Linux core dump.</exception>
    public override ItemList<DumpHandle> GetHandleLeaks(IProgress<WorkProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        var handles = GetHandles(cancellationToken);
        return Answer(HandleLeaksAnswer, "searching the dump's memory for GC handle values", (Path, handles, progress),
            static (s, ct) => HandleLeaks.Search(s.Path, s.handles, s.progress, ct), cancellationToken);
    }
}
