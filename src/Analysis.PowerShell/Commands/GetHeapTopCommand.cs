using System.Management.Automation;
using Analysis.Dumps;

namespace Analysis.PowerShell.Commands;

/// <summary>Lists the types holding the most GC heap memory or objects, like SOS dumpheap -stat.</summary>
/// <remarks>
/// <para>
/// Walks the GC heap once (the result is kept in the session), counting live objects and bytes per type name; free
/// space is left out. Returns the top types by total size or by count, optionally only those matching a type-name
/// wildcard. The walk reports progress and stops on Ctrl+C; parts of the heap that could not be walked are reported
/// as warnings.
/// </para>
/// <para>
/// With -Baseline the rows are the growth since an earlier dump of the same program (as Compare-Heap); with -Retained,
/// the types whose objects keep the most memory alive.
/// </para>
/// </remarks>
/// <example>
/// <code>Get-HeapTop ./app.dmp -Top 10</code>
/// <para>The ten types using the most memory.</para>
/// </example>
/// <example>
/// <code>Open-Dump ./app.dmp | Get-HeapTop -Top 5 -SortBy Count</code>
/// <para>The five types with the most instances; a second question of the same session does not walk the heap again.</para>
/// </example>
/// <example>
/// <code>Get-HeapTop ./app.dmp -TypeName 'Contoso.*'</code>
/// <para>The memory held by the application's own types.</para>
/// </example>
/// <example>
/// <code>Get-HeapTop ./after.dmp -Baseline ./before.dmp -Top 10</code>
/// <para>The ten types that grew most between two dumps of a process whose memory keeps climbing.</para>
/// </example>
/// <example>
/// <code>Get-HeapTop ./app.dmp -Dead -Top 10</code>
/// <para>The ten types with the most garbage: objects no root reaches that the next collection frees (dumpheap -stat -dead).</para>
/// </example>
/// <example>
/// <code>Get-HeapTop ./app.dmp -Retained -TypeName 'Contoso.*' -Top 5</code>
/// <para>The application types that keep the most memory alive, counting everything only they reference.</para>
/// </example>
[Cmdlet(VerbsCommon.Get, "HeapTop", DefaultParameterSetName = DumpSet)]
[OutputType(typeof(HeapTypeStat), typeof(HeapTypeDiff), typeof(RetainedTypeStat))]
public sealed class GetHeapTopCommand : DumpCmdlet
{
    /// <summary>How many types to return.</summary>
    [Parameter]
    [ValidateRange(1, int.MaxValue)]
    public int Top { get; set; } = 20;

    /// <summary>What ranks the types (with -Baseline: which difference).</summary>
    [Parameter]
    public HeapSortBy SortBy { get; set; } = HeapSortBy.Size;

    /// <summary>Only types whose full name matches this wildcard (case-insensitive), e.g. 'Contoso.*'.</summary>
    [Parameter]
    [SupportsWildcards]
    [ArgumentCompleter(typeof(Completers.HeapTypeNameCompleter))]
    public string? TypeName { get; set; }

    /// <summary>
    /// An earlier dump of the same program: a session from Open-Dump, a path or a file. The output is then the growth
    /// since it: one HeapTypeDiff per type that changed (Count, TotalSize, BaselineCount, BaselineSize, CountDelta,
    /// SizeDelta), largest growth first.
    /// </summary>
    [Parameter]
    [ValidateNotNull]
    public object? Baseline { get; set; }

    /// <summary>
    /// Rank types by retained size instead: the bytes that would be freed if their objects were no longer referenced
    /// (dominator tree of the object graph; objects of a type held only through another object of that type count
    /// once). Returns RetainedTypeStat rows (Count, ShallowSize, RetainedSize, TypeName). Indexes the object graph on
    /// first use, kept and cached like Get-GcRoot's.
    /// </summary>
    [Parameter]
    public SwitchParameter Retained { get; set; }

    /// <summary>
    /// Count only objects a GC root reaches (dumpheap -stat -live): handles that keep objects alive, thread stacks, the
    /// finalizer queue and statics, through references and dependent handles. Indexes the object graph on first use.
    /// -Verbose shows the roots that counted.
    /// </summary>
    [Parameter]
    public SwitchParameter Live { get; set; }

    /// <summary>Count only objects no GC root reaches: garbage not collected yet (dumpheap -stat -dead). Indexes the object graph on first use.</summary>
    [Parameter]
    public SwitchParameter Dead { get; set; }

    /// <inheritdoc/>
    protected override void ProcessDump(DumpSession session)
    {
        if (Live && Dead)
        {
            WriteError(new ErrorRecord(new PSArgumentException("-Live and -Dead cannot be combined: an object is either reachable from a root or not; omit both for all objects."), "LiveWithDead", ErrorCategory.InvalidArgument, null));
            return;
        }

        if (Retained && Dead)
        {
            WriteError(new ErrorRecord(new PSArgumentException("-Retained and -Dead cannot be combined: retained sizes are of objects the roots keep alive."), "RetainedWithDead", ErrorCategory.InvalidArgument, null));
            return;
        }

        var liveness = Live ? ObjectLiveness.Live : Dead ? ObjectLiveness.Dead : ObjectLiveness.All;
        if (Retained)
        {
            if (Baseline is not null)
            {
                WriteError(new ErrorRecord(new PSArgumentException("-Retained and -Baseline cannot be combined: retained sizes are for one dump."), "RetainedWithBaseline", ErrorCategory.InvalidArgument, Baseline));
                return;
            }

            var rows = RunWithProgress("Computing retained sizes", (progress, ct) => session.GetRetainedByType(Top, TypeName, progress, ct));
            foreach (string warning in session.GraphWarnings)
                WriteWarning(warning);
            foreach (var row in rows)
                WriteResult(row);
            return;
        }

        DumpSession? baseline = null;
        try
        {
            baseline = Baseline is null ? null : DumpArgument(Baseline, nameof(Baseline));
        }
        catch (PSArgumentException e)
        {
            WriteError(new ErrorRecord(e, "InvalidBaseline", ErrorCategory.InvalidArgument, Baseline));
            return;
        }

        var stats = RunWithProgress(liveness == ObjectLiveness.All ? "Walking the GC heap" : "Indexing the object graph", (progress, ct) => session.GetHeapStatistics(liveness, progress, ct));
        foreach (string warning in stats.Warnings)
            WriteWarning(warning);
        if (stats.RootsCounted is { } roots)
            WriteVerbose(roots);
        if (baseline is null)
        {
            foreach (var row in stats.Top(Top, SortBy, TypeName))
                WriteResult(row);
            return;
        }

        var before = RunWithProgress("Walking the baseline's GC heap", (progress, ct) => baseline.GetHeapStatistics(liveness, progress, ct));
        foreach (string warning in before.Warnings)
            WriteWarning("Baseline: " + warning);
        foreach (var row in HeapDiff.Compare(before, stats, Top, SortBy, TypeName))
            WriteResult(row);
    }
}
