using Analysis.Dumps;
using Analysis.Testing;
using Xunit;

namespace Analysis.Tests.Dumps;

public class DumpSessionCacheTests
{
    private static string Dump(CapturedDump kind) => DumpSet.Facts[kind];

    [Fact]
    public void GetOrOpen_SameFile_ReturnsTheSameSession()
    {
        var cache = new DumpSessionCache();
        try
        {
            var first = cache.GetOrOpen(Dump(CapturedDump.ClientMini));
            Assert.Same(first, cache.GetOrOpen(Dump(CapturedDump.ClientMini)));
            Assert.Single(cache.Sessions);
        }
        finally
        {
            cache.CloseAll();
        }
    }

    [Fact]
    public void GetOrOpen_BeyondCapacity_ClosesTheLeastRecentlyUsedImplicitSession()
    {
        var cache = new DumpSessionCache(implicitCapacity: 2);
        try
        {
            var pinned = cache.GetOrOpen(Dump(CapturedDump.CreateDumpFull), keepOpen: true);
            var a = cache.GetOrOpen(Dump(CapturedDump.ClientMini));
            var b = cache.GetOrOpen(Dump(CapturedDump.ClientWithHeap));
            cache.GetOrOpen(Dump(CapturedDump.ClientMini)); // touch a: b is now the oldest implicit one
            var c = cache.GetOrOpen(Dump(CapturedDump.CreateDumpWithHeap));

            Assert.True(b.IsClosed);
            Assert.False(a.IsClosed);
            Assert.False(c.IsClosed);
            Assert.False(pinned.IsClosed);
            Assert.Equal(3, cache.Sessions.Count);
        }
        finally
        {
            cache.CloseAll();
        }
    }

    [Fact]
    public void GetOrOpen_FileChangedOnDisk_OpensItAfresh()
    {
        string copy = Path.Combine(DumpSet.Facts.Scratch, "changing.dmp");
        File.Copy(Dump(CapturedDump.ClientMini), copy, overwrite: true);
        var cache = new DumpSessionCache();
        try
        {
            var before = cache.GetOrOpen(copy);
            File.SetLastWriteTimeUtc(copy, DateTime.UtcNow.AddMinutes(1));
            var after = cache.GetOrOpen(copy);

            Assert.NotSame(before, after);
            Assert.True(before.IsClosed);
        }
        finally
        {
            cache.CloseAll();
            File.Delete(copy);
        }
    }

    [Fact]
    public void Close_DisposesAndForgets()
    {
        var cache = new DumpSessionCache();
        var s = cache.GetOrOpen(Dump(CapturedDump.ClientMini), keepOpen: true);
        cache.Close(s);
        Assert.True(s.IsClosed);
        Assert.Empty(cache.Sessions);
        var again = cache.GetOrOpen(Dump(CapturedDump.ClientMini));
        Assert.NotSame(s, again);
        cache.CloseAll();
    }

    [Fact]
    public void GetOrOpen_BadFile_ReportsTheFileError()
    {
        var cache = new DumpSessionCache();
        var e = Assert.Throws<AnalysisException>(() => cache.GetOrOpen(Path.Combine(DumpSet.Facts.Scratch, "absent.dmp")));
        Assert.Equal(AnalysisErrorKind.FileNotFound, e.Kind);
    }
}
