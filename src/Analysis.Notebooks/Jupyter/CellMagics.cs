namespace Analysis.Notebooks.Jupyter;

/// <summary>
/// What a cell asks for through Polyglot's magic lines: its language (a first line <c>#!pwsh</c>, <c>#!powershell</c>,
/// <c>#!csharp</c>, <c>#!c#</c>) and variables to copy in from another language first (<c>#!set --name x --value
/// @pwsh:y</c>, <c>#!share --from pwsh y [--as x]</c>). Magic lines become blanks of the same length, so line numbers
/// and positions in <see cref="Code"/> are those of the cell as written.
/// </summary>
/// <param name="Language">The normalised language: "pwsh" or "csharp".</param>
/// <param name="Code">The cell with its magic lines blanked.</param>
/// <param name="Shares">The copies to make before the cell runs, in order.</param>
/// <param name="Error">Why the cell cannot run (an unknown magic or language, a malformed #!set); null when it can.</param>
public sealed record CellPlan(string Language, string Code, IReadOnlyList<VariableShare> Shares, string? Error)
{
    /// <summary>Reads the magic lines of <paramref name="cell"/>; cells without a language magic are <paramref name="defaultLanguage"/>.</summary>
    public static CellPlan Parse(string cell, string defaultLanguage)
    {
        ArgumentNullException.ThrowIfNull(cell);
        string language = defaultLanguage;
        var shares = new List<VariableShare>();
        var lines = cell.Split('\n');
        bool first = true;
        for (int i = 0; i < lines.Length; i++)
        {
            string line = lines[i].TrimEnd('\r');
            string trimmed = line.Trim();
            if (trimmed.Length == 0)
                continue;
            bool isFirst = first;
            first = false;
            if (!trimmed.StartsWith("#!", StringComparison.Ordinal))
            {
                // magic lines are read at the top of the cell only (below, #! is PowerShell's comment, C#'s error)
                break;
            }

            var words = Tokenize(trimmed[2..]);
            string magic = words.Count == 0 ? "" : words[0];
            string? error = null;
            if (Normalise(magic) is { } lang)
            {
                if (!isFirst)
                    error = $"#!{magic} must be the first line of the cell (it selects the cell's language).";
                language = lang;
            }
            else if (magic == "set")
            {
                error = ParseSet(words, shares);
            }
            else if (magic == "share")
            {
                error = ParseShare(words, shares);
            }
            else if (isFirst && magic is "fsharp" or "f#" or "javascript" or "js" or "html" or "markdown" or "sql" or "kql" or "mermaid" or "value")
            {
                error = $"#!{magic} cells are not supported by this kernel; it runs PowerShell (#!pwsh, the default) and C# (#!csharp).";
            }
            else
            {
                error = $"Unknown magic '#!{magic}'; this kernel knows #!pwsh, #!powershell, #!csharp, #!c#, #!set --name x --value @pwsh:y and #!share --from pwsh y.";
            }

            if (error is not null)
                return new CellPlan(language, cell, shares, error);
            lines[i] = new string(' ', line.Length) + (lines[i].EndsWith('\r') ? "\r" : "");
        }

        return new CellPlan(language, string.Join('\n', lines), shares, null);
    }

    /// <summary>"pwsh" for pwsh/powershell, "csharp" for csharp/c# (the notebook reader's names for them); null for a language this kernel does not run.</summary>
    public static string? Normalise(string language) => NotebookFile.Normalize(language) switch
    {
        "pwsh" => "pwsh",
        "csharp" => "csharp",
        _ => null,
    };

    private static string? ParseSet(List<string> words, List<VariableShare> shares)
    {
        const string usage = "#!set needs --name <variable> --value <@language:variable | text>, e.g. #!set --name x --value @pwsh:y";
        string? name = null, value = null;
        for (int i = 1; i < words.Count; i++)
        {
            switch (words[i])
            {
                case "--name" when i + 1 < words.Count:
                    name = words[++i];
                    break;
                case "--value" when i + 1 < words.Count:
                    value = words[++i];
                    break;
                case "--byref" or "--byvalue":
                    break;
                default:
                    return $"{usage} (unexpected '{words[i]}').";
            }
        }

        if (name is null || value is null)
            return usage + ".";
        if (value.StartsWith('@'))
        {
            int colon = value.IndexOf(':', StringComparison.Ordinal);
            string? from = colon > 1 ? Normalise(value[1..colon]) : null;
            if (from is null || colon == value.Length - 1)
                return $"#!set --value '{value}': expected @pwsh:<variable> or @csharp:<variable>.";
            shares.Add(new VariableShare(from, value[(colon + 1)..], name, null));
        }
        else
        {
            shares.Add(new VariableShare(null, null, name, value));
        }

        return null;
    }

    private static string? ParseShare(List<string> words, List<VariableShare> shares)
    {
        const string usage = "#!share needs --from <pwsh|csharp> <variable> [--as <name>], e.g. #!share --from pwsh session";
        string? from = null, name = null, alias = null;
        for (int i = 1; i < words.Count; i++)
        {
            switch (words[i])
            {
                case "--from" when i + 1 < words.Count:
                    from = words[++i];
                    break;
                case "--as" when i + 1 < words.Count:
                    alias = words[++i];
                    break;
                case var w when !w.StartsWith("--", StringComparison.Ordinal) && name is null:
                    name = w;
                    break;
                default:
                    return $"{usage} (unexpected '{words[i]}').";
            }
        }

        if (from is null || name is null)
            return usage + ".";
        if (Normalise(from) is not { } language)
            return $"#!share --from '{from}': this kernel shares between pwsh and csharp.";
        shares.Add(new VariableShare(language, name.TrimStart('$'), (alias ?? name).TrimStart('$'), null));
        return null;
    }

    /// <summary>Words separated by blanks; "double" or 'single' quotes keep blanks in a word.</summary>
    private static List<string> Tokenize(string text)
    {
        var words = new List<string>();
        var word = new System.Text.StringBuilder();
        char quote = '\0';
        bool any = false;
        foreach (char c in text)
        {
            if (quote != '\0')
            {
                if (c == quote)
                    quote = '\0';
                else
                    word.Append(c);
            }
            else if (c is '"' or '\'')
            {
                quote = c;
                any = true;
            }
            else if (char.IsWhiteSpace(c))
            {
                if (any || word.Length > 0)
                    words.Add(word.ToString());
                word.Clear();
                any = false;
            }
            else
            {
                word.Append(c);
            }
        }

        if (any || word.Length > 0)
            words.Add(word.ToString());
        return words;
    }
}

/// <summary>A variable to copy into the cell's language before it runs.</summary>
/// <param name="FromLanguage">The language holding the value ("pwsh", "csharp"); null for a literal.</param>
/// <param name="FromName">The variable's name there; null for a literal.</param>
/// <param name="ToName">The name it gets in the cell's language.</param>
/// <param name="Literal">A text value (#!set --value text); null when copied from a kernel.</param>
public sealed record VariableShare(string? FromLanguage, string? FromName, string ToName, string? Literal);
