using System.Globalization;
using System.IO.Compression;
using System.Text.Json;
using Analysis.Testing;
using Xunit;
using Xunit.Abstractions;

namespace Analysis.Pwsh.Tests;

/// <summary>
/// Tab completion as the console asks for it (<c>TabExpansion2 -inputScript $line -cursorColumn $line.Length</c>) in
/// real pwsh, with the demo files as the location: names come from the artifact the line is about, never file names.
/// </summary>
public sealed class CompletionTests : IClassFixture<CompletionTests.Session>
{
    /// <summary>The CachedReport objects GrowthDumps adds (DumpTarget/Model.cs): in after.dmp, not in before.dmp.</summary>
    private const string CachedReportType = "Contoso.Orders.CachedReport";

    /// <summary>The sample types Go's runtime/pprof writes into every heap profile (writeHeapProto in protomem.go), in its order.</summary>
    private static readonly string[] s_goHeapSampleTypes = ["alloc_objects", "alloc_space", "inuse_objects", "inuse_space"];

    private readonly RealPwsh _pwsh;
    private readonly ITestOutputHelper _output;

    public CompletionTests(Session session, ITestOutputHelper output)
    {
        _pwsh = session.Pwsh;
        _output = output;
    }

    /// <summary>One pwsh for the class, started in the demo folder (completing relative paths needs a location).</summary>
    public sealed class Session : IDisposable
    {
        public RealPwsh Pwsh { get; } = new(workingDirectory: DemoFiles.Folder);

        public void Dispose() => Pwsh.Dispose();
    }

    public sealed record Match(string Text, string ListItem, string ToolTip, int ReplacementIndex, int ReplacementLength);

    [Fact]
    public void HeapTypeName_AfterAPathArgument_OffersTheLeakedOrderTypeFirst_WithItsCount()
    {
        var matches = Complete("Get-HeapTop ./app.dmp -TypeName Contoso.Or");
        Assert.Equal(TargetFacts.LeakedOrderType, matches[0].Text); // largest first; a bare word needs no quotes
        Assert.StartsWith(string.Create(CultureInfo.InvariantCulture, $"{TargetFacts.LeakedOrderCount:N0} objects, "), matches[0].ToolTip, StringComparison.Ordinal);
        Assert.Contains(matches, m => m.ListItem == TargetFacts.InvoiceType);
        Assert.All(matches, m => Assert.StartsWith("Contoso.Or", m.ListItem, StringComparison.Ordinal));
    }

    [Fact]
    public void HeapTypeName_OnAWordThatMatchesFileNames_OffersTypesNotFiles()
    {
        // Without a completer PowerShell offers ./after.dmp, ./allocs.pb.gz, ./app.dmp … here.
        var matches = Complete("Get-HeapTop ./app.dmp -TypeName a");
        Assert.DoesNotContain(matches, m => IsDemoFile(m.ListItem));
        // "a" also finds names by a later segment: Contoso.Sync.AccountLock
        Assert.Contains(matches, m => m.ListItem == TargetFacts.AccountLockType);
    }

    [Fact]
    public void HeapTypeName_OfGetGcRoot_OffersTheSessionType()
    {
        var matches = Complete("Get-GcRoot ./app.dmp -TypeName Contoso.Ret");
        Assert.Contains(matches, m => m.Text == TargetFacts.SessionType);
        Assert.DoesNotContain(matches, m => IsDemoFile(m.ListItem));
    }

    [Fact]
    public void HeapTypeName_OfASessionInAVariable_PipedOrGivenByDump()
    {
        // What PowerShell binds while completing: -Dump $d is evaluated, piped input is not bound at all; the
        // completer reads the pipeline itself.
        var probe = _pwsh.Run("""
            $d = Open-Dump ./app.dmp
            function Get-Probe { param([Parameter(ValueFromPipeline)] $Dump, $Word) }
            Register-ArgumentCompleter -CommandName Get-Probe -ParameterName Word -ScriptBlock {
                param($c, $p, $w, $ast, $fake)
                $global:probeKeys = @($fake.Keys | Sort-Object) -join ','
                $global:probeType = if ($fake.Dump) { $fake.Dump.GetType().Name } else { '' }
            }
            foreach ($line in '$d | Get-Probe -Word x', 'Get-Probe -Dump $d -Word x') {
                $null = TabExpansion2 -inputScript $line -cursorColumn $line.Length
                "$line => [$global:probeKeys] $global:probeType"
            }
            """);
        Assert.Empty(probe.Errors);
        Assert.Equal(["$d | Get-Probe -Word x => [Word] ", "Get-Probe -Dump $d -Word x => [Dump,Word] DumpSession"], probe.Output);

        Assert.Contains(Complete("$d | Get-HeapTop -TypeName Contoso.Or"), m => m.Text == TargetFacts.LeakedOrderType);
        Assert.Contains(Complete("Get-HeapTop -Dump $d -TypeName Contoso.Or"), m => m.Text == TargetFacts.LeakedOrderType);
        Assert.Contains(Complete("Get-HeapTop $d -TypeName Contoso.Or"), m => m.Text == TargetFacts.LeakedOrderType);
        Assert.Contains(Complete("Open-Dump ./app.dmp | Get-HeapTop -TypeName Contoso.Or"), m => m.Text == TargetFacts.LeakedOrderType);
    }

    [Fact]
    public void HeapTypeName_OfCompareHeap_ComesFromBothDumps_AndFromThePipedDump()
    {
        Assert.Contains(Complete("Compare-Heap ./before.dmp ./after.dmp -TypeName Contoso.Orders.Ca"), m => m.Text == CachedReportType);
        Assert.DoesNotContain(Complete("Compare-Heap ./before.dmp ./before.dmp -TypeName Contoso.Orders.Ca"), m => m.Text == CachedReportType);
        // piped: -Difference is not bound while completing, -Baseline is
        Assert.Contains(Complete("$after | Compare-Heap ./before.dmp -TypeName Contoso.Orders.Ca", "$after = Open-Dump ./after.dmp"), m => m.Text == CachedReportType);
    }

    [Fact]
    public void HeapTypeName_GenericNames_ComeBackQuoted_AndTheCompletedLineRuns()
    {
        string registry = $"System.Collections.Generic.Dictionary<System.Int32, {TargetFacts.SessionType}>"; // SessionRegistry.Sessions
        foreach (var (typed, quoted) in new[] { ("", $"'{registry}'"), ("'", $"'{registry}'"), ("\"", $"\"{registry}\"") })
        {
            string line = $"Get-HeapTop ./app.dmp -TypeName {typed}System.Collections.Generic.Dictionary<System.Int32";
            var matches = Complete(line);
            var match = Assert.Single(matches, m => m.ListItem == registry);
            Assert.Equal(quoted, match.Text);

            string completed = line[..match.ReplacementIndex] + match.Text + line[(match.ReplacementIndex + match.ReplacementLength)..];
            var r = _pwsh.Run("""
                $errors = $null
                $null = [System.Management.Automation.Language.Parser]::ParseInput($completed, [ref]$null, [ref]$errors)
                "parse errors: $($errors.Count)"
                (Invoke-Expression $completed).TypeName
                """, new Dictionary<string, object?> { ["completed"] = completed });
            Assert.Empty(r.Errors);
            Assert.Equal(["parse errors: 0", registry], r.Output);
        }
    }

    [Fact]
    public void InputHelper_ReadsTheInputParametersOfTheRefactoredCmdlets()
    {
        // The input parameters the cmdlets are moving to: -Path (string[], wildcards), -LiteralPath (PSPath, LP),
        // -Dump from the pipeline. A script function declares them and borrows the completer.
        var r = _pwsh.Run("""
            function Test-Input {
                [CmdletBinding(DefaultParameterSetName = 'Path')]
                param(
                    [Parameter(ParameterSetName = 'Path', Position = 0)] [string[]] $Path,
                    [Parameter(ParameterSetName = 'LiteralPath')] [Alias('PSPath', 'LP')] [string[]] $LiteralPath,
                    [Parameter(ParameterSetName = 'Dump', ValueFromPipeline)] $Dump,
                    [ArgumentCompleter([Analysis.PowerShell.Completers.HeapTypeNameCompleter])] [string] $TypeName)
            }
            $after = Open-Dump ./after.dmp
            """);
        Assert.Empty(r.Errors);
        foreach (string input in new[] { "-LiteralPath ./after.dmp", "-LP ./after.dmp", "-PSPath ./after.dmp", "-Path ./aft*.dmp", "./aft?r.dmp",
            "-Path ./app.dmp, ./after.dmp", "-Path @('./after.dmp')", "-Dump $after", "-Path $after" })
            Assert.Contains(Complete($"Test-Input {input} -TypeName Contoso.Orders.Ca"), m => m.Text == CachedReportType);
        Assert.Contains(Complete("$after | Test-Input -TypeName Contoso.Orders.Ca"), m => m.Text == CachedReportType);
        Assert.Contains(Complete("Get-ChildItem ./aft*.dmp | Test-Input -TypeName Contoso.Orders.Ca"), m => m.Text == CachedReportType);
        Assert.Empty(Complete("Test-Input -Path ./nothere*.dmp -TypeName Contoso.Orders.Ca"));
        Assert.Empty(Complete("Test-Input -LiteralPath ./aft*.dmp -TypeName Contoso.Orders.Ca")); // literal: no such file

        // and the cmdlets themselves
        foreach (string input in new[] { "-LiteralPath ./after.dmp", "-LP ./after.dmp", "-Path ./aft*.dmp", "./before.dmp, ./after.dmp" })
            Assert.Contains(Complete($"Get-HeapTop {input} -TypeName Contoso.Orders.Ca"), m => m.Text == CachedReportType);
        Assert.Contains(Complete("Get-Item ./after.dmp | Get-GcRoot -TypeName Contoso.Orders.Ca"), m => m.Text == CachedReportType);
    }

    [Fact]
    public void HeapTypeName_ArrayTypes_ComeBackQuoted_AndMatchOnlyThemselves()
    {
        var bytes = Assert.Single(Complete("Get-HeapTop ./app.dmp -TypeName System.Byte"), m => m.ListItem == "System.Byte[]");
        Assert.Equal("'System.Byte[]'", bytes.Text);
        var r = _pwsh.Run($"(Get-HeapTop ./app.dmp -TypeName {bytes.Text}).TypeName");
        Assert.Empty(r.Errors);
        Assert.Equal(["System.Byte[]"], r.Output);
    }

    [Fact]
    public void FirstCompletionOnAnUnopenedDump_WalksItsHeapOnce_ForTheCommandToo()
    {
        string fresh = FreshLink("app.dmp", "fresh.dmp");
        var r = _pwsh.Run("""
            $times = foreach ($i in 1..3) {
                $line = "Get-HeapTop '$fresh' -TypeName Contoso.Or"
                $watch = [Diagnostics.Stopwatch]::StartNew()
                $null = TabExpansion2 -inputScript $line -cursorColumn $line.Length
                $watch.Elapsed.TotalMilliseconds
            }
            $times -join ';'
            # the session the completion opened and walked is the one commands get
            (Open-Dump $fresh).IsHeapCached
            (Get-HeapTop $fresh -Top 1).TypeName
            """, new Dictionary<string, object?> { ["fresh"] = fresh });
        Assert.Empty(r.Errors);
        double[] ms = r.Output[0].Split(';').Select(t => double.Parse(t, CultureInfo.InvariantCulture)).ToArray();
        _output.WriteLine($"completion on an unopened dump: first {ms[0]:F0} ms, next {ms[1]:F0} ms, {ms[2]:F0} ms");
        Assert.Equal("True", r.Output[1]);
        Assert.Equal(TargetFacts.LeakedOrderType, r.Output[2]);
        Assert.True(ms[1] < 1000 && ms[2] < 1000, $"later completions should answer from the cached walk: {r.Output[0]} ms");
    }

    [Theory]
    [InlineData("heap-2.pb.gz")]
    [InlineData("allocs.pb.gz")]
    [InlineData("cpu.pb.gz")]
    [InlineData("block.pb.gz")]
    [InlineData("mutex.pb.gz")]
    [InlineData("goroutine.pb.gz")]
    public void SampleIndex_IsExactlyTheSampleTypesTheProfileDeclares(string profile)
    {
        var declared = DeclaredSampleTypes(DemoFiles.File(profile));
        var matches = Complete($"Get-PprofTop ./{profile} -SampleIndex ");
        Assert.Equal(declared.Select(t => t.Type), matches.Select(m => m.Text));
        Assert.All(matches.Zip(declared), p => Assert.StartsWith($"{p.Second.Type} ({p.Second.Unit})", p.First.ToolTip, StringComparison.Ordinal));
        if (profile == "heap-2.pb.gz")
            Assert.Equal(s_goHeapSampleTypes, matches.Select(m => m.Text));
    }

    [Fact]
    public void SampleIndex_OfAnImportedProfile_GivenOrPiped_FilteredByTheWord()
    {
        const string setup = "$p = Import-Pprof ./heap-2.pb.gz";
        Assert.Equal(["inuse_objects", "inuse_space"], Complete("Get-PprofTop -Profile $p -SampleIndex inuse", setup).Select(m => m.Text));
        Assert.Equal(["alloc_objects", "alloc_space"], Complete("$p | Get-PprofTraces -SampleIndex ALLOC", setup).Select(m => m.Text));
        Assert.Equal(["alloc_space", "inuse_space"], Complete("Get-PprofPeek ./heap-2.pb.gz -Function x -SampleIndex *space").Select(m => m.Text));
    }

    [Fact]
    public void PprofFunction_OffersTheProfilesFunctions_AndTheQuotedOnesRun()
    {
        string top = Manifest("pprof.heap-2.inuse_space.top"); // contoso.example/leaky/orders.remember
        Assert.Contains(Complete($"Get-PprofPeek ./heap-2.pb.gz -Function {top[..^3]}"), m => m.Text == top);
        var bySegment = Complete("Get-PprofPeek ./heap-2.pb.gz -Function remem");
        Assert.Contains(bySegment, m => m.Text == top);

        // Go method names hold parentheses and a star: quoted, and the completed line runs.
        var method = Assert.Single(bySegment, m => m.ListItem.Contains("(*", StringComparison.Ordinal));
        Assert.Equal($"'{method.ListItem}'", method.Text);
        var r = _pwsh.Run($"(Get-PprofPeek ./heap-2.pb.gz -Function {method.Text} | Select-Object -First 1).Function");
        Assert.Empty(r.Errors);
        Assert.Equal([method.ListItem], r.Output);
    }

    [Fact]
    public void TraceExceptionType_OffersTheTypeTheTargetThrew_AndTheCompletionFindsThemAll()
    {
        var matches = Complete("Get-TraceExceptions ./app.nettrace -Type Contoso.");
        var thrown = Assert.Single(matches, m => m.Text == TraceFacts.ExceptionType);
        Assert.Equal($"{TraceFacts.ExceptionCount} thrown", thrown.ToolTip);
        Assert.Contains(Complete("$t | Get-TraceExceptions -Type InvoiceRej", "$t = Import-Trace ./app.nettrace"), m => m.Text == TraceFacts.ExceptionType);

        var r = _pwsh.Run($"@(Get-TraceExceptions ./app.nettrace -Type {thrown.Text}).Count");
        Assert.Empty(r.Errors);
        Assert.Equal([TraceFacts.ExceptionCount.ToString(CultureInfo.InvariantCulture)], r.Output);
    }

    [Fact]
    public void ThreadName_OffersTheDumpsThreadNames_WithTheirState()
    {
        var matches = Complete("Get-DumpThreads ./app.dmp -Name worker-");
        foreach (string name in TargetFacts.DeadlockedThreads)
            Assert.EndsWith("Deadlocked", Assert.Single(matches, m => m.Text == name).ToolTip, StringComparison.Ordinal);
        Assert.Contains(Complete("Get-DumpThreads ./app.dmp -Name pay"), m => m.Text == TargetFacts.CatchThread);
    }

    [Fact]
    public void AsyncMethod_IsOfferedOnlyOnceTheSessionHasIndexedTheObjectGraph()
    {
        string fresh = FreshLink("app.dmp", "tasks.dmp");
        string line = $"Get-DumpTasks '{fresh}' -Method Contoso.Async.";
        Assert.Empty(Complete(line)); // Tab does not start the object-graph pass

        var r = _pwsh.Run("$null = Get-DumpTasks $fresh", new Dictionary<string, object?> { ["fresh"] = fresh });
        Assert.Empty(r.Errors);
        var matches = Complete(line);
        foreach (string method in new[] { TargetFacts.CheckoutMethod, TargetFacts.ConfirmationMethod, TargetFacts.ReserveMethod, TargetFacts.LoadReportMethod })
            Assert.Contains(matches, m => m.Text == method);
        Assert.StartsWith($"{TargetFacts.StuckCheckouts} not completed", Assert.Single(matches, m => m.Text == TargetFacts.CheckoutMethod).ToolTip, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("Get-HeapTop ./nothere.dmp -TypeName a")]
    [InlineData("Get-HeapTop ./goroutines.txt -TypeName a")]
    [InlineData("Get-HeapTop ./heap-2.pb.gz -TypeName a")]
    [InlineData("Get-HeapTop ./mini.dmp -TypeName a")] // a dump without a heap
    [InlineData("Get-HeapTop -TypeName a")] // no input yet
    [InlineData("Compare-Heap ./nothere.dmp ./panic.txt -TypeName a")]
    [InlineData("Get-DumpThreads ./goroutines.txt -Name a")]
    [InlineData("Get-PprofTop ./nothere.pb.gz -SampleIndex a")]
    [InlineData("Get-PprofTop ./panic.txt -SampleIndex a")]
    [InlineData("Get-PprofPeek ./app.dmp -Function a")]
    [InlineData("Get-TraceExceptions ./heap-2.pb.gz -Type a")]
    [InlineData("Get-TraceExceptions ./nothere.nettrace -Type a")]
    public void MissingOrGarbageInput_CompletesNothing_AndWritesNothing(string line)
    {
        // Without a completer PowerShell offers the demo files starting with "a" here.
        Assert.Empty(Complete(line));
    }

    [Fact]
    public void CompletionText_ParsesBackToTheName_InEveryQuoteStyle()
    {
        // CompletionWord.Write is internal; reached by reflection so each nasty name is checked through PowerShell's parser.
        var r = _pwsh.Run("""
            $word = [Analysis.PowerShell.Completers.HeapTypeNameCompleter].Assembly.GetType('Analysis.PowerShell.Completers.CompletionWord', $true)
            $names = @("it's", 'a"b', '$x', 'a`b', 'List<T>', 'a b', 'a,b', '1e3', '-x', '0x10', "‘smart’", 'A+B[]', 'plain.Name', 'a;b', '@a', '#a', 'a|b', 'a(b)', 'a{b}')
            foreach ($typed in '', "'", '"', [string][char]0x2018) {
                $w = $word.GetMethod('Parse').Invoke($null, @("${typed}x"))
                foreach ($name in $names) {
                    $text = $word.GetMethod('Write').Invoke($w, @($name))
                    $back = & ([scriptblock]::Create("Write-Output $text"))
                    if ($back -cne $name -or $back.Count -ne 1) { "[$typed] $name -> $text -> $back" }
                }
            }
            'done'
            """);
        Assert.Empty(r.Errors);
        Assert.Equal(["done"], r.Output);
    }

    /// <summary>
    /// Completes <paramref name="line"/> with the cursor at its end; checks that completing wrote nothing (no error,
    /// warning, host output, nothing added to $Error).
    /// </summary>
    private List<Match> Complete(string line, string? setup = null)
    {
        _ = _pwsh.HostOutput;
        var r = _pwsh.Run(setup + """

            $r = TabExpansion2 -inputScript $line -cursorColumn $line.Length
            "errors: $($Error.Count)"
            ConvertTo-Json -Compress -InputObject @($r.CompletionMatches | ForEach-Object {
                [ordered]@{ Text = $_.CompletionText; ListItem = $_.ListItemText; ToolTip = $_.ToolTip; ReplacementIndex = $r.ReplacementIndex; ReplacementLength = $r.ReplacementLength }
            })
            """, new Dictionary<string, object?> { ["line"] = line });
        Assert.Empty(r.Errors);
        Assert.Empty(r.Warnings);
        Assert.Equal("errors: 0", r.Output[0]);
        Assert.Equal("", _pwsh.HostOutput.Trim());
        var matches = JsonSerializer.Deserialize<List<Match>>(r.Output[1]) ?? [];
        _output.WriteLine($"{line} => {string.Join(" | ", matches.Take(12).Select(m => m.Text))}{(matches.Count > 12 ? $" … ({matches.Count})" : "")}");
        return matches;
    }

    private static bool IsDemoFile(string text) => File.Exists(Path.Combine(DemoFiles.Folder, Path.GetFileName(text)));

    /// <summary>A new name for a demo file, so this test's session is its own (a session is per path).</summary>
    private static string FreshLink(string demoFile, string name)
    {
        string path = Path.Combine(RepoPaths.NewScratchDirectory("analysis-pwsh-complete"), name);
        File.CreateSymbolicLink(path, File.ResolveLinkTarget(DemoFiles.File(demoFile), returnFinalTarget: true)?.FullName ?? DemoFiles.File(demoFile));
        return path;
    }

    private static string Manifest(string key) =>
        File.ReadLines(Path.Combine(RepoPaths.Root, "tests", "testdata", "go", "MANIFEST")).First(l => l.StartsWith(key + "=", StringComparison.Ordinal))[(key.Length + 1)..];

    /// <summary>
    /// The oracle: sample_type (field 1: ValueType{type = 1, unit = 2}) and string_table (field 6) of profile.proto,
    /// read by this minimal decoder rather than by the library under test.
    /// </summary>
    private static List<(string Type, string Unit)> DeclaredSampleTypes(string path)
    {
        using var gzip = new GZipStream(File.OpenRead(path), CompressionMode.Decompress);
        using var buffer = new MemoryStream();
        gzip.CopyTo(buffer);
        byte[] data = buffer.ToArray();
        var strings = new List<string>();
        var types = new List<(long Type, long Unit)>();
        int pos = 0;
        while (pos < data.Length)
        {
            long key = Varint(data, ref pos);
            int field = (int)(key >> 3);
            switch (key & 7)
            {
                case 0:
                    Varint(data, ref pos);
                    break;
                case 1:
                    pos += 8;
                    break;
                case 5:
                    pos += 4;
                    break;
                case 2:
                    int length = (int)Varint(data, ref pos);
                    if (field == 6)
                    {
                        strings.Add(System.Text.Encoding.UTF8.GetString(data, pos, length));
                    }
                    else if (field == 1)
                    {
                        long type = 0, unit = 0;
                        for (int p = pos; p < pos + length;)
                        {
                            long k = Varint(data, ref p);
                            long v = Varint(data, ref p);
                            if (k >> 3 == 1)
                                type = v;
                            else if (k >> 3 == 2)
                                unit = v;
                        }

                        types.Add((type, unit));
                    }

                    pos += length;
                    break;
                default:
                    throw new InvalidDataException($"wire type {key & 7} at {pos} in {path}");
            }
        }

        return types.Select(t => (strings[(int)t.Type], strings[(int)t.Unit])).ToList();

        static long Varint(byte[] data, ref int pos)
        {
            long value = 0;
            for (int shift = 0; ; shift += 7)
            {
                byte b = data[pos++];
                value |= (long)(b & 0x7f) << shift;
                if (b < 0x80)
                    return value;
            }
        }
    }
}
