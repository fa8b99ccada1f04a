using System.Globalization;
using System.Text;
using Analysis.Findings;
using Analysis.Views;
using Plotly.NET;

namespace Analysis.Reporting;

/// <summary>
/// A self-contained offline HTML document: headings, text, findings, tables and Plotly charts. plotly.js (from the
/// Plotly.NET assembly) is embedded once per document, only when there are charts, so the file opens without network.
/// </summary>
public sealed class HtmlReport
{
    private static readonly Lazy<string> s_plotlyJs = new(() =>
    {
        var assembly = typeof(GenericChart).Assembly;
        string name = assembly.GetManifestResourceNames().Single(n => n.StartsWith("Plotly.NET.plotly-", StringComparison.Ordinal) && n.EndsWith(".min.js", StringComparison.Ordinal));
        using var stream = assembly.GetManifestResourceStream(name)!;
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    });

    private readonly StringBuilder _body = new();
    private readonly StringBuilder _extraCss = new();
    private int _charts;

    /// <summary>An empty document; <paramref name="title"/> is its &lt;title&gt; and top heading.</summary>
    public HtmlReport(string title)
    {
        Title = title;
    }

    /// <summary>The document's &lt;title&gt; and &lt;h1&gt;.</summary>
    public string Title { get; }

    /// <summary>Charts added so far.</summary>
    public int ChartCount => _charts;

    /// <summary>The plotly.js source embedded in reports.</summary>
    public static string PlotlyJs => s_plotlyJs.Value;

    /// <summary>The plotly.js version embedded in reports.</summary>
    public static string PlotlyVersion => typeof(GenericChart).Assembly.GetManifestResourceNames()
        .Single(n => n.StartsWith("Plotly.NET.plotly-", StringComparison.Ordinal) && n.EndsWith(".min.js", StringComparison.Ordinal))["Plotly.NET.plotly-".Length..^".min.js".Length];

    /// <summary>Appends a heading; <paramref name="level"/> is clamped to 1–4 (h1–h4). Returns this report.</summary>
    public HtmlReport Heading(string text, int level = 2)
    {
        level = Math.Clamp(level, 1, 4);
        _body.Append(CultureInfo.InvariantCulture, $"<h{level}>{E(text)}</h{level}>\n");
        return this;
    }

    /// <summary>Appends a paragraph of plain text (escaped).</summary>
    public HtmlReport Paragraph(string text)
    {
        _body.Append("<p>").Append(E(text)).Append("</p>\n");
        return this;
    }

    /// <summary>The analyzers' findings, in the order given, as one line each (<see cref="Finding.Title"/>) coloured by severity.</summary>
    public HtmlReport Findings(IEnumerable<Finding> findings) =>
        Findings(findings.Select(f => (f.Severity switch { FindingSeverity.Critical => "high", FindingSeverity.Warning => "medium", _ => "info" }, f.Title)));

    /// <summary>A list of findings; severity "high", "medium" or "info" colours each item.</summary>
    public HtmlReport Findings(IEnumerable<(string Severity, string Text)> findings)
    {
        var list = findings.ToList();
        if (list.Count == 0)
        {
            _body.Append("<p class=\"ok\">Nothing stands out.</p>\n");
            return this;
        }

        _body.Append("<ul class=\"findings\">\n");
        foreach (var (severity, text) in list)
            _body.Append("<li class=\"").Append(E(severity)).Append("\">").Append(E(text)).Append("</li>\n");
        _body.Append("</ul>\n");
        return this;
    }

    /// <summary>Appends text in a &lt;pre&gt; block (escaped), e.g. a stack.</summary>
    public HtmlReport Preformatted(string text)
    {
        _body.Append("<pre>").Append(E(text)).Append("</pre>\n");
        return this;
    }

    /// <summary>A table of rows in their type's view (<see cref="ViewCatalog"/>): the columns every surface shows.</summary>
    public HtmlReport Table<T>(IEnumerable<T> rows)
    {
        _body.Append(Html.Table(ViewCatalog.For(typeof(T)), rows.Cast<object?>())).Append('\n');
        return this;
    }

    /// <summary>A table of rows that are no result type of their own (groups made for the page); numbers are right-aligned and grouped.</summary>
    public HtmlReport Table<T>(IEnumerable<T> rows, params (string Header, Func<T, object?> Value)[] columns)
    {
        var cells = rows.Select(row => (IReadOnlyList<HtmlCell>)columns.Select(c => Cell(c.Value(row))).ToArray());
        _body.Append(Html.Table([.. columns.Select(c => c.Header)], cells)).Append('\n');
        return this;

        static HtmlCell Cell(object? v)
        {
            bool number = v is int or long or double or float or decimal or uint or ulong;
            string text = v switch
            {
                null => "",
                double d => d.ToString("N2", CultureInfo.InvariantCulture),
                float f => f.ToString("N2", CultureInfo.InvariantCulture),
                IFormattable n when number => n.ToString("N0", CultureInfo.InvariantCulture),
                _ => v.ToString() ?? "",
            };
            return new HtmlCell(text, number);
        }
    }

    /// <summary>Appends a Plotly.NET chart; the page then embeds plotly.js (once).</summary>
    public HtmlReport Chart(GenericChart chart)
    {
        ArgumentNullException.ThrowIfNull(chart);
        _charts++;
        _body.Append("<div class=\"chart\">").Append(GenericChart.toChartHTML(chart)).Append("</div>\n");
        return this;
    }

    /// <summary>
    /// Appends HTML as it is (e.g. a notebook output). Say whether it holds Plotly.NET chart HTML so the page
    /// embeds plotly.js (once).
    /// </summary>
    public HtmlReport Raw(string html, bool containsCharts = false)
    {
        ArgumentNullException.ThrowIfNull(html);
        if (containsCharts)
            _charts++;
        _body.Append(html).Append('\n');
        return this;
    }

    /// <summary>Extra CSS rules for the page (after the built-in ones).</summary>
    public HtmlReport Style(string css)
    {
        _extraCss.Append(css).Append('\n');
        return this;
    }

    /// <summary>The whole document.</summary>
    public string Render()
    {
        var html = new StringBuilder(_body.Length + (_charts > 0 ? s_plotlyJs.Value.Length : 0) + 4096);
        html.Append("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<meta name=\"generator\" content=\"Analysis\">\n");
        html.Append("<title>").Append(E(Title)).Append("</title>\n<style>\n").Append(Css).Append(_extraCss).Append("</style>\n");
        if (_charts > 0)
            html.Append("<script type=\"text/javascript\">\n").Append(s_plotlyJs.Value).Append("\n</script>\n");
        html.Append("</head>\n<body>\n<h1>").Append(E(Title)).Append("</h1>\n");
        html.Append(_body);
        html.Append(CultureInfo.InvariantCulture, $"<footer>Generated {DateTimeOffset.UtcNow:u} by Analysis; charts by plotly.js {PlotlyVersion}, embedded (works offline).</footer>\n");
        html.Append("</body>\n</html>\n");
        return html.ToString();
    }

    /// <summary>Writes <see cref="Render"/> to <paramref name="path"/> as UTF-8, creating its folder; overwrites an existing file.</summary>
    public void Save(string path)
    {
        string full = Path.GetFullPath(path);
        if (Path.GetDirectoryName(full) is { } dir)
            Directory.CreateDirectory(dir);
        File.WriteAllText(full, Render(), new UTF8Encoding(false));
    }

    private static string E(string text) => Html.Escape(text);

    private const string Css = """
        body { font-family: system-ui, -apple-system, "Segoe UI", sans-serif; margin: 2rem auto; max-width: 1100px; color: #1d2733; padding: 0 1rem; }
        h1 { font-size: 1.6rem; border-bottom: 2px solid #d0d7de; padding-bottom: .4rem; }
        h2 { font-size: 1.25rem; margin-top: 2rem; border-bottom: 1px solid #e5e9ee; }
        h3 { font-size: 1.05rem; }
        table { border-collapse: collapse; margin: .6rem 0 1rem; font-size: .86rem; }
        th, td { border: 1px solid #d0d7de; padding: .25rem .55rem; text-align: left; vertical-align: top; }
        th { background: #f3f5f8; }
        td { font-variant-numeric: tabular-nums; }
        pre { background: #f6f8fa; padding: .7rem; overflow-x: auto; font-size: .82rem; }
        ul.findings li { margin: .25rem 0; padding-left: .3rem; }
        ul.findings li.high { color: #b42318; font-weight: 600; }
        ul.findings li.medium { color: #b54708; }
        p.ok { color: #067647; }
        .chart { margin: 1rem 0; }
        footer { margin-top: 3rem; color: #6b7785; font-size: .8rem; }

        """;
}
