using System.Text.RegularExpressions;
using System.Xml.Linq;
using Analysis.Testing;
using Xunit;
using Xunit.Abstractions;

namespace Analysis.Pwsh.Tests;

/// <summary>
/// Every view of the module rendered by real pwsh at 80 and at 120 columns (Out-String -Width): table headers stay on
/// one line with every column shown and every label whole, and the column that names things shows a known name in full
/// (on one line, or wrapped onto the next lines of its column, never cut with "…").
/// </summary>
public sealed partial class ViewTests(ViewTests.Session session, ITestOutputHelper output) : IClassFixture<ViewTests.Session>
{
    /// <summary>One pwsh for the class; each kind of object is made once and kept in a global variable.</summary>
    public sealed class Session : IDisposable
    {
        private readonly Dictionary<string, string> _made = new(StringComparer.Ordinal);
        private TargetProcess? _target;

        public Session()
        {
            Scratch = RepoPaths.NewScratchDirectory("analysis-pwsh-views");
            ResultTypes.WriteNotebook(Scratch);
            Pwsh = new RealPwsh(workingDirectory: DemoFiles.Folder);
        }

        public RealPwsh Pwsh { get; }

        public string Scratch { get; }

        /// <summary>The name of a global variable holding the objects of <paramref name="type"/>.</summary>
        public string Objects(ResultType type)
        {
            if (_made.TryGetValue(type.Key, out string? name))
                return name;
            if (type.NeedsTraceTarget)
                _target ??= TargetProcess.Start("TraceTarget", TimeSpan.FromSeconds(120), "facts");
            name = "view" + _made.Count;
            var r = Pwsh.Run($"$global:{name} = @({ResultTypes.CommandFor(type, Scratch, _target?.Id)}); $global:{name}.Count");
            Assert.Empty(r.Errors);
            Assert.NotEqual("0", r.Output[^1]);
            _made[type.Key] = name;
            if (type.Cleanup.Length > 0)
                _cleanups.Add(type.Cleanup.Replace("$rec", $"$global:{name}", StringComparison.Ordinal));
            return name;
        }

        private readonly List<string> _cleanups = new();

        public void Dispose()
        {
            foreach (string cleanup in _cleanups)
                Pwsh.Run(cleanup);
            Pwsh.Dispose();
            _target?.Dispose();
        }
    }

    /// <summary>A view's columns (table) or items (list), from the module's format file.</summary>
    private sealed record ViewSpec(bool IsTable, IReadOnlyList<(string Label, int Width)> Columns);

    private static readonly Lazy<Dictionary<string, ViewSpec>> s_views = new(() =>
    {
        var format = XDocument.Load(Path.Combine(Path.GetDirectoryName(RepoPaths.ModuleManifest)!, "Analysis.format.ps1xml"));
        var views = new Dictionary<string, ViewSpec>(StringComparer.Ordinal);
        foreach (var view in format.Descendants("View"))
        {
            string type = (string)view.Element("ViewSelectedBy")!.Element("TypeName")!;
            if (type.EndsWith("#Sources", StringComparison.Ordinal))
                continue;
            if (view.Element("TableControl") is { } table)
                views[type] = new ViewSpec(true, table.Descendants("TableColumnHeader").Select(h => ((string)h.Element("Label")!, (int?)h.Element("Width") ?? 0)).ToList());
            else
                views[type] = new ViewSpec(false, view.Descendants("ListItem").Select(i => ((string?)i.Element("Label") ?? (string)i.Element("PropertyName")!, 0)).ToList());
        }

        return views;
    });

    public static TheoryData<string, int> Cases
    {
        get
        {
            var data = new TheoryData<string, int>();
            foreach (var type in ResultTypes.All)
            {
                data.Add(type.Key, 80);
                data.Add(type.Key, 120);
            }

            return data;
        }
    }

    [Fact]
    public void EveryView_HasAResultTypeThatShowsIt()
    {
        Assert.Empty(s_views.Value.Keys.Except(ResultTypes.All.Select(t => t.TypeName)));
        Assert.All(s_views.Value, v => Assert.All(v.Value.Columns, c => Assert.DoesNotContain(' ', c.Label)));
    }

    [SkippableTheory]
    [MemberData(nameof(Cases))]
    public void View_AtWidth_KeepsHeadersOnOneLine_ShowsEveryColumn_AndTheKnownNameWhole(string key, int width)
    {
        var type = ResultTypes.Get(key);
        Skip.If(type.NeedsGoCores && GoCoreSet.Missing is not null, $"Skipped: {GoCoreSet.Missing}");
        var view = s_views.Value[type.TypeName];
        string text = Render(session.Objects(type), width);
        if (!view.IsTable)
        {
            Assert.All(view.Columns, c => Assert.Matches(new Regex("^" + Regex.Escape(c.Label) + @"\s+:", RegexOptions.Multiline), text));
            return;
        }

        var known = type.Known is { } k ? (k.Column, Text: ResultTypes.KnownFor(type, session.Scratch)) : default((string Column, string Text)?);
        CheckTables(text, view, width, known);
    }

    [Theory]
    [InlineData(80)]
    [InlineData(120)]
    public void View_OfRowsFromSeveralFiles_GroupsBySource_WithTheSameColumns(int width)
    {
        var r = session.Pwsh.Run($"Get-HeapTop ./before.dmp, ./after.dmp -Top 3 -TypeName 'Contoso.*' | Out-String -Width {width}");
        Assert.Empty(r.Errors);
        string text = Assert.Single(r.Output);
        // pwsh wraps a group header longer than the width onto the next line(s), at column 0, up to the blank line
        var sources = Regex.Matches(text, @"^\s*Source: (.+?)\n\n", RegexOptions.Multiline | RegexOptions.Singleline)
            .Select(m => m.Groups[1].Value.Replace("\n", "", StringComparison.Ordinal)).ToList();
        Assert.Equal([DemoFiles.File("before.dmp"), DemoFiles.File("after.dmp")], sources);
        Assert.Equal(2, CheckTables(text, s_views.Value["Analysis.Dumps.HeapTypeStat"], width, ("TypeName", TargetFacts.LeakedOrderType)));
    }

    private string Render(string variable, int width)
    {
        var r = session.Pwsh.Run($"${variable} | Out-String -Width {width}");
        Assert.Empty(r.Errors);
        string text = Assert.Single(r.Output);
        output.WriteLine(text);
        return text;
    }

    /// <summary>Checks every table in <paramref name="text"/> (one per group) and returns how many there were.</summary>
    private static int CheckTables(string text, ViewSpec view, int width, (string Column, string Text)? known)
    {
        var lines = text.Split('\n').Select(l => l.TrimEnd('\r')).ToList();
        Assert.All(lines, l => Assert.True(l.Length <= width, $"line longer than {width}: {l}"));
        var dashes = Enumerable.Range(1, lines.Count - 1).Where(i => DashLine().IsMatch(lines[i]) && lines[i - 1].Trim().Length > 0).ToList();
        Assert.NotEmpty(dashes);
        foreach (int d in dashes)
        {
            string header = lines[d - 1];
            Assert.True(d < 2 || lines[d - 2].Trim().Length == 0, $"the header is on more than one line:\n{lines[d - 2]}\n{header}");
            var runs = DashRun().Matches(lines[d]).Select(m => (m.Index, m.Length)).ToList();
            Assert.True(runs.Count == view.Columns.Count, $"{runs.Count} of {view.Columns.Count} columns shown at {width}:\n{header}");
            for (int c = 0; c < runs.Count; c++)
            {
                string label = header.PadRight(runs[c].Index + runs[c].Length).Substring(runs[c].Index, runs[c].Length);
                Assert.Equal(view.Columns[c].Label, label);
            }

            if (known is not { } k)
                continue;
            int column = view.Columns.ToList().FindIndex(c => c.Label == k.Column);
            Assert.True(column >= 0, $"no column {k.Column}");
            int start = runs[column].Index;
            // the last column runs to the end of the line; a column without a width ends where the next one starts
            int end = column == runs.Count - 1 ? int.MaxValue : view.Columns[column].Width > 0 ? start + view.Columns[column].Width : runs[column + 1].Index - 1;
            int next = dashes.FirstOrDefault(x => x > d, lines.Count + 1) - 1;
            string cells = string.Concat(lines.Skip(d + 1).Take(next - d - 1).Select(l => l.Length <= start ? "" : l[start..Math.Min(end, l.Length)].TrimEnd()));
            Assert.True(cells.Contains(k.Text, StringComparison.Ordinal), $"column {k.Column} does not show '{k.Text}' whole at {width}:\n{text}");
        }

        return dashes.Count;
    }

    [GeneratedRegex(@"^[ -]*-[ -]*$")]
    private static partial Regex DashLine();

    [GeneratedRegex("-+")]
    private static partial Regex DashRun();
}
