using System.Diagnostics;
using Analysis.Testing;
using Xunit;

namespace Analysis.Pwsh.Tests;

/// <summary>What must hold for the investigator's pwsh session as a whole: Ctrl+C, parallel runspaces, bad inputs.</summary>
public sealed partial class SessionTests : IDisposable
{
    private readonly RealPwsh _pwsh = new(width: 120, workingDirectory: DemoFiles.Folder);

    public void Dispose() => _pwsh.Dispose();

    [Fact]
    public void CtrlC_DuringALongWalk_StopsIt_AndThePwshProcessTakesTheNextCommand()
    {
        string bulk = DumpSet.Bulk[CapturedDump.ClientWithHeap];
        using var pwsh = new PromptPwsh();
        // -NoCache: the object-graph index is built, not loaded (seconds for the bulk dump's millions of objects)
        pwsh.Send($"$d = Open-Dump '{bulk}' -NoCache; 'started'; $sw = [Diagnostics.Stopwatch]::StartNew(); $r = @(Get-HeapTop -Dump $d -Retained -Top 1); 'walk returned ' + $r.Count");
        pwsh.Next("started");
        Thread.Sleep(300);
        pwsh.Interrupt();
        pwsh.Send($"'elapsed=' + [int]$sw.Elapsed.TotalMilliseconds; 'alive'; (Get-HeapTop '{DemoFiles.File("app.dmp")}' -Top 1).TypeName; 'again=' + @(Get-HeapTop -Dump $d -Top 1).Count");
        string elapsed = pwsh.Next("elapsed=");
        Assert.Equal("alive", pwsh.Next("alive"));
        Assert.Equal(TargetFacts.LeakedOrderType, pwsh.Next(TargetFacts.LeakedOrderType));
        Assert.Equal("again=1", pwsh.Next("again=")); // the stopped session answers the next question
        Assert.DoesNotContain(pwsh.Received, l => l.StartsWith("walk returned", StringComparison.Ordinal));
        Assert.True(int.Parse(elapsed[8..], System.Globalization.CultureInfo.InvariantCulture) < 60_000, elapsed);
        Assert.Equal(0, pwsh.Exit());
    }

    [Fact]
    public void ForEachObjectParallel_OverTwoDumps_AnswersEach()
    {
        var r = _pwsh.Run("""
            $manifest = (Get-Module Analysis).Path
            './app.dmp', './app2.dmp' | ForEach-Object -ThrottleLimit 2 -Parallel {
                Import-Module $using:manifest
                $top = Get-HeapTop $_ -Top 1
                $deadlocked = @(Get-DumpThreads $_ | Where-Object IsDeadlocked).Count
                '{0}|{1}|{2}' -f (Split-Path $top.Source -Leaf), $top.TypeName, $deadlocked
            } | Sort-Object
            """);
        Assert.Empty(r.Errors);
        Assert.Equal([$"app.dmp|{TargetFacts.LeakedOrderType}|3", $"app2.dmp|{TargetFacts.LeakedOrderType}|3"], r.Output);
    }

    [Fact]
    public void ImportInParallelRunspaces_EachGetsTheCmdlets_AndScriptsCompilingMeanwhileAreUndisturbed()
    {
        // The first import in a process bridges the load context and registers the type accelerators; runspaces that
        // import at the same moment must wait for it (they failed to load our core), and scripts compiling meanwhile
        // must not see PowerShell's accelerator table half-updated. Fresh processes, so each run is a first import.
        string script = $"$m = '{RepoPaths.ModuleManifest}'\n" + """
            $results = 1..12 | ForEach-Object -ThrottleLimit 12 -Parallel {
                if ($_ % 2) {
                    try { Import-Module $using:m -ErrorAction Stop; [void](Get-Command Get-HeapTop -ErrorAction Stop); [void][Analysis.Dumps.DumpSession]; 'imported' }
                    catch { 'import failed: ' + $_.Exception.Message }
                }
                else {
                    $bad = 0
                    for ($i = 0; $i -lt 300; $i++) {
                        try { if ((& ([scriptblock]::Create("function F$i { [CmdletBinding()] param([string] `$x) `$x }; F$i -x ok"))) -ne 'ok') { $bad++ } } catch { $bad++ }
                    }
                    "compile failures: $bad"
                }
            }
            'result: ' + (($results | Sort-Object -Unique) -join ' / ')
            """;
        for (int run = 0; run < 3; run++)
        {
            var r = RealPwsh.RunProcess(script, TimeSpan.FromMinutes(2), importModule: false);
            Assert.Equal(0, r.ExitCode);
            Assert.Contains("result: compile failures: 0 / imported", r.Stdout, StringComparison.Ordinal);
        }
    }

    public static TheoryData<string, string, string> BadInputs => new()
    {
        // what the README promises: missing, empty, not a dump, truncated, non-.NET, no matching DAC, a dump without heap
        { "missing", "Get-HeapTop ./missing.dmp", "DumpNotFound" },
        { "directory", "Get-HeapTop $scratch", "PathIsDirectory" },
        { "empty", "Get-HeapTop $empty", "DumpEmpty" },
        { "not a dump", "Get-HeapTop $text", "NotADump" },
        { "truncated", "Get-HeapTop $truncated", "DumpTruncated" },
        { "an executable", "Get-HeapTop $elf", "NotADump" },
        { "not .NET", "Get-HeapTop $native", "NotADotNetDump" },
        { "no matching DAC", "Get-HeapTop ./app.dmp -DacPath $nodac", "DacNotFound" },
        { "no heap", "Get-HeapTop ./mini.dmp", "NoHeapInDump" },
        { "no match", "Get-HeapTop ./nothing-*.dmp", "DumpNotFound" },
        { "not a trace", "Get-TraceGc $text", "NotATrace" },
        { "not a profile", "Get-PprofTop $text", "NotAProfile" },
        { "not a goroutine dump", "Get-Goroutines $empty", "GoroutineDumpEmpty" },
    };

    [Theory]
    [MemberData(nameof(BadInputs))]
    public void BadInput_GivesItsErrorId_AndTheSessionGoesOn(string what, string command, string errorId)
    {
        string scratch = RepoPaths.NewScratchDirectory("analysis-pwsh-bad");
        try
        {
            File.WriteAllBytes(Path.Combine(scratch, "empty.dmp"), []);
            File.WriteAllText(Path.Combine(scratch, "text.dmp"), "just some text\n");
            using (var source = File.OpenRead(DumpSet.FactsLite[CapturedDump.ClientWithHeap]))
            using (var cut = File.Create(Path.Combine(scratch, "truncated.dmp")))
            {
                var buffer = new byte[5_000_000];
                source.ReadExactly(buffer);
                cut.Write(buffer);
            }

            string native = Path.Combine(scratch, "native.core");
            if (command.Contains("$native", StringComparison.Ordinal))
                GCore(native);
            var r = _pwsh.Run(command + "; 'still running'", new Dictionary<string, object?>
            {
                ["native"] = native,
                ["scratch"] = scratch, ["empty"] = Path.Combine(scratch, "empty.dmp"), ["text"] = Path.Combine(scratch, "text.dmp"),
                ["truncated"] = Path.Combine(scratch, "truncated.dmp"), ["elf"] = "/bin/ls", ["nodac"] = Path.Combine(scratch, "no-dac-here.so"),
            });
            Assert.True(r.ErrorIds.SequenceEqual([errorId]), $"{what}: {string.Join("; ", r.Errors)}");
            Assert.Equal("still running", Assert.Single(r.Output));
            Assert.DoesNotContain(r.Errors, e => e.Category == "NotSpecified");

            var next = _pwsh.Run("(Get-HeapTop ./app.dmp -Top 1).TypeName");
            Assert.Equal(TargetFacts.LeakedOrderType, Assert.Single(next.Output));
        }
        finally
        {
            Directory.Delete(scratch, recursive: true);
        }
    }

    /// <summary>A core dump of a native (non-.NET) process, written by gdb's gcore.</summary>
    private static void GCore(string path)
    {
        using var sleeper = Process.Start("sleep", "60");
        try
        {
            var psi = new ProcessStartInfo("gcore") { RedirectStandardOutput = true, RedirectStandardError = true };
            foreach (string a in new[] { "-o", path, sleeper.Id.ToString(System.Globalization.CultureInfo.InvariantCulture) })
                psi.ArgumentList.Add(a);
            using var gcore = Process.Start(psi)!;
            gcore.StandardOutput.ReadToEnd();
            gcore.StandardError.ReadToEnd();
            gcore.WaitForExit();
            File.Move($"{path}.{sleeper.Id}", path);
        }
        finally
        {
            sleeper.Kill();
        }
    }

}
