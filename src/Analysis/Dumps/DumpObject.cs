using System.Globalization;
using System.Text;

namespace Analysis.Dumps;

/// <summary>What kind of value a field, an array element or a collection entry holds.</summary>
public enum DumpValueKind
{
    /// <summary>A null reference, or a Nullable without a value.</summary>
    Null,
    /// <summary>A number, bool, char, decimal, Guid, DateTime, DateTimeOffset, TimeSpan or pointer-sized integer, as its .NET value (a Nullable of one that has a value, too).</summary>
    Primitive,
    /// <summary>An enum: the value is its name ("Shipped", "Web, Store"), or the number when no name matches.</summary>
    Enum,
    /// <summary>A reference to a string: the value is its text (length-capped), <see cref="DumpValue.Length"/> its full length.</summary>
    String,
    /// <summary>A reference to another object: <see cref="DumpValue.Address"/> and <see cref="DumpValue.ObjectTypeName"/>.</summary>
    Reference,
    /// <summary>A reference to a boxed primitive or enum: the value is the unboxed value, the address the box's.</summary>
    Boxed,
    /// <summary>A struct stored inline: its fields are in <see cref="DumpValue.Fields"/>.</summary>
    Struct,
    /// <summary>The dump lacks the memory, or the reference points at no object: <see cref="DumpValue.Problem"/> says which.</summary>
    Unreadable,
}

/// <summary>
/// A value read from a dump: of a field, an array element, a collection's key or item. Plain .NET values (int, long, bool,
/// char, double, decimal, Guid, DateTime, TimeSpan …) in <see cref="Value"/>; enums by name; strings length-capped;
/// references as address and type, followed into <see cref="Target"/> when asked (-Depth).
/// </summary>
public class DumpValue
{
    /// <summary>An empty value (set its properties).</summary>
    public DumpValue()
    {
    }

    /// <summary>A copy of <paramref name="value"/> (a field or element made from a value read).</summary>
    protected DumpValue(DumpValue value)
    {
        ArgumentNullException.ThrowIfNull(value);
        Kind = value.Kind;
        TypeName = value.TypeName;
        Value = value.Value;
        Address = value.Address;
        ObjectTypeName = value.ObjectTypeName;
        Length = value.Length;
        IsTruncated = value.IsTruncated;
        Fields = value.Fields;
        Target = value.Target;
        Problem = value.Problem;
    }

    /// <summary>What the value is.</summary>
    public DumpValueKind Kind { get; init; }

    /// <summary>The declared type of the slot (the field's or the array's element type), e.g. System.Object for a field holding a boxed int.</summary>
    public string TypeName { get; init; } = "";

    /// <summary>
    /// The value as .NET reads it: the primitive (int, long, bool, char, double, float, decimal, Guid, DateTime,
    /// DateTimeOffset, TimeSpan, long for nint …; a Nullable's value, declared as the Nullable), the enum's name, the
    /// string's text (at most the cap; see <see cref="IsTruncated"/>), the unboxed value of a box; null for references,
    /// structs, nulls (a Nullable without a value too) and unreadable slots.
    /// </summary>
    public object? Value { get; init; }

    /// <summary>The address of the referenced object (string, box, other object); 0 for values stored inline and nulls.</summary>
    public ulong Address { get; init; }

    /// <summary>The type of the referenced object (it may differ from <see cref="TypeName"/>), e.g. System.Int32 for a boxed int.</summary>
    public string? ObjectTypeName { get; init; }

    /// <summary>The full length of a string, or the element count of a referenced array; null otherwise.</summary>
    public int? Length { get; init; }

    /// <summary>Whether <see cref="Value"/> holds only the start of a longer string.</summary>
    public bool IsTruncated { get; init; }

    /// <summary>The fields of a struct stored inline (<see cref="DumpValueKind.Struct"/>); empty otherwise.</summary>
    public ItemList<DumpField> Fields { get; init; } = [];

    /// <summary>The referenced object, read when the question followed references (-Depth); null otherwise, and for an object shown already (a cycle).</summary>
    public DumpObject? Target { get; init; }

    /// <summary>Why the value could not be read (<see cref="DumpValueKind.Unreadable"/>); null otherwise.</summary>
    public string? Problem { get; init; }

    /// <summary>The value in one line: 4242, "Ada Lovelace", Shipped, 0x7f3a… Contoso.Label, { Cents=1999 Currency="EUR" }, null.</summary>
    public string Text => DisplayText.Value(this);

    /// <summary>The value in one line (<see cref="Text"/>).</summary>
    public override string ToString() => Text;

    /// <summary>This value declared as <paramref name="typeName"/> (a Nullable's value, declared as the Nullable).</summary>
    internal DumpValue Retyped(string typeName) => new(this) { TypeName = typeName };
}

/// <summary>One instance field of an object or struct: its name and offset (as SOS shows them) and its value.</summary>
public sealed class DumpField : DumpValue
{
    /// <summary>An empty field (set its properties).</summary>
    public DumpField()
    {
    }

    /// <summary>The field <paramref name="name"/> at <paramref name="offset"/> holding <paramref name="value"/>.</summary>
    public DumpField(DumpValue value, string name, int offset)
        : base(value)
    {
        Name = name;
        Offset = offset;
    }

    /// <summary>The field's name, e.g. Customer or &lt;Name&gt;k__BackingField.</summary>
    public string Name { get; init; } = "";

    /// <summary>The field's offset from the object's start (the method-table pointer), as SOS dumpobj/dumpclass show it; for a struct's field, from the struct's start.</summary>
    public int Offset { get; init; }

    /// <summary>"Name=value".</summary>
    public override string ToString() => Name + "=" + Text;
}

/// <summary>One element of an array: its index and value.</summary>
public sealed class DumpElement : DumpValue
{
    /// <summary>An empty element (set its properties).</summary>
    public DumpElement()
    {
    }

    /// <summary>The element at <paramref name="index"/> holding <paramref name="value"/>.</summary>
    public DumpElement(DumpValue value, int index)
        : base(value)
    {
        Index = index;
    }

    /// <summary>The element at <paramref name="index"/> (in storage order) of a multi-dimensional array, at <paramref name="indices"/> in its dimensions.</summary>
    public DumpElement(DumpValue value, int index, ItemList<int> indices)
        : this(value, index)
    {
        Indices = indices;
    }

    /// <summary>The element's index (0-based; in a multi-dimensional array its place in storage order, the last dimension varying fastest).</summary>
    public int Index { get; init; }

    /// <summary>The element's index in each dimension of a multi-dimensional array, as C# writes a[1, 2] (from each dimension's lower bound); empty for a one-dimensional array.</summary>
    public ItemList<int> Indices { get; init; } = [];

    /// <summary>"[index] value", "[1,2] value" in a multi-dimensional array.</summary>
    public override string ToString() =>
        Indices.Count == 0 ? string.Create(CultureInfo.InvariantCulture, $"[{Index}] {Text}") : "[" + string.Join(",", Indices.Select(i => i.ToString(CultureInfo.InvariantCulture))) + "] " + Text;
}

/// <summary>
/// One object of a dump's GC heap, read field by field (SOS <c>dumpobj</c>, <c>dumparray</c>, <c>dumpvc</c>): its type,
/// size and generation, each instance field with its value, and for an array its elements (a window of them).
/// </summary>
public sealed class DumpObject
{
    /// <summary>The object's address.</summary>
    public ulong Address { get; init; }

    /// <summary>The object's type, e.g. Contoso.Inspect.InspectedOrder or System.Int32[].</summary>
    public string TypeName { get; init; } = "";

    /// <summary>The type's method table (what SOS dumpclass/dumpmt take).</summary>
    public ulong MethodTable { get; init; }

    /// <summary>The object's size in bytes, as SOS dumpheap shows it.</summary>
    public long Size { get; init; }

    /// <summary>Where the object lives: a generation, the large or pinned object heap, or frozen; null when unknown.</summary>
    public GcHeapGeneration? Generation { get; init; }

    /// <summary>Whether the object is an array (see <see cref="Elements"/>).</summary>
    public bool IsArray { get; init; }

    /// <summary>The element count of an array, the length of a string; null otherwise.</summary>
    public int? Length { get; init; }

    /// <summary>The length of each dimension of a multi-dimensional array (3, 4 for an int[3, 4]); empty otherwise (<see cref="Length"/> is an array's element count).</summary>
    public ItemList<int> Dimensions { get; init; } = [];

    /// <summary>The element type of an array, e.g. System.Int32; null otherwise.</summary>
    public string? ElementTypeName { get; init; }

    /// <summary>
    /// The object as one value where it has one: a string's text (length-capped), a boxed value's value, a byte array's
    /// bytes as hex ("CA FE BA BE", capped); null for other objects.
    /// </summary>
    public object? Value { get; init; }

    /// <summary>Whether <see cref="Value"/> holds only the start of a longer string or byte array.</summary>
    public bool IsTruncated { get; init; }

    /// <summary>The instance fields in offset order (empty for arrays and strings).</summary>
    public ItemList<DumpField> Fields { get; init; } = [];

    /// <summary>The array elements read: from index <see cref="FirstIndex"/>, at most as many as asked (-First).</summary>
    public ItemList<DumpElement> Elements { get; init; } = [];

    /// <summary>The index of the first element in <see cref="Elements"/> (-Skip).</summary>
    public int FirstIndex { get; init; }

    /// <summary>What could not be read or was left out (elements beyond the window, unreadable fields, references not followed further).</summary>
    public ItemList<string> Warnings { get; init; } = [];

    /// <summary>The field with this name, or null.</summary>
    public DumpField? Field(string name) => Fields.FirstOrDefault(f => f.Name == name);

    /// <summary>"Contoso.Inspect.InspectedOrder @ 0x7f3a… (248 B) Id=4242 Customer="Ada Lovelace" …", about 200 characters at most.</summary>
    public override string ToString()
    {
        var text = new StringBuilder();
        text.Append(CultureInfo.InvariantCulture, $"{TypeName} @ 0x{Address:x} ({Size:N0} B)");
        if (Value is not null)
            text.Append(' ').Append(Value is string s && !IsArray ? DisplayText.Quote(s, IsTruncated, Length) : DisplayText.Scalar(Value));
        else if (IsArray && Dimensions.Count > 0)
            text.Append(" [").Append(string.Join(",", Dimensions.Select(d => d.ToString(CultureInfo.InvariantCulture)))).Append(']');
        else if (IsArray)
            text.Append(CultureInfo.InvariantCulture, $" [{Length:N0}]");
        IEnumerable<string> parts = IsArray && Value is null ? Elements.Select(e => e.Text) : Fields.Select(f => f.ToString());
        foreach (string part in parts)
        {
            if (text.Length + part.Length + 1 > DisplayText.OneLine)
            {
                text.Append(" …");
                break;
            }

            text.Append(' ').Append(part);
        }

        return text.ToString();
    }
}

/// <summary>One entry of a collection: its position, its key (dictionaries) and its item or value.</summary>
public sealed class DumpEntry
{
    /// <summary>The entry's position in the collection's own order (a stack's top first, a queue's head first).</summary>
    public int Index { get; init; }

    /// <summary>The key of a dictionary entry (sorted ones too); null for lists, sets, queues, stacks and arrays.</summary>
    public DumpValue? Key { get; init; }

    /// <summary>The item, or a dictionary entry's value.</summary>
    public DumpValue Value { get; init; } = new();

    /// <summary>"[key] = value" or "value".</summary>
    public override string ToString() => Key is null ? Value.Text : "[" + Key.Text + "] = " + Value.Text;
}

/// <summary>
/// What a collection on a dump's heap holds (List, Dictionary, HashSet, ConcurrentDictionary, ConcurrentQueue, Queue,
/// Stack, LinkedList, SortedSet, SortedDictionary, ImmutableList, arrays): its count as it says and its entries in its
/// own order (a sorted one's in key order), read from the runtime's fields.
/// </summary>
public sealed class DumpCollection
{
    /// <summary>The collection object's address.</summary>
    public ulong Address { get; init; }

    /// <summary>The collection's type, e.g. System.Collections.Generic.Dictionary&lt;System.String, System.Int32&gt;.</summary>
    public string TypeName { get; init; } = "";

    /// <summary>The shape read: List, Dictionary, HashSet, ConcurrentDictionary, ConcurrentQueue, Queue, Stack, LinkedList, SortedSet, SortedDictionary, ImmutableList or Array.</summary>
    public string Kind { get; init; } = "";

    /// <summary>How many entries the collection holds.</summary>
    public int Count { get; init; }

    /// <summary>The entries read, at most as many as asked (-First); <see cref="Warnings"/> says when some were left out.</summary>
    public ItemList<DumpEntry> Entries { get; init; } = [];

    /// <summary>What was left out or could not be read.</summary>
    public ItemList<string> Warnings { get; init; } = [];

    /// <summary>"Dictionary&lt;String, Int32&gt; @ 0x7f… Count=3 [apple] = 3, …", about 200 characters at most.</summary>
    public override string ToString()
    {
        var text = new StringBuilder();
        text.Append(CultureInfo.InvariantCulture, $"{TypeName} @ 0x{Address:x} Count={Count:N0}");
        string separator = " ";
        foreach (var entry in Entries)
        {
            string part = entry.ToString();
            if (text.Length + part.Length + 2 > DisplayText.OneLine)
            {
                text.Append(" …");
                break;
            }

            text.Append(separator).Append(part);
            separator = ", ";
        }

        return text.ToString();
    }
}
