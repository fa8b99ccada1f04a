namespace Analysis.Isolation;

/// <summary>An operation the worker runs: reads its arguments, writes its answer, reports progress, honours cancellation.</summary>
internal delegate void WorkerOperation(BinaryReader arguments, Stream result, IProgress<WorkProgress> progress, CancellationToken cancellationToken);

/// <summary>
/// The worker process's side of <see cref="WorkerProtocol"/>: answers requests on stdin/stdout until stdin ends (the
/// session went away) or a Shutdown frame comes. The engines' operations are given by name to <see cref="Serve"/>
/// (the worker program names them: this layer knows no engine); an exception in one becomes an Error frame with its
/// cause; a crash ends only this process.
/// <para>
/// The thread that reads a request runs it, after handing the reading of stdin to another thread (one that finished
/// an earlier request and waits, or a new one), so Cancel frames are read while it runs. A request therefore starts
/// without waking a second thread: waking a pool thread cost 0.02 ms a question, and up to ~1 ms for the first
/// question after an idle pause (measured on this project's 2-core machine); the hand-off happens beside the work.
/// </para>
/// </summary>
internal static class WorkerServer
{
    /// <summary>What a worker can do besides the engines' operations, when started for tests.</summary>
    private static readonly IReadOnlyDictionary<string, WorkerOperation> s_testOperationTable = new Dictionary<string, WorkerOperation>(StringComparer.Ordinal)
    {
        ["worker.sleep"] = Sleep,
        ["worker.crash"] = Crash,
        ["worker.allocate"] = Allocate,
        ["worker.compiled"] = Compiled,
        ["worker.release"] = Release,
        ["worker.touch"] = Touch,
        ["worker.answer"] = Answer,
    };

    /// <summary>Answers requests for <paramref name="operations"/> (by name) until stdin ends or a Shutdown frame comes.</summary>
    public static int Serve(Stream input, Stream output, IReadOnlyDictionary<string, WorkerOperation> operations)
    {
        var server = new Server(input, output, operations);
        server.Send(FrameKind.Ready, 0, WorkerProtocol.Encode(w =>
        {
            w.Write(WorkerProtocol.Version);
            w.Write(Environment.ProcessId);
        }));
        server.ReadAndRun();
        server.WaitFinished();
        return 0;
    }

    /// <summary>The reading role, the requests running, and the end.</summary>
    private sealed class Server(Stream input, Stream output, IReadOnlyDictionary<string, WorkerOperation> operations)
    {
        private readonly object _writeGate = new();
        private readonly object _gate = new();
        private readonly SemaphoreSlim _turn = new(0);
        private readonly ManualResetEventSlim _finished = new();
        private readonly Dictionary<int, CancellationTokenSource> _running = [];
        private int _waiting;
        private bool _ending;

        public void Send(FrameKind kind, int id, ReadOnlySpan<byte> payload)
        {
            lock (_writeGate)
                WorkerProtocol.Write(output, kind, id, payload);
        }

        public void WaitFinished() => _finished.Wait();

        /// <summary>Holds the reading role: reads frames until a request comes (which it runs) or the end.</summary>
        public void ReadAndRun()
        {
            while (true)
            {
                var frame = WorkerProtocol.Read(input, WorkerProtocol.MaxRequest);
                if (frame is not { } f)
                {
                    // stdin ended: the session is gone (or dropped us); nothing is waiting for answers
                    End();
                    return;
                }

                switch (f.Kind)
                {
                    case FrameKind.Request:
                        Interlocked.Increment(ref s_requestsArrived);
                        var cts = new CancellationTokenSource();
                        lock (_gate)
                            _running[f.Id] = cts;
                        HandOffReading();
                        Run(f, cts);
                        if (!WaitForTurn())
                            return;
                        break;
                    case FrameKind.Cancel:
                        CancellationTokenSource? toCancel;
                        lock (_gate)
                            _running.TryGetValue(f.Id, out toCancel);
                        toCancel?.Cancel(); // outside the lock: cancellation runs the operation's callbacks
                        break;
                    case FrameKind.Shutdown:
                        lock (_gate)
                        {
                            while (_running.Count > 0)
                                Monitor.Wait(_gate);
                        }

                        End();
                        return;
                }
            }
        }

        private void Run(Frame frame, CancellationTokenSource cts)
        {
            try
            {
                var answer = new AnswerStream(piece => Send(FrameKind.Part, frame.Id, piece));
                Execute(operations, frame, answer, new FrameProgress(p => Send(FrameKind.Progress, frame.Id, WorkerProtocol.EncodeProgress(p))), cts.Token);
                Send(FrameKind.Result, frame.Id, answer.Rest);
            }
            catch (Exception e)
            {
                Report(e, frame.Id, cts.IsCancellationRequested, Send);
            }
            finally
            {
                lock (_gate)
                {
                    _running.Remove(frame.Id);
                    Monitor.PulseAll(_gate);
                }
            }
        }

        /// <summary>Gives the reading of stdin to a thread that waits for it, or to a new one.</summary>
        private void HandOffReading()
        {
            lock (_gate)
            {
                if (_waiting > 0)
                {
                    _waiting--;
                    _turn.Release();
                    return;
                }
            }

            new Thread(ReadAndRun) { IsBackground = true, Name = "Analysis worker requests" }.Start();
        }

        /// <summary>After a request: waits to read again; false when the worker is ending.</summary>
        private bool WaitForTurn()
        {
            lock (_gate)
            {
                if (_ending)
                    return false;
                _waiting++;
            }

            _turn.Wait();
            lock (_gate)
                return !_ending;
        }

        private void End()
        {
            lock (_gate)
            {
                _ending = true;
                if (_waiting > 0)
                    _turn.Release(_waiting);
                _waiting = 0;
            }

            _finished.Set();
        }
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

    private static void Execute(IReadOnlyDictionary<string, WorkerOperation> operations, Frame frame, Stream result, IProgress<WorkProgress> progress, CancellationToken cancellationToken)
    {
        using var arguments = WorkerProtocol.Decode(frame.Payload);
        string name = arguments.ReadString();
        if (name == MemoryLimitOperation)
        {
            result.Write(SetMemoryLimit(arguments.ReadInt64()));
            return;
        }

        var table = name.StartsWith("worker.", StringComparison.Ordinal) ? (s_testOperations ? s_testOperationTable : null) : operations;
        if (table is null || !table.TryGetValue(name, out var operation))
            throw new InvalidOperationException($"The worker has no operation '{name}'; the session and the worker are of different builds.");
        operation(arguments, result, progress, cancellationToken);
    }

    /// <summary>
    /// Where an operation writes its answer: a buffer of up to <see cref="WorkerProtocol.Piece"/> bytes, sent as a Part
    /// frame each time it is full and more comes; what is left goes with the Result frame (all of a small answer).
    /// Why: the bench's 7 MB trace answers 1.1 MB. Written whole into a growing MemoryStream, copied out, and only then
    /// sent, it took 8–9 ms in the worker (fresh memory at each doubling) and 8 ms more to decode in the session after it
    /// had all come; in pieces, the session decodes while the worker writes, and the worker reuses one buffer.
    /// </summary>
    private sealed class AnswerStream(Action<ReadOnlySpan<byte>> sendPiece) : Stream
    {
        private byte[] _buffer = new byte[256];
        private int _count;

        /// <summary>What has not been sent yet (the Result frame's payload).</summary>
        public ReadOnlySpan<byte> Rest => _buffer.AsSpan(0, _count);

        public override bool CanRead => false;
        public override bool CanSeek => false;
        public override bool CanWrite => true;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

        public override void WriteByte(byte value) => Write([value]);

        public override void Write(ReadOnlySpan<byte> data)
        {
            while (!data.IsEmpty)
            {
                if (_count == WorkerProtocol.Piece)
                {
                    sendPiece(Rest);
                    _count = 0;
                }

                if (_count == _buffer.Length)
                    Array.Resize(ref _buffer, Math.Min(_buffer.Length * 2, WorkerProtocol.Piece));
                int n = Math.Min(data.Length, _buffer.Length - _count);
                data[..n].CopyTo(_buffer.AsSpan(_count));
                _count += n;
                data = data[n..];
            }
        }

        public override void Flush()
        {
        }

        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
    }

    /// <summary>How many requests have come to this process so far: a new one stops the touching in <see cref="ReleaseMemory"/>.</summary>
    private static long s_requestsArrived;

    /// <summary>
    /// What the worker holds goes back to the system while it waits (the last dump closed in it, <see cref="SharedWorker"/>):
    /// a full compacting collection. That collection also leaves the young generation's area untouched, so a pool thread
    /// then touches it again (<see cref="AllocationWarmup"/>) until the next request comes. Why: otherwise the first
    /// questions about the next dump paid a first-touch page fault (~3 µs on this project's machine) per 4 KB they
    /// allocated: 300–1,200 more per question than in process (1–4 ms on questions of 2–20 ms, measured in pwsh on the
    /// bench's dump), where a session that read its dumps in its own process reuses pages. The touching happens while
    /// the worker would only wait, and gives way to the next request.
    /// </summary>
    internal static void ReleaseMemory()
    {
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Aggressive, blocking: true, compacting: true);
        ThreadPool.UnsafeQueueUserWorkItem(
            static arrived => AllocationWarmup.Run(() => Interlocked.Read(ref s_requestsArrived) != arrived), Interlocked.Read(ref s_requestsArrived), preferLocal: false);
    }

    /// <summary>Sets this worker's GC heap ceiling, up to the one it started with (a worker taking on a file, or another dump: <see cref="EngineWorker.Adopt"/>).</summary>
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

    /// <summary>Gives the worker's memory back as the last dump's close does (<see cref="ReleaseMemory"/>).</summary>
    private static void Release(BinaryReader arguments, Stream result, IProgress<WorkProgress> progress, CancellationToken cancellationToken)
    {
        ReleaseMemory();
        result.WriteByte(1);
    }

    /// <summary>
    /// Allocates the given number of megabytes as a question's short-lived arrays are (below the large-object threshold,
    /// one write per page) and answers how many page faults this thread took meanwhile (/proc/thread-self/stat).
    /// </summary>
    private static void Touch(BinaryReader arguments, Stream result, IProgress<WorkProgress> progress, CancellationToken cancellationToken)
    {
        long bytes = (long)arguments.ReadInt32() << 20;
        long before = ProcStat.MinorFaults("thread-self");
        byte[]? last = null;
        for (long allocated = 0; allocated < bytes; allocated += AllocationWarmup.Chunk)
            last = AllocationWarmup.TouchedChunk();
        GC.KeepAlive(last);
        result.Write(BitConverter.GetBytes(ProcStat.MinorFaults("thread-self") - before));
    }

    /// <summary>The byte at <paramref name="index"/> of what worker.answer writes.</summary>
    internal static byte AnswerByte(long index) => (byte)((index * 31) + 7);

    /// <summary>
    /// Answers the given number of bytes (<see cref="AnswerByte"/>), a thousand per write; after the first
    /// <c>pauseAfter</c> bytes, sleeps <c>pauseMs</c>, then fails if told to (an answer that breaks off part-way).
    /// </summary>
    private static void Answer(BinaryReader arguments, Stream result, IProgress<WorkProgress> progress, CancellationToken cancellationToken)
    {
        int total = arguments.ReadInt32();
        int pauseAfter = arguments.ReadInt32();
        int pauseMs = arguments.ReadInt32();
        bool fail = arguments.ReadBoolean();
        var block = new byte[1000];
        for (int written = 0; written < total;)
        {
            if (written == pauseAfter)
            {
                Thread.Sleep(pauseMs);
                if (fail)
                    throw new InvalidOperationException($"worker.answer broke off on purpose after {written} bytes");
            }

            int n = Math.Min(block.Length, (written < pauseAfter ? Math.Min(pauseAfter, total) : total) - written);
            for (int i = 0; i < n; i++)
                block[i] = AnswerByte(written + i);
            result.Write(block, 0, n);
            written += n;
        }
    }

    /// <summary>How many methods this process has compiled so far (what compiling ahead did).</summary>
    private static void Compiled(BinaryReader arguments, Stream result, IProgress<WorkProgress> progress, CancellationToken cancellationToken) =>
        result.Write(BitConverter.GetBytes(System.Runtime.JitInfo.GetCompiledMethodCount()));

    private sealed class FrameProgress(Action<WorkProgress> send) : IProgress<WorkProgress>
    {
        public void Report(WorkProgress value) => send(value);
    }
}
