using Xunit;

namespace Analysis.Tests;

/// <summary>The sessions' one cache-behind-a-gate helper (issue 13): computed once, failures and cancellations not kept.</summary>
public sealed class CachedAnswerTests
{
    [Fact]
    public async Task Get_ConcurrentCallers_ComputeOnce_AndAllGetTheSameAnswer()
    {
        var answer = new CachedAnswer<object>();
        int computations = 0;
        using var started = new ManualResetEventSlim();
        using var release = new ManualResetEventSlim();
        var first = Task.Run(() => answer.Get(_ =>
        {
            Interlocked.Increment(ref computations);
            started.Set();
            release.Wait(TimeSpan.FromSeconds(30));
            return new object();
        }));
        Assert.True(started.Wait(TimeSpan.FromSeconds(30)));
        // the others arrive while the first computes: they wait for it instead of computing again
        var others = Enumerable.Range(0, 8).Select(_ => Task.Run(() => answer.Get(_ =>
        {
            Interlocked.Increment(ref computations);
            return new object();
        }))).ToArray();
        await Task.Delay(100);
        Assert.False(answer.IsKnown);
        release.Set();
        var all = await Task.WhenAll(others.Append(first));
        Assert.Equal(1, computations);
        Assert.All(all, a => Assert.Same(all[0], a));
        Assert.True(answer.IsKnown);
        Assert.Same(all[0], answer.ValueOrDefault);
    }

    [Fact]
    public void Get_CancelledComputation_IsNotKept_AndTheNextCallerComputesAgain()
    {
        var answer = new CachedAnswer<string>();
        using var cts = new CancellationTokenSource();
        Assert.ThrowsAny<OperationCanceledException>(() => answer.Get(ct =>
        {
            cts.Cancel();
            ct.ThrowIfCancellationRequested();
            return "never";
        }, cts.Token));
        Assert.False(answer.IsKnown);
        Assert.Null(answer.ValueOrDefault);

        int computations = 0;
        Assert.Equal("second", answer.Get(_ => { computations++; return "second"; }));
        Assert.Equal("second", answer.Get(_ => { computations++; return "third"; }));
        Assert.Equal(1, computations);
    }

    [Fact]
    public void Get_FailedComputation_IsNotKept_AndTheNextCallerComputesAgain()
    {
        var answer = new CachedAnswer<string>();
        var e = Assert.Throws<InvalidOperationException>(() => answer.Get(_ => throw new InvalidOperationException("damaged")));
        Assert.Equal("damaged", e.Message);
        Assert.False(answer.IsKnown);
        Assert.Equal("retried", answer.Get(_ => "retried"));
    }

    [Fact]
    public async Task Get_AWaitingCaller_StopsWithItsOwnToken_WhileTheComputationGoesOnAndIsKept()
    {
        var answer = new CachedAnswer<string>();
        using var started = new ManualResetEventSlim();
        using var release = new ManualResetEventSlim();
        var computing = Task.Run(() => answer.Get(_ =>
        {
            started.Set();
            release.Wait(TimeSpan.FromSeconds(30));
            return "computed";
        }));
        Assert.True(started.Wait(TimeSpan.FromSeconds(30)));
        using var impatient = new CancellationTokenSource(TimeSpan.FromMilliseconds(100));
        Assert.ThrowsAny<OperationCanceledException>(() => answer.Get(_ => "impatient", impatient.Token));
        release.Set();
        Assert.Equal("computed", await computing);
        Assert.Equal("computed", answer.Get(_ => "later"));
    }

    [Fact]
    public void Get_AnswersSharingAGate_NeverComputeAtTheSameTime()
    {
        using var gate = new SemaphoreSlim(1, 1);
        var answers = Enumerable.Range(0, 6).Select(_ => new CachedAnswer<int>(gate)).ToArray();
        int running = 0, most = 0;
        Parallel.For(0, answers.Length, new ParallelOptions { MaxDegreeOfParallelism = answers.Length }, i => answers[i].Get(_ =>
        {
            int now = Interlocked.Increment(ref running);
            InterlockedMax(ref most, now);
            Thread.Sleep(20);
            Interlocked.Decrement(ref running);
            return i;
        }));
        Assert.Equal(1, most);
        Assert.Equal(Enumerable.Range(0, answers.Length), answers.Select(a => a.ValueOrDefault));
    }

    [Fact]
    public void Get_TheOwnersCheck_RunsUnderTheGateBeforeComputing_AndItsFailureKeepsNothing()
    {
        bool closed = true;
        int computations = 0;
        var answer = new CachedAnswer<string>(() => ObjectDisposedException.ThrowIf(closed, typeof(CachedAnswerTests)));
        Assert.Throws<ObjectDisposedException>(() => answer.Get(_ => { computations++; return "never"; }));
        Assert.Equal(0, computations);
        Assert.False(answer.IsKnown);

        closed = false;
        Assert.Equal("state", answer.Get("state", static (s, _) => s));
        // kept: later callers get it without the check (the owner checks before asking) and without computing
        closed = true;
        Assert.Equal("state", answer.Get("other", static (s, _) => s));
    }

    [Fact]
    public void Forget_DropsTheAnswer_AndTheNextCallerComputesAgain()
    {
        var answer = new CachedAnswer<string>();
        Assert.Equal("a", answer.Get(_ => "a"));
        answer.Forget();
        Assert.False(answer.IsKnown);
        Assert.Equal("b", answer.Get(_ => "b"));
    }

    private static void InterlockedMax(ref int target, int value)
    {
        int seen;
        while ((seen = Volatile.Read(ref target)) < value && Interlocked.CompareExchange(ref target, value, seen) != seen)
        {
        }
    }
}
