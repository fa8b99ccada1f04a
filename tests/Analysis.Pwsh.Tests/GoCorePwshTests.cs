using System.Globalization;
using System.Text.RegularExpressions;
using Analysis.Testing;
using Xunit;

namespace Analysis.Pwsh.Tests;

/// <summary>
/// The Go core cmdlets in real pwsh 7.6.9, on real cores of the leaky program (GoCoreSet), against the traceback the
/// Go runtime printed when it wrote each core.
/// </summary>
public sealed partial class GoCorePwshTests : IDisposable
{
    private readonly RealPwsh _pwsh = new(width: 160);

    public void Dispose() => _pwsh.Dispose();

    private const string Newest = "go1.23";

    private static GoCoreSet Set
    {
        get
        {
            Skip.If(GoCoreSet.Missing is not null, $"Skipped: {GoCoreSet.Missing}");
            return GoCoreSet.Instance;
        }
    }

    private static Dictionary<string, object?> Vars(params (string Name, object? Value)[] vars) => vars.ToDictionary(v => v.Name, v => v.Value);

    private const string BucketLine = "ForEach-Object { '{0}|{1}|{2}' -f $_.Count, $_.State, (($_.Frames | ForEach-Object { '{0}:{1}' -f $_.Function, $_.Line }) -join ' ') }";

    [SkippableTheory]
    [MemberData(nameof(Versions))]
    public void GetGoroutines_PathAndExecutable_GivesTheGoroutinesOfTheRuntimesTraceback_InEveryMode(string version)
    {
        var build = Set[version];
        foreach (var mode in build.Modes)
        {
            var core = build[mode];
            var r = _pwsh.Run("Get-Goroutines -Path $core -Executable $exe | ForEach-Object { '{0} {1}' -f $_.Id, $_.State }", Vars(("core", core.CorePath), ("exe", core.Executable)));
            Assert.Empty(r.Errors);
            var truth = core.Traceback.Goroutines.Where(g => g.Id != 0).Select(g => string.Create(CultureInfo.InvariantCulture, $"{g.Id} {g.State}")).ToList();
            Assert.NotEmpty(truth);
            Assert.Equal(truth.Order(StringComparer.Ordinal), r.Output.Order(StringComparer.Ordinal));
        }
    }

    [SkippableFact]
    public void OpenGoCore_ToGetGoroutines_ToGroupStacks_GroupsAsTheTraceback_AndTheSessionIsReadOnce()
    {
        var hang = Set[Newest, GoCoreMode.Hang];
        var r = _pwsh.Run($"""
            $cache = [Analysis.PowerShell.AnalysisCmdlet].Assembly.GetType('Analysis.PowerShell.RunspaceSessions').GetProperty('Current').GetValue($null).GoCores
            $core = Open-GoCore $path -Executable $exe
            $core | Get-Goroutines | Group-Stacks | {BucketLine}
            'leaks ' + @(Find-GoroutineLeak $path -MinWaitMinutes 0 -MinGoroutines 2).Count
            'opens ' + $cache.OpenCount
            Close-GoCore $core
            'closed ' + $core.IsClosed
            """, Vars(("path", hang.CorePath), ("exe", hang.Executable)));
        Assert.Empty(r.Errors);
        var truth = _pwsh.Run($"Group-Stacks -Path $tb | {BucketLine}", Vars(("tb", hang.TracebackPath)));
        Assert.Empty(truth.Errors);
        Assert.NotEmpty(truth.Output);
        Assert.Equal(truth.Output.Order(StringComparer.Ordinal), r.Output.Where(l => l.Contains('|', StringComparison.Ordinal)).Order(StringComparer.Ordinal));
        Assert.Equal("opens 1", r.Output.Single(l => l.StartsWith("opens ", StringComparison.Ordinal)));
        Assert.Equal("closed True", r.Output[^1]);
    }

    [SkippableFact]
    public void GetGoCoreInfo_ShowsThePanicOfTheCrashCore_AndTheFaultOfTheSegvCore_InItsListView()
    {
        var crash = Set[Newest, GoCoreMode.Crash];
        var segv = Set[Newest, GoCoreMode.Segv];
        var r = _pwsh.Run("""
            $crash = Get-GoCoreInfo $crashCore -Executable $exe
            'panic=' + $crash.PanicValue
            $segv = Get-GoCoreInfo $segvCore -Executable $exe
            'fault={0} 0x{1:x}' -f $segv.FaultSignal, $segv.FaultAddress
            $segv | Out-String -Width 120
            """, Vars(("crashCore", crash.CorePath), ("segvCore", segv.CorePath), ("exe", crash.Executable)));
        Assert.Empty(r.Errors);
        Assert.Equal("panic=" + crash.Traceback.PanicMessage, r.Output[0]);
        var signal = SignalLine().Match(segv.Traceback.SignalLine ?? "");
        Assert.True(signal.Success, $"the segv traceback's signal line: {segv.Traceback.SignalLine}");
        Assert.Equal($"fault=SIGSEGV {signal.Groups["addr"].Value}", r.Output[1]);
        string view = string.Join("\n", r.Output.Skip(2));
        Assert.Matches(new Regex(@"^Fault\s+: SIGSEGV at " + Regex.Escape(signal.Groups["addr"].Value) + @" \(pc " + Regex.Escape(signal.Groups["pc"].Value) + @"\)", RegexOptions.Multiline), view);
        Assert.Matches(new Regex(@"^GoVersion\s+: " + Regex.Escape(segv.Build.GoVersion) + "$", RegexOptions.Multiline), view);
        Assert.Matches(new Regex(@"^Panic\s+: " + Regex.Escape(segv.Traceback.PanicMessage!), RegexOptions.Multiline), view);
        Assert.Matches(new Regex(@"^Goroutines\s+: " + segv.Traceback.Goroutines.Count(g => g.Id != 0).ToString(CultureInfo.InvariantCulture) + "$", RegexOptions.Multiline), view);
    }

    [SkippableFact]
    public void BadCores_GiveErrorIdsAndCategories_AndThePwshSessionGoesOn()
    {
        var crash = Set[Newest, GoCoreMode.Crash];
        var older = Set["go1.21", GoCoreMode.Crash];
        string scratch = RepoPaths.NewScratchDirectory("analysis-pwsh-gocore");
        string text = Path.Combine(scratch, "goroutines.txt");
        File.WriteAllText(text, "goroutine 1 [running]:\nmain.main()\n\t/app/main.go:5 +0x1d\n");
        var (moved, named) = GoCoreCopies.FromAnotherMachine(crash, scratch);
        var r = _pwsh.Run("""
            Get-Goroutines $moved
            Get-Goroutines $core -Executable $olderExe
            Get-GoCoreInfo $sleep
            Open-GoCore $text -Executable $exe
            'still running'
            @(Get-Goroutines $text).Count
            """, Vars(("moved", moved), ("core", crash.CorePath), ("exe", crash.Executable), ("olderExe", older.Executable), ("sleep", Set.OtherCorePath), ("text", text)));
        Assert.Equal(
            [
                "GoExecutableNotFound (ObjectNotFound)", "WrongGoExecutable (InvalidArgument)", "NotAGoCore (InvalidData)", "NotAGoCore (InvalidData)",
            ], r.Errors.Select(e => $"{e.Id.Split(',')[0]} ({e.Category})"));
        Assert.Contains(named, r.Errors[0].Message, StringComparison.Ordinal);
        Assert.Contains(older.Executable, r.Errors[1].Message, StringComparison.Ordinal);
        Assert.Contains("is not the build that wrote", r.Errors[1].Message, StringComparison.Ordinal);
        Assert.Equal(["still running", "1"], r.Output);
    }

    [SkippableFact]
    public void ExecutableParameter_CompletesFilePaths()
    {
        var crash = Set[Newest, GoCoreMode.Crash];
        string folder = Path.GetDirectoryName(crash.Executable)!;
        string name = Path.GetFileName(crash.Executable);
        var r = _pwsh.Run("Set-Location $folder; (TabExpansion2 -inputScript $line -cursorColumn $line.Length).CompletionMatches | ForEach-Object CompletionText",
            Vars(("folder", folder), ("line", $"Get-Goroutines ./{Path.GetFileName(crash.CorePath)} -Executable ./{name[..3]}")));
        Assert.Empty(r.Errors);
        Assert.Contains($"./{name}", r.Output);
    }

    [SkippableFact]
    public void ReadmeGoCoreSection_EveryLineRuns_OnTheFixturesUnderTheReadmesNames()
    {
        var build = Set[Newest];
        string readme = File.ReadAllText(Path.Combine(RepoPaths.Root, "README.md"));
        var section = ReadmeGoCoreBlock().Match(readme);
        Assert.True(section.Success, "README.md has no Go core dumps section with a ```powershell block");
        string folder = RepoPaths.NewScratchDirectory("analysis-pwsh-gocore-readme");
        foreach (var mode in build.Modes)
            File.CreateSymbolicLink(Path.Combine(folder, Path.GetFileName(build[mode].CorePath)), build[mode].CorePath);
        File.CreateSymbolicLink(Path.Combine(folder, "leaky"), build.Executable);
        using var pwsh = new RealPwsh(width: 120, workingDirectory: folder);
        var failures = new List<string>();
        foreach (string line in section.Groups["code"].Value.Split('\n').Select(l => l.TrimEnd('\r')).Where(l => l.Trim().Length > 0 && !l.TrimStart().StartsWith('#')))
        {
            var r = pwsh.Run(line);
            if (r.Errors.Count > 0)
                failures.Add($"{line}\n    -> {string.Join("\n    -> ", r.Errors)}");
            else if (!line.StartsWith('$') && !line.StartsWith("Close-", StringComparison.Ordinal) && r.Output.Count == 0)
                failures.Add($"{line}\n    -> no output");
        }

        Assert.True(failures.Count == 0, "README Go core lines that failed in real pwsh:\n" + string.Join("\n", failures));
    }

    public static TheoryData<string> Versions() => new(GoCoreSet.Versions);

    [GeneratedRegex(@"^\[signal SIGSEGV: [^\]]*addr=(?<addr>0x[0-9a-f]+) pc=(?<pc>0x[0-9a-f]+)\]")]
    private static partial Regex SignalLine();

    [GeneratedRegex(@"### Go core dumps.*?```powershell\n(?<code>.*?)```", RegexOptions.Singleline)]
    private static partial Regex ReadmeGoCoreBlock();
}
