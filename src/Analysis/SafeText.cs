using System.Text;

namespace Analysis;

/// <summary>Text from inputs made safe to write: lone UTF-16 surrogates (a damaged name) become U+FFFD.</summary>
internal static class SafeText
{
    /// <summary>
    /// <paramref name="text"/> unchanged when it is well-formed UTF-16 (the usual case, no copy); otherwise a copy with
    /// every unpaired surrogate replaced by U+FFFD, so strict UTF-8 encoders (StreamWriter, Utf8JsonWriter) never throw.
    /// </summary>
    public static string Sanitize(string text)
    {
        int bad = FirstLoneSurrogate(text);
        if (bad < 0)
            return text;
        var builder = new StringBuilder(text.Length);
        builder.Append(text, 0, bad);
        for (int i = bad; i < text.Length; i++)
        {
            char c = text[i];
            if (char.IsHighSurrogate(c) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]))
            {
                builder.Append(c).Append(text[++i]);
            }
            else
            {
                builder.Append(char.IsSurrogate(c) ? '\uFFFD' : c);
            }
        }

        return builder.ToString();
    }

    /// <summary><see cref="Sanitize(string)"/> for optional text.</summary>
    public static string? SanitizeOrNull(string? text) => text is null ? null : Sanitize(text);

    private static int FirstLoneSurrogate(string text)
    {
        for (int i = 0; i < text.Length; i++)
        {
            char c = text[i];
            if (!char.IsSurrogate(c))
                continue;
            if (char.IsHighSurrogate(c) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]))
            {
                i++;
                continue;
            }

            return i;
        }

        return -1;
    }
}
