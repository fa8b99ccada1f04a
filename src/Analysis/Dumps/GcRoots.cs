using System.Globalization;
using System.Text;
using Microsoft.Diagnostics.Runtime;

namespace Analysis.Dumps;

/// <summary>One object on a root path, and how the object before it refers to it (a field, an array element).</summary>
/// <param name="Address">Address of the object.</param>
/// <param name="TypeName">Its type (full name).</param>
/// <param name="Via">How the previous object refers to it (a field "._entries", an element "[3].value"); null for the first hop.</param>
public sealed record GcRootHop(ulong Address, string TypeName, string? Via)
{
    /// <summary>"Via → TypeName", or the type name alone for the first hop.</summary>
    public override string ToString() => Via is null ? TypeName : $"{Via} → {TypeName}";
}

/// <summary>
/// Which search found a root path. The default search goes in tiers, so the lasting reason wins over a transient one:
/// first from statics and handles, then (for objects those do not reach) from thread stacks, then from the finalizer
/// queue and the rest. A tier's path is the shortest from that tier's roots, and can be longer than a path from a later
/// tier (a thread's local one hop from the object). <see cref="AllRoots"/>: the plain shortest path from any root
/// (Get-GcRoot -Shortest).
/// </summary>
public enum GcRootTier : byte
{
    /// <summary>Found from statics and GC handles (strong, pinned, ref-counted …), searched first.</summary>
    StaticsAndHandles,

    /// <summary>Found from thread stacks (locals, arguments, registers): no static or handle reaches the object.</summary>
    Stacks,

    /// <summary>Found from the finalizer queue or another runtime root: neither statics, handles nor stacks reach it.</summary>
    FinalizerAndOther,

    /// <summary>Found by one breadth-first search from all roots at once: the shortest path, whatever holds it.</summary>
    AllRoots,
}

/// <summary>
/// Why an object is alive: the root that holds it and each object on the shortest path from the root to it. For a
/// type-name question, identical paths are merged: <see cref="Count"/> objects share this path shape (array indices
/// aside) and <see cref="Addresses"/> lists some of them.
/// </summary>
public sealed record GcRootPath
{
    /// <summary>What kind of root holds the path: a static, a thread's stack, a handle (strong, pinned …), the finalizer queue.</summary>
    public required GcRootKind RootKind { get; init; }

    /// <summary>
    /// Which search found the path: the tier of the default search (statics and handles, stacks, finalizer queue and
    /// other), or <see cref="GcRootTier.AllRoots"/> for the plain shortest path.
    /// </summary>
    public GcRootTier Tier { get; init; }

    /// <summary>The root in words: "static Contoso.Registry.Sessions", "thread 7 (worker-a) in Contoso.Job.Run()", "pinned handle".</summary>
    public required string Root { get; init; }

    /// <summary>The objects from the one the root holds to the target (the last hop).</summary>
    public required ItemList<GcRootHop> Hops { get; init; }

    /// <summary>How many objects share this path shape (1 for an address question).</summary>
    public int Count { get; init; } = 1;

    /// <summary>Some of the objects sharing it (at most 10).</summary>
    public ItemList<ulong> Addresses { get; init; } = [];

    /// <summary>Address of the object asked about (the last hop).</summary>
    public ulong Target => Hops[^1].Address;

    /// <summary>Type name of the object asked about (the last hop).</summary>
    public string TargetType => Hops[^1].TypeName;

    /// <summary>The path in one line, e.g. "static X.Sessions → Dictionary&lt;…&gt; ._entries → Entry[] [3].value → CustomerSession".</summary>
    public string Path => Root + " → " + string.Join(" ", Hops.Select((h, i) => i == 0 ? h.TypeName : h.ToString()));

    /// <summary>The <see cref="Path"/>, prefixed "N × " when several objects share it.</summary>
    public override string ToString() => Count > 1 ? string.Create(CultureInfo.InvariantCulture, $"{Count:N0} × {Path}") : Path;
}

/// <summary>
/// Shortest root paths over a <see cref="HeapGraph"/>: one breadth-first search from the roots gives every reachable
/// object its parent, so each question afterwards is a walk up the parents. The default search goes in tiers (statics
/// and handles before stacks); the plain shortest search (all roots at once) is made on its first question.
/// Hops are named from the dump's own memory and type metadata (fields, array indices, static field names).
/// </summary>
internal sealed class GcRoots
{
    private const int Unreached = int.MinValue;
    private readonly HeapGraph _graph;
    private readonly ClrRuntime _runtime;
    private readonly Func<int, string?> _threadName;
    private readonly RootSearch _tiered;
    private readonly Lazy<RootSearch> _shortest;
    private readonly Lazy<Dictionary<ulong, string>> _statics;

    public GcRoots(HeapGraph graph, ClrRuntime runtime, Func<int, string?> threadName)
    {
        _graph = graph;
        _runtime = runtime;
        _threadName = threadName;
        _tiered = new RootSearch(graph, tiered: true);
        _shortest = new Lazy<RootSearch>(() => new RootSearch(graph, tiered: false));
        _statics = new Lazy<Dictionary<ulong, string>>(ReadStaticSlots);
    }

    public int ReachableCount
    {
        get
        {
            _tiered.Run(-1, CancellationToken.None);
            return _tiered.Parents.Count(p => p != Unreached);
        }
    }

    public bool IsReachable(int node)
    {
        _tiered.Run(node, CancellationToken.None);
        return _tiered.Parents[node] != Unreached;
    }

    /// <summary>The shortest path to the object at <paramref name="address"/> from the first tier of roots that reaches it; null when no root reaches it.</summary>
    public GcRootPath? PathTo(ulong address, CancellationToken cancellationToken = default) => PathTo(address, shortest: false, cancellationToken);

    /// <summary>
    /// The shortest path to the object at <paramref name="address"/> from the first tier of roots that reaches it, or
    /// with <paramref name="shortest"/> from any root; null when no root reaches it.
    /// </summary>
    public GcRootPath? PathTo(ulong address, bool shortest, CancellationToken cancellationToken)
    {
        int node = _graph.NodeOf(address);
        var search = Search(shortest);
        search.Run(node, cancellationToken);
        return Describe(search, node);
    }

    private RootSearch Search(bool shortest) => shortest ? _shortest.Value : _tiered;

    /// <summary>
    /// Every root that keeps the object alive, each with its shortest path: a breadth-first search backwards from the
    /// object over the reverse references (built once, on the first such question). Strongest roots first.
    /// </summary>
    public IReadOnlyList<GcRootPath> AllPathsTo(ulong address, int top, CancellationToken cancellationToken)
    {
        int target = _graph.NodeOf(address);
        var (reverseStart, reverse) = Reverse(cancellationToken);
        var rootsOf = _rootsByNode ??= _graph.Roots.Select((r, i) => (r.Node, Index: i)).GroupBy(x => x.Node)
            .ToDictionary(g => g.Key, g => g.Select(x => x.Index).OrderBy(i => Priority(_graph.Roots[i].Kind)).ToArray());

        // next[n]: the node after n on the way to the target (the target itself: -1); Unreached when not seen. Kept
        // between questions (see _allPathsNext); the queue holds every node set, so the reset visits only those.
        var next = Interlocked.Exchange(ref _allPathsNext, null) ?? NewUnreached(_graph.NodeCount);
        var queue = new int[Math.Min(_graph.NodeCount, 1024)];
        int head = 0, tail = 0;
        try
        {
            next[target] = -1;
            queue[tail++] = target;
            var found = new List<GcRootPath>();
            var seen = new HashSet<string>(StringComparer.Ordinal);
            while (head < tail && found.Count < (top * 20) + 100)
            {
                if ((head & 0xFFFF) == 0)
                    cancellationToken.ThrowIfCancellationRequested();
                int node = queue[head++];
                if (rootsOf.TryGetValue(node, out var rootIndices))
                {
                    var chain = new List<int>();
                    for (int at = node; at >= 0; at = next[at])
                        chain.Add(at);
                    // An object held by several roots is reported with its strongest ones only: a thread that merely has
                    // the runtime's statics array on its stack adds nothing to the static field's path.
                    int strongest = Tier(_graph.Roots[rootIndices[0]].Kind);
                    foreach (int r in rootIndices.Where(i => Tier(_graph.Roots[i].Kind) == strongest))
                    {
                        var path = DescribeChain(chain, _graph.Roots[r], (GcRootTier)Tier(_graph.Roots[r].Kind));
                        if (seen.Add(path.Root))
                            found.Add(path);
                    }
                }

                for (int k = reverseStart[node], end = reverseStart[node + 1]; k < end; k++)
                {
                    int from = reverse[k];
                    if (next[from] == Unreached)
                    {
                        if (tail == queue.Length)
                            Array.Resize(ref queue, (int)Math.Min((long)queue.Length * 2, _graph.NodeCount));
                        next[from] = node;
                        queue[tail++] = from;
                    }
                }
            }

            return found.OrderBy(p => Tier(p.RootKind)).ThenBy(p => p.Hops.Count).Take(top).ToArray();
        }
        finally
        {
            for (int i = 0; i < tail; i++)
                next[queue[i]] = Unreached;
            Volatile.Write(ref _allPathsNext, next);
        }
    }

    private static int[] NewUnreached(int count)
    {
        var array = HugePages.Allocate<int>(count);
        Array.Fill(array, Unreached);
        return array;
    }

    /// <summary>
    /// <see cref="AllPathsTo"/>'s next-node array, every entry Unreached, kept between questions (null while one runs).
    /// A question about one object usually reaches a few of its referrers only; filling a new array of the graph's size
    /// cost each question ~25 ms on a 3-million-object dump (mostly first touches of fresh memory); it now costs ~0.2 ms.
    /// Measured in pwsh on bulk3m.dmp (Analysis.Bench session-isolation, the bench's 40 single-object questions): through
    /// the worker 224 → 92 ms, in process 156 → 97 ms.
    /// </summary>
    private int[]? _allPathsNext;

    private Dictionary<int, int[]>? _rootsByNode;
    private (int[] Start, int[] Sources)? _reverse;

    /// <summary>Who refers to each object: the graph's edges reversed (CSR), built once.</summary>
    private (int[] Start, int[] Sources) Reverse(CancellationToken cancellationToken)
    {
        if (_reverse is { } built)
            return built;
        int n = _graph.NodeCount;
        var start = HugePages.AllocateZeroed<int>(n + 1);
        var edges = _graph.Edges;
        for (int k = 0; k < _graph.EdgeCount; k++)
            start[edges[k] + 1]++;
        for (int v = 0; v < n; v++)
            start[v + 1] += start[v];
        cancellationToken.ThrowIfCancellationRequested();
        // Fill each range from its end, then shift the offsets back (no second offsets array).
        var sources = HugePages.Allocate<int>(_graph.EdgeCount);
        for (int v = n - 1; v >= 0; v--)
        {
            for (int k = _graph.EdgeStart[v], end = _graph.EdgeStart[v + 1]; k < end; k++)
                sources[--start[edges[k] + 1]] = v;
        }

        for (int v = 0; v < n; v++)
            start[v] = start[v + 1];
        start[n] = _graph.EdgeCount;
        _reverse = (start, sources);
        return (start, sources);
    }

    /// <summary>Paths to every object of the types matching the wildcard, merged by shape, most objects first.</summary>
    public IReadOnlyList<GcRootPath> PathsToType(string typeNamePattern, int top, CancellationToken cancellationToken, out int unreachable, out int reachable) =>
        PathsToType(typeNamePattern, top, shortest: false, cancellationToken, out unreachable, out reachable);

    /// <summary>
    /// Paths to every object of the types matching the wildcard, from the tiered search or, with
    /// <paramref name="shortest"/>, the plain shortest ones; merged by shape, most objects first.
    /// </summary>
    public IReadOnlyList<GcRootPath> PathsToType(string typeNamePattern, int top, bool shortest, CancellationToken cancellationToken, out int unreachable, out int reachable)
    {
        var search = Search(shortest);
        search.Run(-1, cancellationToken);
        var parents = search.Parents;
        var wildcard = new Wildcard(typeNamePattern);
        var types = new bool[_graph.TypeNames.Length];
        for (int t = 0; t < types.Length; t++)
            types[t] = wildcard.IsMatch(_graph.TypeNames[t]);

        // Group by the chain of (root, types) first, cheaply; name the hops only for a few members of each group.
        var groups = new Dictionary<string, ShapeGroup>(StringComparer.Ordinal);
        var shape = new StringBuilder();
        var levels = new List<int>(); // the member, its parent, … up to the object under the root
        unreachable = 0;
        reachable = 0;
        for (int node = 0; node < _graph.NodeCount; node++)
        {
            if (!types[_graph.TypeIds[node]])
                continue;
            if ((node & 0xFFFF) == 0)
                cancellationToken.ThrowIfCancellationRequested();
            if (parents[node] == Unreached)
            {
                unreachable++;
                continue;
            }

            reachable++;
            shape.Clear();
            levels.Clear();
            int at = node, below = -1, length = 1;
            while (parents[at] >= 0)
            {
                shape.Append(_graph.TypeIds[at]).Append('<');
                levels.Add(at);
                below = at;
                at = parents[at];
                length++;
            }

            levels.Add(at);

            var root = _graph.Roots[-1 - parents[at]];
            shape.Append(_graph.TypeIds[at]).Append('@').Append((int)root.Kind).Append(':').Append(root.Kind == GcRootKind.Stack ? root.ThreadId + "/" + root.FrameIndex : "");
            // Paths through the same container merge; the object right under the root tells containers (and static
            // fields, which share the runtime's statics array) apart, unless it is the target itself.
            if (length > 2)
                shape.Append('#').Append(below);
            string key = shape.ToString();
            if (groups.TryGetValue(key, out var g))
                g.Add(node, levels);
            else
                groups[key] = new ShapeGroup(node, levels);
        }

        // Groups with the same shape can still differ in the static field or member names: merge on the described path.
        var described = new Dictionary<string, GcRootPath>(StringComparer.Ordinal);
        foreach (var group in groups.Values.OrderByDescending(g => g.Count))
        {
            var (count, nodes) = (group.Count, group.Nodes);
            var path = group.Spread(Describe(search, nodes[0])!);
            if (nodes.Count > 1 && Describe(search, nodes[^1]) is { } other)
                path = Generalize(path, other);
            string key = Normalize(path);
            described[key] = described.TryGetValue(key, out var seen)
                ? Generalize(seen, path) with { Count = seen.Count + count, Addresses = seen.Addresses.Concat(nodes.Select(n => _graph.Addresses[n])).Take(10).ToArray() }
                : path with { Count = count, Addresses = nodes.Select(n => _graph.Addresses[n]).ToArray() };
        }

        return described.Values.OrderByDescending(p => p.Count).ThenBy(p => p.Hops.Count).Take(top).ToArray();
    }

    private GcRootPath? Describe(RootSearch search, int node)
    {
        var parents = search.Parents;
        if (parents[node] == Unreached)
            return null;
        var chain = new List<int>();
        for (int at = node; ; at = parents[at])
        {
            chain.Add(at);
            if (parents[at] < 0)
                break;
        }

        chain.Reverse();
        var root = _graph.Roots[-1 - parents[chain[0]]];
        return DescribeChain(chain, root, search.TierOf(root.Kind));
    }

    /// <summary>Names a chain of nodes from the object a root holds (first) to the target (last).</summary>
    private GcRootPath DescribeChain(List<int> chain, GraphRoot root, GcRootTier tier)
    {
        int node = chain[^1];
        var kind = root.Kind;
        string rootText = RootText(root);
        var hops = new List<GcRootHop>(chain.Count);
        int start = 0;
        if (kind == GcRootKind.Static && _statics.Value.TryGetValue(root.Slot, out string? rootStatic))
        {
            rootText = "static " + rootStatic;
        }
        else if (chain.Count > 1 && kind is GcRootKind.PinnedHandle or GcRootKind.StrongHandle
            && SlotOf(chain[0], chain[1]) is { } slot && _statics.Value.TryGetValue(slot, out string? staticName))
        {
            // The runtime keeps statics in arrays held by handles: show the static field, not the array.
            kind = GcRootKind.Static;
            rootText = "static " + staticName;
            start = 1;
        }

        for (int i = start; i < chain.Count; i++)
        {
            int n = chain[i];
            string? via = i == start ? null : Via(chain[i - 1], n);
            hops.Add(new GcRootHop(_graph.Addresses[n], _graph.TypeName(n), via));
        }

        return new GcRootPath { RootKind = kind, Tier = tier, Root = rootText, Hops = hops, Addresses = [_graph.Addresses[node]] };
    }

    private string RootText(GraphRoot root) => root.Kind switch
    {
        GcRootKind.Stack => string.Create(CultureInfo.InvariantCulture,
            $"thread {root.ThreadId}{(_threadName(root.ThreadId) is { } name ? $" ({name})" : "")} in {(root.FrameIndex >= 0 ? _graph.Frames[root.FrameIndex] : "an unknown frame")}"),
        GcRootKind.Static => string.Create(CultureInfo.InvariantCulture, $"static field at 0x{root.Slot:x}"),
        GcRootKind.StrongHandle => "strong handle",
        GcRootKind.PinnedHandle => "pinned handle",
        GcRootKind.AsyncPinnedHandle => "async-pinned handle",
        GcRootKind.RefCountedHandle => "ref-counted handle",
        GcRootKind.SizedRefHandle => "sized-ref handle",
        GcRootKind.FinalizerQueue => "finalizer queue (waiting for its finalizer)",
        _ => "runtime root",
    };

    /// <summary>
    /// Objects reached by paths of one shape: how many, the first few, and at which levels members were seen in the same
    /// parent as the first member but at another object (so under another array index), over all members, not only the
    /// few that are described.
    /// </summary>
    private sealed class ShapeGroup
    {
        private readonly int[] _first;
        private readonly bool[] _indexVaries;

        public ShapeGroup(int node, List<int> levels)
        {
            _first = [.. levels];
            _indexVaries = new bool[_first.Length];
            Add(node, levels);
        }

        public int Count { get; private set; }

        public List<int> Nodes { get; } = new();

        public void Add(int node, List<int> levels)
        {
            Count++;
            if (Nodes.Count < 10)
                Nodes.Add(node);
            int n = Math.Min(levels.Count, _first.Length);
            for (int level = 0; level + 1 < n; level++)
            {
                if (levels[level] != _first[level] && levels[level + 1] == _first[level + 1])
                    _indexVaries[level] = true;
            }
        }

        /// <summary>The first member's path with "[*]" for each array index that differs among the members.</summary>
        public GcRootPath Spread(GcRootPath path)
        {
            GcRootHop[]? hops = null;
            for (int k = 0; k < path.Hops.Count; k++)
            {
                int level = path.Hops.Count - 1 - k; // the last hop is the member itself (level 0)
                if (level < _indexVaries.Length && _indexVaries[level] && path.Hops[k].Via is { } via && via.StartsWith('[') && !via.StartsWith("[*]", StringComparison.Ordinal))
                {
                    hops ??= [.. path.Hops];
                    hops[k] = hops[k] with { Via = AnyIndex(via) };
                }
            }

            return hops is null ? path : path with { Hops = hops };
        }
    }

    /// <summary>An array hop "[3].value" with its index made "[*]": "[*].value".</summary>
    private static string AnyIndex(string via) => "[*]" + via[(via.IndexOf(']', StringComparison.Ordinal) + 1)..];

    /// <summary>The path of <paramref name="a"/> with "[*]" where its array indices differ from <paramref name="b"/>'s (same shape).</summary>
    private static GcRootPath Generalize(GcRootPath a, GcRootPath b)
    {
        if (a.Hops.Count != b.Hops.Count)
            return a;
        var hops = a.Hops.ToArray();
        bool changed = false;
        for (int i = 0; i < hops.Length; i++)
        {
            string? va = hops[i].Via, vb = b.Hops[i].Via;
            if (va is null || vb is null || va == vb || !va.StartsWith('[') || !vb.StartsWith('['))
                continue;
            hops[i] = hops[i] with { Via = AnyIndex(va) };
            changed = true;
        }

        return changed ? a with { Hops = hops } : a;
    }

    /// <summary>Array indices differ between instances of one shape; the rest of the path does not.</summary>
    private static string Normalize(GcRootPath path)
    {
        var sb = new StringBuilder(path.Root);
        foreach (var hop in path.Hops)
        {
            sb.Append('|').Append(hop.TypeName).Append('|');
            if (hop.Via is { } via)
            {
                int close = via.IndexOf(']', StringComparison.Ordinal);
                sb.Append(via.StartsWith('[') && close > 0 ? "[]" + via[(close + 1)..] : via);
            }
        }

        return sb.ToString();
    }

    /// <summary>The address of the slot in <paramref name="parent"/> that holds <paramref name="child"/>.</summary>
    private ulong? SlotOf(int parent, int child)
    {
        ulong from = _graph.Addresses[parent], target = _graph.Addresses[child];
        uint size = _graph.Sizes[parent];
        var bytes = new byte[Math.Min(size, 64u << 20)];
        int read = _runtime.DataTarget.DataReader.Read(from, bytes);
        for (int o = 8; o + 8 <= read; o += 8)
        {
            if (BitConverter.ToUInt64(bytes, o) == target)
                return from + (ulong)o;
        }

        return null;
    }

    /// <summary>How <paramref name="parent"/> refers to <paramref name="child"/>: ".field", "[index]", "[index].field".</summary>
    private string? Via(int parent, int child)
    {
        if (SlotOf(parent, child) is not { } slot)
            return "(dependent handle)"; // the only edges without a field: ConditionalWeakTable / DependentHandle
        ulong parentAddress = _graph.Addresses[parent];
        long offset = (long)(slot - parentAddress);
        ClrType? type = _runtime.Heap.GetObjectType(parentAddress);
        if (type is null)
            return null;
        if (type.IsArray)
        {
            long data = _runtime.DataTarget.DataReader.PointerSize * 2L; // method table + length
            int componentSize = Math.Max(1, type.ComponentSize);
            long index = (offset - data) / componentSize;
            string element = string.Create(CultureInfo.InvariantCulture, $"[{index}]");
            if (type.ComponentType is { IsValueType: true } component)
                return element + FieldPath(component, (offset - data) % componentSize);
            return element;
        }

        return FieldPath(type, offset - _runtime.DataTarget.DataReader.PointerSize);
    }

    /// <summary>".a.b" for the (possibly nested struct) field at a data offset; instance field offsets exclude the method table.</summary>
    private static string FieldPath(ClrType type, long offset)
    {
        foreach (var field in type.Fields)
        {
            long size = field.IsObjectReference ? 8 : Math.Max(1, field.Size);
            if (offset >= field.Offset && offset < field.Offset + size)
            {
                string name = "." + (field.Name ?? "?");
                return field.IsValueType && field.Type is { } inner && !field.IsPrimitive ? name + FieldPath(inner, offset - field.Offset) : name;
            }
        }

        return "";
    }

    /// <summary>
    /// Slot address → "Namespace.Type.Field" for the static fields of every loaded type that the runtime keeps in its
    /// statics arrays: reference-type fields, and struct fields (boxed, the box's reference in the slot: measured on
    /// .NET 10.0.12, e.g. System.DateTime.MinValue). A struct kept inline elsewhere has an address no reference path
    /// ever passes through, so it never names a path wrongly.
    /// </summary>
    private Dictionary<ulong, string> ReadStaticSlots()
    {
        var slots = new Dictionary<ulong, string>();
        foreach (var domain in _runtime.AppDomains)
        {
            foreach (var module in domain.Modules)
            {
                foreach (var type in module.EnumerateTypesWithStaticFields())
                {
                    foreach (var field in type.StaticFields)
                    {
                        if (!field.IsObjectReference && !(field.IsValueType && field.Type is { IsPrimitive: false, IsEnum: false }))
                            continue;
                        ulong address = field.GetAddress(domain);
                        if (address != 0)
                            slots.TryAdd(address, $"{type.Name}.{field.Name}");
                    }
                }
            }
        }

        return slots;
    }

    /// <summary>
    /// Roots are searched in tiers — statics and handles, then stacks, then the finalizer queue and the rest — so an
    /// object a static holds is explained by the static even when a thread also has it in a local (transient).
    /// The values match <see cref="GcRootTier"/>.
    /// </summary>
    private static int Tier(GcRootKind kind) => Priority(kind) switch { <= 3 => 0, 4 => 1, _ => 2 };

    /// <summary>
    /// Breadth-first from the roots; Parents[n] is the node before n, -1 - rootIndex for a root, or Unreached. Tiered:
    /// each tier's roots start only when the tiers before have reached all they reach. Not tiered: all roots start
    /// together (the plain shortest paths; among equally short ones, statics and handles still win since they are
    /// queued first). The search is resumable: a question about one object runs it only until that object is reached,
    /// a later question continues where it stopped, and questions about all objects finish it.
    /// </summary>
    private sealed class RootSearch
    {
        private readonly HeapGraph _graph;
        private readonly bool _tiered;
        private readonly object _gate = new();
        private readonly int[] _rootOrder;
        private int[]? _queue;
        private int _nextRoot;
        private int _head;
        private int _tail;

        public RootSearch(HeapGraph graph, bool tiered)
        {
            _graph = graph;
            _tiered = tiered;
            Parents = HugePages.Allocate<int>(graph.NodeCount);
            Array.Fill(Parents, Unreached);
            _queue = HugePages.Allocate<int>(graph.NodeCount);
            _rootOrder = Enumerable.Range(0, graph.Roots.Length).OrderBy(i => Priority(graph.Roots[i].Kind)).ThenBy(i => i).ToArray();
            EnqueueNextTier();
        }

        /// <summary>The node before each node on its path (see the class remarks); final once <see cref="Run"/>(-1) returned.</summary>
        public int[] Parents { get; }

        /// <summary>What a path from a root of this kind says about the search that found it.</summary>
        public GcRootTier TierOf(GcRootKind kind) => _tiered ? (GcRootTier)Tier(kind) : GcRootTier.AllRoots;

        /// <summary>Puts the next tier's unreached roots (or, not tiered, all roots) in the queue; false when all are done.</summary>
        private bool EnqueueNextTier()
        {
            var order = _rootOrder;
            if (_nextRoot >= order.Length)
                return false;
            int tier = Tier(_graph.Roots[order[_nextRoot]].Kind);
            for (; _nextRoot < order.Length && (!_tiered || Tier(_graph.Roots[order[_nextRoot]].Kind) == tier); _nextRoot++)
            {
                int r = order[_nextRoot];
                int node = _graph.Roots[r].Node;
                if (Parents[node] != Unreached)
                    continue;
                Parents[node] = -1 - r;
                _queue![_tail++] = node;
            }

            return true;
        }

        /// <summary>Continues the search until <paramref name="target"/> is reached (or, with -1, to the end).</summary>
        public void Run(int target, CancellationToken cancellationToken)
        {
            lock (_gate)
            {
                if (_queue is null || (target >= 0 && Parents[target] != Unreached))
                    return;
                var queue = _queue;
                var parents = Parents;
                var edgeStart = _graph.EdgeStart;
                var edges = _graph.Edges;
                int head = _head, tail = _tail;
                try
                {
                    while (true)
                    {
                        if (head == tail)
                        {
                            _tail = tail;
                            if (!EnqueueNextTier())
                                break;
                            tail = _tail;
                            continue;
                        }

                        if ((head & 0xFFFF) == 0)
                            cancellationToken.ThrowIfCancellationRequested();
                        if (target >= 0 && parents[target] != Unreached)
                            return;
                        int node = queue[head];
                        for (int k = edgeStart[node], end = edgeStart[node + 1]; k < end; k++)
                        {
                            int next = edges[k];
                            if (parents[next] == Unreached)
                            {
                                parents[next] = node;
                                queue[tail++] = next;
                            }
                        }

                        head++;
                    }

                    _queue = null; // done: every reachable object has its parent
                }
                finally
                {
                    _head = head;
                    _tail = tail;
                }
            }
        }
    }

    private static int Priority(GcRootKind kind) => kind switch
    {
        GcRootKind.Static => 0,
        GcRootKind.StrongHandle => 1,
        GcRootKind.PinnedHandle => 2,
        GcRootKind.SizedRefHandle or GcRootKind.RefCountedHandle or GcRootKind.AsyncPinnedHandle => 3,
        GcRootKind.Stack => 4,
        GcRootKind.FinalizerQueue => 5,
        _ => 6,
    };
}

/// <summary>Root paths for a type-name question: the merged paths, and how many matching objects no root reaches.</summary>
/// <param name="TypeNamePattern">The type name (or wildcard) asked about.</param>
/// <param name="Paths">The merged root paths, most objects first.</param>
/// <param name="Unreachable">Matching objects no root reaches (garbage not collected yet).</param>
public sealed record GcRootQuery(string TypeNamePattern, IReadOnlyList<GcRootPath> Paths, int Unreachable)
{
    /// <summary>Matching objects that are alive (the sum over all paths, also those beyond the top ones shown).</summary>
    public int Reachable { get; init; }
}
