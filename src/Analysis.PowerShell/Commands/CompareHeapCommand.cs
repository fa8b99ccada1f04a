using System.Management.Automation;
using Analysis.Dumps;

namespace Analysis.PowerShell.Commands;

/// <summary>Compares the GC heaps of two dumps: per type, count and bytes before, after and the difference.</summary>
/// <remarks>
/// <para>
/// Walks both heaps (each once per session) and returns one HeapTypeDiff per type that changed, largest growth first
/// (pprof -base semantics: the reference is subtracted from the difference). Types that shrank come last; unchanged
/// types are left out.
/// </para>
/// <para>Take two dumps of the same process some time apart (New-Dump) to find what keeps growing.</para>
/// </remarks>
/// <example>
/// <code>Compare-Heap -Baseline ./before.dmp -Difference ./after.dmp -Top 10</code>
/// <para>The ten types that grew most, e.g. +5,000 Contoso.Orders.CachedReport.</para>
/// </example>
/// <example>
/// <code>Compare-Heap ./before.dmp ./after.dmp -TypeName 'Contoso.*' -SortBy Count</code>
/// <para>The growth of the application's own types, by object count.</para>
/// </example>
[Cmdlet(VerbsData.Compare, "Heap")]
[OutputType(typeof(HeapTypeDiff))]
public sealed class CompareHeapCommand : AnalysisCmdlet
{
    /// <summary>The earlier dump: a path, a file or a session from Open-Dump.</summary>
    [Parameter(Mandatory = true, Position = 0)]
    [ValidateNotNull]
    [Alias("Reference")] // as Compare-Object names it
    public object Baseline { get; set; } = null!;

    /// <summary>The later dump: a path, a file or a session from Open-Dump; binds from the pipeline.</summary>
    [Parameter(Mandatory = true, Position = 1, ValueFromPipeline = true)]
    [ValidateNotNull]
    public object Difference { get; set; } = null!;

    /// <summary>How many types to return.</summary>
    [Parameter]
    [ValidateRange(1, int.MaxValue)]
    public int Top { get; set; } = 20;

    /// <summary>Which difference orders the rows.</summary>
    [Parameter]
    public HeapSortBy SortBy { get; set; } = HeapSortBy.Size;

    /// <summary>Only types whose full name matches this wildcard, e.g. 'Contoso.*'.</summary>
    [Parameter]
    [SupportsWildcards]
    [ArgumentCompleter(typeof(Completers.HeapTypeNameCompleter))]
    public string? TypeName { get; set; }

    /// <inheritdoc/>
    protected override void ProcessRecord()
    {
        DumpSession before, after;
        try
        {
            before = DumpArgument(Baseline, nameof(Baseline));
            after = DumpArgument(Difference, nameof(Difference));
        }
        catch (PSArgumentException e)
        {
            WriteError(new ErrorRecord(e, "InvalidDump", ErrorCategory.InvalidArgument, null));
            return;
        }
        catch (AnalysisException e)
        {
            WriteAnalysisError(e, "Dump", e.Path);
            return;
        }

        try
        {
            var a = RunWithProgress("Walking the reference dump's GC heap", (progress, ct) => before.GetHeapStatistics(progress, ct));
            var b = RunWithProgress("Walking the difference dump's GC heap", (progress, ct) => after.GetHeapStatistics(progress, ct));
            foreach (string warning in a.Warnings)
                WriteWarning("Baseline: " + warning);
            foreach (string warning in b.Warnings)
                WriteWarning("Difference: " + warning);
            if (before.ProcessId != after.ProcessId)
                WriteVerbose($"The dumps come from different processes ({before.ProcessId} and {after.ProcessId}); the difference includes everything that differs between the two runs.");
            CurrentSource = after.Path;
            foreach (var row in HeapDiff.Compare(a, b, Top, SortBy, TypeName))
                WriteResult(row);
        }
        catch (AnalysisException e)
        {
            WriteAnalysisError(e, "Dump", e.Path);
        }
    }
}
