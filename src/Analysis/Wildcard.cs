namespace Analysis;

/// <summary>
/// A case-insensitive wildcard pattern with <c>*</c> (any run) and <c>?</c> (one character), matching the whole text.
/// A pattern without wildcards matches the text exactly (ignoring case).
/// </summary>
public sealed class Wildcard
{
    private readonly string _pattern;

    public Wildcard(string pattern)
    {
        ArgumentNullException.ThrowIfNull(pattern);
        _pattern = pattern;
    }

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

    public override string ToString() => _pattern;
}
