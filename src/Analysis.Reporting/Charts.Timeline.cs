using System.Globalization;
using Analysis.Timelines;
using Plotly.NET;

namespace Analysis.Reporting;

/// <summary>The timeline chart: lanes that share one time axis.</summary>
public static partial class Charts
{
    /// <summary>The lanes of <see cref="Timeline(IReadOnlyList{TimelineEvent}, string)"/>, top to bottom, and the event kinds each shows.</summary>
    public static readonly IReadOnlyList<(string Lane, string[] Kinds)> TimelineLanes =
    [
        ("Heap (MB)", [TimelineKinds.Heap]),
        ("GC", [TimelineKinds.GC, TimelineKinds.Pause]),
        ("GC CPU (%)", [TimelineKinds.GcCpu]),
        ("Goroutines / threads", [TimelineKinds.Goroutines]),
        ("Windows and snapshots", [TimelineKinds.CpuProfile, TimelineKinds.Trace, TimelineKinds.Profile, TimelineKinds.Dump, TimelineKinds.ProcessStart]),
        (".NET exceptions and contention", [TimelineKinds.Exception, TimelineKinds.Contention]),
    ];

    /// <summary>
    /// One incident on one time axis: heap sizes, GC cycles as bands (forced and automatic apart) with stop-the-world
    /// pauses as markers, GC CPU, goroutine or thread counts, profile and trace windows, snapshots (profiles, dumps,
    /// process start), .NET exceptions and contention. Lanes without events are left out. The axis is the wall clock for
    /// anchored events; when none is anchored, seconds on the first event's own clock (and only its events are drawn).
    /// </summary>
    public static GenericChart Timeline(IReadOnlyList<TimelineEvent> events, string title = "Timeline")
    {
        bool wall = events.Any(e => e.Time is not null);
        string? clock = wall ? null : events.FirstOrDefault()?.Clock;
        var drawn = events.Where(e => wall ? e.Time is not null : e.Clock == clock).ToList();
        object X(TimelineEvent e) => wall ? e.Time!.Value.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss.ffffff", CultureInfo.InvariantCulture) : Math.Round(e.Offset.TotalSeconds, 6);
        object XEnd(TimelineEvent e) => wall
            ? (e.Time!.Value + (e.Duration ?? TimeSpan.Zero)).UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss.ffffff", CultureInfo.InvariantCulture)
            : Math.Round((e.Offset + (e.Duration ?? TimeSpan.Zero)).TotalSeconds, 6);

        var lanes = TimelineLanes.Where(l => drawn.Any(e => l.Kinds.Contains(e.Kind))).ToList();
        var traces = new List<Trace>();
        var layout = new List<(string, object)>();
        double gap = 0.04, height = lanes.Count == 0 ? 1 : (1 - (gap * (lanes.Count - 1))) / lanes.Count;
        for (int i = 0; i < lanes.Count; i++)
        {
            var (lane, kinds) = lanes[i];
            string axis = i == 0 ? "y" : $"y{i + 1}";
            double top = 1 - (i * (height + gap));
            layout.Add((i == 0 ? "yaxis" : $"yaxis{i + 1}", new Dictionary<string, object>
            {
                ["domain"] = new[] { Math.Max(0, top - height), top },
                ["title"] = new Dictionary<string, object> { ["text"] = lane, ["font"] = new Dictionary<string, object> { ["size"] = 11 } },
                ["automargin"] = true,
                ["fixedrange"] = true,
            }));
            var laneEvents = drawn.Where(e => kinds.Contains(e.Kind)).ToList();
            foreach (var group in laneEvents.GroupBy(e => (e.Kind, e.Category, e.Source)).OrderBy(g => g.Key.Kind, StringComparer.Ordinal))
            {
                var list = group.OrderBy(e => wall ? e.Time!.Value.UtcTicks : e.Offset.Ticks).ToList();
                // a .NET thread count rides the goroutine lane (one kind), named for what it counts
                string name = group.Key.Kind == TimelineKinds.Goroutines && group.Key.Category == "threads" ? $"Threads · {group.Key.Source}"
                    : $"{group.Key.Kind}{(group.Key.Category is { } c ? $" ({c})" : "")} · {group.Key.Source}";
                string[] text = list.Select(e => e.Detail).ToArray();
                if (group.Key.Kind is TimelineKinds.Heap or TimelineKinds.GcCpu or TimelineKinds.Goroutines)
                {
                    double scale = group.Key.Kind == TimelineKinds.Heap ? 1e-6 : 1;
                    traces.Add(Trace("scatter", ("x", list.Select(X).ToArray()), ("y", list.Select(e => Math.Round((e.Value ?? 0) * scale, 3)).ToArray()),
                        ("mode", list.Count > 1 ? "lines+markers" : "markers"), ("line", new Dictionary<string, object> { ["shape"] = "hv" }), ("name", name), ("yaxis", axis),
                        ("text", text), ("hovertemplate", "%{text}<extra>%{fullData.name}</extra>")));
                }
                else if (list.Any(e => e.Duration is { } d && d > TimeSpan.Zero))
                {
                    // Bands: each interval drawn as a thick line from its start to its end, gaps between them.
                    var xs = new List<object?>();
                    var ys = new List<object?>();
                    var hover = new List<string?>();
                    foreach (var e in list)
                    {
                        xs.AddRange([X(e), XEnd(e), null]);
                        ys.AddRange([name, name, null]);
                        hover.AddRange([e.Detail, e.Detail, null]);
                    }

                    traces.Add(Trace("scatter", ("x", xs.ToArray()), ("y", ys.ToArray()), ("mode", "lines+markers"), ("name", name), ("yaxis", axis),
                        ("line", new Dictionary<string, object> { ["width"] = 10, ["color"] = BandColor(group.Key.Kind, group.Key.Category) }),
                        ("marker", new Dictionary<string, object> { ["size"] = 4 }), ("connectgaps", false),
                        ("text", hover.ToArray()), ("hovertemplate", "%{text}<extra>%{fullData.name}</extra>")));
                }
                else
                {
                    traces.Add(Trace("scatter", ("x", list.Select(X).ToArray()), ("y", list.Select(_ => name).ToArray()), ("mode", "markers"), ("name", name), ("yaxis", axis),
                        ("marker", new Dictionary<string, object> { ["size"] = 10, ["symbol"] = group.Key.Kind == TimelineKinds.Pause ? "line-ns-open" : "diamond", ["color"] = BandColor(group.Key.Kind, group.Key.Category) }),
                        ("text", text), ("hovertemplate", "%{text}<extra>%{fullData.name}</extra>")));
                }
            }
        }

        int left = events.Count - drawn.Count;
        string heading = left == 0 ? title : string.Create(CultureInfo.InvariantCulture, $"{title} ({left:N0} events not on this axis: not anchored)");
        var xaxis = new Dictionary<string, object>
        {
            ["type"] = wall ? "date" : "linear",
            ["title"] = new Dictionary<string, object> { ["text"] = wall ? "wall clock (UTC)" : $"seconds on {clock}" },
            ["anchor"] = lanes.Count == 0 ? "y" : (lanes.Count == 1 ? "y" : $"y{lanes.Count}"),
            ["showspikes"] = true,
            ["spikemode"] = "across",
        };
        layout.Add(("xaxis", xaxis));
        layout.Add(("hovermode", "closest"));
        layout.Add(("legend", new Dictionary<string, object> { ["orientation"] = "h", ["y"] = -0.12 }));
        return Chart(traces, heading, height: 160 + (150 * Math.Max(1, lanes.Count)), [.. layout]);
    }

    /// <summary>A GC the program asked for (Go's forced, .NET's Induced…), told apart from those allocation triggered.</summary>
    private static bool Requested(string? category) =>
        category is not null && (category.Equals("forced", StringComparison.OrdinalIgnoreCase) || category.StartsWith("induced", StringComparison.OrdinalIgnoreCase));

    private static string BandColor(string kind, string? category) => (kind, category) switch
    {
        (TimelineKinds.GC, _) when Requested(category) => "#d62728",
        (TimelineKinds.GC, _) => "#1f77b4",
        (TimelineKinds.Pause, _) => "#000000",
        (TimelineKinds.CpuProfile, _) => "#ff7f0e",
        (TimelineKinds.Trace, _) => "#2ca02c",
        (TimelineKinds.Dump, _) => "#9467bd",
        (TimelineKinds.ProcessStart, _) => "#8c564b",
        (TimelineKinds.Exception, _) => "#e377c2",
        (TimelineKinds.Contention, _) => "#bcbd22",
        _ => "#7f7f7f",
    };
}
