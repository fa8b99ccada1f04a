using System.Globalization;
using Analysis.Testing;
using Xunit;

namespace Analysis.PowerShell.Tests;

/// <summary>Get-GcRoot, Get-HeapTop -Retained, Compare-Heap, Get-DumpTasks, Get-DumpThreadPool, Get-DumpFinalizer, Get-DumpTriage.</summary>
public class DeepDumpCmdletTests
{
    private static string HeapDump => DumpSet.FactsLite[CapturedDump.ClientWithHeap];

    private static Dictionary<string, object?> Vars(params (string Name, object? Value)[] vars) => vars.ToDictionary(v => v.Name, v => v.Value);

    [Fact]
    public void GetGcRoot_TypeName_GivesTheMergedStaticPath()
    {
        using var host = new PwshHost();
        var r = host.Run("Get-GcRoot $d -TypeName 'contoso.retention.customer*' | ForEach-Object { '{0}|{1}|{2}' -f $_.Count, $_.RootKind, $_.Path }", Vars(("d", HeapDump)));

        Assert.Empty(r.Errors);
        Assert.Equal(
            $"{TargetFacts.SessionCount}|Static|static {TargetFacts.SessionRegistryStatic} → System.Collections.Generic.Dictionary<System.Int32, Contoso.Retention.CustomerSession> ._entries → " +
            "System.Collections.Generic.Dictionary<System.Int32, Contoso.Retention.CustomerSession>+Entry[] [*].value → Contoso.Retention.CustomerSession",
            Assert.Single(r.Strings));
    }

    [Fact]
    public void GetGcRoot_AddressesFromATypeQuery_ComposeInThePipeline()
    {
        using var host = new PwshHost();
        var r = host.Run("""
            $s = Open-Dump $d
            $addresses = (Get-GcRoot $s -TypeName $type).Addresses
            Get-GcRoot $s -Address $addresses[0], $addresses[1] | ForEach-Object { '{0}|{1}|{2}' -f $_.Count, $_.Hops.Count, $_.Hops[-1].Via }
            """, Vars(("d", HeapDump), ("type", TargetFacts.SessionType)));

        Assert.Empty(r.Errors);
        Assert.Equal(2, r.Output.Count);
        Assert.All(r.Strings, s => Assert.Matches(@"^1\|3\|\[\d+\]\.value$", s));
    }

    [Fact]
    public void GetGcRoot_NotAnObject_IsAnErrorAndTheNextAddressStillAnswers()
    {
        using var host = new PwshHost();
        var r = host.Run("""
            $s = Open-Dump $d
            $good = (Get-GcRoot $s -TypeName $type).Addresses[0]
            Get-GcRoot $s -Address ($good + 8), $good | ForEach-Object { $_.TargetType }
            'still running'
            """, Vars(("d", HeapDump), ("type", TargetFacts.SessionType)));

        var error = Assert.Single(r.Errors);
        Assert.Equal("NotAnObject,Analysis.PowerShell.Commands.GetGcRootCommand", error.FullyQualifiedErrorId);
        Assert.Contains("is not the start of an object", error.ErrorDetails.Message);
        Assert.Equal([TargetFacts.SessionType, "still running"], r.Strings);
    }

    [Fact]
    public void GetGcRoot_NeitherOrBoth_IsAnError_AndAnUnknownTypeWarns()
    {
        using var host = new PwshHost();
        var neither = host.Run("Get-GcRoot $d; 'next'", Vars(("d", HeapDump)));
        Assert.Equal("AddressOrTypeName,Analysis.PowerShell.Commands.GetGcRootCommand", Assert.Single(neither.Errors).FullyQualifiedErrorId);
        Assert.Equal(["next"], neither.Strings);

        var unknown = host.Run("@(Get-GcRoot $d -TypeName 'No.Such.Type').Count", Vars(("d", HeapDump)));
        Assert.Empty(unknown.Errors);
        Assert.Equal(0, unknown.Output[0].BaseObject);
        Assert.Contains(unknown.Warnings, w => w.Message.Contains("No.Such.Type", StringComparison.Ordinal));
    }

    [Fact]
    public void GetGcRoot_OnMiniDump_WritesNoHeapError()
    {
        using var host = new PwshHost();
        var r = host.Run("Get-GcRoot $d -TypeName '*'; 'still running'", Vars(("d", DumpSet.FactsLite[CapturedDump.ClientMini])));
        Assert.Equal("NoHeapInDump,Analysis.PowerShell.Commands.GetGcRootCommand", Assert.Single(r.Errors).FullyQualifiedErrorId);
        Assert.Equal(["still running"], r.Strings);
    }

    [Fact]
    public void GetHeapTopRetained_RanksTypesByRetainedSize()
    {
        using var host = new PwshHost();
        var r = host.Run("Get-HeapTop $d -Retained -TypeName 'Contoso.Retention.*' | ForEach-Object { '{0}|{1}|{2}' -f $_.TypeName, $_.Count, ($_.RetainedSize -ge $_.ShallowSize) }", Vars(("d", HeapDump)));

        Assert.Empty(r.Errors);
        var rows = r.Strings.ToArray();
        Assert.Equal($"{TargetFacts.SessionType}|{TargetFacts.SessionCount}|True", rows[0]);
        Assert.Contains($"{TargetFacts.ArchiveType}|1|True", rows);
        var retained = host.Run("Get-HeapTop $d -Retained -Top 5 | ForEach-Object RetainedSize", Vars(("d", HeapDump))).Output.Select(o => (long)o.BaseObject).ToArray();
        Assert.Equal(5, retained.Length);
        Assert.Equal(retained.OrderDescending(), retained);

        var both = host.Run("Get-HeapTop $d -Retained -Baseline $d", Vars(("d", HeapDump)));
        Assert.Equal("RetainedWithBaseline,Analysis.PowerShell.Commands.GetHeapTopCommand", Assert.Single(both.Errors).FullyQualifiedErrorId);
    }

    [Fact]
    public void CompareHeap_TwoDumpsOfAGrowingProcess_ShowTheExactGrowth()
    {
        using var host = new PwshHost();
        var growth = GrowthDumps.Instance;
        var r = host.Run("Compare-Heap -Baseline $a -Difference $b -TypeName 'Contoso.*' | ForEach-Object { '{0}|{1}|{2}|{3}' -f $_.TypeName, $_.BaselineCount, $_.Count, $_.CountDelta }",
            Vars(("a", growth.Before), ("b", growth.After)));

        Assert.Empty(r.Errors);
        // The before dump has no CachedReport at all (the cache is created by the first "grow").
        Assert.Equal($"Contoso.Orders.CachedReport|0|{GrowthDumps.GrowBy}|{GrowthDumps.GrowBy}", r.Strings.First());
        var piped = host.Run("Open-Dump $b | Compare-Heap $a -Top 1 | ForEach-Object CountDelta", Vars(("a", growth.Before), ("b", growth.After)));
        Assert.Empty(piped.Errors);
        Assert.Single(piped.Output);
    }

    [Fact]
    public void CompareHeap_MissingReference_IsAnErrorRecord()
    {
        using var host = new PwshHost();
        var r = host.Run("Compare-Heap -Reference $a -Difference $b; 'still running'", Vars(("a", Path.Combine(DumpSet.FactsLite.Scratch, "absent.dmp")), ("b", HeapDump)));
        var error = Assert.Single(r.Errors);
        Assert.Equal("DumpNotFound,Analysis.PowerShell.Commands.CompareHeapCommand", error.FullyQualifiedErrorId);
        Assert.Contains("absent.dmp", error.Exception.Message);
        Assert.Equal(["still running"], r.Strings);
    }

    [Fact]
    public void GetDumpTasks_GroupsDetailsAndSyncOverAsync()
    {
        using var host = new PwshHost();
        var groups = host.Run("Get-DumpTasks $d | ForEach-Object { '{0}|{1}' -f $_.Count, $_.Method }", Vars(("d", HeapDump)));
        Assert.Empty(groups.Errors);
        Assert.Equal(
            [$"1|{TargetFacts.LoadReportMethod}", $"{TargetFacts.StuckCheckouts}|{TargetFacts.CheckoutMethod}", $"{TargetFacts.StuckCheckouts}|{TargetFacts.ConfirmationMethod}", $"{TargetFacts.StuckReservations}|{TargetFacts.ReserveMethod}"],
            groups.Strings);

        var detailed = host.Run("@(Get-DumpTasks $d -Detailed -Method '*WaitForConfirmation*' | Where-Object State -eq 1).Count", Vars(("d", HeapDump)));
        Assert.Equal(TargetFacts.StuckCheckouts, detailed.Output[0].BaseObject);

        var sync = host.Run("Get-DumpTasks $d -SyncOverAsync | ForEach-Object { '{0}|{1}' -f $_.ThreadName, $_.Task }", Vars(("d", HeapDump)));
        Assert.Equal($"{TargetFacts.SyncOverAsyncThread}|the task of {TargetFacts.LoadReportMethod}", Assert.Single(sync.Strings));
    }

    [Fact]
    public void GetDumpThreadPoolAndFinalizer_ReportTheStarvationAndTheBlockedFinalizer()
    {
        using var host = new PwshHost();
        var pool = host.Run("$p = Get-DumpThreadPool $d; '{0}|{1}|{2}|{3}' -f $p.MaxWorkers, $p.BusyWorkerCount, $p.QueuedCount, $p.IsStarved", Vars(("d", HeapDump)));
        Assert.Empty(pool.Errors);
        Assert.Equal(string.Create(CultureInfo.InvariantCulture, $"{TargetFacts.PoolWorkers}|{TargetFacts.PoolWorkers}|{TargetFacts.QueuedExportJobs + TargetFacts.QueuedAuditFlushes}|True"), Assert.Single(pool.Strings));

        var fin = host.Run("$f = Get-DumpFinalizer $d; '{0}|{1}|{2}' -f $f.Finalizing, $f.IsBlocked, ($f.Ready | Where-Object TypeName -eq $t).Count", Vars(("d", HeapDump), ("t", TargetFacts.PendingFileType)));
        Assert.Empty(fin.Errors);
        Assert.Equal($"{TargetFacts.BlockingFinalizerType}|True|{TargetFacts.PendingFiles}", Assert.Single(fin.Strings));
    }

    [Fact]
    public void GetDumpTriage_CriticalFindingsFirst_AndFilterBySeverity()
    {
        using var host = new PwshHost();
        var r = host.Run("Get-DumpTriage $d -MinimumSeverity Critical | ForEach-Object Kind", Vars(("d", HeapDump)));
        Assert.Empty(r.Errors);
        Assert.Equal(["deadlock", "thread-pool starvation", "blocked finalizer"], r.Strings);

        var all = host.Run("Get-DumpTriage $d | ForEach-Object Kind", Vars(("d", HeapDump)));
        Assert.Contains("leak suspect", all.Strings);
        Assert.Contains("sync over async", all.Strings);
        Assert.Equal("heap", all.Strings.Last());

        var fast = host.Run("Get-DumpTriage $d -SkipHeap | ForEach-Object Kind", Vars(("d", HeapDump)));
        Assert.DoesNotContain("leak suspect", fast.Strings);
        Assert.Contains("deadlock", fast.Strings);
    }

    [Fact]
    public void OpenDump_CacheDirectory_HoldsTheIndexForTheNextSession()
    {
        string cache = RepoPaths.NewScratchDirectory("analysis-ps-cache");
        using var host = new PwshHost();
        var first = host.Run("$s = Open-Dump $d -CacheDirectory $c; $null = Get-GcRoot $s -TypeName $t; $s.WaitForGraphCache(); $s.GraphLoadedFromCache; $s | Close-Dump",
            Vars(("d", DumpSet.FactsLite[CapturedDump.CreateDumpWithHeap]), ("c", cache), ("t", TargetFacts.SessionType)));
        Assert.Empty(first.Errors);
        Assert.Equal(["False"], first.Strings);
        Assert.Single(Directory.GetFiles(cache, "*.graph"));

        var second = host.Run("$s = Open-Dump $d -CacheDirectory $c; (Get-GcRoot $s -TypeName $t).Count; $s.GraphLoadedFromCache",
            Vars(("d", DumpSet.FactsLite[CapturedDump.CreateDumpWithHeap]), ("c", cache), ("t", TargetFacts.SessionType)));
        Assert.Empty(second.Errors);
        Assert.Equal([TargetFacts.SessionCount.ToString(CultureInfo.InvariantCulture), "True"], second.Strings);
    }

    [Fact]
    public void GetGcRoot_StopProcessing_CancelsTheIndexAndTheRunspaceKeepsWorking()
    {
        string bulk = DumpSet.Bulk[CapturedDump.ClientWithHeap];
        string cache = RepoPaths.NewScratchDirectory("analysis-ps-cache");
        using var host = new PwshHost();
        using var ps = System.Management.Automation.PowerShell.Create(host.Runspace);
        using var working = new ManualResetEventSlim();
        ps.Streams.Progress.DataAdded += (_, _) => working.Set();
        ps.AddScript("$global:s = Open-Dump $b -CacheDirectory $c; Get-GcRoot $s -TypeName 'DumpTarget.BulkNode'");
        host.Runspace.SessionStateProxy.SetVariable("b", bulk);
        host.Runspace.SessionStateProxy.SetVariable("c", cache);

        var async = ps.BeginInvoke();
        Assert.True(working.Wait(TimeSpan.FromSeconds(60)), "no progress from indexing");
        ps.Stop();
        Assert.Throws<System.Management.Automation.PipelineStoppedException>(() => ps.EndInvoke(async));

        // Nothing indexed, nothing written; the same runspace answers the next question.
        var r = host.Run("$s.IsGraphIndexed; (Get-GcRoot $d -TypeName $t).Count", Vars(("d", HeapDump), ("t", TargetFacts.SessionType)));
        Assert.Empty(r.Errors);
        Assert.Equal(["False", TargetFacts.SessionCount.ToString(CultureInfo.InvariantCulture)], r.Strings);
        Assert.Empty(Directory.GetFiles(cache));
    }

    [Fact]
    public void GetGcRoot_BindsAddressesFromPipedObjects()
    {
        using var host = new PwshHost();
        var r = host.Run("$s = Open-Dump $d; Get-DumpTasks -Dump $s -Detailed -Method $m | Get-GcRoot -Dump $s | ForEach-Object { $_.TargetType }",
            Vars(("d", HeapDump), ("m", TargetFacts.ReserveMethod)));
        Assert.Empty(r.Errors);
        Assert.Equal(TargetFacts.StuckReservations, r.Output.Count);
        Assert.All(r.Strings, t => Assert.Contains("AsyncStateMachineBox<Contoso.Async.InventoryService+<ReserveAsync>", t, StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("Get-GcRoot $p -TypeName '*'")]
    [InlineData("Get-DumpTriage $p")]
    [InlineData("Get-DumpTasks $p")]
    [InlineData("Compare-Heap $p $p")]
    public void BadDump_DeepQuestions_WriteErrorRecords_AndTheSessionKeepsWorking(string command)
    {
        string scratch = DumpSet.FactsLite.Scratch;
        string truncated = Path.Combine(scratch, "deep-truncated.dmp");
        if (!File.Exists(truncated))
        {
            var head = new byte[5_000_000];
            using (var f = File.OpenRead(HeapDump))
                f.ReadExactly(head);
            File.WriteAllBytes(truncated, head);
        }

        using var host = new PwshHost();
        var r = host.Run(command + "; 'still running'", Vars(("p", truncated)));
        var error = Assert.Single(r.Errors);
        Assert.StartsWith("DumpTruncated,", error.FullyQualifiedErrorId);
        Assert.Contains(truncated, error.Exception.Message);
        Assert.Equal(["still running"], r.Strings);
    }

    [Fact]
    public void GetGcRoot_All_ListsTheStaticAndTheThreadThatHoldTheObject()
    {
        using var host = new PwshHost();
        var r = host.Run("""
            $s = Open-Dump $d
            $a = (Get-GcRoot $s -TypeName 'Contoso.Orders.CachedReport').Addresses[0]
            Get-GcRoot $s -Address $a -All | ForEach-Object { '{0}|{1}' -f $_.RootKind, $_.Root }
            """, Vars(("d", GrowthDumps.Instance.After)));

        Assert.Empty(r.Errors);
        var lines = r.Strings.ToArray();
        Assert.Equal("Static|static DumpTarget.Program.s_cache", lines[0]);
        Assert.Contains(lines, l => l.StartsWith("Stack|thread ", StringComparison.Ordinal) && l.Contains("(stdin-watch)", StringComparison.Ordinal));
    }
}
