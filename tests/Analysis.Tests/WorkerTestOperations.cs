using Analysis.Isolation;

namespace Analysis.Tests;

/// <summary>
/// The operations a worker started for tests serves (<see cref="WorkerServer"/>'s worker.sleep and worker.allocate), with
/// their arguments written as the worker reads them; what each answers is <see cref="EngineWorker.Invoke"/>'s.
/// </summary>
internal static class WorkerTestOperations
{
    /// <summary>worker.sleep: sleeps <paramref name="milliseconds"/>; with <paramref name="ignoreCancel"/>, does not stop when asked (a stuck engine). Answers [1].</summary>
    public static byte[] Sleep(this EngineWorker worker, int milliseconds, bool ignoreCancel, IProgress<WorkProgress>? progress, CancellationToken cancellationToken,
        Action<Func<bool>>? whileWaiting = null, object? asker = null) =>
        worker.Invoke("worker.sleep", w =>
        {
            w.Write(milliseconds);
            w.Write(ignoreCancel);
        }, progress, cancellationToken, whileWaiting: whileWaiting, asker: asker);

    /// <summary>
    /// worker.answer: answers <paramref name="total"/> bytes (<see cref="WorkerServer.AnswerByte"/>), pausing
    /// <paramref name="pauseMs"/> after the first <paramref name="pauseAfter"/>, then failing there if <paramref name="fail"/>.
    /// </summary>
    public static void WriteAnswerArguments(BinaryWriter w, int total, int pauseAfter = 0, int pauseMs = 0, bool fail = false)
    {
        w.Write(total);
        w.Write(pauseAfter);
        w.Write(pauseMs);
        w.Write(fail);
    }

    /// <summary>Whether <paramref name="bytes"/> are what worker.answer writes from its first byte.</summary>
    public static bool IsAnswer(ReadOnlySpan<byte> bytes, long from = 0)
    {
        for (int i = 0; i < bytes.Length; i++)
        {
            if (bytes[i] != WorkerServer.AnswerByte(from + i))
                return false;
        }

        return true;
    }

    /// <summary>worker.allocate: allocates and keeps <paramref name="megabytes"/> MB, GC arrays or, with <paramref name="native"/>, native memory.</summary>
    public static byte[] Allocate(this EngineWorker worker, int megabytes, bool native) =>
        worker.Invoke("worker.allocate", w =>
        {
            w.Write(megabytes);
            w.Write(native);
        }, null, default);
}
