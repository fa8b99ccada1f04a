using System.Globalization;
using Microsoft.Diagnostics.Runtime;

namespace Analysis.Dumps;

/// <summary>
/// Reads what a collection on a dump's heap holds, from the runtime's own fields (System.Private.CoreLib of .NET 8 to
/// 10): List&lt;T&gt; (_items, _size), Dictionary&lt;K,V&gt; and HashSet&lt;T&gt; (_entries up to _count, free entries
/// skipped), Queue&lt;T&gt; (the ring from _head), Stack&lt;T&gt; (top first), ConcurrentDictionary&lt;K,V&gt;
/// (_tables._buckets' node chains), ConcurrentQueue&lt;T&gt; (each segment's slots from head to tail), arrays, and the
/// linked ones in CollectionReader.Linked.cs (LinkedList, SortedSet, SortedDictionary, ImmutableList). Keys and items
/// read as <see cref="ObjectInspector"/> reads fields.
/// </summary>
internal sealed partial class CollectionReader
{
    private readonly ClrHeap _heap;
    private readonly ObjectInspector _inspector;
    private readonly string _path;
    private readonly CancellationToken _cancellationToken;
    private readonly int _depth;
    private readonly int _first;
    private readonly List<DumpEntry> _entries = new();
    private readonly List<string> _warnings = new();
    private int _index;
    private ClrObject _collection;

    private CollectionReader(ClrRuntime runtime, string path, int depth, int first, CancellationToken cancellationToken)
    {
        _heap = runtime.Heap;
        _inspector = new ObjectInspector(runtime, path, cancellationToken);
        _path = path;
        _depth = Math.Clamp(depth, 0, ObjectInspector.MaxDepth);
        _first = Math.Max(0, first);
        _cancellationToken = cancellationToken;
    }

    /// <summary>The entries of the collection at <paramref name="address"/>, at most <paramref name="first"/>, their references followed <paramref name="depth"/> levels.</summary>
    public static DumpCollection Read(ClrRuntime runtime, string path, ulong address, int depth, int first, CancellationToken cancellationToken) =>
        new CollectionReader(runtime, path, depth, first, cancellationToken).Read(address);

    private DumpCollection Read(ulong address)
    {
        _collection = _inspector.Require(address);
        var type = _collection.Type!;
        string name = type.Name ?? "";
        (string kind, int count) = name switch
        {
            _ when type.IsArray => ("Array", ReadArray(_collection)),
            _ when name.StartsWith("System.Collections.Generic.List<", StringComparison.Ordinal) => ("List", ReadList()),
            _ when name.StartsWith("System.Collections.Generic.Dictionary<", StringComparison.Ordinal) => ("Dictionary", ReadHashed(keyed: true)),
            _ when name.StartsWith("System.Collections.Generic.HashSet<", StringComparison.Ordinal) => ("HashSet", ReadHashed(keyed: false)),
            _ when name.StartsWith("System.Collections.Generic.Queue<", StringComparison.Ordinal) => ("Queue", ReadQueue()),
            _ when name.StartsWith("System.Collections.Generic.Stack<", StringComparison.Ordinal) => ("Stack", ReadStack()),
            _ when name.StartsWith("System.Collections.Concurrent.ConcurrentDictionary<", StringComparison.Ordinal) => ("ConcurrentDictionary", ReadConcurrentDictionary()),
            _ when name.StartsWith("System.Collections.Concurrent.ConcurrentQueue<", StringComparison.Ordinal) => ("ConcurrentQueue", ReadConcurrentQueue()),
            _ when name.StartsWith("System.Collections.Generic.LinkedList<", StringComparison.Ordinal) => ("LinkedList", ReadLinkedList()),
            _ when name.StartsWith("System.Collections.Generic.SortedSet<", StringComparison.Ordinal) => ("SortedSet", ReadSortedSet(_collection, keyed: false)),
            _ when name.StartsWith("System.Collections.Generic.SortedDictionary<", StringComparison.Ordinal) => ("SortedDictionary", ReadSortedDictionary()),
            _ when name.StartsWith("System.Collections.Immutable.ImmutableList<", StringComparison.Ordinal) => ("ImmutableList", ReadImmutableList()),
            _ => throw new AnalysisException(AnalysisErrorKind.NotAnObject, _path, string.Create(CultureInfo.InvariantCulture,
                $"The object at 0x{address:x} in dump '{_path}' is a {name}, not a collection this reads (List, Dictionary, HashSet, Queue, Stack, ConcurrentDictionary, ConcurrentQueue, LinkedList, SortedSet, SortedDictionary, ImmutableList or an array). Get-DumpObject shows its fields.")),
        };

        if (count > _entries.Count && _entries.Count == _first)
            _warnings.Add(string.Create(CultureInfo.InvariantCulture, $"The first {_first:N0} of {count:N0} entries are shown; use -First for more."));
        return new DumpCollection { Address = address, TypeName = name, Kind = kind, Count = count, Entries = _entries.ToArray(), Warnings = _warnings.ToArray() };
    }

    /// <summary>Whether more entries are wanted (adds a warning-free stop when the cap is reached).</summary>
    private bool Full => _entries.Count >= _first;

    private void Add(DumpValue? key, DumpValue value)
    {
        if ((_index & 0xff) == 0)
            _cancellationToken.ThrowIfCancellationRequested();
        _entries.Add(new DumpEntry { Index = _index++, Key = key, Value = value });
    }

    private int ReadArray(ClrObject array)
    {
        var a = array.AsArray();
        var component = array.Type!.ComponentType;
        for (int i = 0; i < a.Length && !Full; i++)
            Add(null, Element(array, component, i));
        return a.Length;
    }

    private int ReadList()
    {
        int size = Int("_size");
        var items = Object("_items");
        for (int i = 0; i < size && !Full; i++)
            Add(null, Element(items, items.Type?.ComponentType, i));
        return size;
    }

    private int ReadStack()
    {
        int size = Int("_size");
        var items = Object("_array");
        for (int i = size - 1; i >= 0 && !Full; i--)
            Add(null, Element(items, items.Type?.ComponentType, i));
        return size;
    }

    private int ReadQueue()
    {
        int size = Int("_size");
        int head = Int("_head");
        var items = Object("_array");
        int length = items.AsArray().Length;
        for (int i = 0; i < size && !Full && length > 0; i++)
            Add(null, Element(items, items.Type?.ComponentType, (int)(((long)head + i) % length)));
        return size;
    }

    /// <summary>Dictionary or HashSet: entries 0.._count, those with next &lt; -1 free (the runtime's own test).</summary>
    private int ReadHashed(bool keyed)
    {
        int count = Int("_count");
        int free = Int("_freeCount");
        var entries = _collection.ReadObjectField("_entries");
        if (entries.IsNull)
            return count - free;
        var entryType = entries.Type?.ComponentType ?? throw Layout("_entries' element type");
        var next = Field(entryType, keyed ? "next" : "Next");
        var key = keyed ? Field(entryType, "key") : null;
        var value = Field(entryType, keyed ? "value" : "Value");
        int length = entries.AsArray().Length;
        for (int i = 0; i < Math.Min(count, length) && !Full; i++)
        {
            ulong entry = entries.Type!.GetArrayElementAddress(entries.Address, i);
            if (next.Read<int>(entry, interior: true) < -1)
                continue;
            Add(key is null ? null : Slot(key, entry), Slot(value, entry));
        }

        return count - free;
    }

    private int ReadConcurrentDictionary()
    {
        var tables = Object("_tables");
        int count = 0;
        var perLock = tables.ReadObjectField("_countPerLock");
        if (!perLock.IsNull)
        {
            foreach (int n in perLock.AsArray().ReadValues<int>(0, perLock.AsArray().Length) ?? [])
                count += n;
        }

        var buckets = tables.ReadObjectField("_buckets");
        if (buckets.IsNull)
            return count;
        var volatileNode = buckets.Type?.ComponentType ?? throw Layout("_tables._buckets' element type");
        var nodeField = Field(volatileNode, "_node");
        int length = buckets.AsArray().Length;
        var seen = new HashSet<ulong>();
        for (int i = 0; i < length && !Full; i++)
        {
            ulong slot = buckets.Type!.GetArrayElementAddress(buckets.Address, i);
            var node = nodeField.ReadObject(slot, interior: true);
            while (!node.IsNull && node.IsValid && !Full && seen.Add(node.Address))
            {
                var nodeType = node.Type!;
                Add(Slot(Field(nodeType, "_key"), node.Address + (ulong)IntPtr.Size), Slot(Field(nodeType, "_value"), node.Address + (ulong)IntPtr.Size));
                node = node.ReadObjectField("_next");
            }
        }

        return count;
    }

    /// <summary>ConcurrentQueue: from the head segment on, each segment's slots from its head to its tail (less the freeze offset of a frozen segment).</summary>
    private int ReadConcurrentQueue()
    {
        int count = 0;
        var segment = Object("_head");
        var seen = new HashSet<ulong>();
        while (!segment.IsNull && segment.IsValid && seen.Add(segment.Address))
        {
            _cancellationToken.ThrowIfCancellationRequested();
            var slots = segment.ReadObjectField("_slots");
            if (slots.IsNull)
                break;
            int slotCount = slots.AsArray().Length;
            var headAndTail = segment.ReadValueTypeField("_headAndTail");
            int head = headAndTail.ReadField<int>("Head");
            int tail = headAndTail.ReadField<int>("Tail");
            if (segment.ReadField<bool>("_frozenForEnqueues"))
                tail -= slotCount * 2; // FreezeOffset
            int mask = segment.ReadField<int>("_slotsMask");
            var slotType = slots.Type?.ComponentType ?? throw Layout("_slots' element type");
            var item = Field(slotType, "Item");
            for (int i = head; i < tail; i++)
            {
                count++;
                if (!Full)
                    Add(null, Slot(item, slots.Type!.GetArrayElementAddress(slots.Address, i & mask)));
            }

            segment = segment.ReadObjectField("_nextSegment");
        }

        return count;
    }

    private DumpValue Element(ClrObject array, ClrType? component, int index)
    {
        if (component is null)
            return new DumpValue { Kind = DumpValueKind.Unreadable, TypeName = "", Problem = "the array's element type is not known to the dump's runtime data" };
        return _inspector.ReadSlot(component, component.ElementType, array.Type!.GetArrayElementAddress(array.Address, index), _depth, 0);
    }

    /// <summary>The value of <paramref name="field"/> of the struct or object data at <paramref name="data"/>.</summary>
    private DumpValue Slot(ClrInstanceField field, ulong data) => _inspector.ReadSlot(field.Type, field.ElementType, data + (ulong)field.Offset, _depth, 0);

    private int Int(string name) => _collection.ReadField<int>(Field(_collection.Type!, name));

    private ClrObject Object(string name)
    {
        var obj = _collection.ReadObjectField(Field(_collection.Type!, name));
        if (obj.IsNull || !obj.IsValid)
            throw Layout($"{name} (null or no object)");
        return obj;
    }

    private ClrInstanceField Field(ClrType type, string name) =>
        type.GetFieldByName(name) ?? throw Layout($"the field {name} of {type.Name}");

    private AnalysisException Layout(string what) =>
        new(AnalysisErrorKind.ReadFailed, _path, string.Create(CultureInfo.InvariantCulture,
            $"The {_collection.Type?.Name} at 0x{_collection.Address:x} in dump '{_path}' does not have the layout this reads ({what}): a runtime version this does not know, or damaged data. Get-DumpObject shows its fields."));
}
