using System.Globalization;
using System.Text;

namespace Analysis.Dumps;

/// <summary>
/// How values read from a dump read in one line: strings quoted with control characters escaped (\n, \t, \u001b) and
/// lone surrogates as \ud800 (a terminal or a strict UTF-8 writer never sees them raw), numbers in the invariant culture.
/// </summary>
internal static class DisplayText
{
    /// <summary>About how long a one-line summary (an object's, a collection's ToString) grows.</summary>
    public const int OneLine = 200;

    /// <summary>How many characters of a string a one-line value shows.</summary>
    private const int ShownChars = 60;

    public static string Value(DumpValue v) => v.Kind switch
    {
        DumpValueKind.Null => "null",
        DumpValueKind.String => Quote((string?)v.Value ?? "", v.IsTruncated, v.Length, ShownChars),
        DumpValueKind.Reference => string.Create(CultureInfo.InvariantCulture, $"0x{v.Address:x} {v.ObjectTypeName}") + (v.Length is { } n ? string.Create(CultureInfo.InvariantCulture, $" [{n:N0}]") : ""),
        DumpValueKind.Boxed => Scalar(v.Value) + " (boxed " + v.ObjectTypeName + ")",
        DumpValueKind.Struct => "{ " + string.Join(" ", v.Fields.Select(f => f.ToString())) + " }",
        DumpValueKind.Unreadable => "? (" + v.Problem + ")",
        _ => Scalar(v.Value),
    };

    /// <summary>A primitive as it reads: 12.5, 'B', True, 19.99, 2026-11-28T13:45:30.0000000Z, 00:01:30.</summary>
    public static string Scalar(object? value) => value switch
    {
        null => "null",
        string s => Escape(s),
        char c => "'" + Escape(c.ToString()) + "'",
        DateTime d => d.ToString("O", CultureInfo.InvariantCulture),
        DateTimeOffset d => d.ToString("O", CultureInfo.InvariantCulture),
        double d => d.ToString("R", CultureInfo.InvariantCulture),
        float f => f.ToString("R", CultureInfo.InvariantCulture),
        IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
        _ => Escape(value.ToString() ?? ""),
    };

    /// <summary>"text" escaped; a truncated or long one ends "…" (10,000 chars).</summary>
    public static string Quote(string text, bool truncated, int? length, int shown = int.MaxValue)
    {
        bool cut = truncated || text.Length > shown;
        string body = Escape(text.Length > shown ? text[..shown] : text);
        return cut ? string.Create(CultureInfo.InvariantCulture, $"\"{body}…\" ({length ?? text.Length:N0} chars)") : "\"" + body + "\"";
    }

    /// <summary>
    /// <paramref name="text"/> with control characters (C0, DEL, C1) escaped as \n, \r, \t, \0 or \uXXXX, backslashes
    /// and quotes as they are, and lone surrogates as \uXXXX; unchanged (no copy) when there is nothing to escape.
    /// </summary>
    public static string Escape(string text)
    {
        int i = 0;
        for (; i < text.Length; i++)
        {
            char c = text[i];
            if (char.IsControl(c) || char.IsSurrogate(c) && !IsPair(text, i))
                break;
            if (char.IsHighSurrogate(c))
                i++;
        }

        if (i == text.Length)
            return text;
        var builder = new StringBuilder(text.Length + 8);
        builder.Append(text, 0, i);
        for (; i < text.Length; i++)
        {
            char c = text[i];
            if (char.IsHighSurrogate(c) && IsPair(text, i))
            {
                builder.Append(c).Append(text[++i]);
                continue;
            }

            switch (c)
            {
                case '\n': builder.Append("\\n"); break;
                case '\r': builder.Append("\\r"); break;
                case '\t': builder.Append("\\t"); break;
                case '\0': builder.Append("\\0"); break;
                default:
                    if (char.IsControl(c) || char.IsSurrogate(c))
                        builder.Append(CultureInfo.InvariantCulture, $"\\u{(int)c:x4}");
                    else
                        builder.Append(c);
                    break;
            }
        }

        return builder.ToString();
    }

    private static bool IsPair(string text, int i) => char.IsHighSurrogate(text[i]) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]);

    /// <summary>Bytes as "CA FE BA BE".</summary>
    public static string Hex(ReadOnlySpan<byte> bytes)
    {
        var builder = new StringBuilder(bytes.Length * 3);
        foreach (byte b in bytes)
        {
            if (builder.Length > 0)
                builder.Append(' ');
            builder.Append(CultureInfo.InvariantCulture, $"{b:X2}");
        }

        return builder.ToString();
    }
}
