using System.Collections;
using System.Reflection;
using Analysis.Dumps;
using Analysis.Views;
using Microsoft.DotNet.Interactive.Formatting;

namespace Analysis.Interactive;

/// <summary>
/// The notebook extension: registers "text/html" (a table, with a chart beside the big result types — what our
/// headless runner and reports show) and "text/plain" formatters for every result type and sequences of them, and,
/// in a .NET Interactive kernel, makes its PowerShell kernels show pipeline output the same way
/// (<see cref="PowerShellOutput"/>). Tables and charts come from Analysis.Reporting, loaded with Plotly.NET and its
/// FSharp.Core in a context of their own (<see cref="ReportingContext"/>), so charts work whatever FSharp.Core the
/// kernel loaded. The core knows nothing of notebooks; this only registers.
/// </summary>
public static class AnalysisFormatters
{
    private static readonly object s_gate = new();
    private static Func<object?, IReadOnlyDictionary<string, string>>? s_format;
    private static Assembly? s_reporting;

    /// <summary>
    /// The result types formatted, singly and as sequences (IEnumerable&lt;T&gt;): every core type with a view in the
    /// catalog (<see cref="ViewCatalog"/>), and the heap statistics and deadlock cycles drawn as charts.
    /// </summary>
    public static IReadOnlyList<Type> Types { get; } =
    [
        .. ViewCatalog.Views.Select(v => v.Type).Where(t => t.Assembly == typeof(ViewCatalog).Assembly),
        typeof(HeapStatistics), typeof(DeadlockCycle),
    ];

    /// <summary>The Analysis.Reporting assembly the formatters draw with (in its own load context when the extension ships one).</summary>
    internal static Assembly Reporting
    {
        get
        {
            EnsureReporting();
            return s_reporting!;
        }
    }

    /// <summary>
    /// Registers the formatters, starts the shared dump worker (<see cref="Analysis.Isolation.SharedWorker"/>) and, in a
    /// .NET Interactive kernel, hooks its PowerShell kernels; safe to call more than once. <paramref name="kernel"/> is
    /// the kernel to hook (any kernel of the notebook; its root is used), by default the one running the calling cell.
    /// </summary>
    public static void Load(object? kernel = null)
    {
        // the first dump opened in the notebook takes a worker started now (as Import-Module does in PowerShell)
        Analysis.Isolation.SharedWorker.Start();
        lock (s_gate)
        {
            EnsureReporting();
            // registered already (and not reset since): only the kernel hooks may be new
            if (!Formatter.RegisteredFormatters(includeDefaults: false).Any(f => f.Type == typeof(HeapTypeStat)))
                Register();
        }

        // Outside a kernel (our tests, a headless runner) the kernel assembly is absent: nothing to hook.
        if (kernel is not null || AppDomain.CurrentDomain.GetAssemblies().Any(a => a.GetName().Name == "Microsoft.DotNet.Interactive"))
            KernelHooks.Attach(kernel);
    }

    private static void Register()
    {
        foreach (var type in Types)
        {
            Formatter.Register(type, (value, writer) => writer.Write(Html(value)), HtmlFormatter.MimeType);
            Formatter.Register(type, (value, writer) => writer.Write(Plain(value)), PlainTextFormatter.MimeType);
            var sequence = typeof(IEnumerable<>).MakeGenericType(type);
            Formatter.Register(sequence, (value, writer) => writer.Write(Html(value)), HtmlFormatter.MimeType);
            Formatter.Register(sequence, (value, writer) => writer.Write(Plain(value)), PlainTextFormatter.MimeType);
        }

        // results of another copy of our libraries (the PowerShell module's own context), drawn by that copy
        Formatter.Register(typeof(ForeignResult), (value, writer) => writer.Write(((ForeignResult)value).Html), HtmlFormatter.MimeType);
        Formatter.Register(typeof(ForeignResult), (value, writer) => writer.Write(((ForeignResult)value).Plain), PlainTextFormatter.MimeType);
    }

    private static void EnsureReporting()
    {
        if (s_format is not null)
            return;
        var (format, reporting) = ReportingContext.Open(ReportingContext.FindFolder(typeof(AnalysisFormatters).Assembly.Location));
        s_reporting = reporting;
        s_format = format;
    }

    /// <summary>Mime type → content for a value, from Analysis.Reporting's Display.</summary>
    internal static IReadOnlyDictionary<string, string> Format(object? value)
    {
        EnsureReporting();
        return s_format!(value);
    }

    internal static string Html(object? value)
    {
        var data = Format(value);
        return data.TryGetValue("text/html", out string? html) ? html : "<pre>" + Views.Html.Escape(data["text/plain"]) + "</pre>";
    }

    internal static string Plain(object? value) => Format(value is IEnumerable and not string ? ((IEnumerable)value).Cast<object?>().ToList() : value)["text/plain"];
}
