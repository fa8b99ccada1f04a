using System.Management.Automation;
using System.Text;

namespace Analysis.PowerShell.Completers;

/// <summary>
/// The word being completed, as typed: its text without quotes and the quote the user opened, if any. Filters
/// candidates by it (prefix or wildcard, ignoring case; also a prefix of a later name segment: <c>LeakedOr</c> finds
/// <c>Contoso.Orders.LeakedOrder</c>) and writes each match so that PowerShell parses it back to the name.
/// </summary>
internal readonly struct CompletionWord
{
    /// <summary>At most this many completions are returned.</summary>
    public const int MaxResults = 100;

    private CompletionWord(string text, char quote)
    {
        Text = text;
        Quote = quote;
    }

    /// <summary>What the user typed, unquoted and unescaped.</summary>
    public string Text { get; }

    /// <summary>The opening quote typed ('\'' or '"' or a typographic one), or '\0' for a bare word.</summary>
    public char Quote { get; }

    public static CompletionWord Parse(string? word)
    {
        word ??= "";
        if (word.Length > 0 && (IsSingleQuote(word[0]) || IsDoubleQuote(word[0])))
        {
            char quote = word[0];
            bool single = IsSingleQuote(quote);
            string body = word[1..];
            // PowerShell hands an unclosed quoted word over closed ('Con → 'Con'); drop the closing quote.
            if (body.Length > 0 && (single ? IsSingleQuote(body[^1]) : IsDoubleQuote(body[^1])))
                body = body[..^1];
            return new CompletionWord(single ? UnescapeSingle(body) : UnescapeBackticks(body), quote);
        }

        return new CompletionWord(UnescapeBackticks(word), '\0');
    }

    /// <summary>
    /// Completions for the candidates matching the word, in the candidates' order (prefix matches before segment
    /// matches), without duplicates, at most <see cref="MaxResults"/>.
    /// </summary>
    /// <param name="candidates">What may be offered, in the order to offer it.</param>
    /// <param name="name">A candidate's name: what is matched and inserted.</param>
    /// <param name="toolTip">A candidate's tooltip; an empty one shows the name.</param>
    /// <param name="escapeWildcards">The parameter is a PowerShell wildcard pattern: escape <c>[ ] * ?</c> in the names.</param>
    public List<CompletionResult> Complete<T>(IEnumerable<T> candidates, Func<T, string> name, Func<T, string> toolTip, bool escapeWildcards = false)
    {
        string typed = escapeWildcards ? UnescapeWildcards(Text) : Text;
        var pattern = new Wildcard(typed + "*");
        bool segments = typed.Length > 0 && !WildcardPattern.ContainsWildcardCharacters(typed);
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var first = new List<CompletionResult>();
        var later = new List<CompletionResult>();
        foreach (var candidate in candidates)
        {
            string value = name(candidate);
            if (string.IsNullOrEmpty(value) || seen.Contains(value))
                continue;
            List<CompletionResult>? into = pattern.IsMatch(value) ? first : segments && later.Count < MaxResults && MatchesSegment(value, typed) ? later : null;
            if (into is null)
                continue;
            seen.Add(value);
            string tip = toolTip(candidate);
            into.Add(new CompletionResult(Write(escapeWildcards ? WildcardPattern.Escape(value) : value), value, CompletionResultType.ParameterValue, string.IsNullOrEmpty(tip) ? value : tip));
            if (first.Count >= MaxResults)
                break;
        }

        first.AddRange(later.Take(MaxResults - first.Count));
        return first;
    }

    /// <summary>The text as PowerShell source: in the quotes the user opened, else bare when it parses as itself, else single-quoted.</summary>
    public string Write(string text)
    {
        if (Quote != '\0' && IsDoubleQuote(Quote))
        {
            var sb = new StringBuilder().Append(Quote);
            foreach (char c in text)
            {
                if (c is '`' or '$' || IsDoubleQuote(c))
                    sb.Append('`');
                sb.Append(c);
            }

            return sb.Append(Quote).ToString();
        }

        if (Quote == '\0' && IsBare(text))
            return text;
        char quote = Quote == '\0' ? '\'' : Quote;
        var single = new StringBuilder().Append(quote);
        foreach (char c in text)
        {
            if (IsSingleQuote(c))
                single.Append(c); // doubled: a quote inside single quotes
            single.Append(c);
        }

        return single.Append(quote).ToString();
    }

    /// <summary>
    /// Whether the text is one argument token that means itself: letters, digits and <c>. _ - + * ? / \ :</c>, not
    /// starting with a digit (1e3, 0x10, 1kb are numbers) or a dash (a parameter name).
    /// </summary>
    private static bool IsBare(string text)
    {
        if (text.Length == 0 || char.IsDigit(text[0]) || text[0] == '-')
            return false;
        foreach (char c in text)
        {
            if (!char.IsLetterOrDigit(c) && c is not ('.' or '_' or '-' or '+' or '*' or '?' or '/' or '\\' or ':'))
                return false;
        }

        return true;
    }

    /// <summary>A later segment of the name (after '.', '+', '/') starts with the text: a short name finds the full one.</summary>
    private static bool MatchesSegment(string name, string text)
    {
        for (int i = 1; i + text.Length <= name.Length; i++)
        {
            if (name[i - 1] is '.' or '+' or '/' && name.AsSpan(i).StartsWith(text, StringComparison.OrdinalIgnoreCase))
                return true;
        }

        return false;
    }

    private static string UnescapeSingle(string text)
    {
        var sb = new StringBuilder(text.Length);
        for (int i = 0; i < text.Length; i++)
        {
            sb.Append(text[i]);
            if (IsSingleQuote(text[i]) && i + 1 < text.Length && IsSingleQuote(text[i + 1]))
                i++;
        }

        return sb.ToString();
    }

    private static string UnescapeBackticks(string text)
    {
        if (!text.Contains('`', StringComparison.Ordinal))
            return text;
        var sb = new StringBuilder(text.Length);
        for (int i = 0; i < text.Length; i++)
        {
            if (text[i] == '`' && i + 1 < text.Length)
                i++;
            sb.Append(text[i]);
        }

        return sb.ToString();
    }

    /// <summary>A completion given before for a wildcard parameter carries escapes (<c>worker`[1`]</c>); match on the name.</summary>
    private static string UnescapeWildcards(string text)
    {
        if (!text.Contains('`', StringComparison.Ordinal))
            return text;
        var sb = new StringBuilder(text.Length);
        for (int i = 0; i < text.Length; i++)
        {
            if (text[i] == '`' && i + 1 < text.Length && text[i + 1] is '[' or ']' or '*' or '?' or '`')
                i++;
            sb.Append(text[i]);
        }

        return sb.ToString();
    }

    // PowerShell's quote characters (System.Management.Automation.Language.CharExtensions).
    private static bool IsSingleQuote(char c) => c is '\'' or '\u2018' or '\u2019' or '\u201A' or '\u201B';

    private static bool IsDoubleQuote(char c) => c is '"' or '\u201C' or '\u201D' or '\u201E';
}
