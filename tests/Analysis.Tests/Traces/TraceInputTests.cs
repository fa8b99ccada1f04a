using System.Diagnostics;
using System.IO.Compression;
using Analysis.Testing;
using Analysis.Traces;
using Xunit;

namespace Analysis.Tests.Traces;

public class TraceInputTests
{
    private static byte[] Head(int count) => File.ReadAllBytes(TraceCaptures.Facts)[..count];

    [Fact]
    public void Missing_Empty_Directory_FailWithTheirKinds()
    {
        Assert.Equal(AnalysisErrorKind.FileNotFound, Assert.Throws<AnalysisException>(() => TraceAnalysis.Read(Path.Combine(TraceCaptures.Folder, "none.nettrace"))).Kind);
        Assert.Equal(AnalysisErrorKind.FileEmpty, Assert.Throws<AnalysisException>(() => TraceAnalysis.Read(TraceCaptures.Scratch("empty.nettrace", []))).Kind);
        Assert.Equal(AnalysisErrorKind.PathIsDirectory, Assert.Throws<AnalysisException>(() => TraceAnalysis.Read(TraceCaptures.Folder)).Kind);
    }

    [Fact]
    public void TextFile_IsWrongFormatQuotingItsStart()
    {
        var e = Assert.Throws<AnalysisException>(() => TraceAnalysis.Read(TraceCaptures.Scratch("notes.nettrace", "timestamp,cpu\n1,2\n"u8.ToArray())));
        Assert.Equal(AnalysisErrorKind.WrongFormat, e.Kind);
        Assert.Contains("\"timestamp,cpu\\n1,2\\n\"", e.Message);
    }

    [Fact]
    public void GzipFile_IsWrongFormatAndGuessesPprof()
    {
        using var ms = new MemoryStream();
        using (var gz = new GZipStream(ms, CompressionLevel.Fastest, leaveOpen: true))
            gz.Write("profile"u8);
        var e = Assert.Throws<AnalysisException>(() => TraceAnalysis.Read(TraceCaptures.Scratch("heap.pb.gz", ms.ToArray())));
        Assert.Equal(AnalysisErrorKind.WrongFormat, e.Kind);
        Assert.Contains("a pprof profile?", e.Message);
    }

    [Fact]
    public void CoreDump_PassedAsTrace_IsWrongFormatAndSaysWhatItLooksLike()
    {
        string lib = Path.Combine(Path.GetDirectoryName(typeof(object).Assembly.Location)!, "libcoreclr.so");
        var e = Assert.Throws<AnalysisException>(() => TraceAnalysis.Read(lib));
        Assert.Equal(AnalysisErrorKind.WrongFormat, e.Kind);
        Assert.Contains("an ELF file", e.Message);
    }

    [Theory]
    [InlineData(5)]
    [InlineData(20)]
    public void CutInsideTheHeader_IsTruncated(int keep)
    {
        var e = Assert.Throws<AnalysisException>(() => TraceAnalysis.Read(TraceCaptures.Scratch($"head-{keep}.nettrace", Head(keep))));
        Assert.Equal(AnalysisErrorKind.Truncated, e.Kind);
        Assert.Contains($"{keep:N0} bytes", e.Message);
    }

    [Fact]
    public void CutAfterEvents_KeepsWhatWasReadAndWarns()
    {
        long full = new FileInfo(TraceCaptures.Facts).Length;
        int keep = (int)(full * 6 / 10);
        var a = TraceAnalysis.Read(TraceCaptures.Scratch("cut.nettrace", Head(keep)));

        Assert.True(a.IsTruncated);
        Assert.True(a.EventCount > 0 && a.EventCount < TraceCaptures.FactsAnalysis.EventCount);
        Assert.Contains(a.Warnings, w => w.Contains("is truncated", StringComparison.Ordinal) && w.Contains($"of {keep:N0}", StringComparison.Ordinal));
        // Rundown (method names) comes last, so a cut trace says so when it has samples.
        if (a.SampleCount > 0)
            Assert.Contains(a.Warnings, w => w.Contains("no method rundown", StringComparison.Ordinal));
    }

    [Fact]
    public void ValidHeaderThenGarbage_IsWrongFormatWithTheOffset()
    {
        var bytes = Head(40).Concat(Enumerable.Range(0, 4000).Select(i => (byte)(i * 37))).ToArray();
        var e = Assert.Throws<AnalysisException>(() => TraceAnalysis.Read(TraceCaptures.Scratch("garbage.nettrace", bytes)));
        Assert.True(e.Kind is AnalysisErrorKind.WrongFormat or AnalysisErrorKind.Truncated, e.Kind.ToString());
        Assert.Contains("byte", e.Message);
    }

    [Fact]
    public void Read_Cancelled_Throws()
    {
        using var cts = new CancellationTokenSource();
        cts.Cancel();
        Assert.ThrowsAny<OperationCanceledException>(() => TraceAnalysis.Read(TraceCaptures.Facts, cancellationToken: cts.Token));
    }

    [Fact]
    public void Read_ReportsProgressToTheEnd()
    {
        var seen = new List<WorkProgress>();
        TraceAnalysis.Read(TraceCaptures.Facts, new SyncProgress(seen.Add));
        Assert.NotEmpty(seen);
        Assert.Equal(new FileInfo(TraceCaptures.Facts).Length, seen[^1].Done);
        Assert.Equal(100, seen[^1].Percent);
    }

    [Fact]
    public void Session_ReadsOnceAndCaches()
    {
        var cache = new TraceSessionCache();
        var session = cache.GetOrOpen(TraceCaptures.Facts);
        Assert.False(session.IsRead);
        var first = session.GetAnalysis();
        Assert.Same(first, cache.GetOrOpen(TraceCaptures.Facts).GetAnalysis());
        cache.Close(session);
        Assert.Equal(AnalysisErrorKind.SessionClosed, Assert.Throws<AnalysisException>(() => session.GetAnalysis()).Kind);
    }
}
