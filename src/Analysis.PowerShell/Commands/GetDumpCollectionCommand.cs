using System.Management.Automation;
using Analysis.Dumps;

namespace Analysis.PowerShell.Commands;

/// <summary>Shows what a collection in a dump holds: List, Dictionary, HashSet, Queue, Stack, ConcurrentDictionary, ConcurrentQueue, LinkedList, SortedSet, SortedDictionary, ImmutableList or an array.</summary>
/// <remarks>
/// <para>
/// Reads the collection at -Address from the runtime's own fields and returns its Count and its Entries in the
/// collection's own order: a dictionary's Key and Value (free slots of removed entries skipped), a list's, set's or
/// array's items, a queue from its head, a stack from its top, a ConcurrentDictionary's nodes, a ConcurrentQueue's
/// segments from head to tail. Keys and values read as Get-DumpObject reads fields: numbers and strings as values,
/// other objects as address and type, followed with -Depth (Value.Target).
/// </para>
/// <para>
/// At most -First entries are read (1,000 by default); a warning says when the collection holds more. An object that
/// is none of these collections is an error (NotAnObject) naming its type; Get-DumpObject shows its fields.
/// </para>
/// </remarks>
/// <example>
/// <code>Get-GcRoot ./app.dmp -TypeName 'System.Collections.Generic.Dictionary&lt;System.String, System.Int32&gt;' | Get-DumpCollection ./app.dmp</code>
/// <para>
/// What every dictionary of that type holds, e.g. Count 3: ["apple"] = 3, ["pear"] = 5, ["plum"] = 7. The Addresses
/// of the root paths bind to -Address; an address as SOS prints it (7f91efc0a2b0 or 0x7f91efc0a2b0) works too.
/// </para>
/// </example>
/// <example>
/// <code>
/// $labels = Get-GcRoot ./app.dmp -TypeName 'System.Collections.Generic.Dictionary&lt;System.Int32, Contoso.Inspect.ShippingLabel&gt;' |
///     Get-DumpCollection ./app.dmp -Depth 1
/// $labels.Entries | ForEach-Object { '{0}: {1}' -f $_.Key.Value, $_.Value.Target.Field('Carrier').Value }
/// </code>
/// <para>A field of each object a dictionary holds: -Depth 1 reads them into Value.Target.</para>
/// </example>
/// <example>
/// <code>Get-GcRoot ./app.dmp -TypeName 'System.Collections.Concurrent.ConcurrentQueue&lt;System.String&gt;' | Get-DumpCollection ./app.dmp</code>
/// <para>What a concurrent queue holds, head first, across its segments.</para>
/// </example>
[Cmdlet(VerbsCommon.Get, "DumpCollection", DefaultParameterSetName = DumpSet)]
[OutputType(typeof(DumpCollection))]
public sealed class GetDumpCollectionCommand : DumpCmdlet
{
    /// <summary>
    /// Addresses of collections: numbers or hex text (0x7f91efc0a2b0, 7f91efc0a2b0). Binds from the Address property
    /// of piped objects and from the Addresses of Get-GcRoot paths.
    /// </summary>
    [Parameter(Mandatory = true, ValueFromPipelineByPropertyName = true)]
    [Alias("Addresses")]
    [AddressTransformation]
    [ValidateNotNullOrEmpty]
    public ulong[] Address { get; set; } = [];

    /// <summary>How many levels of references to follow from each key and value (0: none, the default; at most 16).</summary>
    [Parameter]
    [ValidateRange(0, 16)]
    public int Depth { get; set; }

    /// <summary>How many entries to read (1,000 by default).</summary>
    [Parameter]
    [ValidateRange(0, int.MaxValue)]
    public int First { get; set; } = 1000;

    /// <inheritdoc/>
    protected override void ProcessDump(DumpSession session)
    {
        AnswerEach(Address, address => RunWithProgress("Reading a collection", (_, ct) => session.InspectCollection(address, Depth, First, ct)), c => c.Warnings);
    }
}
