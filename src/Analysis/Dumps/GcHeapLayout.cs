using System.Globalization;
using Microsoft.Diagnostics.Runtime;

namespace Analysis.Dumps;

/// <summary>Where on the GC heap memory lies: a generation of the small-object heap, or one of the other heaps.</summary>
public enum GcHeapGeneration : byte
{
    /// <summary>Generation 0: the youngest objects.</summary>
    Gen0,
    /// <summary>Generation 1.</summary>
    Gen1,
    /// <summary>Generation 2: objects that survived two collections.</summary>
    Gen2,
    /// <summary>The large object heap (objects of 85,000 bytes and more), collected with generation 2.</summary>
    Large,
    /// <summary>The pinned object heap (GC.AllocateArray(pinned: true)), collected with generation 2.</summary>
    Pinned,
    /// <summary>Frozen segments (the NonGC heap: string literals, runtime type objects), never collected.</summary>
    Frozen,
}

/// <summary>
/// One generation of one GC heap (<c>eeheap -gc</c>, <c>gcheapstat</c>): memory committed and allocated, what of it is
/// objects and what free space between them.
/// </summary>
public sealed record GcGenerationStat
{
    /// <summary>The GC heap's index (0 under workstation GC; one per core under server GC).</summary>
    public required int Heap { get; init; }

    /// <summary>The generation or heap kind.</summary>
    public required GcHeapGeneration Generation { get; init; }

    /// <summary>Segments (regions) of this generation, empty ones included.</summary>
    public required int SegmentCount { get; init; }

    /// <summary>Bytes of memory committed for the segments.</summary>
    public required long Committed { get; init; }

    /// <summary>Bytes from the segments' first object to their allocation end: objects and free space (SOS: allocated).</summary>
    public required long Allocated { get; init; }

    /// <summary>Objects in the generation.</summary>
    public required long ObjectCount { get; init; }

    /// <summary>Bytes of the objects (free space excluded).</summary>
    public required long ObjectBytes { get; init; }

    /// <summary>Free-space blocks between objects.</summary>
    public required long FreeCount { get; init; }

    /// <summary>Bytes of free space between objects (SOS gcheapstat: free space).</summary>
    public required long FreeBytes { get; init; }

    /// <summary>Free bytes as a percentage of allocated bytes: how fragmented the generation is.</summary>
    public double Fragmentation => Allocated == 0 ? 0 : FreeBytes * 100.0 / Allocated;

    /// <summary>"heap 0 Gen2: 1,274,864 allocated, 216,488 free (17.0 %), 2 segments".</summary>
    public override string ToString() => string.Create(CultureInfo.InvariantCulture,
        $"heap {Heap} {Generation}: {Allocated:N0} allocated, {FreeBytes:N0} free ({Fragmentation:F1} %), {SegmentCount} segment{(SegmentCount == 1 ? "" : "s")}");
}

/// <summary>One segment (region) of the GC heap, as <c>eeheap -gc</c> lists it.</summary>
public sealed record GcSegmentStat
{
    /// <summary>The GC heap's index.</summary>
    public required int Heap { get; init; }

    /// <summary>The generation of its objects; for an ephemeral segment (segments GC), that of its first object.</summary>
    public required GcHeapGeneration Generation { get; init; }

    /// <summary>The runtime's kind of segment: Generation0..2, Large, Pinned, Frozen or Ephemeral (several generations).</summary>
    public required string Kind { get; init; }

    /// <summary>The first object's address.</summary>
    public required ulong Start { get; init; }

    /// <summary>Where allocation ends (the last object's end).</summary>
    public required ulong End { get; init; }

    /// <summary>Bytes committed.</summary>
    public required long Committed { get; init; }

    /// <summary>Bytes of objects and free space (End - Start).</summary>
    public long Allocated => (long)(End - Start);

    /// <summary>Objects in the segment.</summary>
    public required long ObjectCount { get; init; }

    /// <summary>Bytes of the objects.</summary>
    public required long ObjectBytes { get; init; }

    /// <summary>Bytes of free space between objects.</summary>
    public required long FreeBytes { get; init; }

    /// <summary>"Gen2 [0x7f92..., 0x7f92...) 1,266,544 allocated, heap 0".</summary>
    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"{Generation} [0x{Start:x}, 0x{End:x}) {Allocated:N0} allocated, heap {Heap}");
}

/// <summary>The GC heap's layout: per heap and generation, and per segment; from the one cached heap walk.</summary>
public sealed class GcHeapLayout
{
    internal GcHeapLayout(ItemList<GcGenerationStat> generations, ItemList<GcSegmentStat> segments, ItemList<string> warnings)
    {
        Generations = generations;
        Segments = segments;
        Warnings = warnings;
    }

    /// <summary>One row per GC heap and generation (Gen0, Gen1, Gen2, Large, Pinned; Frozen when the runtime has frozen segments).</summary>
    public ItemList<GcGenerationStat> Generations { get; }

    /// <summary>Every segment (region), in address order.</summary>
    public ItemList<GcSegmentStat> Segments { get; }

    /// <summary>Parts of the heap the walk could not read (their objects and free space are missing from the counts).</summary>
    public ItemList<string> Warnings { get; }

    /// <summary>GC heaps (1 under workstation GC).</summary>
    public int HeapCount => Generations.Select(g => g.Heap).Distinct().Count();

    /// <summary>Bytes allocated on all heaps.</summary>
    public long Allocated => Generations.Sum(g => g.Allocated);

    /// <summary>Bytes committed on all heaps.</summary>
    public long Committed => Generations.Sum(g => g.Committed);

    /// <summary>Free bytes on all heaps.</summary>
    public long FreeBytes => Generations.Sum(g => g.FreeBytes);

    /// <summary>"N heap(s): X allocated, Y committed, Z free".</summary>
    public override string ToString() => string.Create(CultureInfo.InvariantCulture,
        $"{HeapCount} heap{(HeapCount == 1 ? "" : "s")}: {Allocated:N0} allocated, {Committed:N0} committed, {FreeBytes:N0} free");
}

/// <summary>Where an address lies on the GC heap (<c>gcwhere</c>): heap, generation and segment.</summary>
public sealed record GcAddressInfo
{
    /// <summary>The address asked about.</summary>
    public required ulong Address { get; init; }

    /// <summary>The GC heap's index.</summary>
    public required int Heap { get; init; }

    /// <summary>The generation the address is in.</summary>
    public required GcHeapGeneration Generation { get; init; }

    /// <summary>The runtime's kind of the segment.</summary>
    public required string SegmentKind { get; init; }

    /// <summary>The segment's first object.</summary>
    public required ulong SegmentStart { get; init; }

    /// <summary>Where allocation in the segment ends.</summary>
    public required ulong SegmentEnd { get; init; }

    /// <summary>Whether the address is past the allocated part (in committed or reserved memory with no objects).</summary>
    public bool IsPastAllocated => Address >= SegmentEnd;

    /// <summary>"0x… is in Gen0 of heap 0 (segment [0x…, 0x…))".</summary>
    public override string ToString() => string.Create(CultureInfo.InvariantCulture,
        $"0x{Address:x} is in {Generation} of heap {Heap} (segment [0x{SegmentStart:x}, 0x{SegmentEnd:x}))");
}

/// <summary>A segment's or generation's objects and free space, counted by the heap walk (<see cref="HeapWalker"/>).</summary>
internal sealed class GenerationTally
{
    public long ObjectCount;
    public long ObjectBytes;
    public long FreeCount;
    public long FreeBytes;

    public void Add(GenerationTally other)
    {
        ObjectCount += other.ObjectCount;
        ObjectBytes += other.ObjectBytes;
        FreeCount += other.FreeCount;
        FreeBytes += other.FreeBytes;
    }
}

/// <summary>Builds the <see cref="GcHeapLayout"/> from the runtime's segments and the heap walk's tallies; answers gcwhere.</summary>
internal static class GcHeapLayouts
{
    public static GcHeapGeneration? Of(Generation generation) => generation switch
    {
        Microsoft.Diagnostics.Runtime.Generation.Generation0 => GcHeapGeneration.Gen0,
        Microsoft.Diagnostics.Runtime.Generation.Generation1 => GcHeapGeneration.Gen1,
        Microsoft.Diagnostics.Runtime.Generation.Generation2 => GcHeapGeneration.Gen2,
        Microsoft.Diagnostics.Runtime.Generation.Large => GcHeapGeneration.Large,
        Microsoft.Diagnostics.Runtime.Generation.Pinned => GcHeapGeneration.Pinned,
        Microsoft.Diagnostics.Runtime.Generation.Frozen => GcHeapGeneration.Frozen,
        _ => null,
    };

    public static GcHeapGeneration? Of(GCSegmentKind kind) => kind switch
    {
        GCSegmentKind.Generation0 => GcHeapGeneration.Gen0,
        GCSegmentKind.Generation1 => GcHeapGeneration.Gen1,
        GCSegmentKind.Generation2 => GcHeapGeneration.Gen2,
        GCSegmentKind.Large => GcHeapGeneration.Large,
        GCSegmentKind.Pinned => GcHeapGeneration.Pinned,
        GCSegmentKind.Frozen => GcHeapGeneration.Frozen,
        _ => null, // Ephemeral: several generations, told apart per object
    };

    /// <summary>The generation of an address inside a segment.</summary>
    public static GcHeapGeneration GenerationOf(ClrSegment segment, ulong address) =>
        Of(segment.Kind) ?? Of(segment.GetGeneration(address)) ?? GcHeapGeneration.Gen2;

    /// <summary>
    /// Per heap and generation and per segment. <paramref name="tallies"/> are the walk's, keyed by segment start and
    /// generation (an ephemeral segment has up to three).
    /// </summary>
    public static GcHeapLayout Build(ClrHeap heap, IReadOnlyDictionary<(ulong Segment, GcHeapGeneration Generation), GenerationTally> tallies, IReadOnlyList<string> warnings)
    {
        var rows = new SortedDictionary<(int Heap, GcHeapGeneration Generation), Row>();
        Row RowOf(int heap, GcHeapGeneration generation) =>
            rows.TryGetValue((heap, generation), out var row) ? row : rows[(heap, generation)] = new Row();
        var segments = new List<GcSegmentStat>();
        foreach (var segment in heap.Segments.OrderBy(s => s.ObjectRange.Start))
        {
            int index = segment.SubHeap?.Index ?? 0;
            var kind = Of(segment.Kind);
            var segmentTally = new GenerationTally();
            // A region is one generation; an ephemeral segment (segments GC) holds three, split by their ranges (its
            // committed memory is counted once, with generation 2's).
            var parts = kind is { } g
                ? [(g, (long)segment.ObjectRange.Length, (long)segment.CommittedMemory.Length)]
                : new[]
                {
                    (GcHeapGeneration.Gen0, (long)segment.Generation0.Length, 0L),
                    (GcHeapGeneration.Gen1, (long)segment.Generation1.Length, 0L),
                    (GcHeapGeneration.Gen2, (long)segment.Generation2.Length, (long)segment.CommittedMemory.Length),
                };
            foreach (var (generation, allocated, committed) in parts)
            {
                var row = RowOf(index, generation);
                row.Segments++;
                row.Allocated += allocated;
                row.Committed += committed;
                if (tallies.TryGetValue((segment.ObjectRange.Start, generation), out var t))
                {
                    row.Tally.Add(t);
                    segmentTally.Add(t);
                }
            }

            segments.Add(new GcSegmentStat
            {
                Heap = index,
                Generation = kind ?? GenerationOf(segment, segment.ObjectRange.Start),
                Kind = segment.Kind.ToString(),
                Start = segment.ObjectRange.Start,
                End = segment.ObjectRange.End,
                Committed = (long)segment.CommittedMemory.Length,
                ObjectCount = segmentTally.ObjectCount,
                ObjectBytes = segmentTally.ObjectBytes,
                FreeBytes = segmentTally.FreeBytes,
            });
        }

        // Every heap shows its five generations, empty ones too (as SOS does); Frozen only where there is some.
        foreach (int index in rows.Keys.Select(k => k.Heap).Distinct().ToArray())
        {
            foreach (var g in new[] { GcHeapGeneration.Gen0, GcHeapGeneration.Gen1, GcHeapGeneration.Gen2, GcHeapGeneration.Large, GcHeapGeneration.Pinned })
                RowOf(index, g);
        }

        var generations = rows.Select(kv => new GcGenerationStat
        {
            Heap = kv.Key.Heap,
            Generation = kv.Key.Generation,
            SegmentCount = kv.Value.Segments,
            Committed = kv.Value.Committed,
            Allocated = kv.Value.Allocated,
            ObjectCount = kv.Value.Tally.ObjectCount,
            ObjectBytes = kv.Value.Tally.ObjectBytes,
            FreeCount = kv.Value.Tally.FreeCount,
            FreeBytes = kv.Value.Tally.FreeBytes,
        }).ToArray();
        return new GcHeapLayout(generations, segments.ToArray(), warnings.ToArray());
    }

    private sealed class Row
    {
        public int Segments;
        public long Committed;
        public long Allocated;
        public readonly GenerationTally Tally = new();
    }

    /// <summary>Where <paramref name="address"/> is (gcwhere), or null when no segment of the GC heap holds it.</summary>
    public static GcAddressInfo? Where(ClrHeap heap, ulong address)
    {
        var segment = heap.GetSegmentByAddress(address);
        if (segment is null)
            return null;
        return new GcAddressInfo
        {
            Address = address,
            Heap = segment.SubHeap?.Index ?? 0,
            Generation = GenerationOf(segment, address),
            SegmentKind = segment.Kind.ToString(),
            SegmentStart = segment.ObjectRange.Start,
            SegmentEnd = segment.ObjectRange.End,
        };
    }
}
