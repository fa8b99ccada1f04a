using System.Management.Automation;
using Analysis.Dumps;

namespace Analysis.PowerShell.Commands;

/// <summary>Lists the objects on the GC heap with address, type, size and generation, like SOS dumpheap -type and dumpgen.</summary>
/// <remarks>
/// <para>
/// Streams the objects whose type matches -TypeName (a wildcard, case-insensitive) or -MethodTable, within -MinSize and
/// -MaxSize, of one -Generation, between -StartAddress and -EndAddress, only the -Live or only the -Dead ones, in address order. Each object has Address,
/// MethodTable, TypeName, Size (bytes, as dumpheap reports it), Generation (Gen0, Gen1, Gen2, Large, Pinned, Frozen) and
/// SegmentKind. Pipe them on by Address (Get-GcRoot, Get-DumpObject).
/// </para>
/// <para>
/// The heap is decoded in batches as objects are asked for: the first objects print at once, memory stays bounded,
/// and -First, Select-Object -First or Ctrl+C stop the walk without reading the rest of the heap.
/// </para>
/// <para>
/// -Live and -Dead index the object graph on first use (kept in the session and cached on disk, like Get-GcRoot's):
/// live means reachable from the GC roots the runtime reports (handles that keep objects alive, thread stacks, the
/// finalizer queue, statics) through references and dependent handles; weak handles do not count. -Verbose shows the
/// roots that counted.
/// </para>
/// </remarks>
/// <example>
/// <code>Get-HeapObject ./app.dmp -TypeName 'Contoso.Orders.Invoice'</code>
/// <para>Every Invoice object with its address, size and generation (dumpheap -type).</para>
/// </example>
/// <example>
/// <code>Get-HeapObject ./app.dmp -TypeName 'System.Byte[]' -MinSize 85000 -Generation Large | Measure-Object Size -Sum</code>
/// <para>How many large byte arrays sit on the large object heap, and their bytes.</para>
/// </example>
/// <example>
/// <code>
/// $d = Open-Dump ./app.dmp
/// $d | Get-HeapObject -TypeName 'System.String' -Dead -First 5
/// </code>
/// <para>Five strings no root reaches any more: garbage the next collection frees.</para>
/// </example>
/// <example>
/// <code>Get-HeapObject ./app.dmp -TypeName 'Contoso.*' -First 3 | Get-GcRoot -Path ./app.dmp</code>
/// <para>Why the first three application objects are alive: Address binds to Get-GcRoot's -Address.</para>
/// </example>
/// <example>
/// <code>
/// $region = Get-GcHeap ./app.dmp -Segment | Where-Object Generation -eq Gen2 | Select-Object -First 1
/// Get-HeapObject ./app.dmp -StartAddress $region.Start -EndAddress $region.End | Group-Object TypeName -NoElement |
///     Sort-Object Count -Descending | Select-Object -First 5
/// </code>
/// <para>
/// What fills one region of generation 2 (dumpheap &lt;start&gt; &lt;end&gt;). -StartAddress and -EndAddress also take
/// addresses as SOS prints them (7f3a2c040000 or 0x7f3a2c040000).
/// </para>
/// </example>
[Cmdlet(VerbsCommon.Get, "HeapObject", DefaultParameterSetName = DumpSet)]
[OutputType(typeof(HeapObject))]
public sealed class GetHeapObjectCommand : DumpCmdlet
{
    /// <summary>Only types whose full name matches this wildcard (case-insensitive), e.g. 'Contoso.*' or 'System.String'.</summary>
    [Parameter]
    [SupportsWildcards]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(Completers.HeapTypeNameCompleter))]
    public string? TypeName { get; set; }

    /// <summary>Only objects of this method table, e.g. 0x7f3a2c0410a8 (dumpheap -mt).</summary>
    [Parameter]
    public ulong? MethodTable { get; set; }

    /// <summary>Only objects of at least this many bytes (dumpheap -min).</summary>
    [Parameter]
    public ulong MinSize { get; set; }

    /// <summary>Only objects of at most this many bytes (dumpheap -max).</summary>
    [Parameter]
    public ulong MaxSize { get; set; } = ulong.MaxValue;

    /// <summary>Only objects a GC root reaches (dumpheap -live); indexes the object graph on first use.</summary>
    [Parameter]
    public SwitchParameter Live { get; set; }

    /// <summary>Only objects no GC root reaches: garbage not collected yet (dumpheap -dead); indexes the object graph on first use.</summary>
    [Parameter]
    public SwitchParameter Dead { get; set; }

    /// <summary>
    /// Only objects at this address or above (dumpheap &lt;start&gt;): a number, or hex text with or without 0x as SOS
    /// prints it. Segments wholly below it are not read.
    /// </summary>
    [Parameter]
    [AddressTransformation]
    public ulong StartAddress { get; set; }

    /// <summary>Only objects below this address (dumpheap &lt;start&gt; &lt;end&gt;, end excluded); hex text accepted.</summary>
    [Parameter]
    [AddressTransformation]
    public ulong EndAddress { get; set; } = ulong.MaxValue;

    /// <summary>Only objects of this generation: Gen0, Gen1, Gen2, Large, Pinned or Frozen (dumpgen).</summary>
    [Parameter]
    public GcHeapGeneration? Generation { get; set; }

    /// <summary>Stop after this many objects (the rest of the heap is not read).</summary>
    [Parameter]
    [ValidateRange(1, int.MaxValue)]
    public int? First { get; set; }

    /// <inheritdoc/>
    protected override void ProcessDump(DumpSession session)
    {
        if (Live && Dead)
        {
            WriteError(new ErrorRecord(new PSArgumentException("-Live and -Dead cannot be combined: an object is either reachable from a root or not; omit both for all objects."),
                "LiveWithDead", ErrorCategory.InvalidArgument, null));
            return;
        }

        if (MinSize > MaxSize)
        {
            WriteError(new ErrorRecord(new PSArgumentException($"-MinSize {MinSize} is above -MaxSize {MaxSize}: no object can match."), "MinAboveMax", ErrorCategory.InvalidArgument, MinSize));
            return;
        }

        if (StartAddress >= EndAddress)
        {
            WriteError(new ErrorRecord(new PSArgumentException($"-StartAddress 0x{StartAddress:x} is not below -EndAddress 0x{EndAddress:x}: no object can be in between."), "StartNotBelowEnd", ErrorCategory.InvalidArgument, StartAddress));
            return;
        }

        var liveness = Live ? ObjectLiveness.Live : Dead ? ObjectLiveness.Dead : ObjectLiveness.All;
        if (liveness != ObjectLiveness.All)
        {
            // the object graph and its marking, with progress, before the listing streams
            var stats = RunWithProgress("Indexing the object graph", (progress, ct) => session.GetHeapStatistics(liveness, progress, ct));
            if (stats.RootsCounted is { } roots)
                WriteVerbose(roots);
            foreach (string warning in session.GraphWarnings)
                WriteWarning(warning);
        }

        var query = new HeapObjectQuery
        {
            TypeName = TypeName, MethodTable = MethodTable, MinSize = MinSize, MaxSize = MaxSize, Liveness = liveness, Generation = Generation,
            StartAddress = StartAddress, EndAddress = EndAddress,
        };
        long left = First ?? long.MaxValue;
        try
        {
            foreach (var obj in session.EnumerateObjects(query, WriteWarning, null, CancellationToken))
            {
                // Written as they are (each carries the dump it is from as Source): a note property per object would
                // cost several times the listing itself over millions of objects.
                WriteObject(obj);
                if (--left == 0)
                    break;
            }
        }
        catch (OperationCanceledException) when (CancellationToken.IsCancellationRequested)
        {
            throw new PipelineStoppedException(); // Ctrl+C: the walk stopped at its next batch
        }
    }
}
