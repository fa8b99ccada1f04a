using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using System.Xml.Linq;
using Analysis.Testing;
using Xunit;
using Xunit.Abstractions;

namespace Analysis.Pwsh.Tests;

/// <summary>
/// Every object the module emits goes through PowerShell's serializers and Format-List in a pwsh process of its own:
/// none may crash it (public ClrMD objects made the serializers call into the native DAC: exit 139), hang or walk a
/// huge graph, and the outputs must be readable (lists as text in CSV, not their type names).
/// </summary>
public sealed partial class SerializationTests(ITestOutputHelper output)
{
    /// <summary>How long one serializer may take on the demo objects (they take milliseconds).</summary>
    private static readonly TimeSpan PerStep = TimeSpan.FromSeconds(30);

    private static readonly string[] Steps = ["json", "list", "clixml", "clixml5", "csv"];

    public static TheoryData<string> Keys => new(ResultTypes.All.Select(t => t.Key));

    [SkippableTheory]
    [MemberData(nameof(Keys))]
    public void ResultObjects_ConvertToJsonFormatListExportClixmlAndExportCsv_InAFreshPwsh_WithoutCrashing(string key)
    {
        var type = ResultTypes.Get(key);
        Skip.If(type.NeedsGoCores && GoCoreSet.Missing is not null, $"Skipped: {GoCoreSet.Missing}");
        string scratch = RepoPaths.NewScratchDirectory("analysis-pwsh-serialize");
        ResultTypes.WriteNotebook(scratch);
        using var target = type.NeedsTraceTarget ? TargetProcess.Start("TraceTarget", TimeSpan.FromSeconds(120), "facts") : null;
        string script = $$"""
            $ErrorActionPreference = 'Stop'
            $ProgressPreference = 'SilentlyContinue'
            $WarningPreference = 'SilentlyContinue'
            $objects = @({{ResultTypes.CommandFor(type, scratch, target?.Id)}})
            '##type ' + $objects[0].GetType().FullName + ' ' + $objects.Count
            $out = '{{scratch}}'
            $clock = [Diagnostics.Stopwatch]::StartNew()
            function Step($name, $file) { '##{0} {1} {2}' -f $name, $clock.ElapsedMilliseconds, (Get-Item -LiteralPath $file).Length; $clock.Restart() }
            $objects | ConvertTo-Json -Depth 5 -AsArray | Set-Content -LiteralPath "$out/objects.json"; Step json "$out/objects.json"
            $objects | Format-List * -Force | Out-File -LiteralPath "$out/list.txt" -Width 160; Step list "$out/list.txt"
            $objects | Export-Clixml -LiteralPath "$out/objects.xml"; Step clixml "$out/objects.xml"
            $objects | Export-Clixml -LiteralPath "$out/objects5.xml" -Depth 5; Step clixml5 "$out/objects5.xml"
            $objects | Export-Csv -LiteralPath "$out/objects.csv"; Step csv "$out/objects.csv"
            {{type.Cleanup}}
            """;

        var run = RealPwsh.RunProcess(script, TimeSpan.FromMinutes(3), DemoFiles.Folder);
        output.WriteLine(run.Stdout);
        Assert.False(run.TimedOut, $"pwsh did not finish within 3 minutes: {run.Stdout}");
        Assert.True(run.ExitCode == 0, $"pwsh exited with {run.ExitCode} (139: segfault): {run.Stdout}\n{run.Stderr}");
        var marks = run.Stdout.Split('\n').Select(l => l.Trim()).Where(l => l.StartsWith("##", StringComparison.Ordinal)).ToDictionary(l => l[2..l.IndexOf(' ', StringComparison.Ordinal)], l => l[(l.IndexOf(' ', StringComparison.Ordinal) + 1)..]);
        Assert.StartsWith(type.TypeName + " ", marks["type"], StringComparison.Ordinal);
        foreach (string step in Steps)
        {
            Assert.True(marks.ContainsKey(step), $"no '{step}' step in: {run.Stdout}");
            string[] parts = marks[step].Split(' ');
            var took = TimeSpan.FromMilliseconds(long.Parse(parts[0], CultureInfo.InvariantCulture));
            Assert.True(took < PerStep, $"{step} took {took}");
            Assert.True(long.Parse(parts[1], CultureInfo.InvariantCulture) > 0, $"{step} wrote nothing");
        }

        // JSON: an array of objects with the documented properties and none of the removed ones.
        using var json = JsonDocument.Parse(File.ReadAllText(Path.Combine(scratch, "objects.json")));
        Assert.Equal(JsonValueKind.Array, json.RootElement.ValueKind);
        foreach (var item in json.RootElement.EnumerateArray())
        {
            var names = item.EnumerateObject().Select(p => p.Name).ToHashSet(StringComparer.Ordinal);
            Assert.All(type.Properties, p => Assert.True(names.Contains(p), $"JSON of {key} has no '{p}': {string.Join(", ", names)}"));
            Assert.All(type.NotProperties, p => Assert.False(names.Contains(p), $"JSON of {key} has '{p}'"));
        }

        // Format-List * -Force: every documented property on a line of its own.
        string list = File.ReadAllText(Path.Combine(scratch, "list.txt"));
        Assert.All(type.Properties, p => Assert.Matches(new Regex("^" + Regex.Escape(p) + @"\s+:", RegexOptions.Multiline), list));

        // Clixml at the default depth and at 5: well-formed, holding the objects.
        foreach (string file in new[] { "objects.xml", "objects5.xml" })
            Assert.NotEmpty(XDocument.Load(Path.Combine(scratch, file)).Root!.Elements());

        // CSV: the documented columns, no cell that is a collection's type name, list columns as text.
        var rows = Csv.Parse(File.ReadAllText(Path.Combine(scratch, "objects.csv")));
        var header = rows[0];
        Assert.All(type.Properties, p => Assert.Contains(p, header));
        Assert.All(type.NotProperties, p => Assert.DoesNotContain(p, header));
        var records = rows.Skip(1).Select(r => header.Zip(r).ToDictionary(c => c.First, c => c.Second, StringComparer.Ordinal)).ToList();
        Assert.NotEmpty(records);
        foreach (var record in records)
        {
            foreach (var (column, value) in record)
            {
                // a type name is the value of a type-name column ("System.Byte[]" is a heap type), else a collection's ToString
                bool typeNameColumn = column is "TypeName" or "TargetType" or "Type" or "StateMachineType" or "Finalizing" or "ObjectTypeName" or "ElementTypeName";
                Assert.False(GenericTypeText().IsMatch(value) || (!typeNameColumn && ArrayTypeText().IsMatch(value)), $"CSV column {column} of {key} holds a type name: {value}");
            }
        }

        foreach (var cell in type.CsvCells)
        {
            var candidates = records.Where(r => cell.RowColumn is null || r.GetValueOrDefault(cell.RowColumn) == cell.RowValue).ToList();
            Assert.True(candidates.Count > 0, $"no CSV row of {key} with {cell.RowColumn} = {cell.RowValue}");
            Assert.True(candidates.Any(r => r.GetValueOrDefault(cell.Column, "").Contains(cell.Text, StringComparison.Ordinal)),
                $"CSV column {cell.Column} of {key} does not contain '{cell.Text}': {string.Join(" | ", candidates.Select(r => r.GetValueOrDefault(cell.Column)))}");
        }
    }

    [Fact]
    public void ExportCsv_WritesEachPropertyValuesToString_SoListsNeedAToStringOfTheirOwn()
    {
        // What pwsh 7.6 does (ExportCsvHelper.GetToStringValueForProperty: property.Value.ToString()): a List<T> cell is
        // its type name, an ItemList<T> cell is its items.
        using var pwsh = new RealPwsh();
        var r = pwsh.Run("""
            $list = [System.Collections.Generic.List[string]]::new(); $list.Add('a'); $list.Add('b')
            [pscustomobject]@{ Plain = $list; Ours = [Analysis.ItemList[string]]::new($list); Numbers = [Analysis.ItemList[ulong]]::new([ulong[]](255, 4096)) } | ConvertTo-Csv
            """);
        Assert.Empty(r.Errors);
        Assert.Equal(["\"Plain\",\"Ours\",\"Numbers\"", "\"System.Collections.Generic.List`1[System.String]\",\"a; b\",\"0xff, 0x1000\""], r.Output);
    }

    /// <summary>A cell that is nothing but a generic type's name: "System.Collections.Generic.List`1[System.String]", "Analysis.ItemList`1[…]".</summary>
    [GeneratedRegex(@"^[\w.+<>]+`\d+\[.*\]$")]
    private static partial Regex GenericTypeText();

    /// <summary>A cell that is nothing but an array type's name: "System.String[]".</summary>
    [GeneratedRegex(@"^(System|Analysis|Microsoft)(\.\w+)+\[\]$")]
    private static partial Regex ArrayTypeText();

    /// <summary>RFC 4180 records (Export-Csv quotes every field; embedded quotes are doubled; fields may span lines).</summary>
    private static class Csv
    {
        public static List<string[]> Parse(string text)
        {
            var rows = new List<string[]>();
            var fields = new List<string>();
            var field = new StringBuilder();
            bool quoted = false;
            for (int i = 0; i < text.Length; i++)
            {
                char c = text[i];
                if (quoted)
                {
                    if (c == '"' && i + 1 < text.Length && text[i + 1] == '"')
                    {
                        field.Append('"');
                        i++;
                    }
                    else if (c == '"')
                    {
                        quoted = false;
                    }
                    else
                    {
                        field.Append(c);
                    }
                }
                else if (c == '"')
                {
                    quoted = true;
                }
                else if (c == ',')
                {
                    fields.Add(field.ToString());
                    field.Clear();
                }
                else if (c == '\n')
                {
                    fields.Add(field.ToString());
                    field.Clear();
                    rows.Add([.. fields]);
                    fields.Clear();
                }
                else if (c != '\r')
                {
                    field.Append(c);
                }
            }

            if (field.Length > 0 || fields.Count > 0)
            {
                fields.Add(field.ToString());
                rows.Add([.. fields]);
            }

            return rows;
        }
    }
}
