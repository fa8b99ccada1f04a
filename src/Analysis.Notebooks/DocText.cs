using System.Text;
using System.Text.RegularExpressions;
using System.Xml.Linq;

namespace Analysis.Notebooks;

/// <summary>
/// Compiler-written XML documentation as plain text, the one reading of it: the module's help generator
/// (module/tools/HelpGen compiles this file in) and a live notebook's inspection both use it.
/// </summary>
internal static partial class DocText
{
    /// <summary>
    /// The paragraphs of a doc element (summary, remarks, an example's text): &lt;para&gt; and &lt;br/&gt; split, list
    /// items as "- item", a &lt;code&gt; block as a paragraph of its own (its lines kept, see <see cref="Code"/>), inline
    /// tags flattened (&lt;c&gt;x&lt;/c&gt; → x, &lt;see cref="T:A.B"/&gt; → B), other whitespace collapsed.
    /// <paramref name="skip"/> leaves nodes out (an example's code, rendered apart).
    /// </summary>
    public static IReadOnlyList<string> Paragraphs(XElement? element, Func<XNode, bool>? skip = null, bool qualifiedMembers = false)
    {
        var paragraphs = new List<string>();
        if (element is null)
            return paragraphs;
        var current = new StringBuilder();
        Walk(element);
        Flush();
        return paragraphs;

        void Flush()
        {
            string text = Whitespace().Replace(current.ToString(), " ").Trim();
            if (text.Length > 0)
                paragraphs.Add(text);
            current.Clear();
        }

        void Walk(XElement parent)
        {
            foreach (var node in parent.Nodes())
            {
                if (skip?.Invoke(node) == true)
                    continue;
                switch (node)
                {
                    case XText text:
                        current.Append(text.Value);
                        break;
                    case XElement { Name.LocalName: "para" or "p" } e:
                        Flush();
                        Walk(e);
                        Flush();
                        break;
                    case XElement { Name.LocalName: "br" }:
                        Flush();
                        break;
                    case XElement { Name.LocalName: "code" } e:
                        Flush();
                        if (Code(e) is { Length: > 0 } code)
                            paragraphs.Add(code);
                        break;
                    case XElement { Name.LocalName: "list" } e:
                        Flush();
                        foreach (var item in e.Elements("item"))
                        {
                            current.Append("- ");
                            Walk(item);
                            Flush();
                        }

                        break;
                    case XElement { Name.LocalName: "see" or "seealso" } e:
                        current.Append(e.Value.Length > 0 ? e.Value
                            : e.Attribute("langword")?.Value ?? e.Attribute("href")?.Value ?? CrefName(e.Attribute("cref")?.Value, qualifiedMembers));
                        break;
                    case XElement { Name.LocalName: "paramref" or "typeparamref" } e:
                        current.Append(e.Attribute("name")?.Value);
                        break;
                    case XElement e:
                        Walk(e); // c, b, i, term, description …
                        break;
                }
            }
        }
    }

    /// <summary>The text of a &lt;code&gt; element: its lines without their common indentation, blank edges dropped.</summary>
    public static string Code(XElement code)
    {
        var lines = code.Value.Replace("\r\n", "\n", StringComparison.Ordinal).Split('\n').Select(l => l.TrimEnd()).ToList();
        while (lines.Count > 0 && lines[0].Length == 0)
            lines.RemoveAt(0);
        while (lines.Count > 0 && lines[^1].Length == 0)
            lines.RemoveAt(lines.Count - 1);
        int indent = lines.Where(l => l.Length > 0).Select(l => l.Length - l.TrimStart().Length).DefaultIfEmpty(0).Min();
        return string.Join("\n", lines.Select(l => l.Length >= indent ? l[indent..] : l));
    }

    /// <summary>
    /// A cref's name as a reader says it: "T:Analysis.Dumps.DumpSession" → "DumpSession"; "M:A.B.C(System.Int32)" → "C",
    /// or with <paramref name="qualifiedMembers"/> "B.C" (a member with its type, as "File.ReadAllText").
    /// </summary>
    public static string CrefName(string? cref, bool qualifiedMembers = false)
    {
        if (string.IsNullOrEmpty(cref))
            return "";
        bool isType = cref.StartsWith("T:", StringComparison.Ordinal);
        string name = cref.Length > 2 && cref[1] == ':' ? cref[2..] : cref;
        int paren = name.IndexOf('(', StringComparison.Ordinal);
        if (paren >= 0)
            name = name[..paren];
        var parts = name.Split('.').Select(p => p.IndexOf('`', StringComparison.Ordinal) is int tick and >= 0 ? p[..tick] : p).ToArray();
        return qualifiedMembers && !isType && parts.Length >= 2 ? string.Join('.', parts[^2..]) : parts[^1];
    }

    [GeneratedRegex(@"\s+")]
    private static partial Regex Whitespace();
}
