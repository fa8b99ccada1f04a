using System.Globalization;
using System.Text;

namespace Analysis.Views;

/// <summary>
/// Rows that are bags of named values, such as PowerShell's [pscustomobject]s: one table with a column per name (in the
/// order the names first appear), as Format-Table-like text and as an HTML table (<see cref="Html.Table(IReadOnlyList{string}, IEnumerable{IReadOnlyList{HtmlCell}}, int?)"/>).
/// Numbers are grouped (two decimals for fractions) and sit right.
/// </summary>
public static class PropertyTable
{
    /// <summary>Widest a text column gets; longer values are cut with "…".</summary>
    public const int MaxTextWidth = 60;

    /// <summary>The text and HTML of <paramref name="rows"/>, at most <paramref name="maxRows"/> of them (the HTML says how many were left out).</summary>
    public static (string Plain, string Html) Render(IReadOnlyList<IReadOnlyList<KeyValuePair<string, object?>>> rows, int maxRows)
    {
        ArgumentNullException.ThrowIfNull(rows);
        var columns = rows.SelectMany(r => r.Select(p => p.Key)).Distinct(StringComparer.OrdinalIgnoreCase).ToList();
        var cells = rows.Take(maxRows).Select(r => columns.Select(c => Cell(r.FirstOrDefault(p => string.Equals(p.Key, c, StringComparison.OrdinalIgnoreCase)).Value)).ToArray()).ToList();
        var widths = columns.Select((c, i) => Math.Min(MaxTextWidth, Math.Max(c.Length, cells.Count == 0 ? 0 : cells.Max(r => r[i].Text.Length)))).ToArray();
        var text = new StringBuilder();
        text.AppendJoin(' ', columns.Select((c, i) => c.PadRight(widths[i]))).Append('\n');
        text.AppendJoin(' ', widths.Select(w => new string('-', w))).Append('\n');
        foreach (var row in cells)
            text.AppendJoin(' ', row.Select((v, i) => (v.Text.Length > widths[i] ? v.Text[..(widths[i] - 1)] + "…" : v.Text).PadRight(widths[i]))).Append('\n');
        string html = Html.Table(columns, cells.Select(r => (IReadOnlyList<HtmlCell>)r), rows.Count);
        return (text.ToString().TrimEnd('\n'), html);
    }

    private static HtmlCell Cell(object? value) => value switch
    {
        null => new HtmlCell(""),
        double d => new HtmlCell(d.ToString("N2", CultureInfo.InvariantCulture), true),
        float f => new HtmlCell(f.ToString("N2", CultureInfo.InvariantCulture), true),
        decimal m => new HtmlCell(m.ToString("N2", CultureInfo.InvariantCulture), true),
        long or int or short or uint or ulong or ushort or byte or sbyte => new HtmlCell(((IFormattable)value).ToString("N0", CultureInfo.InvariantCulture), true),
        _ => new HtmlCell(Convert.ToString(value, CultureInfo.InvariantCulture) ?? ""),
    };
}
