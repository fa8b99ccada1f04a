using System.Diagnostics;
using System.Globalization;
using System.Text;

namespace Analysis.Isolation;

/// <summary>
/// A worker process (src/Analysis.Worker) that runs third-party engine work — TraceEvent's reading pass, ClrMD — so that
/// what the engine does to its process (an access violation, an abort, a runaway allocation, a hang) ends the worker and
/// comes back as one <see cref="AnalysisException"/> naming the file and the operation, never as the end of the session.
/// Requests and answers are frames on the worker's stdin/stdout (<see cref="WorkerProtocol"/>); progress is forwarded;
/// cancellation is a Cancel frame, then the end of the process after <see cref="WorkerStart.CancelGrace"/>. Memory is
/// bounded twice: the worker's GC heap by DOTNET_GCHeapHardLimit, its whole resident set by a watchdog here.
/// Many requests per worker, and several at a time (the dumps that share a worker ask side by side): the thread of one
/// waiting request reads the worker's frames and hands each to the request it answers, so a lone request is read by its
/// own thread, with no hand-off. Dispose ends the worker.
/// </summary>
internal sealed class EngineWorker : IDisposable
{
    private const int StderrKeep = 16 * 1024;

    private readonly Process _process;
    private WorkerStart _start;
    private readonly long _startCeiling;
    private readonly Stream _toWorker;
    private readonly Stream _fromWorker;
    private readonly object _writeGate = new();
    private readonly StringBuilder _stderr = new();
    private readonly Thread _stderrReader;
    private readonly Timer _watchdog;
    private long _rssLimit;
    private volatile string? _endedBecause;
    private volatile bool _disposed;
    private long _peakRss;
    private int _nextId;
    private readonly object _frames = new(); // the requests waiting, the reading role, the end
    private readonly Dictionary<int, Pending> _pending = [];
    private bool _reading;
    private bool _readEnded;
    private Exception? _readFailure;
    private readonly List<object> _endedAskers = [];

    private EngineWorker(Process process, WorkerStart start, long rssLimit)
    {
        _process = process;
        _start = start;
        _startCeiling = start.MemoryLimitBytes;
        _rssLimit = rssLimit;
        _toWorker = process.StandardInput.BaseStream;
        _fromWorker = process.StandardOutput.BaseStream;
        AnswerPipeCapacity = PipeCapacity.Widen(_fromWorker);
        _stderrReader = new Thread(ReadStderr) { IsBackground = true, Name = "Analysis worker stderr" };
        _stderrReader.Start();
        _watchdog = new Timer(_ => Watch(), null, TimeSpan.FromMilliseconds(100), TimeSpan.FromMilliseconds(100));
    }

    public int ProcessId => _process.Id;

    /// <summary>What the pipe the worker answers on holds (bytes; 0 when this system cannot tell): see <see cref="PipeCapacity"/>.</summary>
    public int AnswerPipeCapacity { get; }

    /// <summary>What the worker was started with, or took on last (<see cref="Adopt"/>): its memory ceiling, the file its errors name.</summary>
    public WorkerStart Started => _start;

    /// <summary>The GC heap ceiling the process was started with: the highest <see cref="Adopt"/> can give it.</summary>
    public long StartCeiling => _startCeiling;

    /// <summary>The host it runs on.</summary>
    public WorkerHost? Host { get; private init; }

    /// <summary>
    /// Who asked the requests that were running when the worker ended (each the <c>asker</c> given to <see cref="Invoke"/>):
    /// empty when it ended while idle, or has not ended. A worker shared by several dumps tells by it which ended it.
    /// </summary>
    public IReadOnlyList<object> EndedAsking
    {
        get
        {
            lock (_frames)
                return [.. _endedAskers];
        }
    }

    /// <summary>Whether it can take another request: not ended, not killed.</summary>
    public bool IsAlive => !_disposed && _endedBecause is null && !_process.HasExited;

    /// <summary>Its resident memory now (bytes).</summary>
    public long ResidentBytes
    {
        get
        {
            _process.Refresh();
            return _process.WorkingSet64;
        }
    }

    /// <summary>The largest resident set the watchdog saw (bytes).</summary>
    public long PeakResidentBytes => Interlocked.Read(ref _peakRss);

    /// <summary>Where the worker is and what runs it, or why isolation is not possible here.</summary>
    public static WorkerHost? FindHost(out string? whyNot) => WorkerHost.Find(out whyNot);

    /// <summary>
    /// The worker's JIT compiles without dynamic PGO (0): hot code compiled ahead (ReadyToRun: the module's engines, the
    /// framework) is compiled optimized at once, and code with no precompiled form goes from its quick first form to
    /// the optimized one, neither through an instrumented form. With PGO on, a worker's hot ReadyToRun code waited in an
    /// optimized but instrumented form for 30 more calls, and a worker idles between questions, so the next dump's first
    /// questions ran with ~500 engine and framework methods in that form (seen in the runtime's JIT events); code with
    /// no precompiled form ran instrumented (TraceEvent's reading pass over every event). Measured in pwsh with the
    /// bench's files (Analysis.Bench session-isolation, median of 5 or 3): a dump opened after another was closed
    /// answered its first questions 8–58% slower than in process with PGO on, within 0.6 ms of it without; a first
    /// Import-Trace took 185 ms with PGO on (143 in process), 173 ms with only hot code instrumented, 166 ms without;
    /// the first questions about a 293 MB dump (graph index, dominators, triage) were not slower without it (0.89–1.15
    /// of in process against 0.95–1.06 with hot code instrumented, within the runs' spread).
    /// </summary>
    internal const string TieringVariable = "DOTNET_TieredPGO";

    /// <summary>Starts a worker and waits until it is ready. Throws <see cref="AnalysisException"/> (EngineFailed) when it cannot.</summary>
    public static EngineWorker Start(WorkerHost host, WorkerStart start)
    {
        var psi = new ProcessStartInfo(host.Dotnet)
        {
            UseShellExecute = false,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            CreateNoWindow = true,
        };
        psi.ArgumentList.Add("exec");
        psi.ArgumentList.Add("--runtimeconfig");
        psi.ArgumentList.Add(host.RuntimeConfig);
        psi.ArgumentList.Add(host.Worker);
        foreach (string folder in host.Libraries)
        {
            psi.ArgumentList.Add("--lib");
            psi.ArgumentList.Add(folder);
        }

        // The GC heap ceiling: an allocation past it is an OutOfMemoryException in the worker, reported as such.
        psi.Environment["DOTNET_GCHeapHardLimit"] = start.MemoryLimitBytes.ToString("X", CultureInfo.InvariantCulture);
        psi.Environment.Remove("DOTNET_GCHeapHardLimitPercent");
        psi.Environment["DOTNET_gcServer"] = "0";
        psi.Environment[TieringVariable] = "0";
        // A crash is expected to be reported, not dumped: no createdump, no crash report.
        psi.Environment["DOTNET_DbgEnableMiniDump"] = "0";
        psi.Environment["DOTNET_EnableCrashReport"] = "0";
        if (start.TestOperations)
            psi.Environment[WorkerServer.TestOperationsVariable] = "1";
        else
            psi.Environment.Remove(WorkerServer.TestOperationsVariable);
        if (start.CompileDumpEngine)
            psi.Environment[WorkerStart.CompileDumpEngineVariable] = "1";
        else
            psi.Environment.Remove(WorkerStart.CompileDumpEngineVariable);
        if (start.DumpJitProfile && WorkerJitProfile.Enabled)
            psi.Environment[WorkerJitProfile.WorkerVariable] = "1";
        else
            psi.Environment.Remove(WorkerJitProfile.WorkerVariable);
        Process process;
        try
        {
            process = Process.Start(psi) ?? throw new InvalidOperationException("Process.Start returned null");
        }
        catch (Exception e) when (e is System.ComponentModel.Win32Exception or InvalidOperationException or IOException)
        {
            throw new AnalysisException(AnalysisErrorKind.EngineFailed, start.Path,
                $"Could not start the worker process for {start.Operation} '{start.Path}' ({host.Dotnet} exec {host.Worker}): {e.Message}. Read it in this process instead (ANALYSIS_ENGINE_ISOLATION=inprocess).", e);
        }

        // native memory (TraceEvent's own buffers, the DAC) is outside the GC heap: allow the runtime and some of it
        var worker = new EngineWorker(process, start, ResidentCeiling(start)) { Host = host };
        try
        {
            worker.WaitReady();
            return worker;
        }
        catch
        {
            worker.Dispose();
            throw;
        }
    }

    /// <summary>Native memory (TraceEvent's own buffers, the DAC) is outside the GC heap: the runtime and some of it on top.</summary>
    private static long ResidentCeiling(WorkerStart start) => start.MemoryLimitBytes + (256L << 20) + (start.MemoryLimitBytes / 2);

    /// <summary>
    /// Takes on <paramref name="start"/> (a worker started before its file was known, or one that reads more dumps
    /// than one, see <see cref="SharedWorker"/>): its GC heap ceiling is set in the worker (GC.RefreshMemoryLimit; at most
    /// the one it was started with), the resident ceiling here, and errors name the new file. Throws
    /// <see cref="AnalysisException"/> when the worker cannot take it (then dispose it).
    /// </summary>
    public void Adopt(WorkerStart start)
    {
        if (start.MemoryLimitBytes > _startCeiling || start.TestOperations != _start.TestOperations)
            throw new InvalidOperationException("a worker can only take on a ceiling up to the one it was started with, and the same operations");
        Invoke(WorkerServer.MemoryLimitOperation, w => w.Write(start.MemoryLimitBytes), null, CancellationToken.None, (start.Path, start.Operation));
        _start = start;
        Interlocked.Exchange(ref _rssLimit, ResidentCeiling(start));
    }

    /// <summary>
    /// Runs <paramref name="operation"/> in the worker and returns its answer. Cancellation stops it (or ends the worker
    /// after the grace period); a crash, the memory ceiling, or a garbled answer throws <see cref="AnalysisException"/>, as
    /// does any failure the operation reports, except a caller's bad argument, which stays an <see cref="ArgumentException"/>.
    /// </summary>
    /// <remarks>
    /// <paramref name="whileWaiting"/> runs on this thread once the request is sent, while another reads the answer; it is
    /// given a function that says whether the answer has come, so it can stop then.
    /// <paramref name="asker"/> is who asks (see <see cref="EndedAsking"/>).
    /// </remarks>
    public byte[] Invoke(string operation, Action<BinaryWriter>? writeArguments, IProgress<WorkProgress>? progress, CancellationToken cancellationToken, (string Path, string Operation)? about = null, Action<Func<bool>>? whileWaiting = null, object? asker = null) =>
        Ask(operation, writeArguments, progress, cancellationToken, about, whileWaiting, asker, (next, what) =>
        {
            var (first, last) = next();
            if (last)
                return first;
            // an answer in pieces: put together (no larger than the heap the worker could have made it in, as a whole frame)
            var pieces = new List<byte[]> { first };
            long total = first.Length;
            while (!last)
            {
                (var piece, last) = next();
                total += piece.Length;
                if (total > AnswerBound)
                    throw Ended(new InvalidDataException($"an answer of more than {AnswerBound:N0} bytes"), what);
                pieces.Add(piece);
            }

            var answer = new byte[total];
            int at = 0;
            foreach (var piece in pieces)
            {
                piece.CopyTo(answer, at);
                at += piece.Length;
            }

            return answer;
        });

    /// <summary>
    /// <see cref="Invoke"/>, reading the answer with <paramref name="read"/> while it comes: the worker sends a large answer in
    /// pieces as it writes it (<see cref="FrameKind.Part"/>), and <paramref name="read"/> decodes each as it arrives, on
    /// this thread. The answer must be read to its last byte. An answer that does not read is one AnalysisException
    /// (EngineFailed) naming the file and what was asked, as <see cref="WorkerProtocol.DecodeAnswer"/> says; failures of
    /// the worker or the request are what <see cref="Invoke"/> throws. The stream's length is an upper bound (what the
    /// worker's heap could hold) until the last piece has come, so counts checked against it cannot ask for more.
    /// </summary>
    public T Invoke<T>(string operation, Action<BinaryWriter>? writeArguments, Func<BinaryReader, T> read, IProgress<WorkProgress>? progress, CancellationToken cancellationToken, (string Path, string Operation)? about = null, Action<Func<bool>>? whileWaiting = null, object? asker = null) =>
        Ask(operation, writeArguments, progress, cancellationToken, about, whileWaiting, asker, (next, what) =>
            WorkerProtocol.ReadAnswer(new AnswerReader(next, AnswerBound), what.Path, what.Operation, read));

    /// <summary>The largest answer a session takes: more than the worker's heap could hold would be garbled output.</summary>
    private long AnswerBound => _start.MemoryLimitBytes + (1 << 20);

    /// <summary>
    /// Sends the request, then gives <paramref name="answer"/> a function that returns each piece of the answer as it
    /// comes (the last one flagged), reporting progress on this thread in between; a failed request, the worker's end,
    /// or cancellation are thrown from it.
    /// </summary>
    private T Ask<T>(string operation, Action<BinaryWriter>? writeArguments, IProgress<WorkProgress>? progress, CancellationToken cancellationToken, (string Path, string Operation)? about, Action<Func<bool>>? whileWaiting, object? asker,
        Func<Func<(byte[] Piece, bool Last)>, (string Path, string Operation), T> answer)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var what = about ?? (_start.Path, _start.Operation);
        ThrowIfEnded(what);
        int id = Interlocked.Increment(ref _nextId);
        byte[] request = WorkerProtocol.Encode(w =>
        {
            w.Write(operation);
            writeArguments?.Invoke(w);
        });
        var me = new Pending(asker);
        lock (_frames)
            _pending[id] = me;
        try
        {
            // a worker found gone while sending ended before this request: it ended nobody's question (EndedAsking)
            Send(FrameKind.Request, id, request, what);
            lock (_frames)
                me.Sent = true;
            using var onCancel = cancellationToken.Register(() => CancelRequest(id));
            if (whileWaiting is not null)
                WhileWaiting(me, whileWaiting);
            return answer(() => NextPiece(me, progress, what, cancellationToken), what);
        }
        finally
        {
            lock (_frames)
            {
                _pending.Remove(id);
                if (!_reading)
                    WakeOneWaiter(); // a request that waits for its answer reads on
            }
        }
    }

    /// <summary>The next piece of <paramref name="me"/>'s answer (reading the worker's frames when no other request does).</summary>
    private (byte[] Piece, bool Last) NextPiece(Pending me, IProgress<WorkProgress>? progress, (string Path, string Operation) what, CancellationToken cancellationToken)
    {
        while (true)
        {
            Frame? frame;
            lock (_frames)
                frame = me.Frames.Count > 0 ? me.Frames.Dequeue() : null;
            if (frame is null)
            {
                Pump(me, () => me.Frames.Count > 0);
                continue;
            }

            var f = frame.Value;
            if (f.Kind == FrameKind.Ready) // the end of the output, queued as such (see ReadOne)
                throw Ended(Volatile.Read(ref _readFailure), what);
            switch (f.Kind)
            {
                case FrameKind.Progress:
                    progress?.Report(WorkerProtocol.DecodeProgress(f.Payload));
                    break;
                case FrameKind.Part:
                    return (f.Payload, false);
                case FrameKind.Result:
                    return (f.Payload, true);
                case FrameKind.Error:
                    var error = WorkerError.Decode(f.Payload);
                    if (error.Cancelled)
                        throw new OperationCanceledException($"{what.Operation} '{what.Path}' was cancelled.", new EngineFaultException(error.ExceptionType, error.Message, error.Detail), cancellationToken);
                    throw Failed(error, what);
                default:
                    throw Ended(new InvalidDataException($"unexpected {f.Kind} frame"), what);
            }
        }
    }

    /// <summary>An answer as it comes, piece by piece: the stream <see cref="Invoke{T}"/>'s reader reads.</summary>
    private sealed class AnswerReader(Func<(byte[] Piece, bool Last)> next, long bound) : Stream
    {
        private byte[] _piece = [];
        private int _at;
        private long _before;
        private bool _last;
        private bool _started;

        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;

        /// <summary>The answer's length once its last piece has come; until then the most it may be.</summary>
        public override long Length => _last ? _before + _piece.Length : bound;

        public override long Position { get => _before + _at; set => throw new NotSupportedException(); }

        public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

        public override int Read(Span<byte> buffer)
        {
            if (buffer.IsEmpty)
                return 0;
            while (_at == _piece.Length)
            {
                if (_last && _started)
                    return 0;
                _before += _piece.Length;
                (_piece, _last) = next();
                _at = 0;
                _started = true;
                if (_before + _piece.Length > bound)
                    throw new InvalidDataException($"an answer of more than {bound:N0} bytes");
            }

            int n = Math.Min(buffer.Length, _piece.Length - _at);
            _piece.AsSpan(_at, n).CopyTo(buffer);
            _at += n;
            return n;
        }

        public override int ReadByte()
        {
            Span<byte> one = stackalloc byte[1];
            return Read(one) == 1 ? one[0] : -1;
        }

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }

    /// <summary>A request waiting for its answer: the frames read for it, and a signal when one comes or the reading role is free.</summary>
    private sealed class Pending(object? asker)
    {
        public readonly Queue<Frame> Frames = new();
        public readonly SemaphoreSlim Signal = new(0);
        public readonly object? Asker = asker;
        public bool Sent;
        public bool Answered; // a frame other than progress is queued (or the end): the answer is coming
        public bool Complete; // its last frame is queued (Result or Error), or the end
    }

    /// <summary>
    /// Runs <paramref name="whileWaiting"/> on this thread while a pool thread waits for the answer in its place (reading
    /// frames when no other request does), telling it when the answer has come; progress stays queued for this thread.
    /// </summary>
    private void WhileWaiting(Pending me, Action<Func<bool>> whileWaiting)
    {
        bool done = false;
        var helper = Task.Run(() => Pump(me, () => me.Answered || Volatile.Read(ref done)), CancellationToken.None);
        try
        {
            whileWaiting(() => Volatile.Read(ref me.Answered));
        }
        catch (Exception)
        {
            // what the session does meanwhile only saves time later; the answer is read all the same
        }

        Volatile.Write(ref done, true);
        me.Signal.Release(); // the helper, should it wait for a frame instead of reading
        helper.GetAwaiter().GetResult();
    }

    /// <summary>
    /// Waits until <paramref name="until"/> holds (checked under the lock), reading the worker's frames for every request
    /// while no other thread does.
    /// </summary>
    private void Pump(Pending me, Func<bool> until)
    {
        while (true)
        {
            lock (_frames)
            {
                if (until())
                    return;
                if (_reading)
                {
                    Monitor.Exit(_frames);
                    try
                    {
                        me.Signal.Wait();
                    }
                    finally
                    {
                        Monitor.Enter(_frames);
                    }

                    continue;
                }

                _reading = true;
            }

            try
            {
                // the reading role: frames for this request and the others, until this one has what it waits for
                while (true)
                {
                    ReadOne();
                    lock (_frames)
                    {
                        if (until())
                            return;
                    }
                }
            }
            finally
            {
                lock (_frames)
                {
                    _reading = false;
                    WakeOneWaiter();
                }
            }
        }
    }

    /// <summary>Under the lock: lets one waiting request take the reading role (when one waits).</summary>
    private void WakeOneWaiter()
    {
        foreach (var pending in _pending.Values)
        {
            // one whose answer is coming in pieces may wait for the next
            if (!pending.Complete)
            {
                pending.Signal.Release();
                return;
            }
        }
    }

    /// <summary>
    /// Reads one frame and queues it for its request (a frame of a request no longer waiting is dropped). The end of the
    /// output, or output that is not frames, ends every request: each is queued an end marker, and those sent are named
    /// in <see cref="EndedAsking"/>.
    /// </summary>
    private void ReadOne()
    {
        Frame? frame;
        Exception? failure = null;
        if (Volatile.Read(ref _readEnded))
        {
            frame = null;
        }
        else
        {
            try
            {
                // an answer cannot be larger than the heap the worker made it in
                frame = WorkerProtocol.Read(_fromWorker, _start.MemoryLimitBytes + (1 << 20));
            }
            catch (Exception e) when (e is IOException or InvalidDataException or EndOfStreamException or ObjectDisposedException)
            {
                frame = null;
                failure = e;
            }
        }

        lock (_frames)
        {
            if (frame is { } f)
            {
                if (_pending.TryGetValue(f.Id, out var pending))
                {
                    pending.Frames.Enqueue(f);
                    if (f.Kind != FrameKind.Progress)
                        pending.Answered = true;
                    if (f.Kind is not (FrameKind.Progress or FrameKind.Part))
                        pending.Complete = true;
                    pending.Signal.Release();
                }

                return;
            }

            if (!_readEnded)
            {
                _readEnded = true;
                _readFailure = failure;
                foreach (var pending in _pending.Values.Where(p => p.Sent))
                    _endedAskers.Add(pending.Asker ?? pending);
            }

            foreach (var pending in _pending.Values)
            {
                pending.Frames.Enqueue(new Frame(FrameKind.Ready, 0, [])); // the end (Ready never comes twice)
                pending.Answered = true;
                pending.Complete = true;
                pending.Signal.Release();
            }
        }
    }

    public void Dispose()
    {
        if (_disposed)
            return;
        _disposed = true;
        _watchdog.Dispose();
        try
        {
            if (!_process.HasExited)
            {
                try
                {
                    lock (_writeGate)
                        WorkerProtocol.Write(_toWorker, FrameKind.Shutdown, 0, []);
                }
                catch (IOException)
                {
                }

                if (!_process.WaitForExit(1000))
                    _process.Kill(entireProcessTree: true);
                _process.WaitForExit(5000);
            }
        }
        catch (InvalidOperationException)
        {
            // never started, or already reaped
        }

        _process.Dispose();
    }

    private void WaitReady()
    {
        var ready = Task.Run(() => WorkerProtocol.Read(_fromWorker, 1024));
        bool done;
        try
        {
            done = ready.Wait(_start.StartTimeout);
        }
        catch (AggregateException e)
        {
            throw Ended(e.InnerException, (_start.Path, _start.Operation));
        }

        if (!done)
        {
            Kill($"it did not start within {_start.StartTimeout.TotalSeconds:F0} s");
            throw Ended(null, (_start.Path, _start.Operation));
        }

        if (ready.Result is not { Kind: FrameKind.Ready } frame)
            throw Ended(new InvalidDataException("the worker did not say it was ready"), (_start.Path, _start.Operation));
        using var r = WorkerProtocol.Decode(frame.Payload);
        int version = r.ReadInt32();
        if (version != WorkerProtocol.Version)
            throw new AnalysisException(AnalysisErrorKind.EngineFailed, _start.Path, $"The worker process speaks protocol {version}, this session {WorkerProtocol.Version}: the module or package is of mixed builds. Reinstall it.");
    }

    private void Send(FrameKind kind, int id, byte[] payload, (string Path, string Operation) about)
    {
        try
        {
            lock (_writeGate)
                WorkerProtocol.Write(_toWorker, kind, id, payload);
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException)
        {
            throw Ended(e, about);
        }
    }

    private void CancelRequest(int id)
    {
        try
        {
            lock (_writeGate)
                WorkerProtocol.Write(_toWorker, FrameKind.Cancel, id, []);
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException)
        {
            return; // already gone
        }

        // a worker stuck in the engine cannot be stopped from inside: after the grace period it is ended
        _ = Task.Delay(_start.CancelGrace).ContinueWith(_ =>
        {
            bool waiting;
            lock (_frames)
                waiting = _pending.ContainsKey(id);
            if (waiting)
                Kill($"it did not stop within {_start.CancelGrace.TotalSeconds:F0} s of being cancelled");
        }, TaskScheduler.Default);
    }

    private void Watch()
    {
        try
        {
            if (_process.HasExited)
                return;
            _process.Refresh();
            long rss = _process.WorkingSet64;
            if (rss > Interlocked.Read(ref _peakRss))
                Interlocked.Exchange(ref _peakRss, rss);
            if (rss > _rssLimit)
                Kill(string.Create(CultureInfo.InvariantCulture, $"its memory reached {Bytes.Format(rss)}, over the ceiling of {Bytes.Format(_rssLimit)}"));
        }
        catch (InvalidOperationException)
        {
        }
    }

    private void Kill(string why)
    {
        _endedBecause ??= why;
        try
        {
            _process.Kill(entireProcessTree: true);
        }
        catch (InvalidOperationException)
        {
        }
    }

    private void ThrowIfEnded((string Path, string Operation) about)
    {
        if (_endedBecause is not null || Volatile.Read(ref _readEnded) || _process.HasExited)
            throw Ended(null, about);
    }

    /// <summary>The worker is gone (or speaks garbage): why, from what we did to it, its exit code and what it said on stderr.</summary>
    private AnalysisException Ended(Exception? cause, (string Path, string Operation) about)
    {
        if (!_process.WaitForExit(5000))
            Kill("its answer was garbled");
        _process.WaitForExit(5000);
        _watchdog.Change(Timeout.Infinite, Timeout.Infinite);
        _stderrReader.Join(1000);
        string stderr;
        lock (_stderr)
            stderr = _stderr.ToString();
        string exit = _process.HasExited ? DescribeExit(_process.ExitCode) : "no exit code (it could not be ended)";
        string report = CrashReport(stderr);
        string why = _endedBecause ?? $"it ended with {exit}";
        string reportText = report.Length > 0 ? $" It reported: {report}." : "";
        var inner = new EngineFaultException(report.Length > 0 ? FirstWord(report) : "exit " + exit, why, stderr.Length > 0 ? stderr : why);
        bool memory = _endedBecause?.Contains("memory", StringComparison.Ordinal) == true
            || stderr.Contains("OutOfMemoryException", StringComparison.Ordinal)
            || stderr.Contains("0x8007000E", StringComparison.OrdinalIgnoreCase); // E_OUTOFMEMORY: the runtime could not start under the ceiling
        if (memory)
        {
            return new AnalysisException(AnalysisErrorKind.MemoryLimitExceeded, about.Path,
                $"{Capitalize(about.Operation)} '{about.Path}' needed more memory than its ceiling of {Bytes.Format(_start.MemoryLimitBytes)} (GC heap), so its worker process (pid {_process.Id}) was ended: {why}.{reportText} " +
                "The file is probably damaged (a size field asks for too much); if it is a genuinely large input, raise the ceiling (ANALYSIS_ENGINE_MEMORY_MB). This session is unaffected.", inner);
        }

        return new AnalysisException(AnalysisErrorKind.EngineFailed, about.Path,
            $"{Capitalize(about.Operation)} '{about.Path}' failed in its worker process (pid {_process.Id}): {why}.{reportText} " +
            "The engine cannot survive something in this file; this session is unaffected. Capture the input again, or report the file.", cause ?? inner);
    }

    private Exception Failed(WorkerError error, (string Path, string Operation) about)
    {
        var inner = new EngineFaultException(error.ExceptionType, error.Kind is null ? error.Message : FirstLine(error.Detail), error.Detail);
        if (error.Kind is { } kind)
            return new AnalysisException(kind, error.Path ?? about.Path, error.Message, inner);
        // a caller's bad argument, found by our own checks in the worker (what the engines throw comes wrapped, with a kind)
        if (error.ExceptionType is "System.ArgumentException" or "System.ArgumentOutOfRangeException")
            return new ArgumentException(error.Message, inner);
        if (error.ExceptionType == typeof(OutOfMemoryException).FullName)
        {
            return new AnalysisException(AnalysisErrorKind.MemoryLimitExceeded, about.Path,
                $"{Capitalize(about.Operation)} '{about.Path}' needed more memory than its ceiling of {Bytes.Format(_start.MemoryLimitBytes)}: {error.Message} " +
                "The file is probably damaged (a size field asks for too much); if it is a genuinely large input, raise the ceiling (ANALYSIS_ENGINE_MEMORY_MB).", inner);
        }

        return new AnalysisException(AnalysisErrorKind.EngineFailed, about.Path,
            $"{Capitalize(about.Operation)} '{about.Path}' failed in its worker process: {error.ExceptionType}: {error.Message}", inner);
    }

    private static string DescribeExit(int code)
    {
        if (OperatingSystem.IsWindows() || code <= 128 || code > 128 + 64)
            return string.Create(CultureInfo.InvariantCulture, $"exit code {code}");
        int signal = code - 128;
        string name = signal switch
        {
            6 => "SIGABRT: the runtime aborted, e.g. on an access violation",
            9 => "SIGKILL: killed",
            11 => "SIGSEGV: segmentation fault",
            15 => "SIGTERM: terminated",
            _ => "a signal",
        };
        return string.Create(CultureInfo.InvariantCulture, $"exit code {code} (signal {signal}, {name})");
    }

    /// <summary>The message lines and the first frames of what the runtime printed on a fatal error.</summary>
    private static string CrashReport(string stderr)
    {
        var lines = stderr.Split('\n', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
        var message = lines.Where(l => !l.StartsWith("at ", StringComparison.Ordinal) && l != "Fatal error.").Take(2);
        var frames = lines.Where(l => l.StartsWith("at ", StringComparison.Ordinal)).Take(4);
        return string.Join(" ", message.Concat(frames));
    }

    private static string FirstLine(string s) => s.Split('\n')[0].Trim();

    private static string FirstWord(string s) => s.Split(' ', ':')[0].TrimEnd('.');

    private static string Capitalize(string s) => s.Length == 0 ? s : char.ToUpperInvariant(s[0]) + s[1..];

    private void ReadStderr()
    {
        var buffer = new char[4096];
        try
        {
            int n;
            while ((n = _process.StandardError.Read(buffer, 0, buffer.Length)) > 0)
            {
                lock (_stderr)
                {
                    _stderr.Append(buffer, 0, n);
                    if (_stderr.Length > StderrKeep)
                        _stderr.Remove(0, _stderr.Length - StderrKeep);
                }
            }
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException or InvalidOperationException)
        {
        }
    }
}
