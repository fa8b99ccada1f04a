using System.Text;
using Analysis.Testing;
using Xunit;

namespace Analysis.Tests.Go;

/// <summary>The committed Go artifacts (tests/testdata/go) and their MANIFEST of ground truth.</summary>
public static class GoFixtures
{
    private static readonly Lazy<IReadOnlyDictionary<string, string>> s_manifest = new(() =>
        File.ReadLines(Path.Combine(Folder, "MANIFEST"))
            .Where(l => l.Length > 0 && l[0] != '#')
            .Select(l => (Key: l[..l.IndexOf('=', StringComparison.Ordinal)], Value: l[(l.IndexOf('=', StringComparison.Ordinal) + 1)..]))
            .ToDictionary(kv => kv.Key, kv => kv.Value));

    public static string Folder => Path.Combine(RepoPaths.Root, "tests", "testdata", "go");

    public static string PathOf(string name) => Path.Combine(Folder, name);

    public static string Manifest(string key) => s_manifest.Value.TryGetValue(key, out string? v) ? v : throw new KeyNotFoundException($"MANIFEST has no '{key}'");

    public static int ManifestInt(string key) => int.Parse(Manifest(key), System.Globalization.CultureInfo.InvariantCulture);

    public static long ManifestLong(string key) => long.Parse(Manifest(key), System.Globalization.CultureInfo.InvariantCulture);

    public static IEnumerable<KeyValuePair<string, string>> ManifestWithPrefix(string prefix) =>
        s_manifest.Value.Where(kv => kv.Key.StartsWith(prefix, StringComparison.Ordinal));

    private static readonly Lazy<string> s_scratch = new(() => RepoPaths.NewScratchDirectory("analysis-go-tests"));

    /// <summary>A scratch file for bad inputs.</summary>
    public static string Scratch(string name, byte[] content)
    {
        string dir = s_scratch.Value;
        string path = Path.Combine(dir, name);
        File.WriteAllBytes(path, content);
        return path;
    }

    /// <summary>Compares with a golden file beside the input; on mismatch writes *.actual and fails with the first differences.</summary>
    public static void Golden(string actual, string goldenPath)
    {
        actual = actual.Replace("\r\n", "\n", StringComparison.Ordinal);
        string expected = File.Exists(goldenPath) ? File.ReadAllText(goldenPath).Replace("\r\n", "\n", StringComparison.Ordinal) : "";
        if (expected == actual)
        {
            File.Delete(goldenPath + ".actual");
            return;
        }

        File.WriteAllText(goldenPath + ".actual", actual);
        var e = expected.Split('\n');
        var a = actual.Split('\n');
        var diff = new StringBuilder();
        for (int i = 0, shown = 0; i < Math.Max(e.Length, a.Length) && shown < 8; i++)
        {
            string el = i < e.Length ? e[i] : "<none>", al = i < a.Length ? a[i] : "<none>";
            if (el != al)
            {
                diff.Append("line ").Append(i + 1).Append(":\n  - ").Append(el).Append("\n  + ").Append(al).Append('\n');
                shown++;
            }
        }

        Assert.Fail($"{goldenPath} differs (actual written to {goldenPath}.actual):\n{diff}");
    }
}
