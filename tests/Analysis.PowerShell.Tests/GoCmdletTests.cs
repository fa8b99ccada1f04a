using Analysis.Testing;
using Xunit;

namespace Analysis.PowerShell.Tests;

public class GoCmdletTests
{
    private static string Go(string name) => Path.Combine(RepoPaths.Root, "tests", "testdata", "go", name);

    private static Dictionary<string, object?> Vars(params (string Name, object? Value)[] vars) => vars.ToDictionary(v => v.Name, v => v.Value);

    [Fact]
    public void FindGoroutineLeak_ReturnsTheFourLeakedSites()
    {
        using var host = new PwshHost();
        var r = host.Run("Find-GoroutineLeak $d | ForEach-Object { '{0}|{1}|{2}' -f $_.Count, $_.State, $_.Site.Function }", Vars(("d", Go("goroutines-debug2.txt"))));
        Assert.Empty(r.Errors);
        Assert.Equal(
            [
                "100|chan receive|contoso.example/leaky/orders.(*Server).waitForReply",
                "50|chan send|contoso.example/leaky/orders.produce",
                "25|select|contoso.example/leaky/orders.pollForever",
                "10|sync.Mutex.Lock|contoso.example/leaky/orders.(*Ledger).contend",
            ], r.Strings);
    }

    [Fact]
    public void GetGoroutines_PipedToGroupStacks_MatchesGroupStacksFromPath()
    {
        using var host = new PwshHost();
        var piped = host.Run("Get-Goroutines $d | Group-Stacks | ForEach-Object { '{0} {1}' -f $_.Count, $_.TopFrame.Function }", Vars(("d", Go("goroutines-debug2.txt"))));
        var streamed = host.Run("Group-Stacks -Path $d | ForEach-Object { '{0} {1}' -f $_.Count, $_.TopFrame.Function }", Vars(("d", Go("goroutines-debug2.txt"))));
        Assert.Empty(piped.Errors);
        Assert.Equal(piped.Strings, streamed.Strings);
        Assert.Equal("100 contoso.example/leaky/orders.(*Server).waitForReply", piped.Strings.First());
        Assert.Equal("101", host.Run("@(Get-Goroutines $d -State 'chan rec*').Count", Vars(("d", Go("goroutines-debug2.txt")))).Strings.Single());
    }

    [Fact]
    public void GroupStacks_AcceptsDotNetThreadsAndGoroutinesInOnePipeline()
    {
        using var host = new PwshHost();
        var runtimes = host.Run("$b = @(Get-DumpThreads $dump) + @(Get-Goroutines $go) | Group-Stacks; ($b | Where-Object Runtime -eq 'go' | ForEach-Object Count) -join '+'; $n = 0; $b | Where-Object Runtime -eq '.NET' | ForEach-Object { $n += $_.Count }; $n; @(Get-DumpThreads $dump).Count",
            Vars(("dump", DumpSet.FactsLite[CapturedDump.ClientWithHeap]), ("go", Go("goroutines-debug2.txt"))));
        Assert.Empty(runtimes.Errors);
        var lines = runtimes.Strings.ToArray();
        Assert.StartsWith("100+50+25+10", lines[0]);
        Assert.Equal(lines[2], lines[1]); // every .NET thread is in a bucket
    }

    [Fact]
    public void GetPprofTop_WithBase_ShowsTheHeapGrowth()
    {
        using var host = new PwshHost();
        var r = host.Run("Get-PprofTop $h2 -Base $h1 -Top 1 | ForEach-Object { '{0} {1}' -f $_.Function, $_.Flat }; Import-Pprof $h2 | Get-PprofTop -SampleIndex inuse_objects -Top 1 | ForEach-Object Flat",
            Vars(("h1", Go("heap-1.pb.gz")), ("h2", Go("heap-2.pb.gz"))));
        Assert.Empty(r.Errors);
        Assert.Equal(["contoso.example/leaky/orders.remember 13107200", "300"], r.Strings);
    }

    [Fact]
    public void GetPprofPeekAndTraces_AnswerFromTheProfile()
    {
        using var host = new PwshHost();
        var r = host.Run("(Get-PprofPeek $h -Function '*orders.remember' | Where-Object Relation -eq 'caller').Other; (Get-PprofTraces $g -Label 'handler=orders')[0].Value",
            Vars(("h", Go("heap-2.pb.gz")), ("g", Go("goroutine.pb.gz"))));
        Assert.Empty(r.Errors);
        Assert.Equal(["contoso.example/leaky/orders.(*Cache).Remember", "100"], r.Strings);
    }

    [Fact]
    public void OpenGoProfile_OpensOnce_AndThePprofCmdletsGivenTheSessionOrItsPath_DoNotReadItAgain()
    {
        using var host = new PwshHost();
        var r = host.Run("""
            $s = Open-GoProfile $h
            $reads = { $s.GetType().GetProperty('ReadCount', [Reflection.BindingFlags]'NonPublic,Instance').GetValue($s) }
            '{0} {1}' -f $s.IsRead, (& $reads)
            ($s | Get-PprofTop -Top 1).Function
            (Get-PprofTop $h -Top 1).Function
            @(Get-PprofTop -Path $h -Baseline $s -Top 1).Count
            @(Get-PprofPeek $s -Function '*orders.remember').Count -gt 0
            @(Get-PprofTraces -Session $s -Top 2).Count
            [object]::ReferenceEquals((Import-Pprof $h).psobject.BaseObject, $s.GetProfile().psobject.BaseObject)
            & $reads
            $s | Close-GoProfile
            $s.IsClosed
            """, Vars(("h", Go("heap-2.pb.gz"))));
        Assert.Empty(r.Errors);
        Assert.Equal(["True 1", "contoso.example/leaky/orders.remember", "contoso.example/leaky/orders.remember", "0", "True", "2", "True", "1", "True"], r.Strings);
    }

    [Fact]
    public void PprofCmdlets_GivenAPathTwice_ReadItOnce_AndAClosedSessionAnswersWithSessionClosed()
    {
        using var host = new PwshHost();
        var r = host.Run("""
            $null = Get-PprofTop $h -Top 1
            $null = Get-PprofTraces $h -Top 1
            $s = Open-GoProfile $h
            $s.GetType().GetProperty('ReadCount', [Reflection.BindingFlags]'NonPublic,Instance').GetValue($s)
            Close-GoProfile -All
            $s | Get-PprofTop -Top 1
            """, Vars(("h", Go("heap-2.pb.gz"))));
        Assert.Equal(["1"], r.Strings);
        Assert.Equal("SessionClosed,Analysis.PowerShell.Commands.GetPprofTopCommand", Assert.Single(r.Errors).FullyQualifiedErrorId);
    }

    [Fact]
    public void GetGoGcTrace_AndGetGoTrace_Summaries_AndTheOldNameIsAnAlias()
    {
        using var host = new PwshHost();
        var r = host.Run("""
            $s = Get-GoGcTrace $log -Summary
            '{0}/{1}' -f $s.Cycles, $s.Forced
            @(Get-GcTrace $log | Where-Object Forced).Count
            (Get-Alias Get-GcTrace).ResolvedCommandName
            $t = Get-GoTrace $trace
            '{0} {1} {2}' -f $t.Gcs.Count, $t.StopTheWorlds.Count, $t.Gomaxprocs
            @(Get-GoTrace $trace -View StopTheWorld).Count
            (Get-GoTrace $trace -View Blocking)[0].Reason
            @(Get-GoTrace $trace -View States -Steps 10).Count
            """, Vars(("log", Go("gctrace.log")), ("trace", Go("trace.out"))));
        Assert.Empty(r.Errors);
        Assert.Equal(["6/4", "4", "Get-GoGcTrace", "2 5 2", "5", "chan send", "11"], r.Strings);
    }

    public static TheoryData<string, string, string> BadInputs => new()
    {
        { "Get-Goroutines", "missing.txt", "GoroutineDumpNotFound" },
        { "Get-Goroutines", "heap-1.pb.gz", "NotAGoroutineDump" },
        { "Import-Pprof", "goroutines-debug1.txt", "NotAProfile" },
        { "Import-Pprof", "cut.pb.gz", "ProfileTruncated" },
        { "Get-GoGcTrace", "trace.out", "NotAGcTrace" },
        { "Get-GoTrace", "gctrace.log", "NotAGoTrace" },
        { "Get-GoTrace", "old.trace", "NotAGoTrace" },
    };

    [Theory]
    [MemberData(nameof(BadInputs))]
    public void BadInput_WritesErrorRecordWithStableId_AndTheSessionKeepsWorking(string cmdlet, string file, string errorId)
    {
        string scratch = RepoPaths.NewScratchDirectory("analysis-pwsh-go");
        string path = file switch
        {
            "cut.pb.gz" => Write(Path.Combine(scratch, file), File.ReadAllBytes(Go("heap-2.pb.gz"))[..2000]),
            "old.trace" => Write(Path.Combine(scratch, file), "go 1.21 trace\0\0\0"u8.ToArray().Concat(new byte[32]).ToArray()),
            "missing.txt" => Path.Combine(scratch, file),
            _ => Go(file),
        };
        using var host = new PwshHost();
        var r = host.Run($"{cmdlet} -Path $p; 'still running'", Vars(("p", path)));
        var error = Assert.Single(r.Errors);
        Assert.StartsWith(errorId + ",", error.FullyQualifiedErrorId);
        Assert.Contains(path, error.Exception.Message);
        Assert.Equal("still running", Assert.Single(r.Strings));
        Assert.Equal("4", host.Run("@(Find-GoroutineLeak $d).Count", Vars(("d", Go("goroutines-debug2.txt")))).Strings.Single());
    }

    [Fact]
    public void SkippedLines_AreAWarningAndVerboseRecords()
    {
        using var host = new PwshHost();
        var r = host.Run("@(Get-Goroutines $d -Verbose 4>&1 | Where-Object { $_ -is [System.Management.Automation.VerboseRecord] }).Count; @(Get-Goroutines $d).Count",
            Vars(("d", Path.Combine(RepoPaths.Root, "tests", "testdata", "go", "quirks", "junk-lines.txt"))));
        Assert.Empty(r.Errors);
        Assert.Contains(r.Warnings, w => w.Message.StartsWith("4 line(s) were not understood", StringComparison.Ordinal));
        Assert.Equal(["4", "2"], r.Strings);
    }

    private static string Write(string path, byte[] content)
    {
        File.WriteAllBytes(path, content);
        return path;
    }
}
