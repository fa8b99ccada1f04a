using System.Collections.Concurrent;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.RegularExpressions;
using System.Xml;
using System.Xml.Linq;
using Microsoft.CodeAnalysis;

namespace Analysis.Notebooks;

/// <summary>
/// The XML documentation of a symbol a C# cell uses, as text: from the compiler when its reference carries docs, else
/// from the .xml beside the referenced assembly (our libraries ship theirs), else from the SDK's reference pack of this
/// runtime (the framework's docs, when the SDK is installed). Read from disk only; nothing is downloaded.
/// </summary>
internal static partial class XmlDocs
{
    /// <summary>Documentation comment id → its member element, per file, for the ids asked so far (a miss is cached as null).</summary>
    private static readonly ConcurrentDictionary<(string File, string Id), XElement?> s_found = new();

    private static readonly Lazy<string?> s_referencePack = new(FindReferencePack);

    /// <summary>Summary (and with <paramref name="full"/> parameters, returns, exceptions and remarks) of <paramref name="symbol"/>; empty when no docs are found.</summary>
    public static string Describe(ISymbol symbol, Compilation compilation, bool full)
    {
        symbol = symbol switch
        {
            IMethodSymbol { ReducedFrom: { } reduced } => reduced,
            _ => symbol.OriginalDefinition,
        };
        var member = Find(symbol, compilation);
        return member is null ? "" : Render(member, full);
    }

    private static XElement? Find(ISymbol symbol, Compilation compilation)
    {
        if (symbol.GetDocumentationCommentXml() is { Length: > 0 } xml)
        {
            try
            {
                return XElement.Parse(xml);
            }
            catch (XmlException)
            {
                // fall back to the files
            }
        }

        if (symbol.GetDocumentationCommentId() is not { } id || symbol.ContainingAssembly is not { } assembly)
            return null;
        foreach (string file in Candidates(assembly, compilation))
        {
            var found = s_found.GetOrAdd((file, id), key => Scan(key.File, key.Id));
            if (found is not null)
                return found;
        }

        return null;
    }

    /// <summary>The .xml beside the referenced file, then the reference pack's file of that name (System.Private.CoreLib is documented as System.Runtime).</summary>
    private static IEnumerable<string> Candidates(IAssemblySymbol assembly, Compilation compilation)
    {
        string name = assembly.Identity.Name;
        if (compilation.GetMetadataReference(assembly) is PortableExecutableReference { FilePath: { } path })
            yield return Path.ChangeExtension(path, ".xml");
        if (s_referencePack.Value is { } pack)
        {
            yield return Path.Combine(pack, name + ".xml");
            if (name.StartsWith("System.", StringComparison.Ordinal) && name != "System.Runtime")
                yield return Path.Combine(pack, "System.Runtime.xml");
        }
    }

    /// <summary>Streams the file to the member with <paramref name="id"/> (framework files are megabytes; one member is kept).</summary>
    private static XElement? Scan(string file, string id)
    {
        if (!File.Exists(file))
            return null;
        try
        {
            using var reader = XmlReader.Create(file, new XmlReaderSettings { DtdProcessing = DtdProcessing.Ignore, IgnoreWhitespace = false });
            while (reader.ReadToFollowing("member"))
            {
                if (reader.GetAttribute("name") == id)
                    return (XElement)XNode.ReadFrom(reader);
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or XmlException)
        {
            // unreadable docs are no docs
        }

        return null;
    }

    /// <summary>packs/Microsoft.NETCore.App.Ref/&lt;this runtime's version, or the newest of its major.minor&gt;/ref/net&lt;major.minor&gt; under the dotnet root.</summary>
    private static string? FindReferencePack()
    {
        try
        {
            string runtime = RuntimeEnvironment.GetRuntimeDirectory().TrimEnd(Path.DirectorySeparatorChar, Path.AltDirectorySeparatorChar);
            string? root = Path.GetDirectoryName(Path.GetDirectoryName(Path.GetDirectoryName(runtime)));
            string packs = Path.Combine(root ?? "", "packs", "Microsoft.NETCore.App.Ref");
            if (!Directory.Exists(packs))
                return null;
            var version = Environment.Version;
            string tfm = $"net{version.Major}.{version.Minor}";
            return Directory.EnumerateDirectories(packs)
                .Select(d => (Dir: d, Version: Version.TryParse(Path.GetFileName(d).Split('-')[0], out var v) ? v : null))
                .Where(d => d.Version is not null && d.Version.Major == version.Major && d.Version.Minor == version.Minor)
                .OrderByDescending(d => d.Version == new Version(version.Major, version.Minor, version.Build) ? 1 : 0).ThenByDescending(d => d.Version)
                .Select(d => Path.Combine(d.Dir, "ref", tfm))
                .FirstOrDefault(Directory.Exists);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException)
        {
            return null;
        }
    }

    private static string Render(XElement member, bool full)
    {
        var text = new StringBuilder();
        if (member.Element("summary") is { } summary)
            text.AppendLine(Text(summary));
        if (!full)
            return text.ToString().Trim();
        var parameters = member.Elements("typeparam").Concat(member.Elements("param")).ToList();
        if (parameters.Count > 0)
        {
            text.AppendLine().AppendLine("Parameters:");
            foreach (var p in parameters)
                text.Append("  ").Append((string?)p.Attribute("name")).Append(": ").AppendLine(Text(p));
        }

        if (member.Element("returns") is { } returns)
            text.AppendLine().Append("Returns: ").AppendLine(Text(returns));
        if (member.Element("value") is { } value)
            text.AppendLine().Append("Value: ").AppendLine(Text(value));
        var exceptions = member.Elements("exception").ToList();
        if (exceptions.Count > 0)
        {
            text.AppendLine().AppendLine("Exceptions:");
            foreach (var e in exceptions)
                text.Append("  ").Append(CrefName((string?)e.Attribute("cref"))).Append(": ").AppendLine(Text(e));
        }

        if (member.Element("remarks") is { } remarks && Text(remarks) is { Length: > 0 } r)
            text.AppendLine().AppendLine("Remarks:").AppendLine(r);
        return text.ToString().Trim();
    }

    /// <summary>An element's text, a paragraph per line (DocText: members named with their type, as "File.ReadAllText").</summary>
    private static string Text(XElement element) => string.Join("\n", DocText.Paragraphs(element, qualifiedMembers: true));

    private static string CrefName(string? cref) => DocText.CrefName(cref, qualifiedMembers: true);

}
