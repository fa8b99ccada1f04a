using System.Globalization;
using Analysis.Stacks;
using Microsoft.Diagnostics.Tracing;
using Microsoft.Diagnostics.Tracing.Analysis;
using Microsoft.Diagnostics.Tracing.Analysis.GC;
using Microsoft.Diagnostics.Tracing.EventPipe;
using Microsoft.Diagnostics.Tracing.Parsers.Clr;

namespace Analysis.Traces;

/// <summary>Which samples a CPU view counts.</summary>
public enum SampleFilter
{
    /// <summary>Only samples of threads running managed code: CPU use (the default).</summary>
    Managed,
    /// <summary>All samples, including threads waiting or in native code: wall-clock time (what dotnet-trace report shows).</summary>
    All,
}

/// <summary>How a trace is read: where the reading pass runs and the memory it may use there.</summary>
public sealed record TraceReadOptions
{
    /// <summary>Read in a worker process, with its default memory ceiling.</summary>
    public static TraceReadOptions Default { get; } = new();

    /// <summary>Where TraceEvent's reading pass runs (<see cref="EngineIsolation.Default"/>: a worker process).</summary>
    public EngineIsolation Isolation { get; init; }

    /// <summary>The worker's GC heap ceiling in bytes; null for 1 GB + 16 × the file (ANALYSIS_ENGINE_MEMORY_MB overrides).</summary>
    public long? MemoryLimitBytes { get; init; }
}

/// <summary>
/// Everything a trace says, read in one streaming pass over the .nettrace file: GCs (TraceEvent's GC analysis),
/// CPU samples, exceptions and contention with their stacks, and data-quality warnings. Stacks are resolved at the
/// end from the method load and rundown events, without converting the trace to .etlx.
/// </summary>
public sealed partial class TraceAnalysis
{
    private readonly MethodTable _methods;
    private readonly StackTable _stacks;
    private readonly Dictionary<(int Stack, int Thread, bool Managed), long> _samples;
    private readonly ChunkedList<ExceptionRow> _exceptions;
    private readonly Utf8Heap _messages;
    private readonly List<ContentionRow> _contention;
    private readonly string[] _strings;
    private readonly long? _truncatedAt;

    private TraceAnalysis(Reader r)
    {
        _truncatedAt = r.TruncatedAt;
        _methods = r.Methods;
        _stacks = r.Stacks;
        _samples = r.Samples;
        _exceptions = r.Exceptions;
        _messages = r.Messages;
        _contention = r.Contention;
        _strings = r.Strings.ToArray();
        Gcs = r.Gcs;
        TotalAllocatedMB = r.TotalAllocatedMB;
        DurationMs = r.DurationMs;
        EventCount = r.EventCount;
        EventsLost = r.EventsLost;
        Warnings = r.Warnings;
        ProcessId = r.ProcessId;
        RuntimeVersion = r.RuntimeVersion;
        IsTruncated = r.TruncatedAt is not null;
        StartTimeUtc = r.StartTimeUtc;
        _threadSpans = r.ThreadSpans;
    }

    /// <summary>The traced process's id; 0 when the trace does not say.</summary>
    public int ProcessId { get; }

    /// <summary>The traced runtime's file version, e.g. "10.0.1226.42308" (from the runtime start/rundown events).</summary>
    public string? RuntimeVersion { get; }

    /// <summary>Time from the start of the session to the last event (ms).</summary>
    public double DurationMs { get; }

    /// <summary>Events read from the file (all providers).</summary>
    public long EventCount { get; }

    /// <summary>Events the runtime dropped (buffers full). Non-zero means counts are lower bounds.</summary>
    public int EventsLost { get; }

    /// <summary>The file ended before the trace did; what was read is kept.</summary>
    public bool IsTruncated { get; }

    /// <summary>Data-quality problems: truncation, lost events, missing rundown, incomplete GCs. Never silent.</summary>
    public IReadOnlyList<string> Warnings { get; }

    /// <summary>Completed GCs in order.</summary>
    public IReadOnlyList<GcEvent> Gcs { get; }

    /// <summary>Allocated over the trace, in MB (10^6 bytes), summed over runtimes as TraceEvent's GC statistics count it.</summary>
    public double TotalAllocatedMB { get; }

    /// <summary>Exceptions thrown during the trace (first-chance, caught ones included).</summary>
    public int ExceptionCount => _exceptions.Count;

    /// <summary>Lock waits (contention events) in the trace.</summary>
    public int ContentionCount => _contention.Count;

    /// <summary>Number of CPU samples (all kinds) in the trace.</summary>
    public long SampleCount => _samples.Values.Sum();

    /// <summary>OS thread ids that have samples.</summary>
    public IReadOnlyList<int> SampledThreads => _samples.Keys.Select(k => k.Thread).Distinct().Order().ToArray();

    /// <summary>Where the reading pass ran: <see cref="EngineIsolation.Worker"/> or <see cref="EngineIsolation.InProcess"/>.</summary>
    public EngineIsolation ReadBy { get; private set; }

    /// <summary>
    /// Reads a trace (in a worker process unless <see cref="TraceReadOptions.Isolation"/> or ANALYSIS_ENGINE_ISOLATION says
    /// otherwise). Throws <see cref="AnalysisException"/> for unreadable files; damage or truncation after the header is a
    /// warning on the result, with the events before it.
    /// </summary>
    public static TraceAnalysis Read(string path, IProgress<WorkProgress>? progress = null, CancellationToken cancellationToken = default) =>
        Read(path, TraceReadOptions.Default, progress, cancellationToken);

    /// <inheritdoc cref="Read(string, IProgress{WorkProgress}?, CancellationToken)"/>
    public static TraceAnalysis Read(string path, TraceReadOptions options, IProgress<WorkProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        string full = Path.GetFullPath(path);
        long length = TraceFile.Validate(full);
        if (EngineIsolationPolicy.HostFor(options.Isolation, full, "trace", "TraceEvent", out string? inProcessWarning) is not { } host)
            return ReadInProcess(full, length, inProcessWarning, progress, cancellationToken);

        cancellationToken.ThrowIfCancellationRequested();
        var start = new Isolation.WorkerStart(full, "reading the trace", EngineIsolationPolicy.MemoryLimit(length, options.MemoryLimitBytes));
        // a kept worker has TraceEvent compiled already; one that failed or was cancelled is never kept
        var worker = Isolation.WorkerPool.Rent(host, start);
        TraceAnalysis analysis;
        try
        {
            // the model is decoded while the worker writes it (it comes in pieces)
            analysis = worker.Invoke(ReadOperation, w =>
            {
                w.Write(full);
                w.Write(length);
            }, r => ReadModel(r.BaseStream, full, length), progress, cancellationToken, (full, start.Operation), WhileReading);
        }
        catch
        {
            Isolation.WorkerPool.Discard(worker);
            throw;
        }

        Isolation.WorkerPool.Return(worker);
        analysis.ReadBy = EngineIsolation.Worker;
        return analysis;
    }

    internal const string ReadOperation = "trace.read";

    /// <summary>
    /// What the session does while its worker reads: compiles what decodes the worker's answer (the model's reader, fully
    /// optimized, the tables it fills, and the stream its pieces come through), then touches its allocation area (until
    /// the answer begins to come, the first time). Decoding the bench's 7 MB trace's model the first time took 14 ms,
    /// 8 ms with this (2 ms the second time); it now happens while the worker writes the model.
    /// </summary>
    private static void WhileReading(Func<bool> answered)
    {
        Isolation.Precompilation.Compile(typeof(TraceAnalysis), typeof(MethodTable), typeof(StackTable), typeof(Utf8Heap), typeof(ModelCodec), typeof(Isolation.EngineWorker));
        Isolation.AllocationWarmup.RunInSession(answered);
    }

    /// <summary>The reading pass in this process (the worker runs this).</summary>
    internal static TraceAnalysis ReadInProcess(string full, long length, string? warning, IProgress<WorkProgress>? progress, CancellationToken cancellationToken)
    {
        var reader = new Reader(full, length);
        if (warning is not null)
            reader.Warnings.Add(warning);
        reader.Run(progress, cancellationToken);
        return new TraceAnalysis(reader) { ReadBy = EngineIsolation.InProcess };
    }

    /// <summary>The worker's side of <see cref="ReadOperation"/>: read, then write the model as the answer.</summary>
    internal static void ServeRead(BinaryReader arguments, Stream result, IProgress<WorkProgress> progress, CancellationToken cancellationToken)
    {
        string full = arguments.ReadString();
        long length = arguments.ReadInt64();
        ReadInProcess(full, length, null, progress, cancellationToken).WriteModel(result);
    }

    // ---- GC ----

    /// <summary>Totals and anomalies: pauses over <paramref name="pauseThresholdMs"/>, induced gen2s, gen2 storms, a high paused share.</summary>
    public GcSummary GetGcSummary(double pauseThresholdMs = 50) => GcAnalyzer.Summarize(Gcs, DurationMs, TotalAllocatedMB, pauseThresholdMs);

    // ---- CPU ----

    /// <summary>Top functions by exclusive (default) or inclusive samples.</summary>
    public IReadOnlyList<CpuFunction> GetCpuTop(int top = 20, bool inclusive = false, SampleFilter filter = SampleFilter.Managed, IReadOnlyCollection<int>? threads = null)
    {
        var exclusive = new Dictionary<int, long>();
        var inclusiveCounts = new Dictionary<int, long>();
        long total = 0;
        var seen = new HashSet<int>();
        foreach (var ((stack, thread, managed), count) in _samples)
        {
            if (!Selected(thread, managed, filter, threads))
                continue;
            total += count;
            var ids = _stacks.Methods(stack, _methods);
            if (ids.Length == 0)
                continue;
            exclusive[ids[0]] = exclusive.GetValueOrDefault(ids[0]) + count;
            seen.Clear();
            foreach (int id in ids)
            {
                if (seen.Add(id))
                    inclusiveCounts[id] = inclusiveCounts.GetValueOrDefault(id) + count;
            }
        }

        var rows = inclusiveCounts.Select(kv =>
        {
            long ex = exclusive.GetValueOrDefault(kv.Key);
            var frame = StackTable.Frame(kv.Key, _methods);
            return new CpuFunction(frame.Function, frame.Module, ex, kv.Value, Percent(ex, total), Percent(kv.Value, total));
        });
        var ordered = inclusive
            ? rows.OrderByDescending(r => r.InclusiveSamples).ThenByDescending(r => r.ExclusiveSamples)
            : rows.OrderByDescending(r => r.ExclusiveSamples).ThenByDescending(r => r.InclusiveSamples);
        return ordered.ThenBy(r => r.Function, StringComparer.Ordinal).Take(top).ToArray();
    }

    /// <summary>Samples counted by <paramref name="filter"/> and <paramref name="threads"/>.</summary>
    public long CountSamples(SampleFilter filter = SampleFilter.Managed, IReadOnlyCollection<int>? threads = null) =>
        _samples.Where(kv => Selected(kv.Key.Thread, kv.Key.Managed, filter, threads)).Sum(kv => kv.Value);

    /// <summary>Stacks in folded form ("root;…;leaf"), largest first, for flame graphs.</summary>
    public IReadOnlyList<FoldedStack> GetFoldedStacks(SampleFilter filter = SampleFilter.Managed, IReadOnlyCollection<int>? threads = null, bool perThread = false)
    {
        var folded = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (var ((stack, thread, managed), count) in _samples)
        {
            if (!Selected(thread, managed, filter, threads))
                continue;
            var frames = _stacks.Frames(stack, _methods);
            var names = frames.Reverse().Select(f => FoldName(f));
            if (perThread)
                names = names.Prepend(string.Create(CultureInfo.InvariantCulture, $"thread {thread}"));
            string key = string.Join(';', names);
            if (key.Length == 0)
                key = "[no stack]";
            folded[key] = folded.GetValueOrDefault(key) + count;
        }

        return folded.Select(kv => new FoldedStack(kv.Key, kv.Value))
            .OrderByDescending(f => f.Samples).ThenBy(f => f.Stack, StringComparer.Ordinal).ToArray();
    }

    /// <summary>Per-thread sampled stacks as frame lists (root first) with counts, for exporters.</summary>
    internal IEnumerable<(int Thread, IReadOnlyList<StackFrameInfo> RootFirst, long Samples)> EnumerateSampledStacks(SampleFilter filter, IReadOnlyCollection<int>? threads)
    {
        foreach (var ((stack, thread, managed), count) in _samples.OrderBy(kv => kv.Key.Thread).ThenBy(kv => kv.Key.Stack))
        {
            if (Selected(thread, managed, filter, threads))
                yield return (thread, _stacks.Frames(stack, _methods).Reverse().ToArray(), count);
        }
    }

    internal static string FoldName(StackFrameInfo frame) =>
        (frame.Module is null || frame.Kind != FrameKind.Managed ? frame.Function : $"{frame.Module}!{frame.Function}").Replace(';', ':');

    private static bool Selected(int thread, bool managed, SampleFilter filter, IReadOnlyCollection<int>? threads) =>
        (filter == SampleFilter.All || managed) && (threads is null || threads.Count == 0 || threads.Contains(thread));

    private static double Percent(long part, long total) => total == 0 ? 0 : Math.Round(part * 100.0 / total, 2);

    // ---- exceptions and contention ----

    /// <summary>Exceptions in time order, with throw stacks.</summary>
    public IEnumerable<TraceException> EnumerateExceptions()
    {
        for (int i = 0; i < _exceptions.Count; i++)
        {
            var e = _exceptions[i];
            yield return new TraceException(e.TimeMs, e.Thread, _strings[e.Type], _messages.Get(e.Message), e.HResult) { Stack = _stacks.Frames(e.Stack, _methods) };
        }
    }

    /// <summary>The exception types thrown during the trace with how often each, most thrown first (no stacks resolved).</summary>
    public IReadOnlyList<(string Type, int Count)> CountExceptionsByType()
    {
        var counts = new Dictionary<int, int>();
        for (int i = 0; i < _exceptions.Count; i++)
        {
            int type = _exceptions[i].Type;
            counts[type] = counts.GetValueOrDefault(type) + 1;
        }

        return counts.Select(c => (Type: _strings[c.Key], Count: c.Value))
            .OrderByDescending(c => c.Count).ThenBy(c => c.Type, StringComparer.Ordinal).ToArray();
    }

    /// <summary>Lock contention in time order, with the waiting stacks.</summary>
    public IEnumerable<ContentionEvent> EnumerateContention()
    {
        foreach (var c in _contention)
        {
            yield return new ContentionEvent(c.TimeMs, c.Thread, c.DurationMs, c.Native ? "native" : "managed")
            {
                Stack = _stacks.Frames(c.Stack, _methods),
                OwnerThreadId = c.Owner,
                LockAddress = c.Lock,
            };
        }
    }

    /// <summary>Compact: a trace can hold millions of exceptions; strings are interned ids.</summary>
    private readonly record struct ExceptionRow(double TimeMs, int Thread, int Type, long Message, int HResult, int Stack);

    private sealed class ContentionRow(double timeMs, int thread, bool native, ulong lockAddress, long? owner, int stack)
    {
        public double TimeMs { get; } = timeMs;
        public int Thread { get; } = thread;
        public bool Native { get; } = native;
        public ulong Lock { get; } = lockAddress;
        public long? Owner { get; } = owner;
        public int Stack { get; } = stack;
        public double DurationMs { get; set; } = double.NaN;
    }

    /// <summary>The streaming pass.</summary>
    private sealed class Reader(string path, long length)
    {
        public MethodTable Methods { get; } = new();
        public StackTable Stacks { get; } = new();
        public Dictionary<(int, int, bool), long> Samples { get; } = new();
        public ChunkedList<ExceptionRow> Exceptions { get; } = new();
        public Utf8Heap Messages { get; } = new();
        public List<ContentionRow> Contention { get; } = new();
        public List<string> Strings { get; } = new();
        public List<GcEvent> Gcs { get; } = new();
        public List<string> Warnings { get; } = new();
        public double TotalAllocatedMB { get; set; }
        public double DurationMs { get; set; }

        public long EventCount { get; set; }
        public int EventsLost { get; set; }
        public int ProcessId { get; set; }
        public string? RuntimeVersion { get; set; }
        public long? TruncatedAt { get; set; }
        public DateTimeOffset? StartTimeUtc { get; set; }

        /// <summary>Each sampled thread's first and last sample (ms from the trace start).</summary>
        public Dictionary<int, (double First, double Last)> ThreadSpans { get; } = new();

        private readonly Dictionary<string, int> _stringIds = new(StringComparer.Ordinal);
        private readonly Dictionary<int, ContentionRow> _pendingContention = new();
        private ulong[] _buffer = new ulong[256];
        private bool _sawRundown;
        private long _skipped;
        private string? _firstSkipped;

        public void Run(IProgress<WorkProgress>? progress, CancellationToken cancellationToken)
        {
            try
            {
                RunPass(progress, cancellationToken);
            }
            catch (Exception e) when (cancellationToken.IsCancellationRequested && e is not OperationCanceledException)
            {
                // Ctrl+C reached TraceEvent inside its own exception: still a cancellation, with it as the cause
                throw new OperationCanceledException($"Reading trace '{path}' was cancelled.", e, cancellationToken);
            }
            catch (OutOfMemoryException e)
            {
                // the memory this process may use is exhausted (in a worker: its ceiling), not one absurd request
                long available = GC.GetGCMemoryInfo().TotalAvailableMemoryBytes;
                throw new AnalysisException(AnalysisErrorKind.MemoryLimitExceeded, path, string.Create(CultureInfo.InvariantCulture,
                    $"Reading trace '{path}' needed more than the {Bytes.Format(available)} of memory available to it (after {EventCount:N0} events). If the file is damaged (a size field asks for too much), capture it again; if it is genuinely this large, raise the ceiling (ANALYSIS_ENGINE_MEMORY_MB, in megabytes) or read it on a machine with more memory."), e);
            }
        }

        private void RunPass(IProgress<WorkProgress>? progress, CancellationToken cancellationToken)
        {
            using var file = InputFile.OpenRead(path, "Trace file", 1 << 20, FileOptions.SequentialScan);
            byte[]? header = RepairHeader(file);
            using var counting = new ProgressStream(file, length, header, progress, cancellationToken);
            EventPipeEventSource source;
            try
            {
                source = new EventPipeEventSource(counting);
            }
            catch (Exception e) when (IsEngineFault(e, cancellationToken))
            {
                throw Unreadable(e, counting.Position);
            }

            using (source)
            {
                Subscribe(source);
                source.NeedLoadedDotNetRuntimes();
                try
                {
                    source.Process();
                }
                catch (Exception e) when (IsEngineFault(e, cancellationToken))
                {
                    // TraceEvent throws whatever its parsers hit on damaged input (FormatException, EndOfStream, plain
                    // Exception, IndexOutOfRange, Overflow, ArgumentException, OutOfMemory for an absurd size): the events
                    // before the fault are kept, the fault is a warning that names the byte.
                    if (EventCount == 0)
                        throw Unreadable(e, counting.Position);
                    TruncatedAt = counting.Position;
                    string what = counting.Position >= length ? "is truncated" : "is damaged";
                    Warnings.Add(string.Create(CultureInfo.InvariantCulture,
                        $"Trace '{path}' {what}: reading stopped near byte {counting.Position:N0} of {length:N0} ({Cause(e)}). The {EventCount:N0} events before that are analyzed; later events, and the rundown that names methods, are missing."));
                }

                EventsLost = Guarded(() => source.EventsLost, 0);
                DurationMs = EventCount == 0 ? 0 : Guarded(() => source.SessionEndTimeRelativeMSec, 0);
                CollectGcs(source, cancellationToken);
                StartTimeUtc = header is null && EventCount > 0 ? SessionStart(source) : null;
            }

            Finish();
        }

        /// <summary>Every exception but cancellation is the engine's answer to bad input (or a bug in it) at our boundary.</summary>
        private static bool IsEngineFault(Exception e, CancellationToken cancellationToken)
        {
            if (e is OperationCanceledException || cancellationToken.IsCancellationRequested)
                return false; // Ctrl+C, however TraceEvent wrapped it, stays cancellation
            if (e is OutOfMemoryException && !IsAbsurdAllocation())
                return false; // the memory ceiling, handled in Run
            return e is not AnalysisException;
        }

        /// <summary>
        /// Whether an OutOfMemoryException came from one request no heap could grant (a damaged size field: a fault of the
        /// input, like any other) rather than from running out: the heap is far below what this process may use.
        /// </summary>
        private static bool IsAbsurdAllocation() => GC.GetTotalMemory(false) < GC.GetGCMemoryInfo().TotalAvailableMemoryBytes / 2;

        /// <summary>The cause in one line: the exception type (when it says more than the message) and the message.</summary>
        internal static string Cause(Exception e) =>
            e.GetType() == typeof(Exception) || e is FormatException or EndOfStreamException
                ? e.Message.TrimEnd('.')
                : $"{e.GetType().Name}: {e.Message.TrimEnd('.')}";

        private T Guarded<T>(Func<T> read, T fallback)
        {
            try
            {
                return read();
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                Warnings.Add($"The trace's {(typeof(T) == typeof(int) ? "lost-event count" : "end time")} could not be read ({Cause(e)}); it is taken as {fallback}.");
                return fallback;
            }
        }

        // "Nettrace", serializer name, then the Trace object of format versions 3–5: its header, then SYSTEMTIME (8 × uint16).
        private const int SystemTimeOffset = 53;
        private static ReadOnlySpan<byte> TraceObjectHeader => [0x05, 0x05, 0x01, 0x04, 0, 0, 0, 0x04, 0, 0, 0, 0x05, 0, 0, 0, (byte)'T', (byte)'r', (byte)'a', (byte)'c', (byte)'e', 0x06];

        /// <summary>
        /// TraceEvent makes a DateTime of the header's start time and throws when it is no date (a damaged header), which
        /// would lose the whole trace. Only absolute times depend on it; event times are relative to the session start.
        /// Returns the header with the start time replaced by 2000-01-01 (and a warning), or null when it is a date.
        /// </summary>
        private byte[]? RepairHeader(FileStream file)
        {
            var head = new byte[SystemTimeOffset + 16];
            int got = file.ReadAtLeast(head, head.Length, throwOnEndOfStream: false);
            file.Position = 0;
            if (got < head.Length || !head.AsSpan(32, TraceObjectHeader.Length).SequenceEqual(TraceObjectHeader))
                return null;
            var t = new ushort[8];
            for (int i = 0; i < 8; i++)
                t[i] = BitConverter.ToUInt16(head, SystemTimeOffset + (2 * i));
            // year, month, day of week, day, hour, minute, second, millisecond
            bool valid = t[0] is >= 1 and <= 9999 && t[1] is >= 1 and <= 12 && t[3] >= 1 && t[3] <= DateTime.DaysInMonth(t[0] is >= 1 and <= 9999 ? t[0] : 2000, t[1] is >= 1 and <= 12 ? t[1] : 1)
                && t[4] < 24 && t[5] < 60 && t[6] < 60 && t[7] < 1000;
            if (valid)
                return null;
            Warnings.Add(string.Create(CultureInfo.InvariantCulture,
                $"Trace '{path}': the start time in its header (bytes {SystemTimeOffset}–{SystemTimeOffset + 15}: {t[0]}-{t[1]}-{t[3]} {t[4]}:{t[5]}:{t[6]}.{t[7]}) is not a date; the header is damaged. Times relative to the start are unaffected; the absolute start time is unknown."));
            ushort[] replacement = [2000, 1, 6, 1, 0, 0, 0, 0];
            for (int i = 0; i < 8; i++)
                BitConverter.TryWriteBytes(head.AsSpan(SystemTimeOffset + (2 * i), 2), replacement[i]);
            return head;
        }

        private AnalysisException Unreadable(Exception e, long position)
        {
            if (e is OutOfMemoryException or InsufficientExecutionStackException)
            {
                return new AnalysisException(AnalysisErrorKind.MemoryLimitExceeded, path,
                    $"Trace file '{path}' could not be read: near byte {position:N0}, before any event, it asks for more memory than is available ({Cause(e)}); a size field is probably damaged. Capture the trace again.", e);
            }

            return position >= length
                ? new AnalysisException(AnalysisErrorKind.Truncated, path, $"Trace file '{path}' is truncated: it ends after {length:N0} bytes, before any event ({Cause(e)}). Capture it again.", e)
                : new AnalysisException(AnalysisErrorKind.WrongFormat, path, $"Trace file '{path}' could not be read as a .nettrace stream at byte {position:N0}: {Cause(e)}. The file is damaged or not a trace; capture it again.", e);
        }

        private void Subscribe(EventPipeEventSource source)
        {
            var clr = source.Clr;
            var rundown = new ClrRundownTraceEventParser(source);
            var sampler = new SampleProfilerTraceEventParser(source);

            // Kept minimal: it runs for every event. Times come from the source once the pass is over.
            source.AllEvents += data =>
            {
                if (EventCount++ == 0)
                    ProcessId = data.ProcessID;
            };

            clr.MethodLoadVerbose += Guard<MethodLoadUnloadVerboseTraceData>(d => Methods.AddMethod(d.MethodStartAddress, d.MethodSize, d.MethodNamespace, d.MethodName, d.MethodSignature, d.ModuleID));
            rundown.MethodDCStopVerbose += Guard<MethodLoadUnloadVerboseTraceData>(d =>
            {
                _sawRundown = true;
                Methods.AddMethod(d.MethodStartAddress, d.MethodSize, d.MethodNamespace, d.MethodName, d.MethodSignature, d.ModuleID);
            });
            rundown.MethodDCStartVerbose += Guard<MethodLoadUnloadVerboseTraceData>(d => Methods.AddMethod(d.MethodStartAddress, d.MethodSize, d.MethodNamespace, d.MethodName, d.MethodSignature, d.ModuleID));
            clr.LoaderModuleLoad += Guard<ModuleLoadUnloadTraceData>(d => Methods.AddModule(d.ModuleID, d.ModuleILPath));
            rundown.LoaderModuleDCStop += Guard<ModuleLoadUnloadTraceData>(d => Methods.AddModule(d.ModuleID, d.ModuleILPath));
            rundown.LoaderModuleDCStart += Guard<ModuleLoadUnloadTraceData>(d => Methods.AddModule(d.ModuleID, d.ModuleILPath));

            sampler.ThreadSample += Guard<ClrThreadSampleTraceData>(d =>
            {
                if (d.Type == ClrThreadSampleType.Error)
                    return;
                int stack = Stacks.Intern(Stack(d));
                var key = (stack, d.ThreadID, d.Type == ClrThreadSampleType.Managed);
                Samples[key] = Samples.GetValueOrDefault(key) + 1;
                double at = d.TimeStampRelativeMSec;
                ThreadSpans[d.ThreadID] = ThreadSpans.TryGetValue(d.ThreadID, out var span) ? (Math.Min(span.First, at), Math.Max(span.Last, at)) : (at, at);
            });

            clr.ExceptionStart += Guard<ExceptionTraceData>(d =>
                Exceptions.Add(new ExceptionRow(d.TimeStampRelativeMSec, d.ThreadID, Intern(d.ExceptionType), Messages.Add(SafeText.SanitizeOrNull(d.ExceptionMessage)), d.ExceptionHRESULT, Stacks.Intern(Stack(d)))));

            clr.ContentionStart += Guard<ContentionStartTraceData>(d =>
            {
                var row = new ContentionRow(d.TimeStampRelativeMSec, d.ThreadID, (d.ContentionFlags & ContentionFlags.Native) != 0,
                    SafeLockAddress(d), SafeOwner(d), Stacks.Intern(Stack(d)));
                Contention.Add(row);
                _pendingContention[d.ThreadID] = row;
            });
            clr.ContentionStop += Guard<ContentionStopTraceData>(d =>
            {
                if (!_pendingContention.Remove(d.ThreadID, out var row))
                    return;
                double ns = SafeDurationNs(d);
                row.DurationMs = ns > 0 ? ns / 1_000_000.0 : d.TimeStampRelativeMSec - row.TimeMs;
            });
        }

        /// <summary>
        /// A handler that skips an event whose payload TraceEvent cannot decode (it throws "Reading past end of event",
        /// IndexOutOfRange …) instead of ending the pass; skipped events are counted in a warning.
        /// </summary>
        private Action<T> Guard<T>(Action<T> handler)
            where T : TraceEvent =>
            d =>
            {
                try
                {
                    handler(d);
                }
                catch (Exception e) when (e is not OperationCanceledException && (e is not OutOfMemoryException || IsAbsurdAllocation()))
                {
                    if (_skipped++ == 0)
                        _firstSkipped = string.Create(CultureInfo.InvariantCulture, $"{d.EventName} at {SafeTime(d)} ms: {Cause(e)}");
                }
            };

        private static string SafeTime(TraceEvent d)
        {
            try
            {
                return d.TimeStampRelativeMSec.ToString("F1", CultureInfo.InvariantCulture);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                return "?";
            }
        }

        private ReadOnlySpan<ulong> Stack(TraceEvent data)
        {
            int n = EventStacks.Read(data, ref _buffer);
            return _buffer.AsSpan(0, n);
        }

        private int Intern(string? s)
        {
            s = s is null ? "" : SafeText.Sanitize(s);
            if (!_stringIds.TryGetValue(s, out int id))
            {
                id = Strings.Count;
                Strings.Add(s);
                _stringIds[s] = id;
            }

            return id;
        }

        private static ulong SafeLockAddress(ContentionStartTraceData d)
        {
            try
            {
                return d.Version >= 2 ? d.LockID : 0;
            }
            catch (Exception e) when (e is ArgumentOutOfRangeException or IndexOutOfRangeException)
            {
                return 0;
            }
        }

        private static long? SafeOwner(ContentionStartTraceData d)
        {
            try
            {
                return d.Version >= 2 && d.LockOwnerThreadID != 0 ? d.LockOwnerThreadID : null;
            }
            catch (Exception e) when (e is ArgumentOutOfRangeException or IndexOutOfRangeException)
            {
                return null;
            }
        }

        private static double SafeDurationNs(ContentionStopTraceData d)
        {
            try
            {
                return d.Version >= 1 ? d.DurationNs : 0;
            }
            catch (Exception e) when (e is ArgumentOutOfRangeException or IndexOutOfRangeException)
            {
                return 0;
            }
        }

        private void CollectGcs(EventPipeEventSource source, CancellationToken cancellationToken)
        {
            IEnumerable<TraceProcess> processes;
            try
            {
                processes = source.Processes().ToArray();
            }
            catch (Exception e) when (IsEngineFault(e, cancellationToken))
            {
                Warnings.Add($"TraceEvent's process and GC analysis failed on this trace ({Cause(e)}); GCs are not reported.");
                return;
            }

            foreach (var process in processes)
            {
                int incomplete = 0, failed = 0;
                string? firstFailure = null;
                try
                {
                    var runtime = process.LoadedDotNetRuntime();
                    if (runtime is null)
                        continue;
                    RuntimeVersion ??= SafeText.SanitizeOrNull(runtime.RuntimeVersion?.TrimStart('V', ' '));
                    if (ProcessId == 0)
                        ProcessId = process.ProcessID;
                    foreach (TraceGC gc in runtime.GC.GCs)
                    {
                        if (!gc.IsComplete)
                        {
                            incomplete++;
                            continue;
                        }

                        try
                        {
                            Gcs.Add(ToGcEvent(gc));
                        }
                        catch (Exception e) when (IsEngineFault(e, cancellationToken))
                        {
                            failed++;
                            firstFailure ??= string.Create(CultureInfo.InvariantCulture, $"GC #{gc.Number}: {Cause(e)}");
                        }
                    }

                    TotalAllocatedMB += runtime.GC.Stats().TotalAllocatedMB;
                }
                catch (Exception e) when (IsEngineFault(e, cancellationToken))
                {
                    Warnings.Add(string.Create(CultureInfo.InvariantCulture, $"TraceEvent's GC analysis of process {process.ProcessID} failed ({Cause(e)}); its GCs may be missing."));
                }

                if (incomplete > 0)
                    Warnings.Add(string.Create(CultureInfo.InvariantCulture, $"{incomplete} GC(s) started but did not end within the trace; they are not counted."));
                if (failed > 0)
                    Warnings.Add(string.Create(CultureInfo.InvariantCulture, $"{failed} GC(s) have damaged data and are not counted (first: {firstFailure})."));
            }

            Gcs.Sort((a, b) => a.Number.CompareTo(b.Number));
        }

        private static GcEvent ToGcEvent(TraceGC gc) => new()
        {
            Number = gc.Number,
            Generation = gc.Generation,
            Type = gc.Type switch
            {
                GCType.BackgroundGC => "Background",
                GCType.ForegroundGC => "Foreground",
                _ => "Blocking",
            },
            Reason = gc.Reason.ToString(),
            StartMs = gc.StartRelativeMSec,
            PauseMs = gc.PauseDurationMSec,
            SuspendMs = gc.SuspendDurationMSec,
            DurationMs = gc.DurationMSec,
            HeapSizeBeforeMB = gc.HeapSizeBeforeMB,
            HeapSizeAfterMB = gc.HeapSizeAfterMB,
            PromotedMB = gc.PromotedMB,
            PauseStartMs = gc.PauseStartRelativeMSec,
            AllocatedSinceLastGcMB = gc.AllocedSinceLastGCMB,
            GenerationSizesAfterMB = [gc.GenSizeAfterMB(Gens.Gen0), gc.GenSizeAfterMB(Gens.Gen1), gc.GenSizeAfterMB(Gens.Gen2), gc.GenSizeAfterMB(Gens.GenLargeObj), gc.GenSizeAfterMB(Gens.GenPinObj)],
        };

        private void Finish()
        {
            Stacks.Seal();
            if (_skipped > 0)
                Warnings.Add(string.Create(CultureInfo.InvariantCulture, $"{_skipped:N0} event(s) have payloads TraceEvent could not decode and were skipped (first: {_firstSkipped})."));
            if (EventsLost > 0)
                Warnings.Add(string.Create(CultureInfo.InvariantCulture, $"The runtime dropped {EventsLost:N0} events (its buffers were full): counts are lower bounds. Capture with a larger buffer or fewer providers."));
            foreach (var row in Contention.Where(r => double.IsNaN(r.DurationMs)))
                row.DurationMs = 0;
            if (Samples.Count > 0 && !_sawRundown)
            {
                Warnings.Add("The trace has no method rundown (the session was not stopped cleanly or rundown was disabled): " +
                    "frames of methods compiled before the trace started are unresolved. Capture with rundown (Start-TraceCapture and dotnet-trace do by default).");
            }

            if (Samples.Count > 0)
            {
                long frames = 0, unresolved = 0;
                foreach (var ((stack, _, _), count) in Samples)
                {
                    foreach (int m in Stacks.Methods(stack, Methods))
                    {
                        frames += count;
                        if (m == StackTable.Unresolved)
                            unresolved += count;
                    }
                }

                if (frames > 0 && unresolved * 100 / frames >= 20)
                    Warnings.Add(string.Create(CultureInfo.InvariantCulture, $"{unresolved * 100.0 / frames:F0}% of sampled frames have no method name (native code or missing rundown); they appear as '[native or unresolved code]'."));
            }
        }
    }

    /// <summary>Counts bytes read for progress and checks cancellation per read.</summary>
    private sealed class ProgressStream(Stream inner, long length, byte[]? header, IProgress<WorkProgress>? progress, CancellationToken cancellationToken) : Stream
    {
        private long _position;
        private int _lastPercent = -1;

        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => length;

        public override long Position
        {
            get => _position;
            set => throw new NotSupportedException();
        }

        public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

        public override int Read(Span<byte> buffer)
        {
            cancellationToken.ThrowIfCancellationRequested();
            int n = inner.Read(buffer);
            if (header is not null && _position < header.Length && n > 0)
            {
                // the repaired header bytes replace the file's (RepairHeader)
                int overlap = (int)Math.Min(n, header.Length - _position);
                header.AsSpan((int)_position, overlap).CopyTo(buffer);
            }

            _position += n;
            int percent = length == 0 ? 100 : (int)(_position * 100 / length);
            if (progress is not null && percent != _lastPercent)
            {
                _lastPercent = percent;
                progress.Report(new WorkProgress("Reading trace", $"{Bytes.Format(_position)} of {Bytes.Format(length)}", _position, length));
            }

            return n;
        }

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
