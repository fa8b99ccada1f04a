using System.Collections.Concurrent;

namespace Analysis.Isolation;

/// <summary>An operation the worker runs: reads its arguments, writes its answer, reports progress, honours cancellation.</summary>
internal delegate void WorkerOperation(BinaryReader arguments, Stream result, IProgress<WorkProgress> progress, CancellationToken cancellationToken);

/// <summary>
/// The worker process's side of <see cref="WorkerProtocol"/>: answers requests on stdin/stdout, each on its own task, until
/// stdin ends (the session went away) or a Shutdown frame comes. The engines' operations are given by name to <see cref="Serve"/>
/// (the worker program names them: this layer knows no engine);
/// an exception in one becomes an Error frame with its cause; a crash ends only this process.
/// </summary>
internal static class WorkerServer
{
    /// <summary>What a worker can do besides the engines' operations, when started for tests.</summary>
    private static readonly IReadOnlyDictionary<string, WorkerOperation> s_testOperationTable = new Dictionary<string, WorkerOperation>(StringComparer.Ordinal)
    {
        ["worker.sleep"] = Sleep,
        ["worker.crash"] = Crash,
        ["worker.allocate"] = Allocate,
    };

    /// <summary>Answers requests for <paramref name="operations"/> (by name) until stdin ends or a Shutdown frame comes.</summary>
    public static int Serve(Stream input, Stream output, IReadOnlyDictionary<string, WorkerOperation> operations)
    {
        var writeGate = new object();
        var running = new ConcurrentDictionary<int, CancellationTokenSource>();
        var tasks = new List<Task>();
        void Send(FrameKind kind, int id, ReadOnlySpan<byte> payload)
        {
            lock (writeGate)
                WorkerProtocol.Write(output, kind, id, payload);
        }

        Send(FrameKind.Ready, 0, WorkerProtocol.Encode(w =>
        {
            w.Write(WorkerProtocol.Version);
            w.Write(Environment.ProcessId);
        }));

        while (WorkerProtocol.Read(input, WorkerProtocol.MaxRequest) is { } frame)
        {
            switch (frame.Kind)
            {
                case FrameKind.Request:
                    var cts = new CancellationTokenSource();
                    running[frame.Id] = cts;
                    tasks.Add(Task.Run(() =>
                    {
                        try
                        {
                            Send(FrameKind.Result, frame.Id, Execute(operations, frame, new FrameProgress(p => Send(FrameKind.Progress, frame.Id, WorkerProtocol.EncodeProgress(p))), cts.Token));
                        }
                        catch (Exception e)
                        {
                            Report(e, frame.Id, cts.IsCancellationRequested, Send);
                        }
                        finally
                        {
                            running.TryRemove(frame.Id, out _);
                        }
                    }));
                    break;
                case FrameKind.Cancel:
                    if (running.TryGetValue(frame.Id, out var toCancel))
                        toCancel.Cancel();
                    break;
                case FrameKind.Shutdown:
                    Task.WaitAll(tasks);
                    return 0;
            }
        }

        // stdin ended: the session is gone (or dropped us); nothing is waiting for answers
        return 0;
    }

    /// <summary>
    /// Sends the Error frame; when even that fails (out of memory under the ceiling, a broken pipe), the process ends
    /// with the cause on stderr, so the session never waits for an answer that cannot come.
    /// </summary>
    private static void Report(Exception e, int id, bool cancelled, Action<FrameKind, int, ReadOnlySpan<byte>> send)
    {
        try
        {
            send(FrameKind.Error, id, WorkerError.From(e, e is OperationCanceledException && cancelled).Encode());
        }
        catch (Exception reporting)
        {
            Environment.FailFast($"The worker could not report {e.GetType().FullName} ({reporting.GetType().FullName} while reporting it).");
        }
    }

    private static byte[] Execute(IReadOnlyDictionary<string, WorkerOperation> operations, Frame frame, IProgress<WorkProgress> progress, CancellationToken cancellationToken)
    {
        using var arguments = WorkerProtocol.Decode(frame.Payload);
        string name = arguments.ReadString();
        if (name == MemoryLimitOperation)
            return SetMemoryLimit(arguments.ReadInt64());
        var table = name.StartsWith("worker.", StringComparison.Ordinal) ? (s_testOperations ? s_testOperationTable : null) : operations;
        if (table is null || !table.TryGetValue(name, out var operation))
            throw new InvalidOperationException($"The worker has no operation '{name}'; the session and the worker are of different builds.");
        using var result = new MemoryStream();
        operation(arguments, result, progress, cancellationToken);
        return result.ToArray();
    }

    /// <summary>Lowers this worker's GC heap ceiling (a spare worker taking on a file: <see cref="EngineWorker.Adopt"/>).</summary>
    internal const string MemoryLimitOperation = "limit.memory";

    private static byte[] SetMemoryLimit(long bytes)
    {
        AppContext.SetData("GCHeapHardLimit", (ulong)bytes);
        GC.RefreshMemoryLimit();
        return [1];
    }

    // ---- operations the tests use to show what the session does when a worker misbehaves (served only to a worker
    // started with WorkerStart.TestOperations) ----

    internal const string TestOperationsVariable = "ANALYSIS_WORKER_TEST_OPERATIONS";

    private static readonly bool s_testOperations = Environment.GetEnvironmentVariable(TestOperationsVariable) == "1";

    /// <summary>Sleeps for the given milliseconds; with "ignore-cancel", does not stop when asked (a stuck engine).</summary>
    private static void Sleep(BinaryReader arguments, Stream result, IProgress<WorkProgress> progress, CancellationToken cancellationToken)
    {
        int ms = arguments.ReadInt32();
        bool ignoreCancel = arguments.ReadBoolean();
        progress.Report(new WorkProgress("Sleeping", $"{ms} ms", 0, ms));
        if (ignoreCancel)
            Thread.Sleep(ms);
        else
            Task.Delay(ms, cancellationToken).GetAwaiter().GetResult();
        result.WriteByte(1);
    }

    /// <summary>Ends the process the way an engine fault does (no managed handler runs): FailFast.</summary>
    private static void Crash(BinaryReader arguments, Stream result, IProgress<WorkProgress> progress, CancellationToken cancellationToken) =>
        Environment.FailFast("worker.crash: " + arguments.ReadString());

    /// <summary>
    /// Allocates and touches the given number of megabytes, kept alive (a runaway allocation): GC arrays, or with "native"
    /// native memory the GC heap ceiling does not see (as TraceEvent's and the DAC's buffers are).
    /// </summary>
    private static unsafe void Allocate(BinaryReader arguments, Stream result, IProgress<WorkProgress> progress, CancellationToken cancellationToken)
    {
        int megabytes = arguments.ReadInt32();
        bool native = arguments.ReadBoolean();
        var keep = new List<byte[]>();
        for (int i = 0; i < megabytes; i++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (native)
            {
                byte* block = (byte*)System.Runtime.InteropServices.NativeMemory.Alloc(1 << 20);
                new Span<byte>(block, 1 << 20).Fill((byte)i);
                Thread.Sleep(1); // at the pace of a reading pass, so the watchdog sees it grow
            }
            else
            {
                var chunk = new byte[1 << 20];
                Array.Fill(chunk, (byte)i);
                keep.Add(chunk);
            }
        }

        result.Write(BitConverter.GetBytes(megabytes));
    }

    private sealed class FrameProgress(Action<WorkProgress> send) : IProgress<WorkProgress>
    {
        public void Report(WorkProgress value) => send(value);
    }
}
