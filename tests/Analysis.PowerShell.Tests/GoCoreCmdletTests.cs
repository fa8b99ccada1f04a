using System.Globalization;
using System.Text.RegularExpressions;
using Analysis.Testing;
using Xunit;

namespace Analysis.PowerShell.Tests;

/// <summary>
/// The Go core cmdlets in a hosted runspace, on real cores of the leaky program (GoCoreSet: GOTRACEBACK=crash runs of
/// Go 1.21 to 1.23 and a stripped build), against the traceback the runtime itself printed when it wrote each core.
/// </summary>
public partial class GoCoreCmdletTests
{
    private const string Newest = "go1.23";

    /// <summary>One line per bucket, the same for a text dump and a core: what the runtime's traceback tells.</summary>
    private const string BucketLine = "ForEach-Object { '{0}|{1}|{2}' -f $_.Count, $_.State, (($_.Frames | ForEach-Object { '{0}:{1}' -f $_.Function, $_.Line }) -join ' ') }";

    private static GoCoreSet Set
    {
        get
        {
            Skip.If(GoCoreSet.Missing is not null, $"Skipped: {GoCoreSet.Missing}");
            return GoCoreSet.Instance;
        }
    }

    private static Dictionary<string, object?> Vars(params (string Name, object? Value)[] vars) => vars.ToDictionary(v => v.Name, v => v.Value);

    private static string IdAndState(long id, string state) => string.Create(CultureInfo.InvariantCulture, $"{id} {state}");

    /// <summary>
    /// The goroutines of the runtime's traceback; not "goroutine 0", the g0 (scheduler stack) of the thread a process-wide
    /// SIGABRT landed on, which the runtime prints first (many) but which is no goroutine.
    /// </summary>
    private static IEnumerable<GoTracebackGoroutine> Goroutines(GoCoreFixture core) => core.Traceback.Goroutines.Where(g => g.Id != 0);

    /// <summary>The traceback as goroutines for Group-Stacks (goroutine 0 left out, see <see cref="Goroutines"/>).</summary>
    private const string TracebackGoroutines = "(Get-Goroutines -Path $tb | Where-Object Id -ne 0)";

    public static TheoryData<string, GoCoreMode> Cores()
    {
        var data = new TheoryData<string, GoCoreMode>();
        foreach (string v in GoCoreSet.Versions)
        {
            foreach (var m in Enum.GetValues<GoCoreMode>())
            {
                if (!v.Contains('-', StringComparison.Ordinal) || m is GoCoreMode.Crash or GoCoreMode.Hang) // the stripped and PIE builds: crash and hang
                    data.Add(v, m);
            }
        }

        return data;
    }

    [SkippableTheory]
    [MemberData(nameof(Cores))]
    public void GetGoroutines_PathAndExecutable_GivesTheGoroutineIdsAndStatesOfTheRuntimesTraceback(string version, GoCoreMode mode)
    {
        var core = Set[version, mode];
        using var host = new PwshHost();
        var r = host.Run("Get-Goroutines -Path $core -Executable $exe | ForEach-Object { '{0} {1}' -f $_.Id, $_.State }", Vars(("core", core.CorePath), ("exe", core.Executable)));
        Assert.Empty(r.Errors);
        var truth = Goroutines(core).Select(g => IdAndState(g.Id, g.State)).ToList();
        Assert.NotEmpty(truth);
        Assert.Equal(truth.Order(StringComparer.Ordinal), r.Strings.Order(StringComparer.Ordinal));
        if (mode is GoCoreMode.Crash or GoCoreMode.Segv)
            Assert.Equal(truth[0], r.Strings.First()); // the panicking goroutine comes first, as the runtime printed it

        // -State and -MinWaitMinutes work as on text dumps
        var chan = host.Run("Get-Goroutines -Path $core -Executable $exe -State 'chan*' -MinWaitMinutes 0 | ForEach-Object { '{0} {1}' -f $_.Id, $_.State }", Vars(("core", core.CorePath), ("exe", core.Executable)));
        Assert.Equal(truth.Where(t => t.Split(' ', 2)[1].StartsWith("chan", StringComparison.Ordinal)).Order(StringComparer.Ordinal), chan.Strings.Order(StringComparer.Ordinal));
        Assert.Equal("0", host.Run("@(Get-Goroutines -Path $core -Executable $exe -MinWaitMinutes 100000).Count", Vars(("core", core.CorePath), ("exe", core.Executable))).Strings.Single());
    }

    public static TheoryData<GoCoreMode> Modes() => new(Enum.GetValues<GoCoreMode>());

    [SkippableTheory]
    [MemberData(nameof(Modes))]
    public void OpenGoCore_PipedToGetGoroutinesAndGroupStacks_GroupsAsTheRuntimesTracebackGroups(GoCoreMode mode)
    {
        var core = Set[Newest, mode];
        using var host = new PwshHost();
        var fromCore = host.Run($"Open-GoCore $core -Executable $exe | Get-Goroutines | Group-Stacks | {BucketLine}", Vars(("core", core.CorePath), ("exe", core.Executable)));
        var fromTraceback = host.Run($"{TracebackGoroutines} | Group-Stacks | {BucketLine}", Vars(("tb", core.TracebackPath)));
        Assert.Empty(fromCore.Errors);
        Assert.Empty(fromTraceback.Errors);
        Assert.NotEmpty(fromTraceback.Strings);
        Assert.Equal(fromTraceback.Strings.Order(StringComparer.Ordinal), fromCore.Strings.Order(StringComparer.Ordinal));
        Assert.Equal(fromTraceback.Strings.First().Split('|')[0], fromCore.Strings.First().Split('|')[0]); // the largest leads

        // the buckets' sizes are the traceback's own counts of goroutines per state, stack and creator (read without our parser)
        var sizes = Goroutines(core).GroupBy(g => string.Create(CultureInfo.InvariantCulture, $"{g.State}|{string.Join(" ", g.Frames.Select(f => $"{f.Function}:{f.File}:{f.Line}"))}|{g.CreatedBy}"))
            .Select(g => g.Count()).Order().ToList();
        Assert.Equal(sizes, fromCore.Strings.Select(s => int.Parse(s.Split('|')[0], CultureInfo.InvariantCulture)).Order().ToList());
    }

    [SkippableFact]
    public void FindGoroutineLeak_OnTheCoreWithThousandsOfGoroutines_FindsTheBigBuckets_AsInTheTraceback()
    {
        var many = Set[Newest, GoCoreMode.Many];
        using var host = new PwshHost();
        const string line = "ForEach-Object { '{0}|{1}|{2}' -f $_.Count, $_.State, $_.Site.Function }";
        var fromCore = host.Run($"Find-GoroutineLeak $core -Executable $exe -MinWaitMinutes 0 -MinGoroutines 100 | {line}", Vars(("core", many.CorePath), ("exe", many.Executable)));
        var fromTraceback = host.Run($"Find-GoroutineLeak $tb -MinWaitMinutes 0 -MinGoroutines 100 | {line}", Vars(("tb", many.TracebackPath))); // g0 is idle: never a leak
        Assert.Empty(fromCore.Errors);
        Assert.Empty(fromTraceback.Errors);
        Assert.Equal(fromTraceback.Strings, fromCore.Strings);
        Assert.Contains(fromCore.Progress, p => p.RecordType == System.Management.Automation.ProgressRecordType.Completed); // the read reported its progress

        // each bucket is the traceback's own: as many goroutines in that state with the site on their stack (read without our parser)
        Assert.True(fromCore.Strings.Count() >= 3, string.Join("\n", fromCore.Strings));
        foreach (string[] row in fromCore.Strings.Select(s => s.Split('|')))
        {
            int count = int.Parse(row[0], CultureInfo.InvariantCulture);
            Assert.True(count >= 1000, string.Join('|', row));
            Assert.Equal(count, many.Traceback.Goroutines.Count(g => g.State == row[1] && g.Frames.Any(f => f.Function == row[2])));
        }
    }

    [SkippableFact]
    public void GetGoCoreInfo_GivesThePanicOfTheCrashCore_AndTheFaultOfTheSegvCore_AsTheTracebackTellsThem()
    {
        var crash = Set[Newest, GoCoreMode.Crash];
        var segv = Set[Newest, GoCoreMode.Segv];
        using var host = new PwshHost();
        var r = host.Run("""
            $crash = Get-GoCoreInfo $crashCore -Executable $exe
            $crash.PanicValue
            $crash.CrashingGoroutine
            $crash.GoVersion
            $segv = Open-GoCore $segvCore -Executable $exe | Get-GoCoreInfo
            $segv.FaultSignal
            '0x{0:x}' -f $segv.FaultAddress
            '0x{0:x}' -f $segv.FaultPc
            $segv.CrashingGoroutine
            $segv.PanicValue
            """, Vars(("crashCore", crash.CorePath), ("segvCore", segv.CorePath), ("exe", crash.Executable)));
        Assert.Empty(r.Errors);
        var signal = SignalLine().Match(segv.Traceback.SignalLine ?? "");
        Assert.True(signal.Success, $"the segv traceback's signal line: {segv.Traceback.SignalLine}");
        Assert.Equal(
            [
                crash.Traceback.PanicMessage!, crash.Traceback.Goroutines[0].Id.ToString(CultureInfo.InvariantCulture), crash.Build.GoVersion,
                "SIGSEGV", signal.Groups["addr"].Value, signal.Groups["pc"].Value, segv.Traceback.Goroutines[0].Id.ToString(CultureInfo.InvariantCulture),
                segv.Traceback.PanicMessage!,
            ], r.Strings);
    }

    [SkippableFact]
    public void BadCores_AreErrorRecordsNamingTheWrongFile_WithStableIdsAndCategories_AndTheSessionGoesOn()
    {
        var crash = Set[Newest, GoCoreMode.Crash];
        var older = Set["go1.21", GoCoreMode.Crash];
        string scratch = RepoPaths.NewScratchDirectory("analysis-pwsh-gocore");
        string text = Path.Combine(scratch, "notes.txt");
        File.WriteAllText(text, "goroutine 1 [running]:\nmain.main()\n\t/app/main.go:5 +0x1d\n");
        var (moved, named) = GoCoreCopies.FromAnotherMachine(crash, scratch);
        var cases = new (string Command, string Id, string Category, string Names)[]
        {
            ("Get-Goroutines $moved", "GoExecutableNotFound", "ObjectNotFound", named),
            ("Get-Goroutines $core -Executable (Join-Path $scratch 'nothing-here')", "GoExecutableNotFound", "ObjectNotFound", Path.Combine(scratch, "nothing-here")),
            ("Get-Goroutines $core -Executable $olderExe", "WrongGoExecutable", "InvalidArgument", older.Executable),
            ("Get-GoCoreInfo $sleep", "NotAGoCore", "InvalidData", Set.OtherCorePath),
            ("Find-GoroutineLeak $sleep", "NotAGoCore", "InvalidData", Set.OtherCorePath),
            ("Get-Goroutines $text -Executable $exe", "NotAGoCore", "InvalidData", text),
            ("Open-GoCore $text -Executable $exe", "NotAGoCore", "InvalidData", text),
            ("Get-GoCoreInfo $text", "NotAGoCore", "InvalidData", text),
        };
        using var host = new PwshHost();
        var vars = Vars(("moved", moved), ("core", crash.CorePath), ("exe", crash.Executable), ("olderExe", older.Executable), ("sleep", Set.OtherCorePath), ("text", text), ("scratch", scratch));
        foreach (var (command, id, category, names) in cases)
        {
            var r = host.Run(command + "; 'still running'", vars);
            var error = Assert.Single(r.Errors);
            Assert.True(error.FullyQualifiedErrorId.StartsWith(id + ",", StringComparison.Ordinal), $"{command}: {error.FullyQualifiedErrorId}: {error.Exception.Message}");
            Assert.Equal(category, error.CategoryInfo.Category.ToString());
            Assert.Contains(names, error.Exception.Message, StringComparison.Ordinal);
            Assert.Equal("still running", Assert.Single(r.Strings));
        }

        // a text dump is still read as one, and the right executable still reads the core
        Assert.Equal("1 running", host.Run("Get-Goroutines $text | ForEach-Object { '{0} {1}' -f $_.Id, $_.State }", vars).Strings.Single());
        Assert.Equal(Goroutines(crash).Count().ToString(CultureInfo.InvariantCulture), host.Run("@(Get-Goroutines $core -Executable $exe).Count", vars).Strings.Single());
    }

    [SkippableFact]
    public void ATruncatedCore_IsAnsweredWithWhatIsLeft_AndItsWarningsAreWarningRecords()
    {
        var crash = Set[Newest, GoCoreMode.Crash];
        string cut = Path.Combine(RepoPaths.NewScratchDirectory("analysis-pwsh-gocore"), "cut.core");
        using (var source = File.OpenRead(crash.CorePath))
        using (var target = File.Create(cut))
        {
            var buffer = new byte[3_000_000];
            source.ReadExactly(buffer);
            target.Write(buffer); // cut off while being copied: the memory past 3 MB is missing
        }

        using var host = new PwshHost();
        var vars = Vars(("core", cut), ("exe", crash.Executable));
        var goroutines = host.Run("$null = Get-Goroutines $core -Executable $exe", vars);
        Assert.Empty(goroutines.Errors);
        Assert.Contains(goroutines.Warnings, w => w.Message.StartsWith("cut.core: the core is truncated: 3,000,000 of", StringComparison.Ordinal));
        var info = host.Run("$i = Get-GoCoreInfo $core -Executable $exe; $i.PanicValue; $i.Warnings.Count", vars);
        Assert.Empty(info.Errors);
        Assert.Equal([crash.Traceback.PanicMessage!, info.Warnings.Count.ToString(CultureInfo.InvariantCulture)], info.Strings);
        Assert.All(info.Warnings, w => Assert.StartsWith("cut.core: ", w.Message, StringComparison.Ordinal));
    }

    [SkippableFact]
    public void ASecondQuestionAboutTheSameCore_DoesNotReadItAgain_AndCloseGoCoreClosesTheSession()
    {
        var hang = Set[Newest, GoCoreMode.Hang];
        using var host = new PwshHost();
        var r = host.Run("""
            $cache = [Analysis.PowerShell.AnalysisCmdlet].Assembly.GetType('Analysis.PowerShell.RunspaceSessions').GetProperty('Current').GetValue($null).GoCores
            $s = Open-GoCore $core -Executable $exe
            $cache.OpenCount
            $first = @(Get-Goroutines $core)[0]                                   # by path, no -Executable: the open session
            [object]::ReferenceEquals($first.psobject.BaseObject, $s.Goroutines.Goroutines[0])
            $null = Get-Goroutines $core -Executable $exe -State 'chan*'
            $null = $s | Get-GoCoreInfo
            $null = Find-GoroutineLeak -Core $s
            $null = Group-Stacks -Path $core
            $null = $s | Group-Stacks                                             # binds -Path by the session's Path
            $cache.OpenCount
            $s | Close-GoCore
            $s.IsClosed
            $s | Get-Goroutines
            @(Get-Goroutines $core -Executable $exe).Count -gt 0                  # read again after the close
            $cache.OpenCount
            Close-GoCore -All
            $cache.Sessions.Count
            """, Vars(("core", hang.CorePath), ("exe", hang.Executable)));
        Assert.Equal(["1", "True", "1", "True", "True", "2", "0"], r.Strings);
        Assert.Equal("SessionClosed,Analysis.PowerShell.Commands.GetGoroutinesCommand", Assert.Single(r.Errors).FullyQualifiedErrorId);
    }

    [SkippableFact]
    public void GroupStacksAndExportIncidentReport_TakeTheGoroutinesOfACoreUnchanged()
    {
        var many = Set[Newest, GoCoreMode.Many];
        string outFile = Path.Combine(RepoPaths.NewScratchDirectory("analysis-gocore-report"), "core.html");
        using var host = new PwshHost();
        var vars = Vars(("core", many.CorePath), ("exe", many.Executable), ("tb", many.TracebackPath), ("o", outFile));
        // Group-Stacks given the core by path groups as it groups the core's goroutines piped in
        var byPath = host.Run($"Group-Stacks -Path $core -Executable $exe | {BucketLine}", vars);
        var piped = host.Run($"Get-Goroutines $core -Executable $exe | Group-Stacks | {BucketLine}", vars);
        Assert.Empty(byPath.Errors);
        Assert.Equal(piped.Strings, byPath.Strings);
        // the report of the core (through the session open for it) counts what the traceback counts
        var truth = host.Run($"$b = @({TracebackGoroutines} | Group-Stacks); '{{0:N0}} goroutines in {{1:N0}} distinct stacks.' -f ($b | Measure-Object Count -Sum).Sum, $b.Count", vars).Strings.Single();
        Assert.StartsWith(Goroutines(many).Count().ToString("N0", CultureInfo.InvariantCulture) + " goroutines", truth, StringComparison.Ordinal);
        var r = host.Run("$null = Open-GoCore $core -Executable $exe; (Export-IncidentReport $o -GoroutineDump $core -Title 'core').FullName", vars);
        Assert.Empty(r.Errors);
        Assert.Equal(outFile, r.Strings.Single());
        string html = File.ReadAllText(outFile);
        Assert.Contains($"Goroutines: {Path.GetFileName(many.CorePath)}", html, StringComparison.Ordinal);
        Assert.Contains(truth, html, StringComparison.Ordinal);
    }

    [GeneratedRegex(@"^\[signal SIGSEGV: [^\]]*addr=(?<addr>0x[0-9a-f]+) pc=(?<pc>0x[0-9a-f]+)\]")]
    private static partial Regex SignalLine();
}
