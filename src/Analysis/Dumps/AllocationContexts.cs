using Microsoft.Diagnostics.Runtime;

namespace Analysis.Dumps;

/// <summary>
/// The heap's allocation contexts: ranges handed to threads for allocation that hold no objects yet, which a walk
/// of a small-object segment must step over. A walk checks the few context starts with a cursor (see
/// <see cref="Cursor"/>) instead of a lookup per object, which measured as the largest cost of a heap walk.
/// </summary>
internal sealed class AllocationContexts
{
    private readonly Dictionary<ulong, ulong> _ends = new();
    private readonly ulong _gap;

    public AllocationContexts(ClrHeap heap, ulong minObjectSize)
    {
        foreach (var range in heap.EnumerateAllocationContexts())
            _ends.TryAdd(range.Start, range.End);
        _gap = (minObjectSize + 7) & ~7UL;
    }

    /// <summary>The first address at or after <paramref name="address"/> that is not the start of a context.</summary>
    public ulong Skip(ulong address)
    {
        while (_ends.TryGetValue(address, out ulong contextEnd))
        {
            ulong next = contextEnd + _gap;
            if (next <= address)
                break;
            address = next;
        }

        return address;
    }

    /// <summary>A cursor over the contexts of one segment (none for segments that have none: large, frozen).</summary>
    public Cursor For(ClrSegment segment)
    {
        bool mayHave = segment.Kind is not (GCSegmentKind.Large or GCSegmentKind.Frozen);
        var starts = mayHave ? _ends.Keys.Where(k => k >= segment.ObjectRange.Start && k < segment.ObjectRange.End).Order().ToArray() : [];
        return new Cursor(this, starts, mayHave);
    }

    /// <summary>The contexts of one segment in address order; <see cref="Next"/> is the next one's start.</summary>
    public struct Cursor(AllocationContexts contexts, ulong[] starts, bool enabled)
    {
        private int _index;

        /// <summary>Whether this segment can hold allocation contexts at all.</summary>
        public readonly bool Enabled => enabled;

        public ulong Next { get; private set; } = starts.Length > 0 ? starts[0] : ulong.MaxValue;

        /// <summary>
        /// The next object address from <paramref name="address"/>, past any context starting there. Call it when
        /// <c>address &gt;= Next</c> (and for the segment's first object).
        /// </summary>
        public ulong SkipFrom(ulong address)
        {
            if (!enabled)
                return address;
            address = contexts.Skip(address);
            while (_index < starts.Length && starts[_index] < address)
                _index++;
            Next = _index < starts.Length ? starts[_index] : ulong.MaxValue;
            return address;
        }
    }
}
