using System.Diagnostics;
using System.Text.Json;
using System.Text.RegularExpressions;
using System.Xml.Linq;
using Analysis.Testing;
using Xunit;
using Xunit.Abstractions;

namespace Analysis.Pwsh.Tests;

/// <summary>
/// The generated help as real pwsh prints it: Get-Help, -Full, -Parameter, compared with what Get-Command reports
/// about each exported cmdlet (its parameter sets, how each parameter binds, ShouldProcess).
/// </summary>
public sealed class HelpTests(HelpTests.Session session) : IClassFixture<HelpTests.Session>
{
    public sealed class Session : IDisposable
    {
        public RealPwsh Pwsh { get; } = new(width: 1000);

        public void Dispose() => Pwsh.Dispose();
    }

    public static TheoryData<string> Cmdlets => new(HelpExamples.ExportedCmdlets);

    private static readonly string[] ShouldProcessParameters = ["WhatIf", "Confirm"];

    [Theory]
    [MemberData(nameof(Cmdlets))]
    public void Help_OfEachCmdlet_ShowsOneSyntaxLinePerParameterSet_AsPowerShellBindsIt(string cmdlet)
    {
        var facts = Facts(cmdlet);
        var lines = Section(facts.Help, "SYNTAX", "DESCRIPTION").ToList();
        Assert.Equal(facts.Sets.Count, lines.Count);
        for (int i = 0; i < facts.Sets.Count; i++)
        {
            // Default set first, then PowerShell's order: the i-th line is the i-th set.
            var set = facts.Sets[i];
            string line = lines[i];
            Assert.StartsWith(cmdlet + " ", line, StringComparison.Ordinal);
            Assert.EndsWith("[<CommonParameters>]", line, StringComparison.Ordinal);
            var mentioned = Regex.Matches(line, @"(?<=[\s\[])-(\w+)").Select(m => m.Groups[1].Value).Order(StringComparer.Ordinal);
            Assert.Equal(set.Parameters.Select(p => p.Name).Order(StringComparer.Ordinal), mentioned);
            foreach (var p in set.Parameters)
                Assert.Contains(Expected(p), line, StringComparison.Ordinal);
        }

        Assert.True(facts.Sets[0].IsDefault || facts.Sets.Count == 1, $"{cmdlet}: the default set comes first");
        if (facts.ShouldProcess)
        {
            foreach (string line in lines)
                Assert.All(ShouldProcessParameters, name => Assert.Contains($"[-{name}]", line, StringComparison.Ordinal));
        }
        else
        {
            Assert.DoesNotContain("-WhatIf", facts.Help, StringComparison.Ordinal);
        }

        // [-Path] <String> for a mandatory positional parameter, [[-X] <T>] optional positional, -Dump <T> mandatory
        // named, [-Top <Int32>] optional named, [-Retained] a switch; enums list their values.
        static string Expected(ParameterFacts p) => (p.Mandatory, p.Position >= 0, p.Switch) switch
        {
            (_, _, true) when !p.Mandatory => $"[-{p.Name}]",
            (true, true, _) => $"[-{p.Name}] ",
            (false, true, _) => $"[[-{p.Name}] ",
            (true, false, _) => $"-{p.Name} ",
            (false, false, _) => $"[-{p.Name} ",
        };
    }

    [Fact]
    public void Help_OfGetHeapTop_HasAPathLineWithoutDump_AndADumpLineWithoutPath()
    {
        var lines = Section(Facts("Get-HeapTop").Help, "SYNTAX", "DESCRIPTION").ToList();
        Assert.Equal(3, lines.Count);
        Assert.StartsWith("Get-HeapTop -Dump <DumpSession> ", lines[0], StringComparison.Ordinal); // the default set
        Assert.DoesNotContain("Path", lines[0], StringComparison.Ordinal);
        Assert.StartsWith("Get-HeapTop [-Path] <String[]> ", lines[1], StringComparison.Ordinal);
        Assert.DoesNotContain("-Dump", lines[1], StringComparison.Ordinal);
        Assert.DoesNotContain("-LiteralPath", lines[1], StringComparison.Ordinal);
        Assert.Contains("[-SortBy {Size | Count}]", lines[1], StringComparison.Ordinal);
        Assert.StartsWith("Get-HeapTop -LiteralPath <String[]> ", lines[2], StringComparison.Ordinal);
        Assert.DoesNotContain("-Dump", lines[2], StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(Cmdlets))]
    public void Help_OfEachCmdlet_DescribesEveryParameter_AndPrintsItAsText(string cmdlet)
    {
        var facts = Facts(cmdlet);
        var names = facts.Sets.SelectMany(s => s.Parameters).Select(p => p.Name).Distinct().Order(StringComparer.Ordinal).ToList();
        Assert.Equal(names, facts.Parameters.Select(p => p.Name).Order(StringComparer.Ordinal));
        Assert.All(facts.Parameters, p => Assert.False(string.IsNullOrWhiteSpace(p.Text), $"{cmdlet} -{p.Name} has no description"));
        foreach (string text in new[] { facts.ParameterText, facts.Full })
        {
            // A help object PowerShell could not format prints as its type or as "@{name=…; …}".
            Assert.DoesNotContain("MamlCommandHelpInfo", text, StringComparison.Ordinal);
            Assert.DoesNotMatch(@"@\{\w+=", text);
        }

        Assert.Equal(names.Count, Regex.Matches(facts.ParameterText, @"^\s*Default value\s", RegexOptions.Multiline).Count);
    }

    [Theory]
    [MemberData(nameof(Cmdlets))]
    public void Help_OfEachCmdlet_NamesItsInputsAndOutputs(string cmdlet)
    {
        var facts = Facts(cmdlet);
        string inputs = string.Join("\n", Section(facts.Full, "INPUTS", "OUTPUTS"));
        string outputs = string.Join("\n", Section(facts.Full, "OUTPUTS", "-------------------------- Example 1"));
        if (facts.Sets.SelectMany(s => s.Parameters).Any(p => p.Pipeline))
        {
            Assert.DoesNotContain("None", inputs, StringComparison.Ordinal);
            Assert.Matches(@"\b(System|Analysis)\.[\w.]+", inputs);
        }
        else
        {
            Assert.StartsWith("None", inputs, StringComparison.Ordinal);
        }

        Assert.False(string.IsNullOrWhiteSpace(outputs), $"{cmdlet} has no OUTPUTS");
    }

    [Fact]
    public void HelpParameter_SortByOfGetHeapTop_PrintsItsDefaultAndValuesAsText()
    {
        var r = session.Pwsh.Run("Get-Help Get-HeapTop -Parameter SortBy | Out-String -Width 200");
        Assert.Empty(r.Errors);
        string text = r.Text;
        Assert.Matches(@"-SortBy <HeapSortBy>", text);
        Assert.Matches(@"Default value\s+Size\r?\n", text);
        Assert.Matches(@"Required\?\s+false", text);
        Assert.Contains("Count: Object count, most first.", text, StringComparison.Ordinal);
        Assert.DoesNotContain("MamlCommandHelpInfo", text, StringComparison.Ordinal);
        Assert.DoesNotMatch(@"@\{\w+=", text);
    }

    [Fact]
    public void HelpParameter_OfPipelineParameters_SaysHowTheyBind()
    {
        var r = session.Pwsh.Run("""
            Get-Help Get-HeapTop -Parameter Path | Out-String -Width 200
            Get-Help New-Dump -Parameter ProcessId | Out-String -Width 200
            Get-Help Get-HeapTop -Parameter Top | Out-String -Width 200
            Get-Help Get-HeapTop -Parameter LiteralPath | Out-String -Width 200
            """);
        Assert.Empty(r.Errors);
        Assert.Matches(@"Accept pipeline input\?\s+True \(ByValue, ByPropertyName\)", r.Output[0]);
        Assert.Matches(@"Accept wildcard characters\?\s+true", r.Output[0]);
        Assert.Matches(@"Position\?\s+0", r.Output[0]);
        Assert.Matches(@"Accept pipeline input\?\s+True \(ByPropertyName\)", r.Output[1]);
        Assert.Matches(@"Aliases\s+Id, Pid", r.Output[1]);
        Assert.Matches(@"Default value\s+20\r?\n", r.Output[2]);
        Assert.Matches(@"Accept pipeline input\?\s+True \(ByPropertyName\)", r.Output[3]);
        Assert.Matches(@"Aliases\s+PSPath, LP, FullName", r.Output[3]);
        Assert.Matches(@"Accept wildcard characters\?\s+false", r.Output[3]);
    }

    [Fact]
    public void GeneratedHelp_HasExamplesForEveryExportedCmdlet_AsGetHelpReadsThem()
    {
        var r = session.Pwsh.Run("(Get-Module Analysis).ExportedCmdlets.Keys | ForEach-Object { '{0}={1}' -f $_, @((Get-Help $_ -Examples).examples.example).Count }");
        Assert.Empty(r.Errors);
        var counts = r.Output.Select(l => l.Split('=')).ToDictionary(p => p[0], p => int.Parse(p[1], System.Globalization.CultureInfo.InvariantCulture));
        Assert.Equal(HelpExamples.ExportedCmdlets.Order(StringComparer.Ordinal), counts.Keys.Order(StringComparer.Ordinal));
        Assert.All(counts, c => Assert.True(c.Value >= 1, $"{c.Key} has no example"));
        Assert.Equal(HelpExamples.All.Count, counts.Values.Sum());
    }

    private sealed record ParameterFacts(string Name, bool Mandatory, int Position, bool Switch, bool Pipeline);

    private sealed record SetFacts(string Name, bool IsDefault, IReadOnlyList<ParameterFacts> Parameters);

    private sealed record HelpParameter(string Name, string Text);

    private sealed record CmdletFacts(IReadOnlyList<SetFacts> Sets, bool ShouldProcess, string Help, string Full, IReadOnlyList<HelpParameter> Parameters, string ParameterText);

    private static readonly JsonSerializerOptions s_json = new() { PropertyNameCaseInsensitive = true };

    /// <summary>What Get-Command says about a cmdlet and what Get-Help prints for it.</summary>
    private CmdletFacts Facts(string cmdlet)
    {
        var r = session.Pwsh.Run("""
            $c = Get-Command $name
            $common = [System.Management.Automation.Cmdlet]::CommonParameters
            $sets = foreach ($s in $c.ParameterSets) {
                [ordered]@{
                    Name = $s.Name; IsDefault = $s.IsDefault
                    Parameters = @(foreach ($p in $s.Parameters) {
                        if ($common -notcontains $p.Name) {
                            [ordered]@{ Name = $p.Name; Mandatory = $p.IsMandatory; Position = [Math]::Max(-1, $p.Position)
                                        Switch = $p.ParameterType -eq [switch]; Pipeline = $p.ValueFromPipeline -or $p.ValueFromPipelineByPropertyName }
                        }
                    })
                }
            }
            $attribute = $c.ImplementingType.GetCustomAttributes([System.Management.Automation.CmdletAttribute], $true) | Select-Object -First 1
            [ordered]@{
                Sets = @($sets)
                ShouldProcess = [bool]$attribute.SupportsShouldProcess
                Help = Get-Help $name | Out-String -Width 1000
                Full = Get-Help $name -Full | Out-String -Width 1000
                Parameters = @(Get-Help $name -Parameter * | ForEach-Object { [ordered]@{ Name = $_.name; Text = (@($_.description | ForEach-Object Text) -join ' ') } })
                ParameterText = Get-Help $name -Parameter * | Out-String -Width 1000
            } | ConvertTo-Json -Depth 6 -Compress
            """, new Dictionary<string, object?> { ["name"] = cmdlet });
        Assert.Empty(r.Errors);
        return JsonSerializer.Deserialize<CmdletFacts>(r.Output.Single(), s_json)!;
    }

    /// <summary>The non-empty lines of a help section, from its heading to the next one, trimmed.</summary>
    private static IEnumerable<string> Section(string text, string heading, string next)
    {
        var lines = text.Replace("\r\n", "\n", StringComparison.Ordinal).Split('\n');
        int start = Array.FindIndex(lines, l => l.TrimEnd() == heading);
        Assert.True(start >= 0, $"no {heading} section in:\n{text}");
        int end = Array.FindIndex(lines, start + 1, l => l.Trim().StartsWith(next, StringComparison.Ordinal) || (l.Length > 0 && !char.IsWhiteSpace(l[0])));
        return lines[(start + 1)..(end < 0 ? lines.Length : end)].Select(l => l.Trim()).Where(l => l.Length > 0);
    }
}

/// <summary>
/// Every example of the generated help that works on files, run as written in real pwsh whose location is the demo
/// folder (./app.dmp, ./app.nettrace, ./goroutines.txt …): it must print something, write the files it names and
/// raise no error.
/// </summary>
public sealed class HelpExampleTests(HelpExampleTests.Session session, ITestOutputHelper output) : IClassFixture<HelpExampleTests.Session>
{
    public sealed class Session : IDisposable
    {
        public RealPwsh Pwsh { get; } = new(workingDirectory: DemoFiles.Folder);

        public void Dispose() => Pwsh.Dispose();
    }

    public static TheoryData<string, int> Examples => HelpExamples.Data(live: false);

    [SkippableTheory]
    [MemberData(nameof(Examples))]
    public void Example_RunsAsWritten_OnTheDemoFiles(string cmdlet, int number)
    {
        // the Go core examples read ./crash.core, ./hang.core … (DemoFiles.GoCoreFiles), made only where GoCoreSet can make them
        Skip.If(GoCoreSet.Missing is not null && HelpExamples.All.Single(e => e.Cmdlet == cmdlet && e.Number == number).Code.Contains(".core", StringComparison.Ordinal), $"Skipped: {GoCoreSet.Missing}");
        HelpExamples.Run(session.Pwsh, output, cmdlet, number, code => code);
    }
}

/// <summary>
/// The examples that work on a live process (-ProcessId 4242): each runs against a fresh target program of its own
/// whose id replaces 4242 (TraceTarget for the trace captures, DumpTarget otherwise). The test shortens the waits an
/// investigator would make while reproducing a problem: Start-Sleep -Seconds N and -Duration hh:mm:ss become 6 seconds
/// (the target's workload starts 2 seconds after it is ready and takes about 3).
/// </summary>
public sealed class LiveHelpExampleTests(LiveHelpExampleTests.Session session, ITestOutputHelper output) : IClassFixture<LiveHelpExampleTests.Session>
{
    public sealed class Session : IDisposable
    {
        public RealPwsh Pwsh { get; } = new(workingDirectory: DemoFiles.Folder);

        public void Dispose() => Pwsh.Dispose();
    }

    public static TheoryData<string, int> Examples => HelpExamples.Data(live: true);

    [Theory]
    [MemberData(nameof(Examples))]
    public void Example_RunsAsWritten_OnAFreshProcess(string cmdlet, int number)
    {
        string code = HelpExamples.Code(session.Pwsh, cmdlet, number);
        bool tracing = code.Contains("TraceCapture", StringComparison.Ordinal);
        using var target = tracing
            ? TargetProcess.Start("TraceTarget", TimeSpan.FromSeconds(120), "facts", "--auto-start", "2000")
            : TargetProcess.Start("DumpTarget", TimeSpan.FromSeconds(180), "facts");
        string pid = target.Id.ToString(System.Globalization.CultureInfo.InvariantCulture);
        HelpExamples.Run(session.Pwsh, output, cmdlet, number, c =>
        {
            c = Regex.Replace(c, @"\b4242\b", pid);
            c = Regex.Replace(c, @"Start-Sleep -Seconds \d+", "Start-Sleep -Seconds 6");
            return Regex.Replace(c, @"-Duration \d\d:\d\d:\d\d", "-Duration 00:00:06");
        });
    }
}

/// <summary>The examples of the generated help (the MAML the build writes into the module folder), found without pwsh.</summary>
internal static class HelpExamples
{
    private static readonly XNamespace Command = "http://schemas.microsoft.com/maml/dev/command/2004/10";
    private static readonly XNamespace Maml = "http://schemas.microsoft.com/maml/2004/10";
    private static readonly XNamespace Dev = "http://schemas.microsoft.com/maml/dev/2004/10";

    private static readonly Lazy<IReadOnlyList<(string Cmdlet, int Number, string Code)>> s_all = new(() =>
    {
        string file = Path.Combine(Path.GetDirectoryName(RepoPaths.ModuleManifest)!, "en-US", "Analysis.PowerShell.dll-Help.xml");
        if (!File.Exists(file))
            throw new FileNotFoundException($"The module's help was not generated: {file}. Build the solution first.", file);
        return XDocument.Load(file).Descendants(Command + "command")
            .SelectMany(c => c.Element(Command + "examples")!.Elements(Command + "example").Select((e, i) =>
                (c.Element(Command + "details")!.Element(Command + "name")!.Value, i + 1, e.Element(Dev + "code")!.Value)))
            .ToList();
    });

    /// <summary>CmdletsToExport of the module manifest in the source tree.</summary>
    public static IReadOnlyList<string> ExportedCmdlets { get; } = ReadExportedCmdlets();

    public static IReadOnlyList<(string Cmdlet, int Number, string Code)> All => s_all.Value;

    /// <summary>The examples that need a live process (they name process 4242) or the others.</summary>
    public static TheoryData<string, int> Data(bool live)
    {
        var data = new TheoryData<string, int>();
        foreach (var (cmdlet, number, code) in All.Where(e => Regex.IsMatch(e.Code, @"\b4242\b") == live))
            data.Add(cmdlet, number);
        return data;
    }

    /// <summary>An example's code as Get-Help gives it.</summary>
    public static string Code(RealPwsh pwsh, string cmdlet, int number)
    {
        var r = pwsh.Run("@((Get-Help $name -Examples).examples.example)[$index].code -join \"`n\"",
            new Dictionary<string, object?> { ["name"] = cmdlet, ["index"] = number - 1 });
        Assert.Empty(r.Errors);
        return Assert.Single(r.Output);
    }

    /// <summary>
    /// Runs one example in a script block of its own (its variables do not leak into the next) and checks it printed
    /// something, raised no error and wrote the ./files it names that did not exist before.
    /// </summary>
    public static void Run(RealPwsh pwsh, ITestOutputHelper output, string cmdlet, int number, Func<string, string> prepare)
    {
        string code = prepare(Code(pwsh, cmdlet, number));
        var written = Regex.Matches(code, @"(?<=[\s'""(=])\./[\w.-]+").Select(m => m.Value).Distinct()
            .Where(p => !Exists(p)).ToList();
        var sw = Stopwatch.StartNew();
        var r = pwsh.Run("& {\n" + code + "\n}", timeout: TimeSpan.FromMinutes(5));
        output.WriteLine($"{cmdlet} example {number} ({sw.Elapsed.TotalSeconds:0.0} s):\n{code}\n---\n{r.Text}");
        Assert.True(r.Errors.Count == 0, $"{cmdlet} example {number} raised {string.Join("; ", r.Errors)}\n{code}");
        Assert.True(r.Output.Any(o => o.Trim().Length > 0), $"{cmdlet} example {number} printed nothing\n{code}");
        Assert.All(written, p => Assert.True(Exists(p), $"{cmdlet} example {number} did not write {p}\n{code}"));

        static bool Exists(string relative)
        {
            string path = Path.Combine(DemoFiles.Folder, relative[2..]);
            return File.Exists(path) || Directory.Exists(path);
        }
    }

    private static List<string> ReadExportedCmdlets()
    {
        string manifest = File.ReadAllText(Path.Combine(RepoPaths.Root, "module", "Analysis", "Analysis.psd1"));
        var block = Regex.Match(manifest, @"CmdletsToExport\s*=\s*@\((?<list>[^)]*)\)").Groups["list"].Value;
        return Regex.Matches(block, @"'([\w-]+)'").Select(m => m.Groups[1].Value).ToList();
    }
}
