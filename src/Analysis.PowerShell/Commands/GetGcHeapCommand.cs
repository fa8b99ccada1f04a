using System.Management.Automation;
using Analysis.Dumps;

namespace Analysis.PowerShell.Commands;

/// <summary>Shows the GC heap's layout, like SOS eeheap -gc and gcheapstat: per heap and generation, per segment, or where an address is.</summary>
/// <remarks>
/// <para>
/// One GcGenerationStat per GC heap and generation (Gen0, Gen1, Gen2, Large, Pinned, and Frozen when the runtime has
/// frozen segments): Committed (memory committed), Allocated (from the first object to the allocation end: what SOS
/// gcheapstat lists), ObjectBytes and ObjectCount, FreeBytes and FreeCount (free space between objects), Fragmentation
/// (free as a percentage of allocated) and SegmentCount. Objects and free space are counted in the heap walk that
/// Get-HeapTop uses, so asking both walks the heap once.
/// </para>
/// <para>
/// With -Segment, one GcSegmentStat per segment (region) instead; with -Address, one GcAddressInfo per address: the
/// heap, generation and segment it is in (SOS gcwhere), or an error (NotAnObject) for an address outside the GC heap.
/// </para>
/// <para>
/// High fragmentation in Gen0/Gen1 next to pinned handles (Get-DumpHandles -Kind Pinned: PinsEphemeral) means pinned
/// buffers keep the GC from compacting; in Large it is the LOH, which is not compacted by default.
/// </para>
/// </remarks>
/// <example>
/// <code>Get-GcHeap ./app.dmp</code>
/// <para>How big each generation is, how much of it is free space, and how much memory is committed.</para>
/// </example>
/// <example>
/// <code>Get-GcHeap ./app.dmp | Sort-Object FreeBytes -Descending | Select-Object -First 1</code>
/// <para>The most fragmented generation.</para>
/// </example>
/// <example>
/// <code>Get-GcHeap ./app.dmp -Segment | Where-Object Generation -eq Gen2</code>
/// <para>The regions of generation 2, with the bytes of objects and of free space in each.</para>
/// </example>
/// <example>
/// <code>Get-HeapObject ./app.dmp -TypeName 'Contoso.Inspect.InspectedOrder' | Get-GcHeap ./app.dmp</code>
/// <para>
/// Which heap, generation and segment each order is in (SOS gcwhere). -Address also takes an address as SOS prints it
/// (7f3a2c0410a8 or 0x7f3a2c0410a8).
/// </para>
/// </example>
[Cmdlet(VerbsCommon.Get, "GcHeap", DefaultParameterSetName = DumpSet)]
[OutputType(typeof(GcGenerationStat), typeof(GcSegmentStat), typeof(GcAddressInfo))]
public sealed class GetGcHeapCommand : DumpCmdlet
{
    /// <summary>
    /// Addresses to place (gcwhere): the heap, generation and segment of each. A number, or hex text with or without 0x.
    /// Binds from the Address property of piped objects and the Addresses of Get-GcRoot paths.
    /// </summary>
    [Parameter(ValueFromPipelineByPropertyName = true)]
    [Alias("Addresses")]
    [AddressTransformation]
    [ValidateNotNullOrEmpty]
    public ulong[]? Address { get; set; }

    /// <summary>One row per segment (region) instead of one per heap and generation.</summary>
    [Parameter]
    public SwitchParameter Segment { get; set; }

    /// <inheritdoc/>
    protected override void ProcessDump(DumpSession session)
    {
        if (Address is not null)
        {
            AnswerEach(Address, address => session.FindGcAddress(address, CancellationToken));
            return;
        }

        var layout = RunWithProgress("Walking the GC heap", (progress, ct) => session.GetGcHeap(progress, ct));
        foreach (string warning in layout.Warnings)
            WriteWarning(warning);
        if (Segment)
        {
            foreach (var segment in layout.Segments)
                WriteResult(segment);
        }
        else
        {
            foreach (var generation in layout.Generations)
                WriteResult(generation);
        }
    }
}
