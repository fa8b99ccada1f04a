using System.Management.Automation;
using Analysis.Dumps;

namespace Analysis.PowerShell.Commands;

/// <summary>Measures how much memory an object keeps alive, like SOS objsize: reachable bytes and count, and retained bytes.</summary>
/// <remarks>
/// <para>
/// ReachableBytes and ReachableCount are the object and every object it references, directly or not, each counted
/// once: what SOS objsize reports (the values of dependent handles whose key is reached included, as there). Objects
/// also referenced from elsewhere are counted too, so this is an upper bound of what freeing the object would free.
/// </para>
/// <para>
/// RetainedBytes and RetainedCount are what only this object keeps alive: what the GC would free if it were no longer
/// referenced (the dominator tree of the object graph). They need the object-graph index: -Retained builds it (one
/// heap pass, kept in the session and cached on disk like Get-GcRoot's); without it they are filled only when the
/// index and the tree are there already, and are empty otherwise.
/// </para>
/// <para>
/// Without the index the objects are read from the dump one by one, which for one object is faster than indexing the
/// whole heap; once the session has the index, it answers at once. An address where no object starts is an error
/// (NotAnObject), and the next address is measured.
/// </para>
/// </remarks>
/// <example>
/// <code>
/// $d = Open-Dump ./app.dmp
/// $archive = Get-HeapObject -Dump $d -TypeName 'Contoso.Retention.ReportArchive' -First 1
/// Measure-DumpObject -Dump $d -Address $archive.Address
/// </code>
/// <para>
/// How many bytes and objects the archive keeps reachable. -Address also takes an address as SOS prints it
/// (7f3a2c0410a8 or 0x7f3a2c0410a8).
/// </para>
/// </example>
/// <example>
/// <code>
/// $d = Open-Dump ./app.dmp
/// $d | Get-GcRoot -TypeName 'System.Collections.Generic.Dictionary&lt;System.Int32, Contoso.Retention.CustomerSession&gt;' |
///     Measure-DumpObject -Dump $d -Retained
/// </code>
/// <para>
/// What the session registry's dictionary keeps reachable, and how much of it only the dictionary keeps alive (the
/// Addresses of a root path bind to -Address).
/// </para>
/// </example>
/// <example>
/// <code>
/// $d = Open-Dump ./app.dmp
/// Get-DumpHandles -Dump $d -Kind Strong -TypeName 'Contoso.*' -List | Measure-DumpObject -Dump $d
/// </code>
/// <para>What each application object held by a strong handle keeps reachable (a handle's Address is the object it holds).</para>
/// </example>
[Cmdlet(VerbsDiagnostic.Measure, "DumpObject", DefaultParameterSetName = DumpSet)]
[OutputType(typeof(ObjectSize))]
public sealed class MeasureDumpObjectCommand : DumpCmdlet
{
    /// <summary>
    /// Addresses of objects: a number, or hex text with or without 0x as SOS prints them (0x7f3a2c0410a8, 7f3a2c0410a8).
    /// Binds from the Address property of piped objects (Get-HeapObject, Get-DumpHandles -List, Get-DumpTasks -Detailed
    /// state machines, locks) and the Addresses of Get-GcRoot paths: pipe the rows rather than writing (rows).Address,
    /// which on several rows is PowerShell's own Address method of arrays.
    /// </summary>
    [Parameter(Mandatory = true, ValueFromPipelineByPropertyName = true)]
    [Alias("Addresses")]
    [AddressTransformation]
    [ValidateNotNullOrEmpty]
    public ulong[] Address { get; set; } = [];

    /// <summary>
    /// Also compute RetainedBytes and RetainedCount (what only this object keeps alive), indexing the object graph and
    /// its dominator tree on first use.
    /// </summary>
    [Parameter]
    public SwitchParameter Retained { get; set; }

    /// <inheritdoc/>
    protected override void ProcessDump(DumpSession session)
    {
        AnswerEach(Address, address => RunWithProgress("Measuring an object", (progress, ct) => session.MeasureObject(address, Retained, progress, ct)));
    }
}
