using System.Globalization;
using Microsoft.Diagnostics.Runtime;

namespace Analysis.Dumps;

/// <summary>
/// The collections made of linked nodes: LinkedList&lt;T&gt; (from head along next, round to head again),
/// SortedSet&lt;T&gt; and SortedDictionary&lt;K,V&gt; (the red-black tree from root, in order: Left, the node, Right; a
/// SortedDictionary is a TreeSet of KeyValuePairs in _set; a node's Item, Left and Right are auto-properties),
/// ImmutableList&lt;T&gt; (the AVL tree from _root, in order). Each node once: a damaged chain or tree ends the walk with a
/// warning, never a loop.
/// </summary>
internal sealed partial class CollectionReader
{
    private int ReadLinkedList()
    {
        int count = Int("count");
        var head = _collection.ReadObjectField(Field(_collection.Type!, "head"));
        var node = head;
        var seen = new HashSet<ulong>();
        while (!Full && !node.IsNull && node.IsValid && node.Type is not null && seen.Add(node.Address))
        {
            Add(null, Slot(Field(node.Type, "item"), node.Address + (ulong)IntPtr.Size));
            node = node.ReadObjectField(Field(node.Type, "next"));
            if (node.Address == head.Address)
                break;
        }

        NoteShort(count, "the chain of nodes from head");
        return count;
    }

    private int ReadSortedSet(ClrObject set, bool keyed)
    {
        int count = set.ReadField<int>(Field(set.Type!, "count"));
        var node = set.ReadObjectField(Field(set.Type!, "root"));
        var path = new Stack<ClrObject>();
        var seen = new HashSet<ulong>();
        while (!Full)
        {
            while (!node.IsNull && node.IsValid && node.Type is not null && seen.Add(node.Address))
            {
                path.Push(node);
                node = node.ReadObjectField(NodeField(node.Type, "Left"));
            }

            if (path.Count == 0)
                break;
            node = path.Pop();
            var type = node.Type!;
            ulong data = node.Address + (ulong)IntPtr.Size;
            var item = NodeField(type, "Item");
            if (keyed)
            {
                var pair = item.Type ?? throw Layout("the type of a tree node's Item");
                Add(Slot(Field(pair, "key"), data + (ulong)item.Offset), Slot(Field(pair, "value"), data + (ulong)item.Offset));
            }
            else
            {
                Add(null, Slot(item, data));
            }

            node = node.ReadObjectField(NodeField(type, "Right"));
        }

        NoteShort(count, "the tree of nodes from root");
        return count;
    }

    private int ReadSortedDictionary() => ReadSortedSet(Object("_set"), keyed: true);

    /// <summary>ImmutableList: the AVL tree from _root in order; a node whose _left is null is the empty node every leaf links to.</summary>
    private int ReadImmutableList()
    {
        var root = Object("_root");
        int count = root.ReadField<int>(Field(root.Type!, "_count"));
        var node = root;
        var path = new Stack<ClrObject>();
        var seen = new HashSet<ulong>();
        bool Empty(ClrObject n) => n.IsNull || !n.IsValid || n.Type is null || n.ReadObjectField(Field(n.Type, "_left")).IsNull;
        while (!Full)
        {
            while (!Empty(node) && seen.Add(node.Address))
            {
                path.Push(node);
                node = node.ReadObjectField(Field(node.Type!, "_left"));
            }

            if (path.Count == 0)
                break;
            node = path.Pop();
            Add(null, Slot(Field(node.Type!, "_key"), node.Address + (ulong)IntPtr.Size));
            node = node.ReadObjectField(Field(node.Type!, "_right"));
        }

        NoteShort(count, "the tree of nodes from _root");
        return count;
    }

    /// <summary>A tree node's field: an auto-property's backing field (.NET 10: &lt;Left&gt;k__BackingField) or a plain field of that name.</summary>
    private ClrInstanceField NodeField(ClrType type, string name) =>
        type.GetFieldByName("<" + name + ">k__BackingField") ?? type.GetFieldByName(name) ?? throw Layout($"the field {name} of {type.Name}");

    /// <summary>A warning when the nodes ended before the count said (and before the -First cap).</summary>
    private void NoteShort(int count, string what)
    {
        if (_entries.Count < Math.Min(count, _first))
            _warnings.Add(string.Create(CultureInfo.InvariantCulture, $"{what} gave {_entries.Count:N0} of the {count:N0} entries the count says: a node is missing from the dump, damaged, or seen twice."));
    }
}
