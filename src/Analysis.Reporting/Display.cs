using System.Collections;
using System.Globalization;
using System.Text;
using Analysis.Dumps;
using Analysis.Findings;
using Analysis.Go;
using Analysis.Stacks;
using Analysis.Traces;
using Analysis.Views;
using Plotly.NET;

namespace Analysis.Reporting;

/// <summary>
/// How a value looks in a notebook or report: "text/plain" always, "text/html" as a readable table (with a chart
/// beside the big result types) instead of a tree view. Shared by the notebook runner and the Interactive extension.
/// </summary>
public static partial class Display
{
    /// <summary>Rows shown in a table before it is cut (the text says how many were left out).</summary>
    public const int MaxRows = 200;

    /// <summary>Mime type → content for a value. Charts come as chart HTML; the page must provide plotly.js.</summary>
    public static IReadOnlyDictionary<string, string> Format(object? value)
    {
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        switch (value)
        {
            case null:
                result["text/plain"] = "<null>";
                return result;
            case string s:
                result["text/plain"] = s;
                return result;
            case GenericChart chart:
                result["text/html"] = ChartHtml(chart);
                result["text/plain"] = "[chart]";
                return result;
            case HeapStatistics heap:
                result["text/html"] = Table(heap.Top(MaxRows)) + ChartHtml(Charts.HeapTop(heap.Top(15)));
                result["text/plain"] = string.Create(CultureInfo.InvariantCulture, $"{heap.TotalCount:N0} objects, {Bytes.Format(heap.TotalSize)} in {heap.Types.Count:N0} types");
                return result;
        }

        if (value is IEnumerable sequence && value is not IDictionary)
        {
            var items = sequence.Cast<object?>().ToList();
            result["text/plain"] = string.Join("\n", items.Take(MaxRows).Select(i => i?.ToString() ?? "")) + (items.Count > MaxRows ? $"\n… {items.Count - MaxRows:N0} more" : "");
            result["text/html"] = Table(items) + ChartFor(items);
            return result;
        }

        result["text/plain"] = value.ToString() ?? "";
        if (IsRecordLike(value.GetType()))
            result["text/html"] = Properties(value) + (value is DumpThread { Deadlock: { } cycle } ? ChartHtml(Charts.DeadlockCycle(cycle)) : "");
        return result;
    }

    /// <summary>
    /// A chart's HTML for a notebook output: draws with the page's plotly.js when there is one (our HTML pages embed
    /// it), else loads it (Jupyter/VS Code showing the stored .ipynb), through require.js where the page uses it.
    /// </summary>
    public static string ChartHtml(GenericChart chart)
    {
        string html = GenericChart.toChartHTML(chart);
        var call = RenderCall().Match(html);
        if (!call.Success)
            return html;
        string fn = call.Groups["fn"].Value;
        string url = $"https://cdn.plot.ly/plotly-{HtmlReport.PlotlyVersion}.min.js";
        string loader =
            $"if (typeof Plotly !== 'undefined') {{ {fn}(); }} " +
            $"else if (typeof require === 'function' && require.config) {{ require.config({{ paths: {{ plotly: '{url[..^3]}' }} }}); require(['plotly'], function (p) {{ window.Plotly = p; {fn}(); }}); }} " +
            $"else {{ var s = document.createElement('script'); s.src = '{url}'; s.onload = {fn}; document.head.appendChild(s); }}";
        return string.Concat(html.AsSpan(0, call.Index), loader, html.AsSpan(call.Index + call.Length));
    }

    [System.Text.RegularExpressions.GeneratedRegex(@"^(?<fn>renderPlotly_[0-9a-f]+)\(\);", System.Text.RegularExpressions.RegexOptions.Multiline)]
    private static partial System.Text.RegularExpressions.Regex RenderCall();

    /// <summary>
    /// An HTML table of objects: the type's view in the catalog (<see cref="ViewCatalog"/>), else its scalar public
    /// properties (collections as counts); at most <see cref="MaxRows"/> rows.
    /// </summary>
    public static string Table(IEnumerable<object?> rows)
    {
        var list = rows.ToList();
        var type = list.FirstOrDefault(r => r is not null)?.GetType();
        if (type is null)
            return "<p><em>(no rows)</em></p>";
        if (!IsRecordLike(type))
            return Html.Table([], list.Take(MaxRows).Select(r => (IReadOnlyList<HtmlCell>)[new HtmlCell(r?.ToString() ?? "")]), list.Count);
        return Html.Table(ViewCatalog.For(type), list, MaxRows);
    }

    /// <summary>One object: the items of its list view, else every scalar public property.</summary>
    private static string Properties(object value)
    {
        var view = ViewCatalog.Find(value.GetType()) is { Kind: ViewKind.List } list ? list : ViewCatalog.AllProperties(value.GetType());
        return Html.Properties(view, value);
    }

    private static string ChartFor(List<object?> items) => items.FirstOrDefault() switch
    {
        HeapTypeStat => ChartHtml(Charts.HeapTop(items.OfType<HeapTypeStat>().Take(20).ToArray())),
        HeapTypeDiff => ChartHtml(Charts.HeapGrowth(items.OfType<HeapTypeDiff>().Take(20).ToArray())),
        RetainedTypeStat => ChartHtml(Charts.RetainedTop(items.OfType<RetainedTypeStat>().Take(20).ToArray())),
        DumpThread => ChartHtml(Charts.ThreadStates(items.OfType<DumpThread>().ToArray())),
        GcEvent => ChartHtml(Charts.GcPauses(items.OfType<GcEvent>().ToArray())),
        StackBucket => ChartHtml(Charts.StackBuckets(items.OfType<StackBucket>().ToArray())),
        PprofTopRow => ChartHtml(Charts.PprofTop(items.OfType<PprofTopRow>().Take(30).ToArray())),
        FoldedStack => ChartHtml(Charts.FlameGraph(items.OfType<FoldedStack>().ToArray())),
        GcCycle => ChartHtml(Charts.GoGcCycles(items.OfType<GcCycle>().ToArray())),
        Timelines.TimelineEvent => ChartHtml(Charts.Timeline(items.OfType<Timelines.TimelineEvent>().ToArray())),
        _ => "",
    };

    private static bool IsRecordLike(Type type) =>
        type.Namespace?.StartsWith("Analysis", StringComparison.Ordinal) == true && !typeof(IEnumerable).IsAssignableFrom(type);
}
