using System.IO.Compression;
using Analysis.Go;
using Xunit;

namespace Analysis.Tests.Go;

public class PprofTests
{
    private static PprofProfile Load(string name) => PprofProfile.Load(GoFixtures.PathOf(name));

    // (file, sample index, MANIFEST key): the top function and its flat value as `go tool pprof -top` printed them.
    public static TheoryData<string, string, string> TopCases => new()
    {
        { "heap-2.pb.gz", "inuse_space", "pprof.heap-2.inuse_space" },
        { "heap-2.pb.gz", "inuse_objects", "pprof.heap-2.inuse_objects" },
        { "heap-1.pb.gz", "inuse_space", "pprof.heap-1.inuse_space" },
        { "allocs.pb.gz", "alloc_space", "pprof.allocs.alloc_space" },
    };

    [Theory]
    [MemberData(nameof(TopCases))]
    public void Top_FirstRowEqualsGoToolPprof(string file, string sampleIndex, string key)
    {
        var top = PprofQueries.Top(Load(file), 1, sampleIndex)[0];
        Assert.Equal(GoFixtures.Manifest(key + ".top"), top.Function);
        Assert.Equal(GoFixtures.ManifestLong(key + ".top_flat"), top.Flat);
    }

    [Theory]
    [InlineData("cpu.pb.gz", "pprof.cpu")]
    [InlineData("block.pb.gz", "pprof.block")]
    [InlineData("mutex.pb.gz", "pprof.mutex")]
    public void Top_DefaultSampleIndex_EqualsGoToolPprof(string file, string key)
    {
        var top = PprofQueries.Top(Load(file), 1)[0];
        Assert.Equal(GoFixtures.Manifest(key + ".top"), top.Function);
        Assert.Equal(GoFixtures.ManifestLong(key + ".top_flat_ns"), top.Flat);
        Assert.Equal("nanoseconds", top.Unit);
    }

    [Fact]
    public void Goroutine_ProfileTopAndLabels()
    {
        var profile = Load("goroutine.pb.gz");
        var top = PprofQueries.Top(profile, 1)[0];
        Assert.Equal(GoFixtures.Manifest("pprof.goroutine.top"), top.Function);
        Assert.Equal(GoFixtures.ManifestLong("pprof.goroutine.top_flat"), top.Flat);
        Assert.Equal(GoFixtures.ManifestInt("facts.leaked_receivers"), PprofQueries.Total(profile, label: "handler=orders"));
        var heaviest = PprofQueries.Traces(profile, 1)[0];
        Assert.Equal(GoFixtures.ManifestInt("facts.leaked_receivers"), heaviest.Value);
        Assert.Equal("orders", heaviest.Labels["handler"]);
        Assert.Contains(heaviest.Frames, f => f.Function == "contoso.example/leaky/orders.(*Server).waitForReply");
    }

    [Fact]
    public void Diff_HeapGrowthEqualsGoToolPprofBase()
    {
        var diff = Load("heap-2.pb.gz").Subtract(Load("heap-1.pb.gz"));
        var space = PprofQueries.Top(diff, 1, "inuse_space")[0];
        Assert.Equal(GoFixtures.Manifest("pprof.heapdiff.inuse_space.top"), space.Function);
        Assert.Equal(GoFixtures.ManifestLong("pprof.heapdiff.inuse_space.top_flat"), space.Flat);
        Assert.Equal(GoFixtures.ManifestLong("pprof.heapdiff.inuse_objects.top_flat"), PprofQueries.Top(diff, 1, "inuse_objects")[0].Flat);
        // The growth is exactly the chunks remembered between the snapshots.
        int chunks = GoFixtures.ManifestInt("facts.chunks_at_heap2") - GoFixtures.ManifestInt("facts.chunks_at_heap1");
        Assert.Equal((long)chunks * GoFixtures.ManifestInt("facts.chunk_size"), space.Flat);
    }

    [Fact]
    public void Peek_ShowsTheCallerAndSelfValue()
    {
        var rows = PprofQueries.Peek(Load("heap-2.pb.gz"), "*orders.remember", "inuse_space");
        long flat = GoFixtures.ManifestLong("pprof.heap-2.inuse_space.top_flat");
        var caller = Assert.Single(rows, r => r.Relation == "caller");
        Assert.Equal("contoso.example/leaky/orders.(*Cache).Remember", caller.Other);
        Assert.Equal(flat, caller.Value);
        Assert.Equal(flat, Assert.Single(rows, r => r.Relation == "self").Value);
        Assert.DoesNotContain(rows, r => r.Relation == "callee");
    }

    [Fact]
    public void SampleTypes_DefaultIsTheLastAsInPprof()
    {
        var heap = Load("heap-2.pb.gz");
        Assert.Equal("alloc_objects, alloc_space, inuse_objects, inuse_space", heap.SampleTypeNames);
        Assert.Equal(3, heap.DefaultSampleIndex);
        Assert.Equal(2, heap.ResolveSampleIndex("INUSE_OBJECTS"));
        Assert.Equal(AnalysisErrorKind.WrongFormat, Assert.Throws<AnalysisException>(() => heap.ResolveSampleIndex("cpu")).Kind);
    }

    [Fact]
    public void RawUncompressedProfile_ReadsTheSame()
    {
        using var gz = new GZipStream(File.OpenRead(GoFixtures.PathOf("heap-2.pb.gz")), CompressionMode.Decompress);
        using var raw = new MemoryStream();
        gz.CopyTo(raw);
        var profile = PprofProfile.Load(GoFixtures.Scratch("heap-raw.pb", raw.ToArray()));
        Assert.Equal(GoFixtures.ManifestLong("pprof.heap-2.inuse_space.top_flat"), PprofQueries.Top(profile, 1)[0].Flat);
    }

    [Fact]
    public void BadInputs_FailWithTheirKinds()
    {
        var bytes = File.ReadAllBytes(GoFixtures.PathOf("heap-2.pb.gz"));
        var cut = Assert.Throws<AnalysisException>(() => PprofProfile.Load(GoFixtures.Scratch("cut.pb.gz", bytes[..(bytes.Length / 2)])));
        Assert.Equal(AnalysisErrorKind.Truncated, cut.Kind);
        Assert.Contains("gzip", cut.Message);

        var text = Assert.Throws<AnalysisException>(() => PprofProfile.Load(GoFixtures.PathOf("goroutines-debug1.txt")));
        Assert.Equal(AnalysisErrorKind.WrongFormat, text.Kind);
        Assert.Contains("Get-Goroutines", text.Message);

        var garbage = Assert.Throws<AnalysisException>(() => PprofProfile.Load(GoFixtures.Scratch("garbage.pb", Enumerable.Range(0, 300).Select(i => (byte)(0x80 | i)).ToArray())));
        Assert.Equal(AnalysisErrorKind.WrongFormat, garbage.Kind);
        Assert.Contains("offset", garbage.Message);

        var trace = Assert.Throws<AnalysisException>(() => PprofProfile.Load(GoFixtures.PathOf("trace.out")));
        Assert.Contains("Go execution trace", trace.Message);

        Assert.Equal(AnalysisErrorKind.FileEmpty, Assert.Throws<AnalysisException>(() => PprofProfile.Load(GoFixtures.Scratch("empty.pb.gz", []))).Kind);

        var mismatch = Assert.Throws<AnalysisException>(() => Load("cpu.pb.gz").Subtract(Load("heap-1.pb.gz")));
        Assert.Contains("sample types differ", mismatch.Message);
    }
}
