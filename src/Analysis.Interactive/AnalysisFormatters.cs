using System.Collections;
using System.Net;
using Analysis.Dumps;
using Analysis.Go;
using Analysis.Reporting;
using Analysis.Stacks;
using Analysis.Traces;
using Microsoft.DotNet.Interactive.Formatting;
using Plotly.NET;

namespace Analysis.Interactive;

/// <summary>
/// Registers notebook formatters for the Analysis result types: "text/html" as readable tables (with a chart beside
/// the big result types, the same as our headless runner and reports show) and a sensible "text/plain".
/// Only the Formatting package is used, so the kernel itself is not a compile-time dependency.
/// </summary>
public static class AnalysisFormatters
{
    private static readonly object s_gate = new();

    /// <summary>The result types formatted, singly and as sequences (IEnumerable&lt;T&gt;).</summary>
    public static IReadOnlyList<Type> Types { get; } =
    [
        typeof(DumpSession), typeof(DumpThread), typeof(DeadlockCycle), typeof(HeapStatistics), typeof(HeapTypeStat), typeof(HeapTypeDiff),
        typeof(RetainedTypeStat), typeof(GcRootPath), typeof(StuckAwaitGroup), typeof(AsyncStateMachine), typeof(SyncOverAsyncWait), typeof(Finding),
        typeof(ThreadPoolReport), typeof(FinalizerReport),
        typeof(TraceSession), typeof(GcEvent), typeof(GcSummary), typeof(CpuFunction), typeof(FoldedStack), typeof(TraceException), typeof(ContentionEvent),
        typeof(Goroutine), typeof(StackBucket), typeof(LeakSuspect), typeof(PprofProfile), typeof(PprofTopRow), typeof(PprofPeekRow), typeof(PprofTrace),
        typeof(GcCycle), typeof(GcTraceSummary), typeof(GoExecutionTrace), typeof(GoTraceGc), typeof(GoTraceStopTheWorld), typeof(GoBlockReason), typeof(GoStateSample),
    ];

    /// <summary>
    /// Registers the formatters; safe to call more than once. The argument is ignored (the kernel passes itself to
    /// some extension entry points; we do not need it).
    /// </summary>
    public static void Load(object? kernel = null)
    {
        _ = kernel;
        lock (s_gate)
        {
            // registered already (and not reset since): nothing to do
            if (Formatter.RegisteredFormatters(includeDefaults: false).Any(f => f.Type == typeof(HeapTypeStat)))
                return;
            foreach (var type in Types)
            {
                Formatter.Register(type, (value, writer) => writer.Write(Html(value)), HtmlFormatter.MimeType);
                Formatter.Register(type, (value, writer) => writer.Write(Plain(value)), PlainTextFormatter.MimeType);
                var sequence = typeof(IEnumerable<>).MakeGenericType(type);
                Formatter.Register(sequence, (value, writer) => writer.Write(Html(value)), HtmlFormatter.MimeType);
                Formatter.Register(sequence, (value, writer) => writer.Write(Plain(value)), PlainTextFormatter.MimeType);
            }

            // Plotly.NET.Interactive formats charts when it is loaded; otherwise ours does (loading plotly.js when the page lacks it).
            if (!AppDomain.CurrentDomain.GetAssemblies().Any(a => a.GetName().Name == "Plotly.NET.Interactive"))
                Formatter.Register(typeof(GenericChart), (value, writer) => writer.Write(Display.ChartHtml((GenericChart)value)), HtmlFormatter.MimeType);
        }
    }

    internal static string Html(object? value)
    {
        var data = Display.Format(value);
        return data.TryGetValue("text/html", out string? html) ? html : "<pre>" + WebUtility.HtmlEncode(data["text/plain"]) + "</pre>";
    }

    internal static string Plain(object? value) => Display.Format(value is IEnumerable and not string ? ((IEnumerable)value).Cast<object?>().ToList() : value)["text/plain"];
}
