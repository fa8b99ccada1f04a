using System.Xml.Linq;

namespace Analysis.HelpGen;

/// <summary>The members of one or more compiler-written XML documentation files, by documentation id ("T:Ns.Type").</summary>
internal sealed class XmlDocs
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

    /// <summary>The paragraphs of a doc element (the one reading of doc text: src/Analysis.Notebooks/DocText.cs).</summary>
    public static IReadOnlyList<string> Paragraphs(XElement? element, Func<XNode, bool>? skip = null) => Analysis.Notebooks.DocText.Paragraphs(element, skip);

    /// <summary>The text of a &lt;code&gt; element (DocText.Code).</summary>
    public static string Code(XElement code) => Analysis.Notebooks.DocText.Code(code);
}
