using Analysis.Go;
using Xunit;

namespace Analysis.Tests.Go;

/// <summary>gctrace lines with a log collector's timestamp before them (container runtimes, kubectl --timestamps, journald).</summary>
public class GcTracePrefixTests
{
    private const string Gc5 = "gc 5 @2.995s 0%: 0.078+7.0+0.24 ms clock, 0.15+0/1.3/0.43+0.49 ms cpu, 29->29->21 MB, 38 MB goal, 0 MB stacks, 0 MB globals, 2 P (forced)";

    private static GcCycle One(string line, int year = 2024)
    {
        var trace = GcTrace.Parse(new StringReader(line), null, year);
        Assert.Empty(trace.Skipped);
        var c = Assert.Single(trace.Cycles);
        Assert.Equal((5, 2.995, 21.0, true), (c.Number, c.AtSeconds, c.HeapLiveMB, c.Forced));
        return c;
    }

    [Theory]
    [InlineData("2024-05-01T12:00:03.118Z ", "2024-05-01T12:00:03.1180000+00:00", 10_000)]
    [InlineData("2024-05-01T12:00:03.118123456Z ", "2024-05-01T12:00:03.1181234+00:00", 1)]
    [InlineData("2024-05-01T14:00:03.5+02:00 ", "2024-05-01T12:00:03.5000000+00:00", 1_000_000)]
    [InlineData("2024-05-01T12:00:03Z\t", "2024-05-01T12:00:03.0000000+00:00", 10_000_000)]
    [InlineData("May 01 12:00:03 host leaky[123]: ", "2024-05-01T12:00:03.0000000+00:00", 10_000_000)]
    [InlineData("May  1 12:00:03.118123 host leaky[123]: ", "2024-05-01T12:00:03.1181230+00:00", 10)]
    public void Prefix_IsReadAsTheLinesWallClockTime_WithItsResolution(string prefix, string expected, long resolutionTicks)
    {
        var c = One(prefix + Gc5);
        Assert.Equal(DateTimeOffset.Parse(expected, System.Globalization.CultureInfo.InvariantCulture), c.LoggedAt);
        Assert.Equal(TimeSpan.Zero, c.LoggedAt!.Value.Offset);
        Assert.Equal(TimeSpan.FromTicks(resolutionTicks), c.LoggedAtResolution);
    }

    [Fact]
    public void JournaldPrefix_TakesTheYearGiven()
    {
        Assert.Equal(2019, One("Dec 31 23:59:59 host leaky[1]: " + Gc5, 2019).LoggedAt!.Value.Year);
    }

    [Fact]
    public void NoPrefix_NoTime()
    {
        var c = One(Gc5);
        Assert.Null(c.LoggedAt);
        Assert.Null(c.LoggedAtResolution);
    }

    [Theory]
    [InlineData("2024-13-01T12:00:03.118Z ")] // month 13
    [InlineData("2024-02-30T12:00:03Z ")] // no 30 February
    [InlineData("2024-05-01T25:00:03Z ")] // hour 25
    [InlineData("2024-05-01T12:00:03+15:00 ")] // zone beyond ±14 h
    [InlineData("Foo 01 12:00:03 host leaky[1]: ")] // no such month
    [InlineData("something else ")] // not a timestamp
    public void BadPrefix_SkipsTheLine_QuotingIt(string prefix)
    {
        var trace = GcTrace.Parse(new StringReader(prefix + Gc5));
        Assert.Empty(trace.Cycles);
        var skipped = Assert.Single(trace.Skipped);
        Assert.StartsWith(prefix.TrimEnd()[..10], skipped.Text);
    }

    [Fact]
    public void PrefixedOtherOutput_IsSkipped()
    {
        var trace = GcTrace.Parse(new StringReader("2024-05-01T12:00:03.118Z starting server\n2024-05-01T12:00:03.119Z " + Gc5));
        Assert.Single(trace.Cycles);
        Assert.Equal("not a gc line", Assert.Single(trace.Skipped).Reason);
    }
}
