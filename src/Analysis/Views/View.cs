using System.Collections;
using System.Globalization;
using System.Reflection;

namespace Analysis.Views;

/// <summary>How a view lays out its objects: a table (a row per object) or a list (a line per property).</summary>
public enum ViewKind
{
    /// <summary>A row per object, a column per <see cref="ViewColumn"/>.</summary>
    Table,
    /// <summary>A line per property, "Header : value", one block per object.</summary>
    List,
}

/// <summary>Where a cell's text sits in its column.</summary>
public enum CellAlignment
{
    /// <summary>Text starts at the column's left edge.</summary>
    Left,
    /// <summary>Text ends at the column's right edge (numbers).</summary>
    Right,
}

/// <summary>
/// One column of a <see cref="View"/>: its header, how to get the value from a row, and how the value reads. Every
/// surface draws it from here: the module's format.ps1xml (generated at build time), notebook and report tables.
/// </summary>
public sealed record ViewColumn
{
    private readonly Func<object, object?> _get;

    private ViewColumn(string header, string? property, Func<object, object?> get)
    {
        Header = header;
        Property = property;
        _get = get;
    }

    /// <summary>The column's header (one word: terminals show it whole on one line).</summary>
    public string Header { get; }

    /// <summary>The property the value comes from ("TopFrame.Function" for a nested one); null when computed.</summary>
    public string? Property { get; }

    /// <summary>.NET format of the value ("N0", "+#,0;-#,0;0"), or null for the value's own text.</summary>
    public string? Format { get; init; }

    /// <summary>Where the text sits; numbers right.</summary>
    public CellAlignment Alignment { get; init; }

    /// <summary>Characters the column takes in a terminal table; 0 for "the rest of the line".</summary>
    public int Width { get; init; }

    /// <summary>
    /// In a terminal the value is shown on lines of its own under the previous column's value (there is no room for a
    /// column of its own), each line indented and starting with this word ("awaits", "created by"; "" for none);
    /// elsewhere it is a column like any other. Null for a column of its own everywhere.
    /// </summary>
    public string? Under { get; init; }

    /// <summary>
    /// Shown only where there is room (HTML tables: notebooks, reports); a terminal table, which must fit 80 columns,
    /// leaves it out.
    /// </summary>
    public bool Wide { get; init; }

    /// <summary>A column showing <paramref name="property"/> (a dotted path for a nested value) of the row.</summary>
    public static ViewColumn Of(string header, string property)
    {
        string[] path = property.Split('.');
        return new ViewColumn(header, property, row =>
        {
            object? value = row;
            foreach (string name in path)
                value = value?.GetType().GetProperty(name, BindingFlags.Public | BindingFlags.Instance)?.GetValue(value);
            return value;
        });
    }

    /// <summary>A column showing the property of the same name.</summary>
    public static ViewColumn Of(string property) => Of(property, property);

    /// <summary>A column whose value is computed from the row.</summary>
    public static ViewColumn Computed<T>(string header, Func<T, object?> value) => new(header, null, row => value((T)row));

    /// <summary>The value of this column for <paramref name="row"/>.</summary>
    public object? Value(object row) => _get(row);

    /// <summary>The value as it reads in a cell: formatted with <see cref="Format"/> (invariant culture), "" for none.</summary>
    public string Text(object row) => Text(Value(row), Format);

    /// <summary>A value as a cell reads it: <paramref name="format"/> applied when it is formattable; lists one item a line.</summary>
    public static string Text(object? value, string? format) => value switch
    {
        null => "",
        string s => s,
        IFormattable f when format is not null => f.ToString(format, CultureInfo.InvariantCulture),
        IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
        IEnumerable e when value.GetType().GetMethod("ToString", Type.EmptyTypes)?.DeclaringType == typeof(object) => string.Join("\n", e.Cast<object?>().Select(i => Text(i, format))),
        _ => value.ToString() ?? "",
    };
}

/// <summary>The view of one result type: its columns in order (a table) or its items (a list).</summary>
public sealed class View
{
    /// <summary>A view of <paramref name="type"/>; throws ArgumentException when a column names a property (or dotted path) the type lacks, or when the columns' Under/Wide settings conflict.</summary>
    public View(Type type, ViewKind kind, IReadOnlyList<ViewColumn> columns)
    {
        ArgumentNullException.ThrowIfNull(type);
        ArgumentNullException.ThrowIfNull(columns);
        Type = type;
        Kind = kind;
        Columns = columns;
        foreach (var column in columns.Where(c => c.Property is not null))
        {
            var t = type;
            foreach (string name in column.Property!.Split('.'))
            {
                var property = t.GetProperty(name, BindingFlags.Public | BindingFlags.Instance)
                    ?? throw new ArgumentException($"View of {type.FullName}: column '{column.Header}' names '{column.Property}', but {t.Name} has no public property '{name}'.", nameof(columns));
                t = property.PropertyType;
            }
        }

        if (columns.Count > 0 && columns[0].Under is not null)
            throw new ArgumentException($"View of {type.FullName}: the first column cannot go under another.", nameof(columns));
        if (columns.FirstOrDefault(c => c.Under is not null && c.Wide) is { } both)
            throw new ArgumentException($"View of {type.FullName}: column '{both.Header}' cannot be both wide and under another.", nameof(columns));
    }

    /// <summary>The result type shown.</summary>
    public Type Type { get; }

    /// <summary>Table or list.</summary>
    public ViewKind Kind { get; }

    /// <summary>The columns (or list items) in display order.</summary>
    public IReadOnlyList<ViewColumn> Columns { get; }

    /// <summary>A property whose value heads each group of rows (a terminal prints it above the group; HTML makes it the first column).</summary>
    public string? GroupBy { get; init; }

    /// <summary>Whether a terminal wraps long cells onto more lines instead of cutting them.</summary>
    public bool Wrap { get; init; } = true;

    /// <summary>The columns a terminal shows: those neither drawn under another nor <see cref="ViewColumn.Wide"/>.</summary>
    public IEnumerable<ViewColumn> TerminalColumns => Columns.Where(c => c.Under is null && !c.Wide);

    /// <summary>
    /// The text of <paramref name="column"/> for <paramref name="row"/> in a terminal: its own text, then the text of each
    /// column drawn under it, a line per value ("  awaits …").
    /// </summary>
    public string TerminalText(object row, ViewColumn column)
    {
        int index = IndexOf(column);
        var lines = new List<string>();
        string own = column.Text(row);
        if (own.Length > 0)
            lines.Add(own);
        for (int i = index + 1; i < Columns.Count && (Columns[i].Under is not null || Columns[i].Wide); i++)
        {
            if (Columns[i].Under is not { } word)
                continue;
            foreach (string line in Columns[i].Text(row).Split('\n', StringSplitOptions.RemoveEmptyEntries))
                lines.Add("  " + (word.Length > 0 ? word + " " : "") + line);
        }

        return string.Join("\n", lines);
    }

    /// <summary>The column with <paramref name="header"/>.</summary>
    public ViewColumn Column(string header) =>
        Columns.FirstOrDefault(c => string.Equals(c.Header, header, StringComparison.Ordinal))
        ?? throw new ArgumentException($"The view of {Type.FullName} has no column '{header}'.", nameof(header));

    private int IndexOf(ViewColumn column)
    {
        for (int i = 0; i < Columns.Count; i++)
        {
            if (ReferenceEquals(Columns[i], column))
                return i;
        }

        throw new ArgumentException($"The column '{column.Header}' is not in the view of {Type.FullName}.", nameof(column));
    }
}
