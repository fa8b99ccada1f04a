using System.Globalization;
using System.Management.Automation;
using Analysis.Testing;
using Xunit;

namespace Analysis.PowerShell.Tests;

public class DumpCmdletTests
{
    private static string HeapDump => DumpSet.FactsLite[CapturedDump.ClientWithHeap];

    private static Dictionary<string, object?> Vars(params (string Name, object? Value)[] vars) => vars.ToDictionary(v => v.Name, v => v.Value);

    [Fact]
    public void GetDumpThreads_WhereIsDeadlocked_GivesTheThreeWorkersAndTheirCycle()
    {
        using var host = new PwshHost();
        var r = host.Run("Get-DumpThreads -Path $d | Where-Object IsDeadlocked | ForEach-Object Name", Vars(("d", HeapDump)));
        Assert.Empty(r.Errors);
        Assert.Equal(TargetFacts.DeadlockedThreads, r.Strings.Order(StringComparer.Ordinal));

        var cycle = host.Run("Get-DumpThreads $d | Where-Object Name -eq 'worker-b' | ForEach-Object { $_.Deadlock.Description }", Vars(("d", HeapDump)));
        string text = Assert.Single(cycle.Strings);
        Assert.Contains("holds AccountLock#2", text);
        Assert.Contains("waits for Lock#1", text);
    }

    [Fact]
    public void GetDumpThreads_Objects_HaveTheDocumentedProperties()
    {
        using var host = new PwshHost();
        var r = host.Run("Get-DumpThreads $d | Where-Object Name -eq 'worker-a' | ForEach-Object { $_.PSObject.Properties.Name }", Vars(("d", HeapDump)));
        foreach (string p in new[] { "ManagedThreadId", "OSThreadId", "Name", "State", "IsDeadlocked", "BlockedOn", "LockOwnerThreadId", "Frames", "TopFrame", "Exception", "HeldLocks", "IsBackground", "IsThreadPool", "Id" })
            Assert.Contains(p, r.Strings);
    }

    [Fact]
    public void GetDumpThreads_BlockedOnAndOwner_ComposeInThePipeline()
    {
        using var host = new PwshHost();
        var r = host.Run("""
            $threads = Get-DumpThreads $d
            $a = $threads | Where-Object Name -eq 'worker-a'
            $owner = $threads | Where-Object ManagedThreadId -eq $a.LockOwnerThreadId
            '{0}|{1}|{2}|{3}' -f $a.State, $a.BlockedOn.TypeName, $owner.Name, $a.TopFrame.Module
            """, Vars(("d", HeapDump)));
        Assert.Equal("Deadlocked|Contoso.Sync.AccountLock|worker-b|System.Private.CoreLib", Assert.Single(r.Strings));
    }

    [Fact]
    public void GetDumpThreads_ExceptionInFlight_HasTypeAndMessage()
    {
        using var host = new PwshHost();
        var r = host.Run("Get-DumpThreads $d | Where-Object Exception | ForEach-Object { '{0}|{1}|{2}' -f $_.Name, $_.Exception.Type, $_.Exception.Message }", Vars(("d", HeapDump)));
        Assert.Equal($"{TargetFacts.CatchThread}|{TargetFacts.CatchExceptionType}|{TargetFacts.CatchExceptionMessage}", Assert.Single(r.Strings));
    }

    [Fact]
    public void GetDumpThreads_NameAndStateFilters_Select()
    {
        using var host = new PwshHost();
        Assert.Equal(["worker-a", "worker-b", "worker-c"], host.Run("Get-DumpThreads $d -Name 'WORKER-*' | ForEach-Object Name", Vars(("d", HeapDump))).Strings.Order(StringComparer.Ordinal));
        Assert.Equal([TargetFacts.UnstartedThread], host.Run("Get-DumpThreads $d -State Unstarted | ForEach-Object Name", Vars(("d", HeapDump))).Strings);
        Assert.Equal(3, host.Run("@(Get-DumpThreads $d -State Deadlocked,BlockedOnLock).Count", Vars(("d", HeapDump))).Output[0].BaseObject);
    }

    [Fact]
    public void OpenDump_PipedToGetHeapTop_Top5ByCount()
    {
        using var host = new PwshHost();
        var r = host.Run("Open-Dump $d | Get-HeapTop -Top 5 -SortBy Count | ForEach-Object { '{0}={1}' -f $_.TypeName, $_.Count }", Vars(("d", HeapDump)));
        Assert.Empty(r.Errors);
        Assert.Equal(5, r.Output.Count);
        Assert.Equal($"{TargetFacts.LeakedOrderType}={TargetFacts.LeakedOrderCount}", r.Strings.First());
    }

    [Fact]
    public void GetHeapTop_TypeNameWildcard_AndDefaultTop()
    {
        using var host = new PwshHost();
        Assert.Equal(20, host.Run("@(Get-HeapTop $d).Count", Vars(("d", HeapDump))).Output[0].BaseObject);
        var r = host.Run("Get-HeapTop $d -TypeName '*.Invoice' | ForEach-Object { '{0}={1}' -f $_.TypeName, $_.Count }", Vars(("d", HeapDump)));
        Assert.Equal($"{TargetFacts.InvoiceType}={TargetFacts.InvoiceCount}", Assert.Single(r.Strings));
    }

    [Fact]
    public void Session_IsReused_AndTheHeapIsWalkedOnce()
    {
        using var host = new PwshHost();
        var r = host.Run("""
            $s = Open-Dump $d
            $before = $s.IsHeapCached
            $null = $s | Get-HeapTop -Top 1
            $same = [object]::ReferenceEquals($s, (Open-Dump $d))
            '{0}|{1}|{2}' -f $before, $s.IsHeapCached, $same
            """, Vars(("d", HeapDump)));
        Assert.Equal("False|True|True", Assert.Single(r.Strings));

        // A -Path question afterwards reuses the walked session: no progress records.
        var again = host.Run("Get-HeapTop -Path $d -Top 1 | ForEach-Object Count", Vars(("d", HeapDump)));
        Assert.Equal((long)TargetFacts.LeakedOrderCount, again.Output[0].BaseObject);
        Assert.Empty(again.Progress);
    }

    [Fact]
    public void GetHeapTop_FirstWalk_WritesProgress()
    {
        using var host = new PwshHost();
        var r = host.Run("Close-Dump -All; Get-HeapTop -Path $d -Top 1 | ForEach-Object Count", Vars(("d", DumpSet.FactsLite[CapturedDump.CreateDumpWithHeap])));
        Assert.Equal((long)TargetFacts.LeakedOrderCount, r.Output[0].BaseObject);
        Assert.Contains(r.Progress, p => p.PercentComplete > 0 && p.Activity.Contains("heap", StringComparison.OrdinalIgnoreCase));
        Assert.Contains(r.Progress, p => p.RecordType == ProgressRecordType.Completed);
    }

    [Fact]
    public void Path_BindsFromPipelineByPropertyName()
    {
        using var host = new PwshHost();
        var vars = Vars(("d", HeapDump));
        Assert.Equal((long)TargetFacts.LeakedOrderCount, host.Run("[System.IO.FileInfo]::new($d) | Get-HeapTop -Top 1 | ForEach-Object Count", vars).Output[0].BaseObject);
        Assert.Equal(3, host.Run("@([pscustomobject]@{ FullName = $d } | Get-DumpThreads | Where-Object IsDeadlocked).Count", vars).Output[0].BaseObject);
        Assert.Equal(3, host.Run("@([pscustomobject]@{ PSPath = \"Microsoft.PowerShell.Core\\FileSystem::$d\" } | Get-DumpThreads | Where-Object IsDeadlocked).Count", vars).Output[0].BaseObject);
        Assert.Equal(3, host.Run("@($d | Get-DumpThreads | Where-Object IsDeadlocked).Count", vars).Output[0].BaseObject);
    }

    [Fact]
    public void Path_Relative_ResolvesAgainstThePowerShellLocation()
    {
        using var host = new PwshHost();
        string dir = Path.GetDirectoryName(HeapDump)!;
        Assert.NotEqual(dir, Environment.CurrentDirectory);
        var r = host.Run($"$ExecutionContext.SessionState.Path.SetLocation($dir) | Out-Null; Get-HeapTop ./{Path.GetFileName(HeapDump)} -Top 1 | ForEach-Object Count", Vars(("dir", dir)));
        Assert.Empty(r.Errors);
        Assert.Equal((long)TargetFacts.LeakedOrderCount, r.Output[0].BaseObject);
    }

    public static TheoryData<string, string> BadInputs => new()
    {
        { "missing", "DumpNotFound" },
        { "directory", "PathIsDirectory" },
        { "empty", "DumpEmpty" },
        { "text", "NotADump" },
        { "truncated", "DumpTruncated" },
        { "nodac", "DacNotFound" },
        { "mini-heap", "NoHeapInDump" },
    };

    [Theory]
    [MemberData(nameof(BadInputs))]
    public void BadInput_WritesErrorRecordWithStableId_AndTheSessionKeepsWorking(string input, string errorId)
    {
        string scratch = DumpSet.FactsLite.Scratch;
        string path = input switch
        {
            "missing" => Path.Combine(scratch, "missing.dmp"),
            "directory" => scratch,
            "empty" => Write(Path.Combine(scratch, "empty.dmp"), []),
            "text" => Write(Path.Combine(scratch, "text.dmp"), "just some text\n"u8.ToArray()),
            "truncated" => Write(Path.Combine(scratch, "truncated.dmp"), Head(HeapDump, 5_000_000)),
            _ => input == "mini-heap" ? DumpSet.FactsLite[CapturedDump.ClientMini] : HeapDump,
        };
        string extra = input == "nodac" ? $"-DacPath '{Path.Combine(scratch, "no-dac-here.so")}'" : "";

        using var host = new PwshHost();
        var r = host.Run($"Get-HeapTop -Path $p {extra}; 'still running'", Vars(("p", path)));

        var error = Assert.Single(r.Errors);
        Assert.Equal($"{errorId},Analysis.PowerShell.Commands.GetHeapTopCommand", error.FullyQualifiedErrorId);
        Assert.Contains(input == "nodac" ? "no-dac-here.so" : path, error.Exception.Message);
        Assert.Equal("still running", Assert.Single(r.Strings));

        var next = host.Run("Get-HeapTop $d -Top 1 | ForEach-Object Count", Vars(("d", HeapDump)));
        Assert.Empty(next.Errors);
        Assert.Equal((long)TargetFacts.LeakedOrderCount, next.Output[0].BaseObject);
    }

    [Fact]
    public void BadInput_InAPipelineOfPaths_DoesNotStopTheGoodOnes()
    {
        using var host = new PwshHost();
        var r = host.Run("$bad, $d | Get-HeapTop -Top 1 | ForEach-Object Count",
            Vars(("bad", Path.Combine(DumpSet.FactsLite.Scratch, "absent.dmp")), ("d", HeapDump)));
        Assert.Single(r.Errors);
        Assert.Equal((long)TargetFacts.LeakedOrderCount, Assert.Single(r.Output).BaseObject);
    }

    [Fact]
    public void MiniDump_ThreadsStillWork()
    {
        using var host = new PwshHost();
        var r = host.Run("@(Get-DumpThreads $d | Where-Object { $_.Frames.Function -match 'MonitorThenMonitor' }).Count", Vars(("d", DumpSet.FactsLite[CapturedDump.ClientMini])));
        Assert.Empty(r.Errors);
        Assert.Equal(1, r.Output[0].BaseObject);
    }

    [Fact]
    public void CloseDump_ClosedSessionAnswersWithSessionClosed()
    {
        using var host = new PwshHost();
        var r = host.Run("$s = Open-Dump $d; $s | Close-Dump; $s | Get-HeapTop -Top 1; $s.IsClosed", Vars(("d", DumpSet.FactsLite[CapturedDump.CreateDumpWithHeap])));
        Assert.Equal("SessionClosed,Analysis.PowerShell.Commands.GetHeapTopCommand", Assert.Single(r.Errors).FullyQualifiedErrorId);
        Assert.Equal("True", Assert.Single(r.Strings));
    }

    [Fact]
    public void NewDump_OfALiveTarget_ReturnsAFileTheOtherCmdletsRead()
    {
        using var target = TargetProcess.Start("DumpTarget", TimeSpan.FromSeconds(120), "facts");
        string path = Path.Combine(DumpSet.FactsLite.Scratch, $"new-dump-{target.Id}.dmp");
        using var host = new PwshHost();
        try
        {
            var r = host.Run("New-Dump -ProcessId $id -Path $p -Kind Mini | Get-DumpThreads | Where-Object Name -like 'worker-*' | ForEach-Object Name",
                Vars(("id", target.Id), ("p", path)));
            Assert.Empty(r.Errors);
            Assert.True(File.Exists(path));
            // A mini dump has no heap: thread names (kept in Thread objects on the heap) are unknown, stacks are there.
            var frames = host.Run("@(Get-DumpThreads $p | Where-Object { $_.Frames.Function -match 'DumpTarget.Deadlock' }).Count", Vars(("p", path)));
            Assert.Equal(3, frames.Output[0].BaseObject);
        }
        finally
        {
            host.Run("Close-Dump -All");
            File.Delete(path);
        }
    }

    [Fact]
    public void NewDump_ProcessGone_WritesProcessNotFound()
    {
        using var host = new PwshHost();
        var r = host.Run("New-Dump -ProcessId 999999 -Path \"$s/x.dmp\"", Vars(("s", DumpSet.FactsLite.Scratch)));
        Assert.Equal("ProcessNotFound,Analysis.PowerShell.Commands.NewDumpCommand", Assert.Single(r.Errors).FullyQualifiedErrorId);
    }

    [Fact]
    public void GetHeapTop_StopProcessing_CancelsTheWalkAndTheRunspaceKeepsWorking()
    {
        string bulk = DumpSet.Bulk[CapturedDump.ClientWithHeap];
        using var host = new PwshHost();
        using var ps = System.Management.Automation.PowerShell.Create(host.Runspace);
        using var walking = new ManualResetEventSlim();
        ps.Streams.Progress.DataAdded += (_, _) => walking.Set();
        ps.AddScript("Close-Dump -All; Get-HeapTop -Path $b -Top 1");
        host.Runspace.SessionStateProxy.SetVariable("b", bulk);

        var async = ps.BeginInvoke();
        Assert.True(walking.Wait(TimeSpan.FromSeconds(60)), "no progress from the heap walk");
        ps.Stop();
        Assert.Throws<PipelineStoppedException>(() => ps.EndInvoke(async));
        Assert.Equal(PSInvocationState.Stopped, ps.InvocationStateInfo.State);

        // The walk was abandoned (nothing cached), and the same runspace answers the next question.
        var r = host.Run("(Open-Dump $b).IsHeapCached; Get-HeapTop -Path $d -Top 1 | ForEach-Object Count", Vars(("b", bulk), ("d", HeapDump)));
        Assert.Equal("False", r.Strings.First());
        Assert.Equal((long)TargetFacts.LeakedOrderCount, r.Output[1].BaseObject);
    }

    private static string Write(string path, byte[] content)
    {
        File.WriteAllBytes(path, content);
        return path;
    }

    private static byte[] Head(string path, int count)
    {
        var bytes = new byte[count];
        using var f = File.OpenRead(path);
        f.ReadExactly(bytes);
        return bytes;
    }
}

/// <summary>Open-Dump and the dump cmdlets on a dump whose app files are not on this machine: offline, with a warning.</summary>
public sealed class MissingModuleCmdletTests(MissingModulesDump dump) : IClassFixture<MissingModulesDump>
{
    [Fact]
    public void OpenDump_DumpWhoseAppFilesAreGone_WarnsNamingThem_AndStillAnswers()
    {
        using var host = new PwshHost();
        var r = host.Run("$s = Open-Dump $d; ($s | Get-DumpThreads).Count -gt 0; Close-Dump $s", new Dictionary<string, object?> { ["d"] = dump.Dump });
        Assert.Empty(r.Errors);
        Assert.Equal("True", Assert.Single(r.Strings));
        var warning = Assert.Single(r.Warnings);
        Assert.Contains(Path.Combine(dump.AppFolder, "DumpTarget.dll"), warning.Message);
        Assert.Contains("-SymbolPath", warning.Message);
    }

    [Fact]
    public void GetDumpThreads_WithSymbolPathHoldingTheFiles_OpensWithoutWarning()
    {
        string folder = Path.Combine(dump.Folder, "app-build-output");
        Directory.CreateDirectory(folder);
        // a build output: the assemblies and their PDBs (without DumpTarget.pdb, a -SymbolPath user is told its frames have no lines)
        foreach (string file in Directory.GetFiles(Path.GetDirectoryName(RepoPaths.TargetDll("DumpTarget"))!).Where(f => f.EndsWith(".dll", StringComparison.Ordinal) || f.EndsWith(".pdb", StringComparison.Ordinal)))
            File.Copy(file, Path.Combine(folder, Path.GetFileName(file)), overwrite: true);

        using var host = new PwshHost();
        var r = host.Run("(Get-DumpThreads -Path $d -SymbolPath $f).Count -gt 0", new Dictionary<string, object?> { ["d"] = dump.Dump, ["f"] = folder });
        Assert.Empty(r.Errors);
        Assert.Empty(r.Warnings);
        Assert.Equal("True", Assert.Single(r.Strings));
    }

    [Fact]
    public void OpenDump_SymbolPathThatIsNoFolder_Warns_NamingIt()
    {
        using var host = new PwshHost();
        string missing = Path.Combine(dump.Folder, "no-such-build-output");
        var r = host.Run("$s = Open-Dump $d -SymbolPath $f; $s.ProcessId -gt 0; Close-Dump $s", new Dictionary<string, object?> { ["d"] = dump.Dump, ["f"] = missing });
        Assert.Empty(r.Errors);
        Assert.Equal("True", Assert.Single(r.Strings));
        Assert.Contains(r.Warnings, w => w.Message.Contains($"Symbol path '{missing}' is not a folder", StringComparison.Ordinal));
    }
}

/// <summary>Source lines in Get-DumpThreads and the crash finding of Get-DumpTriage, in a hosted runspace.</summary>
public class SourceLineCmdletTests
{
    [Fact]
    public void GetDumpThreads_Frames_CarryFileAndLine_AndTheViewShowsThem()
    {
        using var host = new PwshHost();
        var vars = new Dictionary<string, object?> { ["d"] = DumpSet.FactsLite[CapturedDump.ClientWithHeap] };
        var r = host.Run("(Get-DumpThreads $d -Name 'worker-a').Frames | Where-Object File | ForEach-Object { '{0}|{1}|{2}' -f $_.Function, [IO.Path]::GetFileName($_.File), $_.Line }", vars);

        Assert.Empty(r.Errors);
        string line = Assert.Single(r.Strings, s => s.StartsWith("DumpTarget.Deadlock.MonitorThenMonitor(", StringComparison.Ordinal));
        string[] parts = line.Split('|');
        Assert.Equal("Program.cs", parts[1]);
        Assert.Equal(SourceLine("Program.cs", "lock (second)"), int.Parse(parts[2], CultureInfo.InvariantCulture));

        var table = host.Run("Get-DumpThreads $d -Name 'worker-a' | Out-String -Width 200", vars);
        Assert.Contains($"DumpTarget.Deadlock.MonitorThenMonitor (Program.cs:{parts[2]})", string.Concat(table.Strings));
    }

    [Fact]
    public void GetDumpTriage_OfACrashDump_LeadsWithTheCrash()
    {
        using var host = new PwshHost();
        var r = host.Run("Get-DumpTriage $d -SkipHeap | Select-Object -First 1 | ForEach-Object { '{0}|{1}|{2}' -f $_.Severity, $_.Kind, $_.Summary }",
            new Dictionary<string, object?> { ["d"] = CrashDump.Shared.Dump });

        Assert.Empty(r.Errors);
        string[] parts = Assert.Single(r.Strings).Split('|');
        Assert.Equal(["Critical", "crash"], parts[..2]);
        Assert.Contains($"{TargetFacts.CrashExceptionType}: {TargetFacts.CrashMessage}", parts[2]);
        Assert.Contains($"'{TargetFacts.CrashThreadName}'", parts[2]);
    }

    internal static int SourceLine(string file, string text)
    {
        var lines = File.ReadAllLines(Path.Combine(RepoPaths.Root, "tests", "TestTargets", "DumpTarget", file));
        return Array.FindIndex(lines, l => l.Contains(text, StringComparison.Ordinal)) + 1;
    }
}
