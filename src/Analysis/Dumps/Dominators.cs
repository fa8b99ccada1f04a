using System.Globalization;

namespace Analysis.Dumps;

/// <summary>A type's objects and the memory they keep alive: what would be freed if none of them were referenced.</summary>
/// <param name="TypeName">The type's full name.</param>
/// <param name="Count">Reachable objects of the type.</param>
/// <param name="ShallowSize">Bytes of the objects themselves.</param>
/// <param name="RetainedSize">Bytes freed if none of them were referenced: their own and everything only they keep alive.</param>
public sealed record RetainedTypeStat(string TypeName, long Count, long ShallowSize, long RetainedSize)
{
    /// <summary>One table row: count, shallow and retained bytes, type name.</summary>
    public override string ToString() =>
        string.Create(CultureInfo.InvariantCulture, $"{Count,12:N0} {ShallowSize,16:N0} {RetainedSize,16:N0}  {TypeName}");
}

/// <summary>
/// The dominator tree of the object graph (a virtual root above all GC roots) and the retained size of every object:
/// its own size plus the sizes of all objects only reachable through it. Cooper–Harvey–Kennedy's iterative algorithm
/// over reverse postorder, on arrays; objects no root reaches are left out.
/// </summary>
internal sealed class Dominators
{
    private readonly HeapGraph _graph;

    /// <summary>Immediate dominator per node (the virtual root is NodeCount), -1 when unreachable.</summary>
    private readonly int[] _idom;

    private readonly long[] _retained;

    /// <summary>Objects per node's dominator subtree (the node included).</summary>
    private readonly int[] _retainedCount;

    public Dominators(HeapGraph graph, CancellationToken cancellationToken)
    {
        _graph = graph;
        int n = graph.NodeCount, root = n;
        var roots = graph.Roots.Select(r => r.Node).Distinct().ToArray();

        // Depth-first postorder from the virtual root.
        var post = HugePages.AllocateZeroed<int>(n + 1);
        Array.Fill(post, -1);
        var order = HugePages.AllocateZeroed<int>(n + 1); // order[k] = node with postorder number k
        int count = 0;
        var stack = HugePages.AllocateZeroed<int>(n + 1);
        var cursor = HugePages.AllocateZeroed<int>(n + 1);
        var visited = HugePages.AllocateZeroed<bool>(n + 1);
        int top = 0;
        stack[top] = root;
        cursor[top] = 0;
        visited[root] = true;
        while (top >= 0)
        {
            int node = stack[top];
            int next = -1;
            if (node == root)
            {
                while (cursor[top] < roots.Length && next < 0)
                {
                    int candidate = roots[cursor[top]++];
                    if (!visited[candidate])
                        next = candidate;
                }
            }
            else
            {
                int end = graph.EdgeStart[node + 1];
                while (graph.EdgeStart[node] + cursor[top] < end && next < 0)
                {
                    int candidate = graph.Edges[graph.EdgeStart[node] + cursor[top]++];
                    if (!visited[candidate])
                        next = candidate;
                }
            }

            if (next >= 0)
            {
                visited[next] = true;
                stack[++top] = next;
                cursor[top] = 0;
            }
            else
            {
                post[node] = count;
                order[count++] = node;
                top--;
            }

            if ((count & 0xFFFFF) == 0)
                cancellationToken.ThrowIfCancellationRequested();
        }

        stack = null!;
        cursor = null!;
        visited = null!;

        // Predecessors of reachable nodes (CSR); the roots' predecessor is the virtual root.
        var predStart = HugePages.AllocateZeroed<int>(n + 2);
        for (int v = 0; v < n; v++)
        {
            if (post[v] < 0)
                continue;
            foreach (int w in graph.References(v))
                predStart[w + 1]++;
        }

        foreach (int r in roots)
            predStart[r + 1]++;
        for (int v = 0; v <= n; v++)
            predStart[v + 1] += predStart[v];
        // Fill each node's range from its end (predStart[w + 1] counts down to w's start), so no second offsets array.
        var preds = HugePages.Allocate<int>(predStart[n + 1]);
        foreach (int r in roots)
            preds[--predStart[r + 1]] = root;
        for (int v = n - 1; v >= 0; v--)
        {
            if (post[v] < 0)
                continue;
            foreach (int w in graph.References(v))
                preds[--predStart[w + 1]] = v;
        }

        // predStart[w + 1] is now w's start: shift left so predStart[w] is w's start and predStart[w + 1] its end.
        for (int v = 0; v <= n; v++)
            predStart[v] = predStart[v + 1];
        predStart[n + 1] = preds.Length;

        var idom = HugePages.AllocateZeroed<int>(n + 1);
        Array.Fill(idom, -1);
        idom[root] = root;
        bool changed = true;
        while (changed)
        {
            cancellationToken.ThrowIfCancellationRequested();
            changed = false;
            for (int k = count - 2; k >= 0; k--) // reverse postorder, the virtual root (last) excluded
            {
                int v = order[k];
                int newIdom = -1;
                for (int p = predStart[v]; p < predStart[v + 1]; p++)
                {
                    int u = preds[p];
                    if (idom[u] < 0)
                        continue;
                    newIdom = newIdom < 0 ? u : Intersect(u, newIdom, idom, post);
                }

                if (newIdom >= 0 && idom[v] != newIdom)
                {
                    idom[v] = newIdom;
                    changed = true;
                }
            }
        }

        // Retained sizes: a node's dominator-tree descendants come before it in postorder.
        var retained = HugePages.AllocateZeroed<long>(n + 1);
        var retainedCount = HugePages.AllocateZeroed<int>(n + 1);
        for (int k = 0; k < count - 1; k++)
        {
            int v = order[k];
            retained[v] += graph.Sizes[v];
            retained[idom[v]] += retained[v];
            retainedCount[v]++;
            retainedCount[idom[v]] += retainedCount[v];
        }

        _idom = idom;
        _retained = retained;
        _retainedCount = retainedCount;
        ReachableCount = count - 1;
    }

    public int ReachableCount { get; }

    /// <summary>Bytes freed if this object were no longer referenced; 0 for unreachable objects.</summary>
    public long RetainedSize(int node) => _idom[node] < 0 ? 0 : _retained[node];

    /// <summary>Objects freed if this object were no longer referenced (itself included); 0 for unreachable objects.</summary>
    public int RetainedCount(int node) => _idom[node] < 0 ? 0 : _retainedCount[node];

    /// <summary>The immediate dominator of a node: -1 unreachable, NodeCount for "only the GC roots themselves".</summary>
    public int ImmediateDominator(int node) => _idom[node];

    /// <summary>
    /// Per type: count, shallow size and retained size, where an object of the type held by another object of the
    /// same type is counted only once (in its outermost holder), so linked structures are not counted twice.
    /// </summary>
    public IReadOnlyList<RetainedTypeStat> ByType(CancellationToken cancellationToken)
    {
        if (_byType is { } cached)
            return cached;
        var rows = ComputeByType(cancellationToken);
        _byType = rows;
        return rows;
    }

    private IReadOnlyList<RetainedTypeStat>? _byType;

    private IReadOnlyList<RetainedTypeStat> ComputeByType(CancellationToken cancellationToken)
    {
        int n = _graph.NodeCount;
        // Children of each node in the dominator tree (CSR), then a preorder walk that knows which types are above.
        var childStart = HugePages.AllocateZeroed<int>(n + 2);
        for (int v = 0; v < n; v++)
        {
            if (_idom[v] >= 0)
                childStart[_idom[v] + 1]++;
        }

        for (int v = 0; v <= n; v++)
            childStart[v + 1] += childStart[v];
        // Fill each node's range from its end (as for the predecessors), children in increasing order.
        var children = HugePages.Allocate<int>(childStart[n + 1]);
        for (int v = n - 1; v >= 0; v--)
        {
            if (_idom[v] >= 0)
                children[--childStart[_idom[v] + 1]] = v;
        }

        for (int v = 0; v <= n; v++)
            childStart[v] = childStart[v + 1];
        childStart[n + 1] = children.Length;

        int types = _graph.TypeNames.Length;
        var count = new long[types];
        var shallow = new long[types];
        var retained = new long[types];
        var above = new int[types];
        var stack = HugePages.AllocateZeroed<int>(n + 1);
        var cursor = HugePages.AllocateZeroed<int>(n + 1);
        int top = 0;
        stack[0] = n;
        cursor[0] = childStart[n];
        int steps = 0;
        while (top >= 0)
        {
            int v = stack[top];
            if (cursor[top] < childStart[v + 1])
            {
                int c = children[cursor[top]++];
                int t = _graph.TypeIds[c];
                count[t]++;
                shallow[t] += _graph.Sizes[c];
                if (above[t] == 0)
                    retained[t] += _retained[c];
                above[t]++;
                stack[++top] = c;
                cursor[top] = childStart[c];
            }
            else
            {
                if (v != n)
                    above[_graph.TypeIds[v]]--;
                top--;
            }

            if ((++steps & 0xFFFFF) == 0)
                cancellationToken.ThrowIfCancellationRequested();
        }

        var rows = new Dictionary<string, (long Count, long Shallow, long Retained)>(StringComparer.Ordinal);
        for (int t = 0; t < types; t++)
        {
            if (count[t] == 0)
                continue;
            string name = _graph.TypeNames[t];
            var acc = rows.TryGetValue(name, out var a) ? a : default;
            rows[name] = (acc.Count + count[t], acc.Shallow + shallow[t], acc.Retained + retained[t]);
        }

        return rows.Select(kv => new RetainedTypeStat(kv.Key, kv.Value.Count, kv.Value.Shallow, kv.Value.Retained))
            .OrderByDescending(r => r.RetainedSize).ThenBy(r => r.TypeName, StringComparer.Ordinal).ToArray();
    }

    private static int Intersect(int a, int b, int[] idom, int[] post)
    {
        while (a != b)
        {
            while (post[a] < post[b])
                a = idom[a];
            while (post[b] < post[a])
                b = idom[b];
        }

        return a;
    }
}
