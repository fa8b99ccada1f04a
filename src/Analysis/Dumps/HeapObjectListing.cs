using System.Diagnostics;
using System.Globalization;
using Microsoft.Diagnostics.Runtime;

namespace Analysis.Dumps;

/// <summary>
/// Where an object listing stopped: the segment (index in <see cref="HeapScanner.Segments"/>) and the address of the
/// next object to decode in it (0: its first object). A listing resumes from it, in this process or in a worker.
/// </summary>
internal readonly record struct HeapCursor(int Segment, ulong Address);

/// <summary>A run of listed objects, where the listing goes on (null when it is done), and what it could not list.</summary>
internal sealed record HeapObjectBatch(HeapObject[] Objects, HeapCursor? Next, ItemList<string> Warnings);

/// <summary>
/// Which objects a GC root reaches, marked once over the object graph (<see cref="HeapGraph"/>): the roots are the
/// graph's (ClrMD's EnumerateRoots: handles that keep objects alive, thread stacks, the finalizer queue, the statics),
/// the references its edges, dependent handles included (a live primary keeps its secondary alive). Weak handles do
/// not count, as for the GC. Statistics of only live or only dead objects come from the graph too.
/// </summary>
internal sealed class HeapLiveness
{
    private readonly HeapGraph _graph;
    private readonly ulong[] _live;

    public HeapLiveness(HeapGraph graph, CancellationToken cancellationToken)
    {
        _graph = graph;
        int n = graph.NodeCount;
        _live = new ulong[(n + 63) / 64];
        var stack = new int[Math.Min(Math.Max(n, 1), 1 << 16)];
        int top = 0;
        foreach (var root in graph.Roots)
            Mark(root.Node, ref stack, ref top);
        long steps = 0;
        while (top > 0)
        {
            if ((++steps & 0xFFFF) == 0)
                cancellationToken.ThrowIfCancellationRequested();
            foreach (int next in graph.References(stack[--top]))
                Mark(next, ref stack, ref top);
        }

        for (int i = 0; i < _live.Length; i++)
            LiveCount += System.Numerics.BitOperations.PopCount(_live[i]);
        Roots = DescribeRoots(graph);
    }

    /// <summary>Objects a root reaches.</summary>
    public long LiveCount { get; }

    /// <summary>Objects in the graph.</summary>
    public long ObjectCount => _graph.NodeCount;

    /// <summary>Which roots counted, in words with their numbers.</summary>
    public string Roots { get; }

    /// <summary>The graph's problems (objects it could not index count as dead).</summary>
    public IReadOnlyList<string> Warnings => _graph.Warnings;

    private void Mark(int node, ref int[] stack, ref int top)
    {
        ref ulong word = ref _live[node >> 6];
        ulong bit = 1UL << (node & 63);
        if ((word & bit) != 0)
            return;
        word |= bit;
        if (top == stack.Length)
            Array.Resize(ref stack, stack.Length * 2);
        stack[top++] = node;
    }

    private bool IsLiveNode(int node) => (_live[node >> 6] & (1UL << (node & 63))) != 0;

    /// <summary>
    /// Whether the object at <paramref name="address"/> is live. <paramref name="cursor"/> is the caller's position in
    /// the graph (start at -1): addresses asked in ascending order cost one step each.
    /// </summary>
    public bool IsLive(ulong address, ref int cursor)
    {
        var addresses = _graph.Addresses;
        if (cursor < 0 || cursor >= addresses.Length || addresses[cursor] > address)
        {
            int i = Array.BinarySearch(addresses, address);
            cursor = i >= 0 ? i : ~i;
        }
        else
        {
            while (cursor < addresses.Length && addresses[cursor] < address)
                cursor++;
        }

        return cursor < addresses.Length && addresses[cursor] == address && IsLiveNode(cursor);
    }

    /// <summary>Per-type statistics of only the live (or only the dead) objects, as <c>dumpheap -stat -live</c> / <c>-dead</c>.</summary>
    public HeapStatistics Statistics(bool live, int segments, CancellationToken cancellationToken)
    {
        var watch = Stopwatch.StartNew();
        var counts = new long[_graph.TypeNames.Length];
        var sizes = new long[_graph.TypeNames.Length];
        var typeIds = _graph.TypeIds;
        var objectSizes = _graph.Sizes;
        for (int node = 0; node < _graph.NodeCount; node++)
        {
            if ((node & 0xFFFFF) == 0)
                cancellationToken.ThrowIfCancellationRequested();
            if (IsLiveNode(node) != live)
                continue;
            int type = typeIds[node];
            counts[type]++;
            sizes[type] += objectSizes[node];
        }

        var rows = Enumerable.Range(0, counts.Length).Where(t => counts[t] > 0)
            .GroupBy(t => _graph.TypeNames[t], StringComparer.Ordinal)
            .Select(g => new HeapTypeStat(g.Key, g.Sum(t => counts[t]), g.Sum(t => sizes[t])) { MethodTables = [.. g.Select(t => _graph.TypeMethodTables[t]).Distinct()] })
            .OrderByDescending(r => r.TotalSize).ThenBy(r => r.TypeName, StringComparer.Ordinal)
            .ToArray();
        return new HeapStatistics(rows, 0, 0, segments, [.. _graph.Warnings], 0, watch.Elapsed)
        {
            Liveness = live ? ObjectLiveness.Live : ObjectLiveness.Dead,
            RootsCounted = Roots,
        };
    }

    private static string DescribeRoots(HeapGraph graph)
    {
        var kinds = graph.Roots.GroupBy(r => r.Kind).OrderBy(g => g.Key)
            .Select(g => string.Create(CultureInfo.InvariantCulture, $"{g.Count():N0} {Name(g.Key)}"));
        return "Live means reachable from the GC roots the runtime reports (" + string.Join(", ", kinds) +
            ") through references and dependent handles; weak handles do not keep objects alive.";

        static string Name(GcRootKind kind) => kind switch
        {
            GcRootKind.Static => "statics",
            GcRootKind.StrongHandle => "strong handles",
            GcRootKind.PinnedHandle => "pinned handles",
            GcRootKind.AsyncPinnedHandle => "async-pinned handles",
            GcRootKind.RefCountedHandle => "ref-counted handles",
            GcRootKind.SizedRefHandle => "sized-ref handles",
            GcRootKind.Stack => "stack slots",
            GcRootKind.FinalizerQueue => "finalizer-queue entries",
            _ => "other roots",
        };
    }
}

/// <summary>
/// Lists a heap's objects in batches (<see cref="Read"/>), resuming at a <see cref="HeapCursor"/>: the decoding is the
/// scanner's (<see cref="HeapScanner.EnumerateSegmentObjects"/>);
/// the generation of an object comes from its segment (one segment kind per region, the ephemeral segment's
/// generation ranges otherwise), so segments of other generations are skipped whole. One per engine; thread-safe.
/// </summary>
internal sealed class HeapObjectLister
{
    private readonly HeapScanner _scanner;
    private readonly SegmentGenerations[] _segments;

    public HeapObjectLister(ClrRuntime runtime)
    {
        _scanner = new HeapScanner(runtime);
        _segments = _scanner.Segments.Select(s => new SegmentGenerations(s)).ToArray();
    }

    /// <summary>
    /// Up to <paramref name="max"/> objects matching <paramref name="query"/> from <paramref name="from"/> on, in
    /// address order, and where to go on. <paramref name="liveness"/> is required when the query asks for live or dead objects.
    /// </summary>
    public HeapObjectBatch Read(HeapObjectQuery query, HeapLiveness? liveness, HeapCursor from, int max, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(max, 1);
        if (query.Liveness != ObjectLiveness.All && liveness is null)
            throw new ArgumentException("Listing live or dead objects needs the heap's liveness.", nameof(liveness));
        var wildcard = string.IsNullOrEmpty(query.TypeName) ? null : new Wildcard(query.TypeName);
        ulong? methodTable = query.MethodTable;
        Func<ObjectLayout, bool>? type = wildcard is null && methodTable is null ? null
            : layout => (methodTable is null || layout.MethodTable == methodTable) && (wildcard is null || wildcard.IsMatch(layout.Name));
        var matches = type is null ? null : new Dictionary<ulong, bool>();
        var cache = new LayoutCache(_scanner);
        var objects = new List<HeapObject>(Math.Min(max, 4096));
        var warnings = new List<string>();
        int cursor = -1;
        bool wantLive = query.Liveness == ObjectLiveness.Live;
        for (int s = from.Segment; s < _segments.Length; s++)
        {
            var segment = _segments[s];
            if (query.Generation is { } wanted && !segment.MayHold(wanted))
                continue;
            // an address range skips the segments outside it; inside one, the walk still starts at an object boundary
            var range = segment.Segment.ObjectRange;
            if (range.End <= query.StartAddress || range.Start >= query.EndAddress)
                continue;
            ulong start = s == from.Segment ? from.Address : 0;
            foreach (var o in _scanner.EnumerateSegmentObjects(segment.Segment, start, cache, type, matches, query.MinSize, query.MaxSize, warnings.Add, cancellationToken))
            {
                if (o.Address < query.StartAddress)
                    continue;
                if (o.Address >= query.EndAddress)
                    break;
                var generation = segment.GenerationOf(o.Address);
                if (query.Generation is { } g && generation != g)
                    continue;
                if (liveness is not null && query.Liveness != ObjectLiveness.All && liveness.IsLive(o.Address, ref cursor) != wantLive)
                    continue;
                objects.Add(new HeapObject(o.Address, o.Layout.MethodTable, o.Layout.Name, o.Size, generation, segment.Kind));
                if (objects.Count == max)
                {
                    // go on after this object (the scanner skips allocation contexts from there)
                    ulong next = o.Address + ((o.Size + 7) & ~7UL);
                    return new HeapObjectBatch([.. objects], new HeapCursor(s, next), [.. warnings]);
                }
            }
        }

        return new HeapObjectBatch([.. objects], null, [.. warnings]);
    }

    /// <summary>The segments with objects (their count, for statistics).</summary>
    public int SegmentCount => _segments.Length;

    /// <summary>A segment's kind and, for the ephemeral segment of the segments GC, its generations' ranges: read once.</summary>
    private sealed class SegmentGenerations
    {
        public SegmentGenerations(ClrSegment segment)
        {
            Segment = segment;
            Kind = segment.Kind switch
            {
                GCSegmentKind.Generation0 => HeapSegmentKind.Generation0,
                GCSegmentKind.Generation1 => HeapSegmentKind.Generation1,
                GCSegmentKind.Generation2 => HeapSegmentKind.Generation2,
                GCSegmentKind.Large => HeapSegmentKind.Large,
                GCSegmentKind.Pinned => HeapSegmentKind.Pinned,
                GCSegmentKind.Frozen => HeapSegmentKind.Frozen,
                _ => HeapSegmentKind.Ephemeral,
            };
            Gen0 = segment.Generation0;
            Gen1 = segment.Generation1;
        }

        public ClrSegment Segment { get; }

        public HeapSegmentKind Kind { get; }

        private MemoryRange Gen0 { get; }

        private MemoryRange Gen1 { get; }

        public bool MayHold(GcHeapGeneration generation) => Kind switch
        {
            HeapSegmentKind.Ephemeral => generation is GcHeapGeneration.Gen0 or GcHeapGeneration.Gen1 or GcHeapGeneration.Gen2,
            _ => GenerationOf(0) == generation,
        };

        public GcHeapGeneration GenerationOf(ulong address) => Kind switch
        {
            HeapSegmentKind.Generation0 => GcHeapGeneration.Gen0,
            HeapSegmentKind.Generation1 => GcHeapGeneration.Gen1,
            HeapSegmentKind.Generation2 => GcHeapGeneration.Gen2,
            HeapSegmentKind.Large => GcHeapGeneration.Large,
            HeapSegmentKind.Pinned => GcHeapGeneration.Pinned,
            HeapSegmentKind.Frozen => GcHeapGeneration.Frozen,
            _ => Gen0.Contains(address) ? GcHeapGeneration.Gen0 : Gen1.Contains(address) ? GcHeapGeneration.Gen1 : GcHeapGeneration.Gen2,
        };
    }
}
