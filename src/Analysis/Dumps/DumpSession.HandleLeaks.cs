namespace Analysis.Dumps;

// Leaked GC handles (issue 14): SOS gchandleleaks.
public sealed partial class DumpSession
{
    /// <summary>
    /// Every GC handle, the strong and pinned ones marked <see cref="DumpHandle.IsLeaked"/> (true: their value appears
    /// nowhere in the dump's memory; false: found), the others not searched (null). Searched once, kept.
    /// </summary>
    /// <exception cref="AnalysisException">WrongFormat: not a Linux core dump (the memory search reads ELF core files only).</exception>
    public ItemList<DumpHandle> GetHandleLeaks(IProgress<WorkProgress>? progress = null, CancellationToken cancellationToken = default) =>
        Reader.GetHandleLeaks(progress, cancellationToken);

    /// <summary>
    /// The leaked GC handles (SOS gchandleleaks) of some kinds (null or empty: all) whose target's type matches a wildcard
    /// (null: all): strong and pinned handles whose value appears nowhere in the dump's memory, so the program can never
    /// free them. The first call reads every memory segment of the dump once (stopping when every handle was found);
    /// the answer is kept. Like SOS, a stale copy of a handle's value in dead memory hides its leak.
    /// </summary>
    /// <exception cref="AnalysisException">WrongFormat: not a Linux core dump (the memory search reads ELF core files only).</exception>
    public IReadOnlyList<DumpHandle> GetLeakedHandles(IReadOnlyCollection<GcHandleKind>? kinds = null, string? typeNamePattern = null,
        IProgress<WorkProgress>? progress = null, CancellationToken cancellationToken = default) =>
        GcHandles.Where(Reader.GetHandleLeaks(progress, cancellationToken), kinds, typeNamePattern).Where(h => h.IsLeaked == true).ToArray();

    /// <summary>The leaked GC handles (see <see cref="GetLeakedHandles"/>) grouped by kind and target type.</summary>
    /// <exception cref="AnalysisException">WrongFormat: not a Linux core dump.</exception>
    public IReadOnlyList<HandleGroup> GetLeakedHandleGroups(IReadOnlyCollection<GcHandleKind>? kinds = null, string? typeNamePattern = null,
        IProgress<WorkProgress>? progress = null, CancellationToken cancellationToken = default) =>
        GcHandles.Group(GetLeakedHandles(kinds, typeNamePattern, progress, cancellationToken));
}
