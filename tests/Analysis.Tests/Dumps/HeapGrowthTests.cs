using Analysis.Dumps;
using Analysis.Testing;
using Xunit;

namespace Analysis.Tests.Dumps;

public class HeapGrowthTests
{
    private const string CachedReport = "Contoso.Orders.CachedReport";

    [Fact]
    public void Compare_TwoDumpsOfAGrowingProcess_ShowsExactlyWhatWasAdded()
    {
        using var before = DumpSession.Open(GrowthDumps.Instance.Before);
        using var after = DumpSession.Open(GrowthDumps.Instance.After);
        var diff = HeapDiff.Compare(before.GetHeapStatistics(), after.GetHeapStatistics());

        var reports = Assert.Single(diff, d => d.TypeName == CachedReport);
        Assert.Equal(0, reports.BaselineCount);
        Assert.Equal(GrowthDumps.GrowBy, reports.CountDelta);
        Assert.Equal(after.GetHeapStatistics().Types.Single(t => t.TypeName == CachedReport).TotalSize, reports.SizeDelta);

        // the bodies are the bulk of the growth and the top row: GrowBy arrays of BodySize bytes, less the few
        // unrooted byte[] of the baseline that a GC collected in between (dumps hold not-yet-collected garbage)
        var bodies = Assert.Single(diff, d => d.TypeName == "System.Byte[]");
        Assert.InRange(bodies.CountDelta, GrowthDumps.GrowBy * 99 / 100, GrowthDumps.GrowBy + 50);
        Assert.True(bodies.SizeDelta >= (long)GrowthDumps.GrowBy * GrowthDumps.BodySize * 99 / 100, $"byte[] grew by {bodies.SizeDelta} bytes");
        Assert.Equal("System.Byte[]", diff[0].TypeName);

        // what did not change is not listed
        Assert.DoesNotContain(diff, d => d.TypeName == TargetFacts.LeakedOrderType);
        Assert.All(diff, d => Assert.True(d.CountDelta != 0 || d.SizeDelta != 0));
        Assert.Equal(diff.OrderByDescending(d => d.SizeDelta).Select(d => d.SizeDelta), diff.Select(d => d.SizeDelta));
    }

    [Fact]
    public void Compare_FiltersSortsAndCuts_AndReversedItShowsTheShrink()
    {
        using var before = DumpSession.Open(GrowthDumps.Instance.Before);
        using var after = DumpSession.Open(GrowthDumps.Instance.After);
        var byCount = HeapDiff.Compare(before.GetHeapStatistics(), after.GetHeapStatistics(), top: 1, HeapSortBy.Count, "contoso.*");
        Assert.Equal(CachedReport, Assert.Single(byCount).TypeName);

        var reversed = HeapDiff.Compare(after.GetHeapStatistics(), before.GetHeapStatistics(), typeNamePattern: "*CachedReport");
        var gone = Assert.Single(reversed);
        Assert.Equal(-GrowthDumps.GrowBy, gone.CountDelta);
        Assert.Equal(0, gone.Count);
        Assert.StartsWith($"{-GrowthDumps.GrowBy,12:+#,0;-#,0;0}", gone.ToString(), StringComparison.Ordinal);
    }
}
