using Analysis.Dumps;
using Analysis.Testing;
using Xunit;

namespace Analysis.Tests.Dumps;

public class HeapTests
{
    public static TheoryData<CapturedDump> HeapCaptures => new(CapturedDump.CreateDumpWithHeap, CapturedDump.CreateDumpFull, CapturedDump.ClientWithHeap, CapturedDump.ClientFull);

    [Theory]
    [MemberData(nameof(HeapCaptures))]
    public void HeapTop_LeakedObjects_HaveExactCounts(CapturedDump kind)
    {
        using var session = DumpSession.Open(DumpSet.Facts[kind]);
        var stats = session.GetHeapStatistics();

        Assert.Equal(TargetFacts.LeakedOrderCount, Assert.Single(stats.Types, t => t.TypeName == TargetFacts.LeakedOrderType).Count);
        Assert.Equal(TargetFacts.InvoiceCount, Assert.Single(stats.Types, t => t.TypeName == TargetFacts.InvoiceType).Count);
        Assert.Empty(stats.Warnings);
        Assert.Equal(0, stats.SkippedBytes);
    }

    [Theory]
    [MemberData(nameof(HeapCaptures))]
    public void HeapStatistics_EqualANaiveClrMdLoop_ForEveryType(CapturedDump kind)
    {
        using var session = DumpSession.Open(DumpSet.Facts[kind]);
        var stats = session.GetHeapStatistics();

        // The reference: ClrMD's own object enumeration, one ClrObject at a time.
        var naive = new Dictionary<string, (long Count, long Size)>();
        long freeCount = 0;
        foreach (var obj in session.GetClrRuntime().Heap.EnumerateObjects())
        {
            if (obj.IsFree)
            {
                freeCount++;
                continue;
            }

            string name = obj.Type!.Name!;
            var acc = naive.GetValueOrDefault(name);
            naive[name] = (acc.Count + 1, acc.Size + (long)obj.Size);
        }

        Assert.Equal(naive.Count, stats.Types.Count);
        foreach (var row in stats.Types)
            Assert.Equal((row.TypeName, naive[row.TypeName].Count, naive[row.TypeName].Size), (row.TypeName, row.Count, row.TotalSize));
        Assert.Equal(freeCount, stats.FreeCount);
        Assert.DoesNotContain(stats.Types, t => t.TypeName == "Free");
    }

    [Fact]
    public void HeapTop_BySizeAndByCount_AreOrderedAndLimited()
    {
        using var session = DumpSession.Open(DumpSet.Facts[CapturedDump.ClientWithHeap]);

        var bySize = session.GetHeapTop(5);
        Assert.Equal(5, bySize.Count);
        Assert.Equal(bySize.OrderByDescending(t => t.TotalSize).Select(t => t.TypeName), bySize.Select(t => t.TypeName));
        Assert.Equal(TargetFacts.LeakedOrderType, bySize[0].TypeName);

        var byCount = session.GetHeapTop(3, HeapSortBy.Count);
        Assert.Equal(3, byCount.Count);
        Assert.Equal(TargetFacts.LeakedOrderType, byCount[0].TypeName);
        Assert.True(byCount[0].Count >= byCount[1].Count && byCount[1].Count >= byCount[2].Count);
    }

    [Fact]
    public void HeapTop_TypeNameWildcard_IsCaseInsensitiveAndAnchored()
    {
        using var session = DumpSession.Open(DumpSet.Facts[CapturedDump.ClientWithHeap]);

        var rows = session.GetHeapTop(100, typeNamePattern: "contoso.orders.*");
        Assert.Equal(
            ["Contoso.Orders.Invoice", "Contoso.Orders.Invoice[]", "Contoso.Orders.LeakedOrder", "Contoso.Orders.LeakedOrder[]",
             TargetFacts.SpreadLineType, TargetFacts.SpreadLineType + "[]", TargetFacts.SpreadLineType + "[][]"],
            rows.Select(r => r.TypeName).Order(StringComparer.Ordinal));
        Assert.Empty(session.GetHeapTop(100, typeNamePattern: "Orders.*"));
        Assert.Equal(TargetFacts.InvoiceCount, Assert.Single(session.GetHeapTop(100, typeNamePattern: "*.Invoice")).Count);
    }

    [Fact]
    public void HeapStatistics_AreWalkedOnceAndCached()
    {
        using var session = DumpSession.Open(DumpSet.Facts[CapturedDump.ClientWithHeap]);
        Assert.False(session.IsHeapCached);
        int reports = 0;
        var first = session.GetHeapStatistics(new SyncProgress(_ => reports++));
        Assert.True(session.IsHeapCached);
        Assert.True(reports > 0);

        int later = 0;
        var second = session.GetHeapStatistics(new SyncProgress(_ => later++));
        Assert.Same(first, second);
        Assert.Equal(0, later);
    }

    [Fact]
    public void HeapWalk_ReportsProgressUpToTheTotal()
    {
        using var session = DumpSession.Open(DumpSet.Facts[CapturedDump.ClientWithHeap]);
        var seen = new List<WorkProgress>();
        session.GetHeapStatistics(new SyncProgress(p => { lock (seen) seen.Add(p); }));

        Assert.NotEmpty(seen);
        var last = seen.MaxBy(p => p.Done);
        Assert.Equal(last.Total, last.Done);
        Assert.Equal(100, last.Percent);
    }

    [Fact]
    public void HeapWalk_Cancelled_CachesNothingAndCanRunAgain()
    {
        using var session = DumpSession.Open(DumpSet.Facts[CapturedDump.ClientWithHeap]);
        using var cts = new CancellationTokenSource();
        cts.Cancel();

        Assert.ThrowsAny<OperationCanceledException>(() => session.GetHeapStatistics(cancellationToken: cts.Token));
        Assert.False(session.IsHeapCached);
        Assert.Equal(TargetFacts.LeakedOrderCount, session.GetHeapTop(1)[0].Count);
    }

    [Fact]
    public void HeapTop_OnMiniDump_FailsWithNoHeapAndSaysHowToCapture()
    {
        using var session = DumpSession.Open(DumpSet.Facts[CapturedDump.ClientMini]);
        var e = Assert.Throws<AnalysisException>(() => session.GetHeapTop());
        Assert.Equal(AnalysisErrorKind.NoHeap, e.Kind);
        Assert.Contains("--withheap", e.Message);
        Assert.Contains(session.Path, e.Message);
    }
}
