namespace Analysis;

/// <summary>
/// A case-insensitive wildcard pattern with <c>*</c> (any run) and <c>?</c> (one character), matching the whole text.
/// A pattern without wildcards matches the text exactly (ignoring case).
/// </summary>
public sealed class Wildcard
{
    private readonly string _pattern;

    /// <summary>A matcher for <paramref name="pattern"/>; an empty pattern matches only empty text.</summary>
    public Wildcard(string pattern)
    {
        ArgumentNullException.ThrowIfNull(pattern);
        _pattern = pattern;
    }

    /// <summary>Whether the whole of <paramref name="text"/> matches, ignoring case; linear in practice.</summary>
    public bool IsMatch(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        // Iterative glob matching with single backtrack point for '*': linear in practice.
        int p = 0, t = 0, star = -1, mark = 0;
        while (t < text.Length)
        {
            if (p < _pattern.Length && (_pattern[p] == '?' || char.ToUpperInvariant(_pattern[p]) == char.ToUpperInvariant(text[t])))
            {
                p++;
                t++;
            }
            else if (p < _pattern.Length && _pattern[p] == '*')
            {
                star = p++;
                mark = t;
            }
            else if (star >= 0)
            {
                p = star + 1;
                t = ++mark;
            }
            else
            {
                return false;
            }
        }

        while (p < _pattern.Length && _pattern[p] == '*')
            p++;
        return p == _pattern.Length;
    }

    /// <summary>The pattern as given.</summary>
    public override string ToString() => _pattern;
}
