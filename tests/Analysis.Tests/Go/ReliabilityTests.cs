using System.Text;
using Analysis.Go;
using Xunit;

namespace Analysis.Tests.Go;

/// <summary>
/// Inputs from the fuzzing run of issue 12 that made the Go parsers throw something other than one
/// <see cref="AnalysisException"/>: each now gives a result, a partial result with what was skipped, or that exception.
/// </summary>
public class ReliabilityTests
{
    // ---- pprof ----

    private static void Varint(List<byte> into, ulong v)
    {
        do
        {
            byte b = (byte)(v & 0x7f);
            v >>= 7;
            into.Add(v != 0 ? (byte)(b | 0x80) : b);
        }
        while (v != 0);
    }

    private static void Field(List<byte> into, int field, byte[] message)
    {
        Varint(into, (ulong)((field << 3) | 2));
        Varint(into, (ulong)message.Length);
        into.AddRange(message);
    }

    private static byte[] Message(params (int Field, ulong Value)[] varints)
    {
        var m = new List<byte>();
        foreach (var (field, value) in varints)
        {
            Varint(m, (ulong)(field << 3));
            Varint(m, value);
        }

        return m.ToArray();
    }

    /// <summary>A raw profile.proto: one sample type ("samples", "count"), main.f at location 1, samples with these values.</summary>
    private static byte[] Profile(params long[] values)
    {
        var p = new List<byte>();
        Field(p, 1, Message((1, 1), (2, 2)));
        foreach (long v in values)
            Field(p, 2, Message((1, 1), (2, (ulong)v)));
        var line = Message((1, 1), (2, 7));
        var location = new List<byte>(Message((1, 1)));
        Field(location, 4, line);
        Field(p, 4, location.ToArray());
        Field(p, 5, Message((1, 1), (2, 3)));
        foreach (string s in new[] { "", "samples", "count", "main.f" })
            Field(p, 6, Encoding.UTF8.GetBytes(s));
        return p.ToArray();
    }

    private static AnalysisException LoadFails(string name, byte[] bytes) =>
        Assert.Throws<AnalysisException>(() => PprofProfile.Load(GoFixtures.Scratch(name, bytes)));

    [Fact]
    public void Pprof_LengthOverIntMaxValue_IsAnAnalysisExceptionNotOverflow()
    {
        var bytes = new List<byte> { 0x32 }; // string table entry (field 6, length-delimited)
        Varint(bytes, 1UL << 32);
        bytes.AddRange("abc"u8.ToArray());
        var e = LoadFails("len-2p32.pb", bytes.ToArray());
        Assert.Contains("runs past the end", e.Message);
    }

    [Fact]
    public void Pprof_LengthNearIntMaxValue_DoesNotWrapPastTheBoundsCheck()
    {
        var bytes = new List<byte>(Profile(5));
        bytes.Add(0x32);
        Varint(bytes, int.MaxValue - 2); // _pos + length wrapped negative and passed the check
        bytes.AddRange("abc"u8.ToArray());
        var e = LoadFails("len-near-max.pb", bytes.ToArray());
        Assert.Contains("runs past the end", e.Message);
        Assert.Contains("offset", e.Message);
    }

    [Fact]
    public void Pprof_TwoByteGzip_IsTruncated()
    {
        var e = LoadFails("two-bytes.pb.gz", [0x1f, 0x8b]);
        Assert.Equal(AnalysisErrorKind.Truncated, e.Kind);
        Assert.Contains("gzip", e.Message);
    }

    [Fact]
    public void Pprof_GzipBomb_IsRefusedBeforeItFillsMemory()
    {
        using var ms = new MemoryStream();
        using (var gz = new System.IO.Compression.GZipStream(ms, System.IO.Compression.CompressionLevel.SmallestSize, leaveOpen: true))
        {
            var zeros = new byte[1 << 20];
            for (int i = 0; i < 20; i++)
                gz.Write(zeros);
        }

        var e = LoadFails("bomb.pb.gz", ms.ToArray());
        Assert.Equal(AnalysisErrorKind.WrongFormat, e.Kind);
        Assert.Contains("decompresses to more than", e.Message);
    }

    [Fact]
    public void Pprof_OfManyTinySamples_TakesASmallMultipleOfItsSize()
    {
        // a string table, one sample type, then 1,000,000 samples of one value and no stack: 5 bytes each
        var bytes = new List<byte> { 0x32, 0x00, 0x0a, 0x04, 0x08, 0x00, 0x10, 0x00 };
        for (int i = 0; i < 1_000_000; i++)
            bytes.AddRange([0x12, 0x03, 0x12, 0x01, 0x05]);
        string path = GoFixtures.Scratch("tiny-samples.pb", bytes.ToArray());
        _ = PprofProfile.Load(path); // compiled

        long before = GC.GetAllocatedBytesForCurrentThread();
        var profile = PprofProfile.Load(path);
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.Equal(1_000_000, profile.SampleCount);
        Assert.Equal(5_000_000, PprofQueries.Total(profile, profile.SampleTypes[0].Type));
        // each sample was three lists and two dictionaries while parsed (~98 bytes allocated per input byte); now arrays,
        // the empty ones shared (~46)
        Assert.True(allocated < 60L * bytes.Count, $"{allocated / (double)bytes.Count:F1} bytes allocated per input byte");
    }

    [Fact]
    public void Pprof_SampleValueLongMinValue_TopAndTotalAnswer()
    {
        var profile = PprofProfile.Load(GoFixtures.Scratch("min-value.pb", Profile(long.MinValue)));
        var top = PprofQueries.Top(profile);
        Assert.Equal("main.f", Assert.Single(top).Function);
        Assert.Equal(long.MinValue, top[0].Flat);
        Assert.Equal(long.MaxValue, PprofQueries.Total(profile));
        Assert.StartsWith("-", PprofValues.Format(long.MinValue, "bytes"));
    }

    [Fact]
    public void Pprof_TotalBeyondLongMaxValue_SaturatesInsteadOfThrowing()
    {
        var profile = PprofProfile.Load(GoFixtures.Scratch("max-values.pb", Profile(long.MaxValue, long.MaxValue, 3)));
        Assert.Equal(long.MaxValue, PprofQueries.Total(profile));
        Assert.Single(PprofQueries.Top(profile));
    }

    // ---- gctrace ----

    private const string Good = "gc 1 @0.006s 3%: 0.018+0.64+0.006 ms clock, 0.037+0.41/0.066/0.43+0.013 ms cpu, 3->4->3 MB, 4 MB goal, 0 MB stacks, 0 MB globals, 2 P";

    [Theory]
    [InlineData("gc 99999999999 @0.006s 3%: 0.018+0.64+0.006 ms clock, 0.037+0.41/0.066/0.43+0.013 ms cpu, 3->4->3 MB, 4 MB goal, 2 P", "out of range")]
    [InlineData("gc 2 @0.006s 3%: 0.018+0.64+0.006 ms clock, 0.037+0.41/0.066/0.43+0.013 ms cpu, 3->4->3 MB, 4 MB goal, 0 MB stacks, 0 MB globals, 2147483648 P", "out of range")]
    [InlineData("gc 2 @0.006s 3%: 0.018+0.64+0.006 ms clock, 0.037+0.41/0.066/0.43+0.013 ms cpu, 99999999999999999999->4->3 MB, 4 MB goal, 2 P", "out of range")]
    [InlineData("gc 2 @0.00.018s 3%: 0.018+0.64+0.006 ms clock, 0.037+0.41/0.066/0.43+0.013 ms cpu, 3->4->3 MB, 4 MB goal, 2 P", "unknown form")]
    [InlineData("gc 2 @0.006s 3%: 0.018+0.00.018+0.006 ms clock, 0.037+0.41/0.066/0.43+0.013 ms cpu, 3->4->3 MB, 4 MB goal, 2 P", "unknown form")]
    [InlineData("gc ٢ @0.006s 3%: 0.018+0.64+0.006 ms clock, 0.037+0.41/0.066/0.43+0.013 ms cpu, 3->4->3 MB, 4 MB goal, 2 P", "unknown form")]
    [InlineData("gc 2 @０.006s 3%: 0.018+0.64+0.006 ms clock, 0.037+0.41/0.066/0.43+0.013 ms cpu, 3->4->3 MB, 4 MB goal, 2 P", "unknown form")]
    [InlineData("gc 2 @0.006s 3%: 0.018+0.64+0.006 ms clock, 0.037+0.41/0.066/0.43+0.013 ms cpu, 3->٤->3 MB, 4 MB goal, 2 P", "unknown form")]
    public void GcTrace_LineWithABadNumber_IsSkippedWithItsReason(string bad, string reason)
    {
        var trace = GcTrace.Parse(new StringReader(Good + "\n" + bad + "\n"));
        Assert.Equal(1, Assert.Single(trace.Cycles).Number);
        var skipped = Assert.Single(trace.Skipped);
        Assert.Equal(2, skipped.LineNumber);
        Assert.Contains(reason, skipped.Reason);
        Assert.Equal(1, trace.Summarize().Cycles);
    }

    // ---- goroutine dumps ----

    [Theory]
    [InlineData("[]", "array")]
    [InlineData("null", "null")]
    [InlineData("\"x\"", "string")]
    [InlineData("7", "number")]
    public void Goroutines_LabelsThatAreNotAJsonObject_AreSkipped(string labels, string kind)
    {
        string text = $"goroutine profile: total 3\n3 @ 0x1 0x2\n# labels: {labels}\n#\t0x1\tmain.f+0x1\t/src/a.go:1\n\n";
        var dump = GoroutineDumpParser.Parse(new StringReader(text));
        var g = Assert.Single(dump.Goroutines);
        Assert.Equal(3, g.Count);
        Assert.Equal("main.f", Assert.Single(g.Frames).Function);
        Assert.Empty(g.Labels);
        var skipped = Assert.Single(dump.Skipped);
        Assert.Contains($"labels are JSON {kind}", skipped.Reason);
    }

    [Fact]
    public void Goroutines_RecordCountsPastIntMaxValue_SkipTheRecordThatOverflows()
    {
        string text = "goroutine profile: total 4294967294\n" +
                      "2147483647 @ 0x1\n#\t0x1\tmain.f+0x1\t/src/a.go:1\n\n" +
                      "2147483647 @ 0x2\n#\t0x2\tmain.g+0x1\t/src/a.go:2\n\n" +
                      "5 @ 0x3\n#\t0x3\tmain.h+0x1\t/src/a.go:3\n\n";
        var dump = GoroutineDumpParser.Parse(new StringReader(text));
        Assert.Single(dump.Goroutines);
        Assert.Equal(int.MaxValue, dump.Total);
        Assert.Equal(2, dump.Skipped.Count);
        Assert.Contains("takes the total past", dump.Skipped[0].Reason);
        var bucket = Assert.Single(Analysis.Stacks.StackGrouper.Group(dump.Goroutines));
        Assert.Equal(int.MaxValue, bucket.Count);
        Assert.Single(GoroutineLeaks.Find(dump));
    }

    [Fact]
    public void Grouping_CountsFromSeveralDumps_SaturateInsteadOfWrapping()
    {
        string text = "2147483647 @ 0x1\n#\t0x1\tmain.f+0x1\t/src/a.go:1\n\n";
        var one = GoroutineDumpParser.Parse(new StringReader(text));
        var two = GoroutineDumpParser.Parse(new StringReader(text));
        var bucket = Assert.Single(Analysis.Stacks.StackGrouper.Group(one.Goroutines.Concat(two.Goroutines)));
        Assert.Equal(int.MaxValue, bucket.Count);
    }

    // ---- Go execution traces ----

    [Fact]
    public void GoTrace_StringLengthOf2To63_IsDamagedNotAnArgumentException()
    {
        var batch = new List<byte> { 5, 1 }; // EvString, id 1
        Varint(batch, 1UL << 63);
        batch.AddRange("abc"u8.ToArray());
        var data = new List<byte>(Encoding.ASCII.GetBytes("go 1.23 trace\0\0\0")) { 1 }; // EvEventBatch
        Varint(data, 1); // generation
        Varint(data, 0); // M
        Varint(data, 0); // time
        Varint(data, (ulong)batch.Count);
        data.AddRange(batch);
        var e = Assert.Throws<AnalysisException>(() => GoExecutionTrace.Load(GoFixtures.Scratch("string-2p63.out", data.ToArray())));
        Assert.Equal(AnalysisErrorKind.WrongFormat, e.Kind);
        Assert.Contains("runs past its batch", e.Message);
        Assert.Contains("damaged at byte 21", e.Message); // the string event, after the 16-byte header and the batch header
    }
}
