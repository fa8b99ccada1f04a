using System.Globalization;
using Analysis.Dumps;
using Analysis.Go;
using Analysis.Stacks;
using Analysis.Traces;
using Plotly.NET;

namespace Analysis.Reporting;

/// <summary>
/// Analysis results as Plotly.NET charts (<see cref="GenericChart"/>). Charts carry data only; how they are shown
/// (notebook, HTML report) is the surface's job. Traces are built from Plotly's own attribute names.
/// </summary>
public static partial class Charts
{
    private const string Font = "system-ui, -apple-system, Segoe UI, sans-serif";

    /// <summary>Heap top: bytes per type, largest on top (horizontal bar).</summary>
    public static GenericChart HeapTop(IReadOnlyList<HeapTypeStat> rows, string title = "Heap by type (bytes)")
    {
        var ordered = rows.Reverse().ToArray();
        var bar = Trace("bar",
            ("x", ordered.Select(r => r.TotalSize).ToArray()),
            ("y", ordered.Select(r => Shorten(r.TypeName)).ToArray()),
            ("orientation", "h"),
            ("text", ordered.Select(r => r.Count.ToString("N0", CultureInfo.InvariantCulture) + " objects").ToArray()),
            ("hovertemplate", "%{y}<br>%{x:,} bytes<br>%{text}<extra></extra>"));
        return Chart(bar, title, height: 120 + (28 * ordered.Length), ("xaxis", Axis("bytes")), ("margin", Margin(left: 280)));
    }

    /// <summary>Retained sizes: per type, the bytes its objects keep alive next to their own size, largest on top.</summary>
    public static GenericChart RetainedTop(IReadOnlyList<RetainedTypeStat> rows, string title = "What keeps memory alive (retained bytes by type)")
    {
        var ordered = rows.Reverse().ToArray();
        string[] names = ordered.Select(r => Shorten(r.TypeName)).ToArray();
        var retained = Trace("bar",
            ("name", "retained"),
            ("x", ordered.Select(r => r.RetainedSize).ToArray()),
            ("y", names),
            ("orientation", "h"),
            ("marker", new Dictionary<string, object> { ["color"] = "#d1495b" }),
            ("text", ordered.Select(r => r.Count.ToString("N0", CultureInfo.InvariantCulture) + " objects").ToArray()),
            ("hovertemplate", "%{y}<br>retains %{x:,} bytes<br>%{text}<extra></extra>"));
        var shallow = Trace("bar",
            ("name", "own size"),
            ("x", ordered.Select(r => r.ShallowSize).ToArray()),
            ("y", names),
            ("orientation", "h"),
            ("marker", new Dictionary<string, object> { ["color"] = "#2e86ab" }),
            ("hovertemplate", "%{y}<br>own %{x:,} bytes<extra></extra>"));
        return Chart([retained, shallow], title, height: 120 + (36 * ordered.Length), ("xaxis", Axis("bytes")), ("margin", Margin(left: 280)), ("barmode", "group"));
    }

    /// <summary>Heap growth between two dumps: bytes gained (or lost) per type, growth on top.</summary>
    public static GenericChart HeapGrowth(IReadOnlyList<HeapTypeDiff> rows, string title = "Heap growth by type (bytes)")
    {
        var ordered = rows.Reverse().ToArray();
        var bar = Trace("bar",
            ("x", ordered.Select(r => r.SizeDelta).ToArray()),
            ("y", ordered.Select(r => Shorten(r.TypeName)).ToArray()),
            ("orientation", "h"),
            ("marker", new Dictionary<string, object> { ["color"] = ordered.Select(r => r.SizeDelta >= 0 ? "#d1495b" : "#2e86ab").ToArray() }),
            ("text", ordered.Select(r => r.CountDelta.ToString("+#,0;-#,0;0", CultureInfo.InvariantCulture) + " objects").ToArray()),
            ("hovertemplate", "%{y}<br>%{x:+,} bytes<br>%{text}<extra></extra>"));
        return Chart(bar, title, height: 120 + (28 * ordered.Length), ("xaxis", Axis("bytes gained")), ("margin", Margin(left: 280)));
    }

    /// <summary>Heap by namespace: a treemap of namespaces and the types in them, sized by bytes.</summary>
    public static GenericChart HeapByNamespace(IReadOnlyList<HeapTypeStat> rows, string title = "Heap by namespace")
    {
        var labels = new List<string>();
        var parents = new List<string>();
        var values = new List<long>();
        var ids = new List<string>();
        foreach (var group in rows.GroupBy(r => NamespaceOf(r.TypeName)))
        {
            ids.Add("ns:" + group.Key);
            labels.Add(group.Key);
            parents.Add("");
            values.Add(group.Sum(r => r.TotalSize));
            foreach (var r in group)
            {
                ids.Add("t:" + r.TypeName);
                labels.Add(r.TypeName[(r.TypeName.LastIndexOf('.') + 1)..]);
                parents.Add("ns:" + group.Key);
                values.Add(r.TotalSize);
            }
        }

        var treemap = Trace("treemap", ("ids", ids.ToArray()), ("labels", labels.ToArray()), ("parents", parents.ToArray()),
            ("values", values.ToArray()), ("branchvalues", "total"), ("hovertemplate", "%{label}<br>%{value:,} bytes<extra></extra>"));
        return Chart(treemap, title, height: 520);
    }

    /// <summary>Threads per state (bar).</summary>
    public static GenericChart ThreadStates(IReadOnlyList<DumpThread> threads, string title = "Threads by state")
    {
        var states = Enum.GetValues<DumpThreadState>().Select(s => (State: s, Count: threads.Count(t => t.State == s))).Where(s => s.Count > 0).ToArray();
        var bar = Trace("bar", ("x", states.Select(s => s.State.ToString()).ToArray()), ("y", states.Select(s => s.Count).ToArray()),
            ("marker", new Dictionary<string, object> { ["color"] = states.Select(s => StateColor(s.State)).ToArray() }));
        return Chart(bar, title, height: 360, ("yaxis", Axis("threads")));
    }

    /// <summary>Stack buckets (goroutines or threads) by size, largest on top.</summary>
    public static GenericChart StackBuckets(IReadOnlyList<StackBucket> buckets, int top = 15, string title = "Largest stack buckets")
    {
        var shown = buckets.Take(top).Reverse().ToArray();
        var bar = Trace("bar",
            ("x", shown.Select(b => b.Count).ToArray()),
            ("y", shown.Select(b => Shorten($"[{b.State}] {b.TopFrame?.Function}")).ToArray()),
            ("orientation", "h"),
            ("hovertemplate", "%{y}<br>%{x:,}<extra></extra>"));
        return Chart(bar, title, height: 120 + (28 * shown.Length), ("xaxis", Axis("goroutines / threads")), ("margin", Margin(left: 360)));
    }

    /// <summary>
    /// A deadlock cycle as a small graph: threads and locks on a circle, arrows thread → lock ("waits for") and
    /// lock → thread ("held by").
    /// </summary>
    public static GenericChart DeadlockCycle(DeadlockCycle cycle, string title = "Deadlock")
    {
        ArgumentNullException.ThrowIfNull(cycle);
        var nodes = new List<(string Label, bool IsThread)>();
        foreach (var link in cycle.Links)
        {
            nodes.Add((link.ThreadLabel, true));
            nodes.Add((cycle.LabelOf(link.WaitsFor).Split(' ')[0], false));
        }

        int n = nodes.Count;
        double X(int i) => Math.Round(Math.Cos((2 * Math.PI * i / n) + (Math.PI / 2)), 4);
        double Y(int i) => Math.Round(Math.Sin((2 * Math.PI * i / n) + (Math.PI / 2)), 4);
        var points = Trace("scatter",
            ("x", Enumerable.Range(0, n).Select(X).ToArray()),
            ("y", Enumerable.Range(0, n).Select(Y).ToArray()),
            ("mode", "markers+text"),
            ("text", nodes.Select(x => x.Label).ToArray()),
            ("textposition", "bottom center"),
            ("hoverinfo", "text"),
            ("marker", new Dictionary<string, object>
            {
                ["size"] = 26,
                ["symbol"] = nodes.Select(x => x.IsThread ? "circle" : "square").ToArray(),
                ["color"] = nodes.Select(x => x.IsThread ? "#d62728" : "#1f77b4").ToArray(),
            }));
        var arrows = Enumerable.Range(0, n).Select(i =>
        {
            int j = (i + 1) % n;
            return (object)new Dictionary<string, object>
            {
                ["x"] = X(j), ["y"] = Y(j), ["ax"] = X(i), ["ay"] = Y(i), ["xref"] = "x", ["yref"] = "y", ["axref"] = "x", ["ayref"] = "y",
                ["showarrow"] = true, ["arrowhead"] = 3, ["arrowsize"] = 1.4, ["standoff"] = 16, ["startstandoff"] = 16,
                ["text"] = nodes[i].IsThread ? "waits for" : "held by", ["font"] = new Dictionary<string, object> { ["size"] = 10 },
            };
        }).ToArray();
        var hidden = new Dictionary<string, object> { ["visible"] = false, ["range"] = new[] { -1.5, 1.5 } };
        return Chart(points, title, height: 460, ("annotations", arrows), ("xaxis", hidden), ("yaxis", hidden), ("showlegend", false));
    }

    /// <summary>GC pauses over time (one marker series per generation) with the heap size after each GC on a second axis.</summary>
    public static GenericChart GcPauses(IReadOnlyList<GcEvent> gcs, string title = "GC pauses and heap size")
    {
        var traces = new List<Trace>();
        foreach (var gen in gcs.GroupBy(g => g.Generation).OrderBy(g => g.Key))
        {
            traces.Add(Trace("scatter",
                ("x", gen.Select(g => Math.Round(g.StartMs, 3)).ToArray()),
                ("y", gen.Select(g => Math.Round(g.PauseMs, 3)).ToArray()),
                ("mode", "markers"),
                ("name", $"gen{gen.Key} pause"),
                ("text", gen.Select(g => $"GC #{g.Number} {g.Reason}").ToArray()),
                ("marker", new Dictionary<string, object> { ["size"] = 9, ["color"] = GenColor(gen.Key) }),
                ("hovertemplate", "%{text}<br>%{x:.1f} ms: pause %{y:.2f} ms<extra></extra>")));
        }

        traces.Add(Trace("scatter",
            ("x", gcs.Select(g => Math.Round(g.StartMs, 3)).ToArray()),
            ("y", gcs.Select(g => Math.Round(g.HeapSizeAfterMB, 3)).ToArray()),
            ("mode", "lines"),
            ("name", "heap after (MB)"),
            ("yaxis", "y2"),
            ("line", new Dictionary<string, object> { ["color"] = "#7f7f7f", ["width"] = 1 })));
        return Chart(traces, title, height: 420, ("xaxis", Axis("time since trace start (ms)")), ("yaxis", Axis("pause (ms)")),
            ("yaxis2", new Dictionary<string, object> { ["title"] = new Dictionary<string, object> { ["text"] = "heap after (MB)" }, ["overlaying"] = "y", ["side"] = "right" }));
    }

    /// <summary>A flame graph as an icicle chart from folded stacks (root at the top).</summary>
    public static GenericChart FlameGraph(IReadOnlyList<FoldedStack> stacks, string title = "CPU flame graph", int maxNodes = 2000)
    {
        var values = new Dictionary<string, long>(StringComparer.Ordinal) { [""] = 0 };
        var parent = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var s in stacks)
        {
            string path = "";
            values[""] += s.Samples;
            foreach (string frame in s.Stack.Split(';'))
            {
                string child = path.Length == 0 ? frame : path + ";" + frame;
                parent.TryAdd(child, path);
                values[child] = values.GetValueOrDefault(child) + s.Samples;
                path = child;
            }
        }

        // The largest nodes only, so huge profiles stay drawable; parents of kept nodes are always kept.
        var kept = values.Keys.Where(k => k.Length > 0).OrderByDescending(k => values[k]).Take(maxNodes).ToHashSet(StringComparer.Ordinal);
        foreach (string k in kept.ToArray())
        {
            for (string p = parent[k]; p.Length > 0 && kept.Add(p); p = parent[p])
            {
            }
        }

        var ids = kept.OrderBy(k => k, StringComparer.Ordinal).ToArray();
        var icicle = Trace("icicle",
            ("ids", ids.Prepend("all").ToArray()),
            ("labels", ids.Select(k => k[(k.LastIndexOf(';') + 1)..]).Prepend("all").ToArray()),
            ("parents", ids.Select(k => parent[k].Length == 0 ? "all" : parent[k]).Prepend("").ToArray()),
            ("values", ids.Select(k => values[k]).Prepend(values[""]).ToArray()),
            ("branchvalues", "total"),
            ("tiling", new Dictionary<string, object> { ["orientation"] = "v", ["flip"] = "y" }),
            ("hovertemplate", "%{label}<br>%{value:,} samples (%{percentRoot:.1%})<extra></extra>"));
        return Chart(icicle, title, height: 640);
    }

    /// <summary>pprof top (or a -Baseline diff: growth red, shrink green) as a horizontal bar of flat values.</summary>
    public static GenericChart PprofTop(IReadOnlyList<PprofTopRow> rows, string? title = null)
    {
        var ordered = rows.Reverse().ToArray();
        string unit = rows.FirstOrDefault()?.Unit ?? "";
        var bar = Trace("bar",
            ("x", ordered.Select(r => r.Flat).ToArray()),
            ("y", ordered.Select(r => Shorten(r.Function)).ToArray()),
            ("orientation", "h"),
            ("text", ordered.Select(r => r.FlatText).ToArray()),
            ("marker", new Dictionary<string, object> { ["color"] = ordered.Select(r => r.Flat < 0 ? "#2ca02c" : "#d62728").ToArray() }),
            ("hovertemplate", "%{y}<br>%{text}<extra></extra>"));
        return Chart(bar, title ?? $"Top functions ({rows.FirstOrDefault()?.SampleType}, flat)", height: 120 + (28 * ordered.Length),
            ("xaxis", Axis(unit)), ("margin", Margin(left: 360)));
    }

    /// <summary>Go GC cycles from gctrace: pause per cycle and the heap goal.</summary>
    public static GenericChart GoGcCycles(IReadOnlyList<GcCycle> cycles, string title = "Go GC cycles (gctrace)")
    {
        var pause = Trace("scatter", ("x", cycles.Select(c => c.AtSeconds).ToArray()), ("y", cycles.Select(c => c.PauseMs).ToArray()),
            ("mode", "markers"), ("name", "pause (ms)"),
            ("marker", new Dictionary<string, object> { ["size"] = 9, ["color"] = cycles.Select(c => c.Forced ? "#d62728" : "#1f77b4").ToArray() }));
        var goal = Trace("scatter", ("x", cycles.Select(c => c.AtSeconds).ToArray()), ("y", cycles.Select(c => c.HeapGoalMB).ToArray()),
            ("mode", "lines"), ("name", "heap goal (MB)"), ("yaxis", "y2"));
        return Chart([pause, goal], title, height: 380, ("xaxis", Axis("seconds since start")), ("yaxis", Axis("pause (ms)")),
            ("yaxis2", new Dictionary<string, object> { ["title"] = new Dictionary<string, object> { ["text"] = "heap goal (MB)" }, ["overlaying"] = "y", ["side"] = "right" }));
    }

    // ---- helpers ----

    internal static Trace Trace(string type, params (string Name, object Value)[] properties)
    {
        var trace = new Trace(type);
        foreach (var (name, value) in properties)
            trace.SetProperty(name, value);
        return trace;
    }

    private static GenericChart Chart(Trace trace, string title, int height, params (string Name, object Value)[] layout) => Chart([trace], title, height, layout);

    private static GenericChart Chart(IEnumerable<Trace> traces, string title, int height, params (string Name, object Value)[] layout)
    {
        var chart = GenericChart.ofTraceObjects(false, traces);
        var l = new Layout();
        l.SetProperty("title", new Dictionary<string, object> { ["text"] = title });
        l.SetProperty("height", Math.Clamp(height, 240, 1400));
        l.SetProperty("autosize", true);
        l.SetProperty("font", new Dictionary<string, object> { ["family"] = Font, ["size"] = 12 });
        foreach (var (name, value) in layout)
            l.SetProperty(name, value);
        return GenericChart.setLayout(l, chart);
    }

    private static Dictionary<string, object> Axis(string title) => new() { ["title"] = new Dictionary<string, object> { ["text"] = title }, ["automargin"] = true };

    private static Dictionary<string, object> Margin(int left) => new() { ["l"] = left, ["r"] = 30, ["t"] = 60, ["b"] = 50 };

    private static string Shorten(string text) => text.Length <= 70 ? text : text[..32] + "…" + text[^36..];

    private static string NamespaceOf(string typeName)
    {
        int generic = typeName.IndexOfAny(['<', '[', '+']);
        string head = generic > 0 ? typeName[..generic] : typeName;
        int dot = head.LastIndexOf('.');
        return dot > 0 ? head[..dot] : "(global)";
    }

    private static string StateColor(DumpThreadState state) => state switch
    {
        DumpThreadState.Deadlocked => "#d62728",
        DumpThreadState.BlockedOnLock => "#ff7f0e",
        DumpThreadState.Waiting => "#1f77b4",
        DumpThreadState.Running => "#2ca02c",
        _ => "#7f7f7f",
    };

    private static string GenColor(int gen) => gen switch { 0 => "#1f77b4", 1 => "#ff7f0e", _ => "#d62728" };
}
