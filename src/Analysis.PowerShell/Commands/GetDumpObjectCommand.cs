using System.Management.Automation;
using Analysis.Dumps;

namespace Analysis.PowerShell.Commands;

/// <summary>Shows one object of a dump field by field: values, strings, enums by name, structs inline, array elements (SOS dumpobj, dumparray, dumpvc).</summary>
/// <remarks>
/// <para>
/// Reads the object at -Address: its type, size and generation, and each instance field with its name, declared type,
/// offset (as SOS shows it) and value. Numbers, bool, char, decimal, Guid, DateTime and TimeSpan come as .NET values;
/// enums by name ("Shipped", "Web, Store"); strings as text, at most 1,024 characters (Length has the full length);
/// structs inline with their own fields; other references as the address and type of the object they point at. For an
/// array the elements -Skip to -Skip + -First are read; a byte array also reads as hex in Value.
/// </para>
/// <para>
/// -Depth follows references that many levels (each object once, at most 1,000 in one answer): the object a field
/// points at is in that field's Target. Control characters and broken UTF-16 in strings are escaped in the views.
/// </para>
/// <para>
/// -Address takes numbers (0x7f3a2c0410a8) and hex text with or without 0x, as SOS prints them; it binds from the
/// Address property of piped objects (Get-HeapObject, Get-DumpTasks -Detailed, a field of another DumpObject) and from
/// the Addresses of Get-GcRoot paths. An address where no object starts is an error (NotAnObject) that says what is
/// there: another object's inside, free space, or nothing on the heap.
/// </para>
/// </remarks>
/// <example>
/// <code>Get-DumpObject ./app.dmp -Address (Get-GcRoot ./app.dmp -TypeName 'Contoso.Inspect.InspectedOrder').Addresses[0]</code>
/// <para>
/// The object's fields as a table: Name, Type, Value (Id 4242, Customer "Ada Lovelace", Status Shipped, Price with its
/// Cents and Currency under it). -Address also takes an address as SOS prints it: 7f91efc00028 or 0x7f91efc00028.
/// </para>
/// </example>
/// <example>
/// <code>Get-GcRoot ./app.dmp -TypeName 'Contoso.Inspect.InspectedOrder' | Get-DumpObject ./app.dmp -Depth 1</code>
/// <para>The objects of a type, each with the objects its fields refer to read too (Field('Label').Target).</para>
/// </example>
/// <example>
/// <code>
/// $order = @(Get-GcRoot ./app.dmp -TypeName 'Contoso.Inspect.InspectedOrder' | Get-DumpObject ./app.dmp)[0]
/// $order.Field('Quantities') | Get-DumpObject ./app.dmp -Skip 2 -First 3
/// </code>
/// <para>Elements 2 to 4 of the array a field refers to: a field binds to -Address by its Address.</para>
/// </example>
[Cmdlet(VerbsCommon.Get, "DumpObject", DefaultParameterSetName = DumpSet)]
[OutputType(typeof(DumpObject))]
public sealed class GetDumpObjectCommand : DumpCmdlet
{
    /// <summary>
    /// Addresses of objects: numbers or hex text (0x7f91efc00028, 7f91efc00028). Binds from the Address property of
    /// piped objects and from the Addresses of Get-GcRoot paths.
    /// </summary>
    [Parameter(Mandatory = true, ValueFromPipelineByPropertyName = true)]
    [Alias("Addresses")]
    [AddressTransformation]
    [ValidateNotNullOrEmpty]
    public ulong[] Address { get; set; } = [];

    /// <summary>How many levels of references to follow (0: none, the default; at most 16). Each object is read once.</summary>
    [Parameter]
    [ValidateRange(0, 16)]
    public int Depth { get; set; }

    /// <summary>For an array: how many elements to skip before the first one read.</summary>
    [Parameter]
    [ValidateRange(0, int.MaxValue)]
    public int Skip { get; set; }

    /// <summary>For an array: how many elements to read (100 by default).</summary>
    [Parameter]
    [ValidateRange(0, int.MaxValue)]
    public int First { get; set; } = 100;

    /// <inheritdoc/>
    protected override void ProcessDump(DumpSession session)
    {
        AnswerEach(Address, address => RunWithProgress("Reading an object", (_, ct) => session.InspectObject(address, Depth, Skip, First, ct)), o => o.Warnings);
    }
}
