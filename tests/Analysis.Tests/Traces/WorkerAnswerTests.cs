using System.Diagnostics;
using Analysis.Isolation;
using Xunit;

namespace Analysis.Tests.Traces;

/// <summary>
/// Answers larger than a piece come from the worker in pieces while it writes them (<see cref="FrameKind.Part"/>), and
/// the session can read them as they come (<see cref="EngineWorker.Invoke{T}"/>): what the first Import-Trace waited for
/// after the reading pass (issue 12's cost of isolation).
/// </summary>
public class WorkerAnswerTests
{
    private const int Megabyte = 1 << 20;

    private static WorkerHost Host => WorkerHost.Find(out string? whyNot) ?? throw new InvalidOperationException(whyNot);

    private static EngineWorker Start() => EngineWorker.Start(Host, new WorkerStart("answer.bin", "answering", 256L << 20) { TestOperations = true });

    [Fact]
    public void ALargeAnswer_IsPutTogetherWhole_AndASmallOneComesAsItIs()
    {
        using var worker = Start();
        var large = worker.Invoke("worker.answer", w => WorkerTestOperations.WriteAnswerArguments(w, 3 * Megabyte + 12345), null, default);
        Assert.Equal(3 * Megabyte + 12345, large.Length);
        Assert.True(WorkerTestOperations.IsAnswer(large));
        var small = worker.Invoke("worker.answer", w => WorkerTestOperations.WriteAnswerArguments(w, 100), null, default);
        Assert.Equal(100, small.Length);
        Assert.True(WorkerTestOperations.IsAnswer(small));
        // exactly one piece: no empty Part or Result frame is misread
        var piece = worker.Invoke("worker.answer", w => WorkerTestOperations.WriteAnswerArguments(w, WorkerProtocol.Piece), null, default);
        Assert.True(piece.Length == WorkerProtocol.Piece && WorkerTestOperations.IsAnswer(piece));
    }

    [Fact]
    public void ALargeAnswer_IsReadWhileTheWorkerStillWritesIt()
    {
        // the worker writes 300 KB, waits 1.5 s, then writes the rest: a reader given the answer only once it was whole
        // would see its first bytes after the pause
        using var worker = Start();
        var clock = Stopwatch.StartNew();
        var (firstAt, endAt, whole) = worker.Invoke("worker.answer", w => WorkerTestOperations.WriteAnswerArguments(w, 2 * Megabyte, 300_000, 1500),
            r =>
            {
                var first = r.ReadBytes(200_000);
                var firstAt = clock.Elapsed;
                var rest = r.ReadBytes(2 * Megabyte - 200_000);
                return (firstAt, clock.Elapsed, WorkerTestOperations.IsAnswer(first) && WorkerTestOperations.IsAnswer(rest, 200_000));
            }, null, default);
        Assert.True(whole);
        Assert.True(endAt - firstAt > TimeSpan.FromMilliseconds(1000), $"first bytes at {firstAt}, the end at {endAt}");
    }

    [Fact]
    public void AnAnswerThatBreaksOffAfterItsFirstPieces_IsTheWorkersError_AndTheWorkerAnswersTheNext()
    {
        using var worker = Start();
        var e = Assert.Throws<AnalysisException>(() => worker.Invoke("worker.answer", w => WorkerTestOperations.WriteAnswerArguments(w, Megabyte, 300_000, 0, fail: true), null, default));
        Assert.Equal(AnalysisErrorKind.EngineFailed, e.Kind);
        Assert.Contains("broke off on purpose after 300000 bytes", e.Message, StringComparison.Ordinal);
        Assert.Contains("answer.bin", e.Message, StringComparison.Ordinal);

        // read as it comes: the same error, not a damaged answer
        var streamed = Assert.Throws<AnalysisException>(() => worker.Invoke("worker.answer", w => WorkerTestOperations.WriteAnswerArguments(w, Megabyte, 300_000, 0, fail: true),
            r => r.ReadBytes(Megabyte), null, default));
        Assert.Contains("broke off on purpose", streamed.Message, StringComparison.Ordinal);

        // the pieces sent before the failure are not taken for the next answer
        var next = worker.Invoke("worker.answer", w => WorkerTestOperations.WriteAnswerArguments(w, 70_000), null, default);
        Assert.True(next.Length == 70_000 && WorkerTestOperations.IsAnswer(next));
        Assert.True(worker.IsAlive);
    }

    [Fact]
    public void AnAnswerNotReadToItsEnd_OrReadPastIt_IsOneEngineFailedNamingTheFile()
    {
        using var worker = Start();
        var shortRead = Assert.Throws<AnalysisException>(() => worker.Invoke("worker.answer", w => WorkerTestOperations.WriteAnswerArguments(w, Megabyte),
            r => r.ReadBytes(Megabyte / 2), null, default, ("/data/trace.nettrace", "reading the trace")));
        Assert.Equal(AnalysisErrorKind.EngineFailed, shortRead.Kind);
        Assert.Contains("Reading the trace '/data/trace.nettrace': the worker's answer is damaged", shortRead.Message, StringComparison.Ordinal);
        Assert.Contains("left over", shortRead.Message, StringComparison.Ordinal);

        var pastIt = Assert.Throws<AnalysisException>(() => worker.Invoke("worker.answer", w => WorkerTestOperations.WriteAnswerArguments(w, 200_000),
            r =>
            {
                r.BaseStream.ReadExactly(new byte[200_001]);
                return 0;
            }, null, default, ("/data/trace.nettrace", "reading the trace")));
        Assert.Equal(AnalysisErrorKind.EngineFailed, pastIt.Kind);
        Assert.IsType<EndOfStreamException>(pastIt.InnerException);
    }

    [Fact]
    public async Task WhileAnAnswerComesInPieces_AnotherRequestOnTheSameWorker_GetsItsOwn()
    {
        // a shared worker answers several dumps side by side: pieces of large answers, small answers and the readers'
        // hand-offs of the reading interleave, and each request still gets exactly its own answer, whole
        using var worker = Start();
        var requests = Enumerable.Range(0, 6).Select(i => Task.Run(() =>
        {
            int total = i % 2 == 0 ? 2 * Megabyte + i : 50_000 + i;
            return worker.Invoke("worker.answer", w => WorkerTestOperations.WriteAnswerArguments(w, total, 100_000, 20 * i), r =>
            {
                var bytes = new byte[total];
                for (int at = 0; at < total; at += 10_000)
                {
                    r.BaseStream.ReadExactly(bytes, at, Math.Min(10_000, total - at));
                    Thread.Sleep(i % 3); // slower and faster readers
                }

                return WorkerTestOperations.IsAnswer(bytes);
            }, null, default);
        })).ToArray();
        // a hang is a TimeoutException here, not a stuck suite
        bool[] read = await Task.WhenAll(requests).WaitAsync(TimeSpan.FromSeconds(60));
        Assert.All(read, Assert.True);
    }

    [Fact]
    public void ThePipeTheWorkerAnswersOn_HoldsAMegabyte()
    {
        // 64 KB by default: the worker waited for the session to take each piece before it could write the next
        using var worker = Start();
        int max = int.Parse(File.ReadAllText("/proc/sys/fs/pipe-max-size").Trim(), System.Globalization.CultureInfo.InvariantCulture);
        Assert.Equal(Math.Min(PipeCapacity.Wanted, max), worker.AnswerPipeCapacity);
    }
}
