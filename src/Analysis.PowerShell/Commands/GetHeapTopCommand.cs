using System.Management.Automation;
using Analysis.Dumps;

namespace Analysis.PowerShell.Commands;

/// <summary>The types holding the most heap memory (or the most objects), like SOS dumpheap -stat.</summary>
[Cmdlet(VerbsCommon.Get, "HeapTop", DefaultParameterSetName = DumpSet)]
[OutputType(typeof(HeapTypeStat))]
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
    public string? TypeName { get; set; }

    protected override void ProcessDump(DumpSession session)
    {
        var stats = RunWithProgress("Walking the GC heap", (progress, ct) => session.GetHeapStatistics(progress, ct));
        foreach (string warning in stats.Warnings)
            WriteWarning(warning);
        foreach (var row in stats.Top(Top, SortBy, TypeName))
            WriteObject(row);
    }
}
