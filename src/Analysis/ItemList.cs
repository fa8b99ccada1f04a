using System.Collections.ObjectModel;
using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text;
using Analysis.Stacks;

namespace Analysis;

/// <summary>
/// A read-only list inside a result (a thread's frames, a finding's evidence, a type's method tables) whose
/// <see cref="ToString"/> reads as one line instead of the collection's type name: what Export-Csv writes for the
/// column, what string interpolation and a debugger show. Frames are joined " &lt;- " (innermost first, function names),
/// addresses are hex, numbers are joined ", ", anything else "; " (each item's own ToString); the text stops after
/// about <see cref="ItemList.MaxTextLength"/> characters and says how many items were left out. Arrays and lists
/// convert implicitly; <c>[]</c> makes an empty one.
/// </summary>
[CollectionBuilder(typeof(ItemList), nameof(ItemList.Create))]
public sealed class ItemList<T> : ReadOnlyCollection<T>
{
    private static readonly string Separator =
        typeof(T) == typeof(StackFrameInfo) ? " <- "
        : typeof(T).IsPrimitive || typeof(T) == typeof(decimal) ? ", "
        : "; ";

    /// <summary>Wraps <paramref name="items"/> (not copied: hand over a list you no longer change).</summary>
    public ItemList(IList<T> items)
        : base(items)
    {
    }

    /// <summary>An empty list.</summary>
    public static new ItemList<T> Empty { get; } = new(Array.Empty<T>());

    /// <summary>Wraps an array (not copied); an empty one gives <see cref="Empty"/>.</summary>
    public static implicit operator ItemList<T>(T[] items) => items.Length == 0 ? Empty : new(items);

    /// <summary>Wraps a list (not copied: do not change it afterwards); an empty one gives <see cref="Empty"/>.</summary>
    public static implicit operator ItemList<T>(List<T> items) => items.Count == 0 ? Empty : new(items);

    // Items whose text cannot change (frames are records made once; numbers and strings are values): the line is made
    // once per list. A stack shared by a thousand exceptions or samples is then rendered once, not a thousand times.
    private static readonly bool TextIsFixed =
        typeof(T) == typeof(StackFrameInfo) || typeof(T) == typeof(string) || typeof(T).IsPrimitive || typeof(T) == typeof(decimal);

    private string? _text;

    /// <summary>The items in one line, e.g. "Contoso.Job.Run &lt;- System.Threading.Thread.StartCallback" or "0x7f3a10, 0x7f3a40".</summary>
    public override string ToString()
    {
        if (_text is { } made)
            return made;
        string text = Render();
        if (TextIsFixed)
            _text = text;
        return text;
    }

    private string Render()
    {
        var text = new StringBuilder();
        for (int i = 0; i < Count; i++)
        {
            string item = Text(this[i]);
            if (i > 0 && text.Length + Separator.Length + item.Length > ItemList.MaxTextLength)
            {
                text.Append(Separator).Append(CultureInfo.InvariantCulture, $"… {Count - i:N0} more");
                break;
            }

            if (i > 0)
                text.Append(Separator);
            text.Append(item);
        }

        return text.ToString();
    }

    private static string Text(T item) => item switch
    {
        null => "",
        StackFrameInfo { Kind: FrameKind.Runtime } f => $"[{f.Function}]",
        StackFrameInfo f => f.Function,
        ulong address => string.Create(CultureInfo.InvariantCulture, $"0x{address:x}"),
        IFormattable value => value.ToString(null, CultureInfo.InvariantCulture),
        _ => item.ToString()?.Trim() ?? "",
    };
}

/// <summary>Making <see cref="ItemList{T}"/> values.</summary>
public static class ItemList
{
    /// <summary>About how long <see cref="ItemList{T}.ToString"/> gets before it says how many items it left out.</summary>
    public const int MaxTextLength = 1000;

    /// <summary>A list of a copy of <paramref name="items"/> (what <c>[a, b]</c> compiles to).</summary>
    public static ItemList<T> Create<T>(ReadOnlySpan<T> items) => items.IsEmpty ? ItemList<T>.Empty : new(items.ToArray());

    /// <summary>A list of a copy of <paramref name="items"/>.</summary>
    public static ItemList<T> ToItemList<T>(this IEnumerable<T> items) => items switch
    {
        ItemList<T> list => list,
        _ => items.ToArray(),
    };
}

/// <summary>
/// Read-only name/value labels (pprof sample labels, a goroutine record's labels) whose <see cref="ToString"/> reads
/// "key=value, key2=value2" instead of the dictionary's type name. Dictionaries convert implicitly.
/// </summary>
public sealed class LabelSet : ReadOnlyDictionary<string, string>
{
    /// <summary>Wraps <paramref name="labels"/> (not copied).</summary>
    public LabelSet(IDictionary<string, string> labels)
        : base(labels)
    {
    }

    /// <summary>No labels.</summary>
    public static new LabelSet Empty { get; } = new(new Dictionary<string, string>(StringComparer.Ordinal));

    /// <summary>Wraps a dictionary (not copied); an empty one gives <see cref="Empty"/>.</summary>
    public static implicit operator LabelSet(Dictionary<string, string> labels) => labels.Count == 0 ? Empty : new(labels);

    /// <summary>"key=value, key2=value2"; empty when there are no labels.</summary>
    public override string ToString() => string.Join(", ", this.Select(l => l.Key + "=" + l.Value));
}
