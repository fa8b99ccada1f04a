using Analysis.Go;
using Analysis.Testing;
using Xunit;

namespace Analysis.Tests.Go;

/// <summary>A pprof profile opened once and asked many times (issue 13: Go files get a session like dumps and traces).</summary>
public sealed class GoProfileSessionTests
{
    private static string Heap => GoFixtures.PathOf("heap-2.pb.gz");

    [Fact]
    public void Session_ReadsTheProfileOnFirstQuestion_AndLaterQuestionsDoNotReadAgain()
    {
        using var session = GoProfileSession.Open(Heap);
        Assert.Equal(Path.GetFullPath(Heap), session.Path);
        Assert.Equal(new FileInfo(Heap).Length, session.Length);
        Assert.False(session.IsRead);
        Assert.Equal(0, session.ReadCount);
        Assert.EndsWith("not read yet)", session.ToString(), StringComparison.Ordinal);

        var first = session.GetProfile();
        Assert.True(session.IsRead);
        var top = PprofQueries.Top(first, 1, "inuse_space")[0];
        Assert.Equal(GoFixtures.Manifest("pprof.heap-2.inuse_space.top"), top.Function);
        Assert.Same(first, session.GetProfile());
        Assert.Same(first, session.GetProfile());
        Assert.Equal(1, session.ReadCount);
        Assert.Contains("inuse_space", session.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Session_ConcurrentFirstQuestions_ReadTheFileOnce()
    {
        using var session = GoProfileSession.Open(Heap);
        var profiles = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => Task.Run(() => session.GetProfile())));
        Assert.All(profiles, p => Assert.Same(profiles[0], p));
        Assert.Equal(1, session.ReadCount);
    }

    [Fact]
    public void Session_AFailedRead_IsNotKept_TheNextQuestionReadsAgain()
    {
        string scratch = RepoPaths.NewScratchDirectory("analysis-go-session");
        string file = Path.Combine(scratch, "heap.pb.gz");
        File.WriteAllBytes(file, File.ReadAllBytes(Heap)[..40]); // cut inside the gzip stream
        using var session = GoProfileSession.Open(file);
        Assert.Equal(AnalysisErrorKind.Truncated, Assert.Throws<AnalysisException>(() => session.GetProfile()).Kind);
        Assert.False(session.IsRead);

        File.Copy(Heap, file, overwrite: true);
        Assert.Equal(GoFixtures.Manifest("pprof.heap-2.inuse_space.top"), PprofQueries.Top(session.GetProfile(), 1, "inuse_space")[0].Function);
        Assert.Equal(2, session.ReadCount);
    }

    [Fact]
    public void Cache_ReturnsTheOpenSession_UntilTheFileChanges()
    {
        string scratch = RepoPaths.NewScratchDirectory("analysis-go-session");
        string file = Path.Combine(scratch, "heap.pb.gz");
        File.Copy(Heap, file);
        var cache = new GoProfileSessionCache();
        var session = cache.GetOrOpen(file);
        var profile = session.GetProfile();
        Assert.Same(session, cache.GetOrOpen(file));
        Assert.Same(profile, cache.GetOrOpen(file).GetProfile());
        Assert.Equal(1, session.ReadCount);

        File.Copy(GoFixtures.PathOf("heap-1.pb.gz"), file, overwrite: true);
        File.SetLastWriteTimeUtc(file, DateTime.UtcNow.AddMinutes(1));
        var reopened = cache.GetOrOpen(file);
        Assert.NotSame(session, reopened);
        Assert.True(session.IsClosed); // the stale one was closed, not leaked
        Assert.Equal(GoFixtures.Manifest("pprof.heap-1.inuse_space.top"), PprofQueries.Top(reopened.GetProfile(), 1, "inuse_space")[0].Function);
        cache.CloseAll();
        Assert.True(reopened.IsClosed);
    }

    [Fact]
    public void ClosedSession_EveryQuestionFailsWithSessionClosed_WhilePathAndLengthStayReadable()
    {
        var session = GoProfileSession.Open(Heap);
        _ = session.GetProfile();
        session.Dispose();
        Assert.True(session.IsClosed);
        Assert.Equal(Path.GetFullPath(Heap), session.Path);
        Assert.True(session.Length > 0);
        foreach (var question in new Func<object>[] { () => session.GetProfile(), () => session.IsRead })
        {
            var e = Assert.Throws<AnalysisException>(question);
            Assert.Equal(AnalysisErrorKind.SessionClosed, e.Kind);
            Assert.IsType<ObjectDisposedException>(e.InnerException);
            Assert.Contains("Open-GoProfile", e.Message, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void Open_AMissingFile_FailsAtTheDoor()
    {
        var e = Assert.Throws<AnalysisException>(() => GoProfileSession.Open(Path.Combine(GoFixtures.Folder, "no-such.pb.gz")));
        Assert.Equal(AnalysisErrorKind.FileNotFound, e.Kind);
    }
}
