using System.Management.Automation;
using Analysis.Dumps;

namespace Analysis.PowerShell.Commands;

/// <summary>
/// The types holding the most heap memory (or the most objects), like SOS dumpheap -stat; with -Baseline, the types
/// that grew most since an earlier dump; with -Retained, the types whose objects keep the most memory alive.
/// </summary>
[Cmdlet(VerbsCommon.Get, "HeapTop", DefaultParameterSetName = DumpSet)]
[OutputType(typeof(HeapTypeStat), typeof(HeapTypeDiff), typeof(RetainedTypeStat))]
public sealed class GetHeapTopCommand : DumpCmdlet
{
    [Parameter]
    [ValidateRange(1, int.MaxValue)]
    public int Top { get; set; } = 20;

    [Parameter]
    public HeapSortBy SortBy { get; set; } = HeapSortBy.Size;

    /// <summary>Only types whose full name matches this wildcard (case-insensitive).</summary>
    [Parameter]
    [SupportsWildcards]
    [ArgumentCompleter(typeof(Completers.HeapTypeNameCompleter))]
    public string? TypeName { get; set; }

    /// <summary>An earlier dump of the same program (a session or a path): the output is growth since then.</summary>
    [Parameter]
    [ValidateNotNull]
    public object? Baseline { get; set; }

    /// <summary>
    /// Rank types by retained size (dominator tree): the bytes freed if their objects were no longer referenced.
    /// Indexes the object graph on first use (cached like Get-GcRoot's).
    /// </summary>
    [Parameter]
    public SwitchParameter Retained { get; set; }

    protected override void ProcessDump(DumpSession session)
    {
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

        var stats = RunWithProgress("Walking the GC heap", (progress, ct) => session.GetHeapStatistics(progress, ct));
        foreach (string warning in stats.Warnings)
            WriteWarning(warning);
        if (baseline is null)
        {
            foreach (var row in stats.Top(Top, SortBy, TypeName))
                WriteResult(row);
            return;
        }

        var before = RunWithProgress("Walking the baseline's GC heap", (progress, ct) => baseline.GetHeapStatistics(progress, ct));
        foreach (string warning in before.Warnings)
            WriteWarning("Baseline: " + warning);
        foreach (var row in HeapDiff.Compare(before, stats, Top, SortBy, TypeName))
            WriteResult(row);
    }
}
