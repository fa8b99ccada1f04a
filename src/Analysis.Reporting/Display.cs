using System.Collections;
using System.Globalization;
using System.Reflection;
using System.Text;
using Analysis.Dumps;
using Analysis.Findings;
using Analysis.Go;
using Analysis.Stacks;
using Analysis.Traces;
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
    /// The columns a table shows for the main result types (as the PowerShell views do); other types show their
    /// scalar public properties. "Header=Path" names a nested value, e.g. "TopFrame=TopFrame.Function".
    /// </summary>
    private static readonly Dictionary<Type, string[]> s_columns = new()
    {
        [typeof(DumpThread)] = ["ManagedThreadId", "OSThreadId", "Name", "State", "BlockedOn", "LockOwnerThreadId", "Exception=Exception.Type", "TopFrame=TopFrame.Function"],
        [typeof(HeapTypeStat)] = ["Count", "TotalSize", "AverageSize", "TypeName"],
        [typeof(HeapTypeDiff)] = ["CountDelta", "SizeDelta", "Count", "TotalSize", "BaselineCount", "BaselineSize", "TypeName"],
        [typeof(RetainedTypeStat)] = ["Count", "ShallowSize", "RetainedSize", "TypeName"],
        [typeof(GcRootPath)] = ["Count", "RootKind", "Path"],
        [typeof(StuckAwaitGroup)] = ["Count", "Chain", "Awaiting"],
        [typeof(AsyncStateMachine)] = ["Address", "Status", "State", "Method", "Awaiting"],
        [typeof(SyncOverAsyncWait)] = ["ThreadLabel", "BlockingFrame", "Task"],
        [typeof(Finding)] = ["Severity", "Kind", "Summary"],
        [typeof(GcEvent)] = ["Number", "Generation", "Type", "Reason", "StartMSec", "PauseMSec", "HeapSizeBeforeMB", "HeapSizeAfterMB", "PromotedMB"],
        [typeof(CpuFunction)] = ["ExclusivePercent", "InclusivePercent", "ExclusiveSamples", "InclusiveSamples", "Module", "Function"],
        [typeof(FoldedStack)] = ["Samples", "Stack"],
        [typeof(TraceException)] = ["TimeMSec", "ThreadId", "Type", "Message", "ThrownIn=ThrownIn.Function"],
        [typeof(ContentionEvent)] = ["TimeMSec", "ThreadId", "DurationMSec", "LockKind", "OwnerThreadId"],
        [typeof(Goroutine)] = ["Id", "State", "WaitMinutes", "TopFrame=TopFrame.Function", "CreatedBy=CreatedBy.Function"],
        [typeof(StackBucket)] = ["Count", "Runtime", "State", "MinWaitMinutes", "MaxWaitMinutes", "TopFrame=TopFrame.Function", "CreatedBy=CreatedBy.Function"],
        [typeof(LeakSuspect)] = ["Count", "State", "WaitMinutes", "Site=Site.Function", "CreatedBy=CreatedBy.Function"],
        [typeof(PprofTopRow)] = ["FlatText", "FlatPercent", "SumPercent", "CumText", "CumPercent", "Function"],
        [typeof(GcCycle)] = ["Number", "AtSeconds", "PauseMs", "HeapStartMB", "HeapEndMB", "HeapLiveMB", "HeapGoalMB", "Procs", "Forced"],
    };

    /// <summary>Cells longer than this are cut in tables (the whole text is in the cell's tooltip).</summary>
    private const int MaxCellLength = 240;

    /// <summary>An HTML table of objects: the type's chosen columns, else its scalar public properties (collections as counts).</summary>
    public static string Table(IEnumerable<object?> rows)
    {
        var list = rows.ToList();
        var type = list.FirstOrDefault(r => r is not null)?.GetType();
        if (type is null)
            return "<p><em>(no rows)</em></p>";
        if (!IsRecordLike(type))
            return "<table>" + string.Concat(list.Take(MaxRows).Select(r => $"<tr><td>{E(r?.ToString() ?? "")}</td></tr>")) + "</table>";
        var columns = ColumnsOf(type);
        var sb = new StringBuilder("<table class=\"analysis\"><thead><tr>");
        foreach (var (header, _) in columns)
            sb.Append("<th>").Append(E(header)).Append("</th>");
        sb.Append("</tr></thead><tbody>");
        foreach (var row in list.Take(MaxRows))
        {
            sb.Append("<tr>");
            foreach (var (_, get) in columns)
            {
                object? v = row is null ? null : get(row);
                bool number = v is int or long or double or float or uint or ulong or decimal;
                string text = Text(v);
                if (text.Length > MaxCellLength)
                    sb.Append("<td title=\"").Append(E(text)).Append("\">").Append(E(text[..MaxCellLength])).Append("…</td>");
                else
                    sb.Append(number ? "<td style=\"text-align:right\">" : "<td>").Append(E(text)).Append("</td>");
            }

            sb.Append("</tr>");
        }

        sb.Append("</tbody></table>");
        if (list.Count > MaxRows)
            sb.Append(CultureInfo.InvariantCulture, $"<p><em>{list.Count - MaxRows:N0} more rows not shown.</em></p>");
        return sb.ToString();
    }

    private static (string Header, Func<object, object?> Get)[] ColumnsOf(Type type)
    {
        if (!s_columns.TryGetValue(type, out var spec))
            return Columns(type).Select(p => (p.Name, (Func<object, object?>)p.GetValue)).ToArray();
        return spec.Select(c =>
        {
            string[] parts = c.Split('=', 2);
            string header = parts[0];
            string[] path = (parts.Length == 2 ? parts[1] : parts[0]).Split('.');
            return (header, (Func<object, object?>)(row =>
            {
                object? value = row;
                foreach (string name in path)
                    value = value?.GetType().GetProperty(name)?.GetValue(value);
                return value;
            }));
        }).ToArray();
    }

    private static string Properties(object value)
    {
        var sb = new StringBuilder("<table class=\"analysis\"><tbody>");
        foreach (var p in Columns(value.GetType()))
            sb.Append("<tr><th style=\"text-align:left\">").Append(E(p.Name)).Append("</th><td>").Append(E(Text(p.GetValue(value)))).Append("</td></tr>");
        return sb.Append("</tbody></table>").ToString();
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
        _ => "",
    };

    private static bool IsRecordLike(Type type) =>
        type.Namespace?.StartsWith("Analysis", StringComparison.Ordinal) == true && !typeof(IEnumerable).IsAssignableFrom(type);

    private static PropertyInfo[] Columns(Type type) =>
        type.GetProperties(BindingFlags.Public | BindingFlags.Instance)
            .Where(p => p.GetIndexParameters().Length == 0 && p.DeclaringType != typeof(object))
            .Where(p => p.PropertyType != typeof(string) ? !typeof(IDictionary).IsAssignableFrom(p.PropertyType) : true)
            .ToArray();

    private static string Text(object? v) => v switch
    {
        null => "",
        string s => s,
        double d => d.ToString("N2", CultureInfo.InvariantCulture),
        float f => f.ToString("N2", CultureInfo.InvariantCulture),
        long or int or uint or ulong => ((IFormattable)v).ToString("N0", CultureInfo.InvariantCulture),
        IEnumerable e => $"{e.Cast<object>().Count():N0} items",
        _ => v.ToString() ?? "",
    };

    private static string E(string text) =>
        text.Replace("&", "&amp;", StringComparison.Ordinal).Replace("<", "&lt;", StringComparison.Ordinal).Replace(">", "&gt;", StringComparison.Ordinal)
            .Replace("\"", "&quot;", StringComparison.Ordinal);
}
