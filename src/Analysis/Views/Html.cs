using System.Globalization;
using System.Text;

namespace Analysis.Views;

/// <summary>One cell of an HTML table: its text and whether it sits right (numbers).</summary>
/// <param name="Text">The cell's plain text (escaped when written; long text is cut, the whole in a tooltip).</param>
/// <param name="AlignRight">Whether it is right-aligned (numbers).</param>
public readonly record struct HtmlCell(string Text, bool AlignRight = false);

/// <summary>
/// The one HTML escape and the one HTML table of the repository: notebook outputs, reports, the notebook kernels. A
/// table is <c>&lt;table class="analysis"&gt;</c> with inline alignment, so it reads the same with or without a page's CSS.
/// </summary>
public static class Html
{
    /// <summary>Cells longer than this are cut in tables (the whole text is in the cell's tooltip).</summary>
    public const int MaxCellLength = 240;

    /// <summary>
    /// <paramref name="text"/> safe inside an element or a quoted attribute: &amp; &lt; &gt; " and ' become entities;
    /// everything else stays as it is (pages declare UTF-8).
    /// </summary>
    public static string Escape(string? text)
    {
        if (string.IsNullOrEmpty(text))
            return "";
        if (text.AsSpan().IndexOfAny("&<>\"'") < 0)
            return text;
        var sb = new StringBuilder(text.Length + 16);
        foreach (char c in text)
        {
            switch (c)
            {
                case '&': sb.Append("&amp;"); break;
                case '<': sb.Append("&lt;"); break;
                case '>': sb.Append("&gt;"); break;
                case '"': sb.Append("&quot;"); break;
                case '\'': sb.Append("&#39;"); break;
                default: sb.Append(c); break;
            }
        }

        return sb.ToString();
    }

    /// <summary>
    /// A table of <paramref name="rows"/> in <paramref name="view"/>: a column per view column (those a terminal draws
    /// under another get their own here; a view's group-by property comes first), at most <paramref name="maxRows"/> rows.
    /// </summary>
    public static string Table(View view, IEnumerable<object?> rows, int maxRows = int.MaxValue)
    {
        ArgumentNullException.ThrowIfNull(view);
        ArgumentNullException.ThrowIfNull(rows);
        var columns = view.Columns.ToList();
        if (view.GroupBy is { } group)
            columns.Insert(0, ViewColumn.Of(group));
        var list = rows as IReadOnlyCollection<object?> ?? rows.ToList();
        var cells = list.Take(maxRows).Select(row => (IReadOnlyList<HtmlCell>)columns
            .Select(c => row is null ? new HtmlCell("") : new HtmlCell(c.Text(row), c.Alignment == CellAlignment.Right)).ToArray());
        return Table([.. columns.Select(c => c.Header)], cells, list.Count);
    }

    /// <summary>
    /// The table: a header row (none when <paramref name="headers"/> is empty), then the rows; when
    /// <paramref name="totalRows"/> is more than the rows given, a note says how many were left out.
    /// </summary>
    public static string Table(IReadOnlyList<string> headers, IEnumerable<IReadOnlyList<HtmlCell>> rows, int? totalRows = null)
    {
        ArgumentNullException.ThrowIfNull(headers);
        ArgumentNullException.ThrowIfNull(rows);
        var sb = new StringBuilder("<table class=\"analysis\">");
        if (headers.Count > 0)
        {
            sb.Append("<thead><tr>");
            foreach (string header in headers)
                sb.Append("<th>").Append(Escape(header)).Append("</th>");
            sb.Append("</tr></thead>");
        }

        sb.Append("<tbody>");
        int shown = 0;
        foreach (var row in rows)
        {
            sb.Append("<tr>");
            foreach (var cell in row)
                AppendCell(sb, cell);
            sb.Append("</tr>\n"); // a row a line: the page's source, and its text without the tags, read row by row
            shown++;
        }

        sb.Append("</tbody></table>");
        if (totalRows > shown)
            sb.Append(CultureInfo.InvariantCulture, $"<p><em>{totalRows - shown:N0} more rows not shown.</em></p>");
        return sb.ToString();
    }

    /// <summary>A two-column table of one object: a row per name and its text.</summary>
    public static string Properties(IEnumerable<(string Name, string Text)> properties)
    {
        ArgumentNullException.ThrowIfNull(properties);
        var sb = new StringBuilder("<table class=\"analysis\"><tbody>");
        foreach (var (name, text) in properties)
        {
            sb.Append("<tr><th style=\"text-align:left\">").Append(Escape(name)).Append("</th>");
            AppendCell(sb, new HtmlCell(text));
            sb.Append("</tr>");
        }

        return sb.Append("</tbody></table>").ToString();
    }

    /// <summary>The rows of <paramref name="view"/> for one object (a list view reads like this).</summary>
    public static string Properties(View view, object value)
    {
        ArgumentNullException.ThrowIfNull(view);
        ArgumentNullException.ThrowIfNull(value);
        return Properties(view.Columns.Select(c => (c.Header, c.Text(value))));
    }

    private static void AppendCell(StringBuilder sb, HtmlCell cell)
    {
        string text = cell.Text;
        sb.Append("<td");
        if (cell.AlignRight)
            sb.Append(" style=\"text-align:right\"");
        if (text.Length > MaxCellLength)
        {
            sb.Append(" title=\"").Append(Escape(text)).Append('"');
            text = text[..MaxCellLength] + "…";
        }

        sb.Append('>').Append(Escape(text).Replace("\n", "<br>", StringComparison.Ordinal)).Append("</td>");
    }
}
