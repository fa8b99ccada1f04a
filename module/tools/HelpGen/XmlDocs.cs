using System.Text;
using System.Text.RegularExpressions;
using System.Xml.Linq;

namespace Analysis.HelpGen;

/// <summary>The members of one or more compiler-written XML documentation files, by documentation id ("T:Ns.Type").</summary>
internal sealed partial class XmlDocs
{
    private readonly Dictionary<string, XElement> _members = new(StringComparer.Ordinal);

    public static XmlDocs Load(IEnumerable<string> files)
    {
        var docs = new XmlDocs();
        foreach (string file in files)
        {
            foreach (var member in XDocument.Load(file, LoadOptions.PreserveWhitespace).Descendants("member"))
            {
                if (member.Attribute("name")?.Value is { } name)
                    docs._members[name] = member;
            }
        }

        return docs;
    }

    public XElement? Type(Type type) => _members.GetValueOrDefault("T:" + Id(type));

    public XElement? Property(Type declaringType, string name) => _members.GetValueOrDefault("P:" + Id(declaringType) + "." + name);

    public XElement? Field(Type declaringType, string name) => _members.GetValueOrDefault("F:" + Id(declaringType) + "." + name);

    private static string Id(Type type) => (type.FullName ?? type.Name).Replace('+', '.');

    /// <summary>The paragraphs of a doc element (summary, remarks, an example's text): &lt;para&gt; and &lt;br/&gt; split,
    /// inline tags flattened (&lt;c&gt;x&lt;/c&gt; → x, &lt;see cref="T:A.B"/&gt; → B), whitespace collapsed.</summary>
    public static IReadOnlyList<string> Paragraphs(XElement? element, Func<XNode, bool>? skip = null)
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
                            : e.Attribute("langword")?.Value ?? e.Attribute("href")?.Value ?? CrefName(e.Attribute("cref")?.Value));
                        break;
                    case XElement { Name.LocalName: "paramref" or "typeparamref" } e:
                        current.Append(e.Attribute("name")?.Value);
                        break;
                    case XElement e:
                        Walk(e); // c, code, b, i, term, description …
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

    /// <summary>"T:Analysis.Dumps.DumpSession" → "DumpSession"; "M:A.B.C(System.Int32)" → "C".</summary>
    private static string CrefName(string? cref)
    {
        if (string.IsNullOrEmpty(cref))
            return "";
        string name = cref.Length > 2 && cref[1] == ':' ? cref[2..] : cref;
        int paren = name.IndexOf('(', StringComparison.Ordinal);
        if (paren >= 0)
            name = name[..paren];
        name = name[(name.LastIndexOf('.') + 1)..];
        int tick = name.IndexOf('`', StringComparison.Ordinal);
        return tick >= 0 ? name[..tick] : name;
    }

    [GeneratedRegex(@"\s+")]
    private static partial Regex Whitespace();
}
