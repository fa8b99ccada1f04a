using System.Buffers;
using System.Buffers.Binary;
using System.Globalization;
using Microsoft.Diagnostics.Runtime;

namespace Analysis.Dumps;

/// <summary>
/// How much one object keeps alive (SOS <c>objsize</c>): everything it references transitively, and what only it keeps
/// alive (its retained size, from the dominator tree).
/// </summary>
public sealed record ObjectSize
{
    /// <summary>The object's address.</summary>
    public required ulong Address { get; init; }

    /// <summary>The object's type.</summary>
    public required string TypeName { get; init; }

    /// <summary>Bytes of the object itself.</summary>
    public required long Size { get; init; }

    /// <summary>Bytes of the object and every object it references, directly or not, each counted once (SOS objsize).</summary>
    public required long ReachableBytes { get; init; }

    /// <summary>Objects counted in <see cref="ReachableBytes"/>, the object itself included.</summary>
    public required long ReachableCount { get; init; }

    /// <summary>
    /// Bytes freed if this object were no longer referenced: its own and those of the objects only it keeps alive. Null
    /// when the object graph was not indexed (ask with -Retained), or when no root reaches the object (it is garbage).
    /// </summary>
    public long? RetainedBytes { get; init; }

    /// <summary>Objects counted in <see cref="RetainedBytes"/>; null with it.</summary>
    public long? RetainedCount { get; init; }

    /// <summary>Whether the object graph's index answered (else the objects were read from the dump one by one).</summary>
    public bool FromGraphIndex { get; init; }

    /// <summary>"0x… TypeName: 41,392 bytes in 26 objects reachable, 41,144 retained".</summary>
    public override string ToString() => string.Create(CultureInfo.InvariantCulture,
        $"0x{Address:x} {TypeName}: {ReachableBytes:N0} bytes in {ReachableCount:N0} objects reachable{(RetainedBytes is { } r ? $", {r:N0} retained" : "")}");
}

/// <summary>
/// The transitive closure of one object: over the object-graph index when it is built (node numbers and a bit per
/// node), else read from the dump directly (each object's method table, length and references from its bytes, with the
/// scanner's layouts and pointer maps; a bit per 8 bytes of each segment marks what was met). Both count what SOS's
/// objsize counts: every object reachable through references, and the values of dependent handles whose primary is
/// reached (ClrMD's EnumerateReferences, which objsize uses, follows them too).
/// </summary>
internal static class ObjectSizer
{
    /// <summary>Reachable bytes and count from <paramref name="node"/> over the index's references.</summary>
    public static (long Bytes, long Count) Reachable(HeapGraph graph, int node, CancellationToken cancellationToken)
    {
        var seen = new ulong[(graph.NodeCount + 63) / 64];
        var stack = new Stack<int>();
        stack.Push(node);
        seen[node >> 6] |= 1UL << node;
        long bytes = 0, count = 0;
        var sizes = graph.Sizes;
        var edgeStart = graph.EdgeStart;
        var edges = graph.Edges;
        while (stack.Count > 0)
        {
            int v = stack.Pop();
            bytes += sizes[v];
            if ((++count & 0xFFFF) == 0)
                cancellationToken.ThrowIfCancellationRequested();
            for (int e = edgeStart[v], end = edgeStart[v + 1]; e < end; e++)
            {
                int w = edges[e];
                ref ulong word = ref seen[w >> 6];
                ulong bit = 1UL << w;
                if ((word & bit) == 0)
                {
                    word |= bit;
                    stack.Push(w);
                }
            }
        }

        return (bytes, count);
    }

    /// <summary>
    /// Reachable bytes and count from the object at <paramref name="address"/>, reading the dump; references to what is
    /// not an object (no type at that method table) are not followed, as SOS skips invalid objects.
    /// </summary>
    /// <returns>Null when <paramref name="address"/> is not an object on the GC heap.</returns>
    /// <param name="scanner">Reads layouts and sizes.</param>
    /// <param name="dependents">The dependent handles (primary, value), sorted: a live primary keeps its value alive.</param>
    /// <param name="address">The object to start from.</param>
    /// <param name="cancellationToken">Checked every 65,536 objects.</param>
    public static (string TypeName, long Size, long Bytes, long Count)? Reachable(HeapScanner scanner, (ulong From, ulong To)[] dependents, ulong address, CancellationToken cancellationToken)
    {
        var reader = scanner.Reader;
        var windows = new WindowCache(reader);
        var layouts = new LayoutCache(scanner);
        var seen = new VisitedSet(scanner.Heap);
        var stack = new Stack<ulong>();
        var references = new HeapGraphBuilder.Buffer<ulong>();
        ulong minObjectSize = scanner.MinObjectSize;
        ulong lastMt = 0;
        ObjectLayout? lastLayout = null;
        if (scanner.Heap.GetSegmentByAddress(address) is null)
            return null;
        byte[] buffer = new byte[FirstRead];
        seen.Add(address);
        stack.Push(address);
        long bytes = 0, count = 0;
        string? typeName = null;
        long size0 = 0;
        while (stack.Count > 0)
        {
            ulong obj = stack.Pop();
            // the header (and, for most objects, all of it) from a window of the dump, else read here
            var head = windows.Get(obj, FirstRead, buffer);
            if (head.Length < 8)
                continue;
            ulong mt = BinaryPrimitives.ReadUInt64LittleEndian(head) & ~3UL;
            if (mt != lastMt)
            {
                lastLayout = mt == 0 ? null : layouts.Get(mt);
                lastMt = mt;
            }

            if (lastLayout is not { IsFree: false } layout)
                continue; // not an object: SOS skips invalid objects too
            uint length = layout.ComponentSize != 0 && head.Length >= 12 ? BinaryPrimitives.ReadUInt32LittleEndian(head[8..]) : 0;
            ulong size = HeapScanner.SizeOf(layout, length, minObjectSize);
            if (typeName is null)
            {
                typeName = layout.Name;
                size0 = (long)size;
            }

            bytes += (long)size;
            if ((++count & 0xFFFF) == 0)
                cancellationToken.ThrowIfCancellationRequested();
            if (dependents.Length > 0)
            {
                int d = Array.BinarySearch(dependents, (obj, 0UL));
                for (d = d < 0 ? ~d : d; d < dependents.Length && dependents[d].From == obj; d++)
                {
                    if (seen.Add(dependents[d].To))
                        stack.Push(dependents[d].To);
                }
            }

            if (!layout.HasPointers || size > int.MaxValue)
                continue;
            references.Count = 0;
            if (windows.TryGet(obj, (int)size, out var whole))
            {
                HeapGraphBuilder.AddReferences(layout, whole, references);
            }
            else
            {
                byte[] rented = ArrayPool<byte>.Shared.Rent((int)size);
                HeapGraphBuilder.AddReferences(layout, rented.AsSpan(0, reader.Read(obj, rented.AsSpan(0, (int)size))), references);
                ArrayPool<byte>.Shared.Return(rented);
            }

            for (int i = 0; i < references.Count; i++)
            {
                ulong target = references.Items[i];
                if (seen.Add(target))
                    stack.Push(target);
            }
        }

        // The first object is the one asked about: null when it is not an object.
        return typeName is null ? null : (typeName, size0, bytes, count);
    }

    /// <summary>Bytes read of each object first: the header and the fields of most objects.</summary>
    private const int FirstRead = 64;

    /// <summary>
    /// Recently read 64 KB windows of the dump, direct-mapped: objects allocated together are read together, so most
    /// objects of a closure cost a copy instead of a read of the dump (a system call per read for a core file).
    /// </summary>
    private sealed class WindowCache
    {
        private const int Shift = 16;
        private const int Slots = 256;
        private readonly IDataReader _reader;
        private readonly ulong[] _base = new ulong[Slots];
        private readonly int[] _length = new int[Slots];
        private readonly byte[][] _data = new byte[Slots][];

        public WindowCache(IDataReader reader)
        {
            _reader = reader;
            Array.Fill(_base, ulong.MaxValue);
        }

        /// <summary>
        /// Up to <paramref name="length"/> bytes at <paramref name="address"/>: in the window holding them, else read into
        /// <paramref name="scratch"/> (across a window's end, or where the dump lacks memory: fewer bytes).
        /// </summary>
        public ReadOnlySpan<byte> Get(ulong address, int length, byte[] scratch) =>
            TryGet(address, length, out var span) ? span : scratch.AsSpan(0, _reader.Read(address, scratch.AsSpan(0, length)));

        /// <summary>The <paramref name="length"/> bytes at <paramref name="address"/> from a window, when one holds them all.</summary>
        public bool TryGet(ulong address, int length, out ReadOnlySpan<byte> bytes)
        {
            ulong windowBase = address & ~((1UL << Shift) - 1);
            int offset = (int)(address - windowBase);
            bytes = default;
            if (offset + length > 1 << Shift)
                return false;
            int slot = (int)((address >> Shift) % Slots);
            if (_base[slot] != windowBase)
            {
                _length[slot] = _reader.Read(windowBase, _data[slot] ??= new byte[1 << Shift]);
                _base[slot] = windowBase;
            }

            if (_length[slot] - offset < length)
                return false;
            bytes = _data[slot].AsSpan(offset, length);
            return true;
        }
    }

    /// <summary>A bit per 8 bytes of each GC segment (objects are 8-byte aligned); a hash set for addresses outside them.</summary>
    private sealed class VisitedSet
    {
        private readonly ulong[] _starts;
        private readonly ulong[] _ends;
        private readonly ulong[][] _bits;
        private readonly HashSet<ulong> _other = new();
        private int _last = -1;

        public VisitedSet(ClrHeap heap)
        {
            var segments = heap.Segments.Where(s => s.ObjectRange.Length > 0).OrderBy(s => s.ObjectRange.Start).ToArray();
            _starts = segments.Select(s => s.ObjectRange.Start).ToArray();
            _ends = segments.Select(s => s.ObjectRange.End).ToArray();
            _bits = new ulong[segments.Length][];
        }

        /// <summary>Marks <paramref name="address"/>; false when it was marked already.</summary>
        public bool Add(ulong address)
        {
            int s = _last; // references mostly stay in one segment
            if (s < 0 || address < _starts[s] || address >= _ends[s] || (address & 7) != 0)
            {
                s = Array.BinarySearch(_starts, address);
                if (s < 0)
                    s = ~s - 1;
                if (s < 0 || address >= _ends[s] || (address & 7) != 0)
                    return _other.Add(address);
                _last = s;
            }

            ulong slot = (address - _starts[s]) >> 3;
            var bits = _bits[s] ??= new ulong[((_ends[s] - _starts[s]) >> 9) + 1];
            ref ulong word = ref bits[slot >> 6];
            ulong bit = 1UL << (int)(slot & 63);
            if ((word & bit) != 0)
                return false;
            word |= bit;
            return true;
        }
    }
}
