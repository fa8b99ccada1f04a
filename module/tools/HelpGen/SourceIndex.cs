using System.Text.RegularExpressions;

namespace Analysis.HelpGen;

/// <summary>Finds where a class or a property is declared in the cmdlet sources, so a message points at the line to fix.</summary>
internal sealed class SourceIndex(string? root)
{
    private readonly Lazy<IReadOnlyList<(string File, string[] Lines)>> _files = new(() => root is null || !Directory.Exists(root)
        ? []
        : Directory.EnumerateFiles(root, "*.cs", SearchOption.AllDirectories)
            .Where(f => !f.Split(Path.DirectorySeparatorChar, Path.AltDirectorySeparatorChar).Contains("obj"))
            .Order(StringComparer.Ordinal)
            .Select(f => (f, File.ReadAllLines(f)))
            .ToList());

    public (string? File, int Line) Type(Type type)
    {
        var pattern = new Regex($@"\b(class|record|struct)\s+{Regex.Escape(type.Name)}\b");
        foreach (var (file, lines) in _files.Value)
        {
            int i = Array.FindIndex(lines, l => pattern.IsMatch(l));
            if (i >= 0)
                return (file, i + 1);
        }

        return (null, 0);
    }

    public (string? File, int Line) Property(Type type, string name)
    {
        var (file, line) = Type(type);
        if (file is null)
            return (null, 0);
        var lines = _files.Value.First(f => f.File == file).Lines;
        var pattern = new Regex($@"\bpublic\s[^=;(]*\b{Regex.Escape(name)}\s*\{{", RegexOptions.IgnoreCase);
        int i = Array.FindIndex(lines, line - 1, l => pattern.IsMatch(l));
        return i >= 0 ? (file, i + 1) : (file, line);
    }
}
