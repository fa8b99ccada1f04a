using System.Globalization;
using System.Text;

namespace Analysis.Go;

/// <summary>A garbage collection in a Go execution trace.</summary>
/// <param name="Sequence">The GC's sequence number in the program (as the runtime counts cycles).</param>
/// <param name="StartMs">Start, in ms from the first event of the trace.</param>
/// <param name="DurationMs">From start to end, in ms (mostly concurrent with the program).</param>
/// <param name="StopTheWorldMs">Stop-the-world time of its "GC …" pauses, in ms.</param>
public sealed record GoTraceGc(long Sequence, double StartMs, double DurationMs, double StopTheWorldMs)
{
    /// <summary>"GC N at T ms: D ms, stop-the-world S ms".</summary>
    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"GC {Sequence} at {StartMs:F3} ms: {DurationMs:F3} ms, stop-the-world {StopTheWorldMs:F3} ms");
}

/// <summary>A stop-the-world pause and why ("GC sweep termination", "GC mark termination", "start trace", …).</summary>
/// <param name="Kind">Why the world stopped: "GC sweep termination", "GC mark termination", "start trace" ….</param>
/// <param name="StartMs">Start, in ms from the first event of the trace.</param>
/// <param name="DurationMs">How long every goroutine was stopped, in ms.</param>
public sealed record GoTraceStopTheWorld(string Kind, double StartMs, double DurationMs)
{
    /// <summary>"T ms  D ms  Kind".</summary>
    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"{StartMs,10:F3} ms  {DurationMs:F3} ms  {Kind}");
}

/// <summary>Why goroutines blocked, how often, and for how long in total.</summary>
/// <param name="Reason">The runtime's block reason: "chan receive", "select", "sync", "network" ….</param>
/// <param name="Count">How many times goroutines blocked for it.</param>
/// <param name="TotalBlockedMs">Time blocked for it, summed over goroutines, in ms.</param>
public sealed record GoBlockReason(string Reason, int Count, double TotalBlockedMs)
{
    /// <summary>"N × Reason (T ms blocked)".</summary>
    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"{Count,8:N0} × {Reason} ({TotalBlockedMs:F3} ms blocked)");
}

/// <summary>Goroutines per state at one moment of the trace.</summary>
/// <param name="TimeMs">The moment, in ms from the first event of the trace.</param>
/// <param name="Running">Goroutines running on a P.</param>
/// <param name="Runnable">Goroutines ready to run, waiting for a P.</param>
/// <param name="Waiting">Goroutines blocked (channel, lock, network, sleep …).</param>
/// <param name="Syscall">Goroutines in a system call.</param>
public sealed record GoStateSample(double TimeMs, int Running, int Runnable, int Waiting, int Syscall)
{
    /// <summary>"T ms  running R, runnable Q, waiting W, syscall S".</summary>
    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"{TimeMs,10:F3} ms  running {Running}, runnable {Runnable}, waiting {Waiting}, syscall {Syscall}");
}

/// <summary>The heap at one moment of an execution trace.</summary>
/// <param name="TimeMs">Milliseconds from the trace's start.</param>
/// <param name="Kind">"allocated" (HeapAlloc: live and not yet swept bytes) or "goal" (HeapGoal).</param>
/// <param name="Bytes">The value.</param>
public sealed record GoHeapSample(double TimeMs, string Kind, ulong Bytes);

/// <summary>
/// A Go 1.25+ trace's clock snapshot: at the start of a generation the runtime reads the wall clock and the monotonic
/// clock together (time_now), then the trace clock, and writes all three in the generation's sync batch (runtime
/// tracetime.go, traceSyncBatch). It places the trace on the wall clock exactly.
/// </summary>
/// <param name="Generation">The generation whose sync batch holds it.</param>
/// <param name="TraceNs">The trace clock at the snapshot, in ns (its ticks converted with the generation's frequency), on the scale of <see cref="GoExecutionTrace.FirstEventNs"/>.</param>
/// <param name="TimeMs">The same moment in ms from the trace's first event (negative when the snapshot precedes it, as at the first generation's start).</param>
/// <param name="MonotonicNs">The system's monotonic clock (the runtime's nanotime: CLOCK_MONOTONIC on Linux), in ns.</param>
/// <param name="WallSeconds">The wall clock, seconds since the Unix epoch (UTC).</param>
/// <param name="WallNanoseconds">The wall clock's nanoseconds within <paramref name="WallSeconds"/>.</param>
/// <param name="TicksPerSecond">The generation's trace clock frequency (its Frequency event): 15,625,000 where the trace clock is nanotime / 64.</param>
public sealed record GoTraceClockSnapshot(int Generation, long TraceNs, double TimeMs, ulong MonotonicNs, long WallSeconds, long WallNanoseconds, ulong TicksPerSecond)
{
    /// <summary>The wall clock in ns since the Unix epoch.</summary>
    public long WallUnixNs => WallSeconds * 1_000_000_000 + WallNanoseconds;

    /// <summary>The wall clock (UTC; DateTimeOffset keeps 100 ns).</summary>
    public DateTimeOffset Wall => DateTimeOffset.UnixEpoch.AddTicks(WallUnixNs / 100);

    /// <summary>"generation G: trace T ns = monotonic M ns = wall W".</summary>
    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"generation {Generation}: trace {TraceNs} ns = monotonic {MonotonicNs} ns = wall {Wall:yyyy-MM-ddTHH:mm:ss.fffffff}Z (+{WallNanoseconds % 100} ns)");
}

/// <summary>
/// A Go execution trace (runtime/trace, "go 1.2x trace" header; the format of Go 1.22, of Go 1.23 and 1.24, which
/// write "go 1.23 trace", and of Go 1.25, which adds a sync batch with a clock snapshot per generation) read by our own
/// decoder: GCs with their stop-the-world time, every STW pause, goroutine states over time, why goroutines blocked,
/// and (Go 1.25+) the trace clock against the monotonic and wall clocks.
/// </summary>
public sealed partial class GoExecutionTrace
{
    private const string Expected = "expected a Go execution trace from runtime/trace or go test -trace (Go 1.22 to 1.25: it starts with 'go 1.2x trace')";

    // Event types of the Go 1.22+ format and their argument counts, checked against golang/go
    // src/internal/trace/tracev2/events.go (commit 090372e8316831e7d6fd8a9c45195cd55d272b29, Go 1.25): the iota order
    // of its EventType constants and the Args of its specs table.
    private const byte EvEventBatch = 1, EvStacks = 2, EvStack = 3, EvStrings = 4, EvString = 5, EvCPUSamples = 6, EvCPUSample = 7, EvFrequency = 8;
    private const byte EvProcsChange = 9, EvGoCreate = 14, EvGoCreateSyscall = 15, EvGoStart = 16, EvGoDestroy = 17, EvGoDestroySyscall = 18;
    private const byte EvGoStop = 19, EvGoBlock = 20, EvGoUnblock = 21, EvGoSyscallBegin = 22, EvGoSyscallEnd = 23, EvGoSyscallEndBlocked = 24;
    private const byte EvGoStatus = 25, EvSTWBegin = 26, EvSTWEnd = 27, EvGCActive = 28, EvGCBegin = 29, EvGCEnd = 30, EvHeapAlloc = 37, EvHeapGoal = 38;
    private const byte EvGoSwitch = 45, EvGoSwitchDestroy = 46, EvGoCreateBlocked = 47, EvGoStatusStack = 48, EvExperimentalBatch = 49;

    // Go 1.25: EvSync starts a sync batch ([EvSync, EvFrequency freq, EvClockSnapshot dt mono sec nsec]; before, a
    // lone EvFrequency batch); EvClockSnapshot is timed (dt from the batch's time). 52 (EvEndOfGeneration) is reserved
    // and never written. Experimental events are numbered from 128 (tracev2 MaxEvent = 127): AllocFree's nine
    // (Span 4 args, SpanAlloc 4, SpanFree 2, HeapObject 3, HeapObjectAlloc 3, HeapObjectFree 2, GoroutineStack 3,
    // GoroutineStackAlloc 3, GoroutineStackFree 2, each with the time delta first); they are read past, not analyzed.
    private const byte EvSync = 50, EvClockSnapshot = 51, EvFirstExperimental = 128;

    private static readonly int[] ExperimentalArgCounts = [4, 4, 2, 3, 3, 2, 3, 3, 2];

    private static readonly int[] ArgCounts =
    [
        0, 4, 0, 2, 0, 1, 0, 5, 1, // structural
        3, 3, 1, 4, 3, // procs
        4, 2, 3, 1, 1, 3, 3, 4, 3, 1, 1, 4, // goroutines
        3, 1, // STW
        2, 3, 2, 2, 2, 3, 2, 2, 1, 2, 2, // GC
        2, 5, 3, 4, 4, 5, // annotations
        3, 3, 4, 5, // 1.23: switch, switch destroy, create blocked, status with stack
    ];

    private enum GState : byte
    {
        NotExist,
        Runnable,
        Running,
        Syscall,
        Waiting,
    }

    internal GoExecutionTrace(string? path, string version)
    {
        Path = path;
        GoVersion = version;
    }

    /// <summary>Full path of the trace file.</summary>
    public string? Path { get; }

    /// <summary>"1.23", from the header.</summary>
    public string GoVersion { get; }

    /// <summary>GOMAXPROCS as last set in the trace (0 when the trace has no procs event).</summary>
    public int Gomaxprocs { get; private set; }

    /// <summary>From the first to the last event, in ms.</summary>
    public double DurationMs { get; private set; }

    /// <summary>Events decoded.</summary>
    public long EventCount { get; private set; }

    /// <summary>Generations (the format's independent chunks, about one per second of tracing) in the trace.</summary>
    public int Generations { get; private set; }

    /// <summary>Distinct goroutines the trace mentions.</summary>
    public int Goroutines { get; private set; }

    /// <summary>GCs that began and ended in the trace, in order.</summary>
    public ItemList<GoTraceGc> Gcs { get; private set; } = [];

    /// <summary>Every stop-the-world pause, in order (GC phases and others, such as starting the trace).</summary>
    public ItemList<GoTraceStopTheWorld> StopTheWorlds { get; private set; } = [];

    /// <summary>Blocking reasons, most frequent first.</summary>
    public ItemList<GoBlockReason> BlockReasons { get; private set; } = [];

    /// <summary>Goroutine state counts over the trace, in equal time steps.</summary>
    public ItemList<GoStateSample> StatesOverTime { get; private set; } = [];

    /// <summary>
    /// The heap as the runtime reported it in the trace (HeapAlloc: bytes allocated and not yet freed; HeapGoal: the
    /// next GC's target), each change kept at most once per millisecond (the last value in it).
    /// </summary>
    public ItemList<GoHeapSample> HeapOverTime { get; private set; } = [];

    /// <summary>What the decoder could not do: truncation (quoting the byte offset), a missing frequency event, a GC still running at the end. Empty for a complete trace.</summary>
    public ItemList<string> Warnings { get; private set; } = [];

    /// <summary>One line: Go version, duration, GOMAXPROCS, goroutines, GCs, stop-the-world pauses and the longest.</summary>
    public override string ToString() =>
        string.Create(CultureInfo.InvariantCulture, $"Go {GoVersion} trace: {DurationMs:F1} ms, GOMAXPROCS {Gomaxprocs}, {Goroutines} goroutines, {Gcs.Count} GCs, {StopTheWorlds.Count} stop-the-world pauses (max {(StopTheWorlds.Count == 0 ? 0 : StopTheWorlds.Max(s => s.DurationMs)):F3} ms)");

    /// <summary>Reads and decodes the whole file; <paramref name="stateSteps"/> is how many points <see cref="StatesOverTime"/> gets. Throws AnalysisException for a missing file or one that is not a Go 1.22+ trace; a truncated one keeps what was read, with a warning.</summary>
    public static GoExecutionTrace Load(string path, int stateSteps = 100, CancellationToken cancellationToken = default)
    {
        string full = System.IO.Path.GetFullPath(path);
        InputFile.CheckExists(full, "Go execution trace", Expected);
        byte[] data;
        using (var stream = InputFile.OpenRead(full, "Go execution trace"))
        {
            data = new byte[stream.Length];
            stream.ReadExactly(data);
        }

        return Parse(data, full, stateSteps, cancellationToken);
    }

    internal static GoExecutionTrace Parse(byte[] data, string? path, int stateSteps = 100, CancellationToken cancellationToken = default)
    {
        // Header: "go 1.23 trace\0\0\0" (16 bytes); before Go 1.22 the same prefix with another version and format.
        var head = data.AsSpan(0, Math.Min(16, data.Length));
        if (!head.StartsWith("go 1."u8))
        {
            string guess = InputFile.Guess(head) is { } g ? $", which looks like {g}" : "";
            throw new AnalysisException(data.Length == 0 ? AnalysisErrorKind.FileEmpty : AnalysisErrorKind.WrongFormat, path,
                $"'{path}' is not a Go execution trace: it starts with {InputFile.Describe(head)}{guess}; {Expected}.");
        }

        int space = head[3..].IndexOf((byte)' ');
        string version = space > 0 ? Encoding.ASCII.GetString(head.Slice(3, space)) : "?";
        if (!head[(3 + Math.Max(space, 0))..].StartsWith(" trace"u8) || !int.TryParse(version.AsSpan(2), NumberStyles.None, CultureInfo.InvariantCulture, out int minor))
            throw new AnalysisException(AnalysisErrorKind.WrongFormat, path, $"'{path}' starts like a Go trace but its header is {InputFile.Describe(head)}; {Expected}.");
        if (minor < 22)
        {
            throw new AnalysisException(AnalysisErrorKind.WrongFormat, path,
                $"'{path}' is a Go {version} execution trace; only the format of Go 1.22 and later is read (Go 1.22 rewrote it). Open it with 'go tool trace' of Go {version}, or trace again with Go 1.22+.");
        }

        if (minor > 25)
            throw new AnalysisException(AnalysisErrorKind.WrongFormat, path, $"'{path}' is a Go {version} execution trace; this reader knows the formats of Go 1.22 to 1.25. Use 'go tool trace' of Go {version}.");
        if (data.Length < 16)
            throw new AnalysisException(AnalysisErrorKind.Truncated, path, $"Go trace '{path}' ends inside its 16-byte header ({data.Length} bytes).");

        var trace = new GoExecutionTrace(path, version);
        new Decoder(trace, data, minor, stateSteps, cancellationToken).Run();
        return trace;
    }

    /// <summary>
    /// Every goroutine the trace shows, by id: when it was created and ended in the trace (null: before it started,
    /// after it stopped) and the function it was created to run. A goroutine dump of the same process lists the ones
    /// alive when it was taken (goroutine ids are the same), which places the dump on the trace's clock.
    /// </summary>
    public ItemList<GoTraceGoroutine> GoroutineLives { get; private set; } = [];

    /// <summary>
    /// Go 1.25+: each generation's clock snapshot (trace clock, monotonic clock and wall clock read together), in
    /// generation order. Empty for Go 1.22–1.24 traces, which record no wall-clock time.
    /// </summary>
    public ItemList<GoTraceClockSnapshot> ClockSnapshots { get; private set; } = [];

    /// <summary>The trace's first event on the trace clock, in ns (ticks converted with its generation's frequency): the zero of every "ms from the first event".</summary>
    public long FirstEventNs { get; private set; }

    /// <summary>The trace's last event on the trace clock, in ns.</summary>
    public long LastEventNs { get; private set; }

    /// <summary>
    /// The wall-clock time (ns since the Unix epoch) of a moment on the trace clock (ns, as <see cref="FirstEventNs"/>),
    /// from the clock snapshot of the generation it falls in (the last one taken at or before it; the first for a
    /// moment before every snapshot); null for a trace without snapshots.
    /// </summary>
    public long? WallUnixNs(long traceNs)
    {
        if (ClockSnapshots.Count == 0)
            return null;
        var snapshot = ClockSnapshots.LastOrDefault(s => s.TraceNs <= traceNs) ?? ClockSnapshots[0];
        return snapshot.WallUnixNs + (traceNs - snapshot.TraceNs);
    }

    private sealed partial class Decoder(GoExecutionTrace trace, byte[] data, int minor, int stateSteps, CancellationToken cancellationToken)
    {
        private readonly SortedDictionary<ulong, ulong> _frequencies = new(); // generation -> trace clock ticks per second
        private readonly List<(ulong Gen, ulong Ns, ulong Mono, ulong Sec, ulong Nsec, ulong Freq)> _snapshots = new();
        private (ulong Gen, ulong? Freq) _freqCache = (ulong.MaxValue, null);
        private readonly Dictionary<(ulong Gen, ulong Id), string> _strings = new();
        private readonly Dictionary<ulong, ulong> _running = new(); // M -> goroutine running on it
        private readonly Dictionary<ulong, (ulong Gen, ulong Kind, ulong Start)> _stw = new(); // M -> open STW
        private readonly Dictionary<ulong, (ulong Gen, ulong Reason, ulong Start)> _blocked = new(); // G -> open block
        private (ulong Seq, ulong Start)? _gcOpen;
        private ulong _currentGen = ulong.MaxValue;
        private readonly List<(ulong Seq, ulong Start, ulong End)> _gcs = new();
        private readonly List<(ulong Time, bool Goal, ulong Bytes)> _heap = new();
        private readonly List<(ulong Gen, ulong Kind, ulong Start, ulong End)> _stws = new();
        private readonly Dictionary<(ulong Gen, ulong Reason), (int Count, ulong Blocked)> _reasons = new();
        private readonly List<string> _warnings = new();
        private ulong _min = ulong.MaxValue;
        private ulong _max;
        private ulong _maxGen;
        private long _events;
        private int _procs;
        private readonly Dictionary<ulong, (ulong Ts, ulong Gen, ulong? Stack)> _created = new(); // G -> its creation in the trace
        private readonly Dictionary<ulong, ulong> _ended = new(); // G -> its end in the trace
        private readonly Dictionary<(ulong Gen, ulong Id), ulong> _stackFunc = new(); // stack -> its first frame's function (string id)

        public void Run()
        {
            ScanFrequencies();
            int pos = 16;
            while (pos < data.Length)
            {
                cancellationToken.ThrowIfCancellationRequested();
                int batchStart = pos;
                var header = ReadBatchHeader(ref pos);
                switch (header.Problem)
                {
                    case BatchProblem.NotABatch:
                        throw Bad(batchStart, $"expected a batch (event type 1 or 49), found type {data[batchStart]}");
                    case BatchProblem.TooBig:
                        throw Bad(batchStart, $"batch of {header.Size:N0} bytes (the format allows 64 KiB)");
                    case BatchProblem.HeaderCut:
                        Truncated(batchStart, "inside a batch header");
                        break;
                    case BatchProblem.BodyCut:
                        Truncated(batchStart, $"inside a batch of {header.Size:N0} bytes");
                        break;
                }

                if (header.Problem != BatchProblem.None)
                    break;
                ulong gen = header.Gen;
                _maxGen = Math.Max(_maxGen, gen);
                if (gen != _currentGen)
                    Generation(gen);
                _currentGen = gen;
                if (header.HasEvents)
                    Batch(gen, header.M, header.Time, pos, pos + (int)header.Size);
                pos += (int)header.Size;
            }

            ProcessEvents();
            Finish();
        }

        private void Event(byte type, ulong gen, ulong m, ulong ts, ReadOnlySpan<ulong> a)
        {
            switch (type)
            {
                case EvProcsChange:
                    _procs = (int)a[1];
                    break;
                case EvGoCreate:
                    Set(a[1], GState.Runnable, ts);
                    Created(a[1], ts, gen, a[2]);
                    break;
                case EvGoCreateBlocked:
                    Set(a[1], GState.Waiting, ts);
                    Created(a[1], ts, gen, a[2]);
                    break;
                case EvGoCreateSyscall:
                    Set(a[1], GState.Syscall, ts);
                    Created(a[1], ts, gen, null);
                    break;
                case EvGoStart:
                    Set(a[1], GState.Running, ts);
                    _running[m] = a[1];
                    break;
                case EvGoDestroy or EvGoDestroySyscall:
                    if (_running.Remove(m, out ulong dead))
                    {
                        Set(dead, GState.NotExist, ts);
                        _ended.TryAdd(dead, ts);
                    }

                    break;
                case EvGoStop:
                    if (_running.Remove(m, out ulong stopped))
                        Set(stopped, GState.Runnable, ts);
                    break;
                case EvGoBlock:
                    if (_running.Remove(m, out ulong blocked))
                    {
                        Set(blocked, GState.Waiting, ts);
                        _blocked[blocked] = (gen, a[1], ts);
                        var key = (gen, a[1]);
                        var r = _reasons.GetValueOrDefault(key);
                        _reasons[key] = (r.Count + 1, r.Blocked);
                    }

                    break;
                case EvGoUnblock:
                    Set(a[1], GState.Runnable, ts);
                    if (_blocked.Remove(a[1], out var b))
                    {
                        var key = (b.Gen, b.Reason);
                        var r = _reasons.GetValueOrDefault(key);
                        _reasons[key] = (r.Count, r.Blocked + (ts > b.Start ? ts - b.Start : 0));
                    }

                    break;
                case EvGoSwitch or EvGoSwitchDestroy:
                    if (_running.Remove(m, out ulong from))
                    {
                        Set(from, type == EvGoSwitch ? GState.Waiting : GState.NotExist, ts);
                        if (type == EvGoSwitchDestroy)
                            _ended.TryAdd(from, ts);
                    }

                    Set(a[1], GState.Running, ts);
                    _running[m] = a[1];
                    break;
                case EvGoSyscallBegin:
                    if (_running.TryGetValue(m, out ulong sys))
                        Set(sys, GState.Syscall, ts);
                    break;
                case EvGoSyscallEnd:
                    if (_running.TryGetValue(m, out ulong back))
                        Set(back, GState.Running, ts);
                    break;
                case EvGoSyscallEndBlocked:
                    if (_running.Remove(m, out ulong waiting))
                        Set(waiting, GState.Runnable, ts);
                    break;
                case EvGoStatus or EvGoStatusStack:
                    var status = a[3] switch { 1 => GState.Runnable, 2 => GState.Running, 3 => GState.Syscall, 4 => GState.Waiting, _ => GState.NotExist };
                    Set(a[1], status, ts);
                    if (status is GState.Running or GState.Syscall && a[2] != ulong.MaxValue)
                        _running[a[2]] = a[1];
                    break;
                case EvSTWBegin:
                    _stw[m] = (gen, a[1], ts);
                    break;
                case EvSTWEnd:
                    if (_stw.Remove(m, out var s))
                        _stws.Add((s.Gen, s.Kind, s.Start, ts));
                    break;
                case EvGCBegin:
                    _gcOpen = (a[1], ts);
                    break;
                case EvGCActive:
                    _gcOpen ??= (a[1], ts); // a GC already running when the generation began
                    break;
                case EvHeapAlloc or EvHeapGoal:
                    _heap.Add((ts, type == EvHeapGoal, a[1]));
                    break;
                case EvGCEnd:
                    // GCEnd carries the next sequence number; one GC runs at a time.
                    if (_gcOpen is { } open)
                        _gcs.Add((open.Seq, open.Start, ts));
                    _gcOpen = null;
                    break;
            }
        }

        private void Created(ulong g, ulong ts, ulong gen, ulong? startStack)
        {
            if (!_created.ContainsKey(g))
                _created[g] = (ts, gen, startStack);
        }

        private void Finish()
        {
            ulong origin = _min == ulong.MaxValue ? 0 : _min;
            double Ms(ulong ns) => ns / 1e6;
            double At(ulong ts) => Ms(ts - origin);
            string S(ulong gen, ulong id) => _strings.GetValueOrDefault((gen, id)) ?? string.Create(CultureInfo.InvariantCulture, $"<string {id}>");

            var stws = _stws.Select(s => new GoTraceStopTheWorld(S(s.Gen, s.Kind), At(s.Start), Ms(s.End - s.Start))).OrderBy(s => s.StartMs).ToArray();
            var gcs = _gcs.OrderBy(g => g.Start).Select(g =>
            {
                // The STW pauses of a cycle: its "GC …" kinds from just before it starts to its end.
                double start = At(g.Start), end = At(g.End);
                double stw = stws.Where(s => s.Kind.StartsWith("GC", StringComparison.Ordinal) && s.StartMs >= start - 1 && s.StartMs <= end + 1).Sum(s => s.DurationMs);
                return new GoTraceGc((long)g.Seq, start, end - start, stw);
            }).ToArray();

            if (_frequencies.Count == 0)
                _warnings.Add("The trace has no frequency event: times are assumed to be nanoseconds.");
            if (minor >= 25 && _snapshots.Count == 0 && _events > 0)
                _warnings.Add("The trace has no clock snapshot (a Go 1.25 trace has one per generation): it cannot be placed on the wall clock by itself.");
            if (_gcOpen is not null)
                _warnings.Add("A GC had not ended when the trace stopped; it is not listed.");

            trace.Gcs = gcs;
            trace.StopTheWorlds = stws;
            trace.BlockReasons = _reasons
                .GroupBy(r => S(r.Key.Gen, r.Key.Reason))
                .Select(g => new GoBlockReason(g.Key, g.Sum(x => x.Value.Count), g.Sum(x => Ms(x.Value.Blocked))))
                .OrderByDescending(r => r.Count).ThenBy(r => r.Reason, StringComparer.Ordinal).ToArray();
            trace.Goroutines = _gIds.Count;
            trace.Gomaxprocs = _procs;
            trace.EventCount = _events;
            trace.Generations = (int)_maxGen;
            trace.DurationMs = _max > origin ? Ms(_max - origin) : 0;
            trace.StatesOverTime = States(origin, At, Math.Max(1, stateSteps));
            trace.HeapOverTime = _heap.OrderBy(h => h.Time)
                .GroupBy(h => (h.Goal, Millisecond: (long)At(h.Time)))
                .Select(g => g.Last())
                .Select(h => new GoHeapSample(At(h.Time), h.Goal ? "goal" : "allocated", h.Bytes))
                .OrderBy(h => h.TimeMs).ToArray();
            trace.Warnings = _warnings;
            trace.FirstEventNs = (long)Math.Min(origin, long.MaxValue);
            trace.LastEventNs = (long)Math.Min(_max > origin ? _max : origin, long.MaxValue);
            trace.ClockSnapshots = _snapshots.OrderBy(x => x.Gen).Select(x => new GoTraceClockSnapshot(
                (int)Math.Min(x.Gen, int.MaxValue), (long)Math.Min(x.Ns, long.MaxValue), (x.Ns >= origin ? Ms(x.Ns - origin) : -Ms(origin - x.Ns)),
                x.Mono, (long)Math.Min(x.Sec, long.MaxValue / 2_000_000_000), (long)Math.Min(x.Nsec, 999_999_999), x.Freq)).ToArray();
            trace.GoroutineLives = _gIds.Order().Select(g =>
            {
                (ulong Ts, ulong Gen, ulong? Stack)? created = _created.TryGetValue(g, out var c) ? c : null;
                string? start = created is { Stack: { } stack } && _stackFunc.TryGetValue((created.Value.Gen, stack), out ulong func) ? S(created.Value.Gen, func) : null;
                return new GoTraceGoroutine((long)g, created is { } cr ? At(cr.Ts) : null, _ended.TryGetValue(g, out ulong e) ? At(e) : null, start);
            }).ToArray();
        }

        private List<GoStateSample> States(ulong origin, Func<ulong, double> at, int steps)
        {
            var result = new List<GoStateSample>(steps + 1);
            if (_transitionCount == 0)
                return result;
            var transitions = SortedTransitions();
            var current = new GState?[_gIds.Count]; // by goroutine index
            var counts = new int[5];
            // the steps fall on whole trace clock units (64 ns where it is nanotime / 64), as they did when times were kept in ticks
            ulong unit = _frequencies.Count > 0 && 1_000_000_000 % _frequencies.First().Value == 0 ? 1_000_000_000 / _frequencies.First().Value : 1;
            double span = (_max - origin) / unit;
            int t = 0;
            for (int step = 0; step <= steps; step++)
            {
                ulong until = origin + (ulong)(span * step / steps) * unit;
                while (t < transitions.Length && transitions[t].Time <= until)
                {
                    var transition = transitions[t++];
                    var (g, state) = (transition.G, transition.State);
                    if (current[g] is { } old)
                        counts[(int)old]--;
                    current[g] = state;
                    counts[(int)state]++;
                }

                result.Add(new GoStateSample(at(until), counts[(int)GState.Running], counts[(int)GState.Runnable], counts[(int)GState.Waiting], counts[(int)GState.Syscall]));
            }

            return result;
        }

        /// <summary>
        /// Every generation's frequency, read before the events: before Go 1.25 a lone EvFrequency batch, written after
        /// the generation's events; from Go 1.25 in the sync batch that opens it. Damage is left to the main pass.
        /// </summary>
        private void ScanFrequencies()
        {
            int pos = 16;
            while (pos < data.Length)
            {
                var header = ReadBatchHeader(ref pos);
                if (header.Problem != BatchProblem.None)
                    return;
                ulong gen = header.Gen;
                int start = pos, end = pos + (int)header.Size;
                pos = end;
                if (!header.HasEvents || start == end)
                    continue;
                _eventBatches++;
                int at = start;
                if (minor >= 25 && data[at] == EvSync)
                    at++;
                if (at < end && data[at] == EvFrequency)
                {
                    at++;
                    if (TryUvarint(ref at, out ulong freq) && at <= end && freq > 0)
                        _frequencies.TryAdd(gen, freq);
                }
            }
        }

        private enum BatchProblem
        {
            None,
            NotABatch,
            HeaderCut,
            TooBig,
            BodyCut,
        }

        /// <summary>
        /// A batch's header at <paramref name="pos"/> (left at the batch's first event): [type 1 (events) or 49
        /// (experimental, then its experiment id)] generation, M, time, size. The one reading of it for both passes; a
        /// problem says what is wrong, and the caller decides whether that ends the trace with an error or a warning.
        /// </summary>
        private (BatchProblem Problem, bool HasEvents, ulong Gen, ulong M, ulong Time, ulong Size) ReadBatchHeader(ref int pos)
        {
            byte kind = data[pos++];
            if (kind is not (EvEventBatch or EvExperimentalBatch))
                return (BatchProblem.NotABatch, false, 0, 0, 0, 0);
            if (kind == EvExperimentalBatch)
                pos++; // experiment id
            if (!TryUvarint(ref pos, out ulong gen) || !TryUvarint(ref pos, out ulong m) || !TryUvarint(ref pos, out ulong time) || !TryUvarint(ref pos, out ulong size))
                return (BatchProblem.HeaderCut, false, 0, 0, 0, 0);
            if (size > 64 << 10)
                return (BatchProblem.TooBig, false, gen, m, time, size);
            if (pos + (long)size > data.Length)
                return (BatchProblem.BodyCut, false, gen, m, time, size);
            return (BatchProblem.None, kind == EvEventBatch, gen, m, time, size);
        }

        /// <summary>The trace clock frequency for a generation: its own, else the nearest earlier one's, else the first known; null when the trace has none.</summary>
        private ulong? FrequencyOf(ulong gen)
        {
            if (_freqCache.Gen == gen)
                return _freqCache.Freq;
            ulong? found = null;
            foreach (var (g, f) in _frequencies)
            {
                if (g > gen && found is not null)
                    break;
                found = f;
                if (g >= gen)
                    break;
            }

            _freqCache = (gen, found);
            return found;
        }

        /// <summary>
        /// Trace clock ticks in ns with the generation's frequency (ticks × 1e9 / frequency, exact in 128 bits; the
        /// ticks themselves when the trace has no frequency), saturating for a damaged trace's absurd values.
        /// </summary>
        private ulong Ns(ulong ticks, ulong gen)
        {
            if (FrequencyOf(gen) is not { } freq)
                return ticks;
            UInt128 ns = (UInt128)ticks * 1_000_000_000UL / freq;
            return ns > ulong.MaxValue ? ulong.MaxValue : (ulong)ns;
        }

        private ulong Read(ref int pos, int end, int eventStart)
        {
            ulong result = 0;
            for (int shift = 0; shift < 64; shift += 7)
            {
                if (pos >= end)
                    throw Bad(eventStart, "an event runs past the end of its batch");
                byte b = data[pos++];
                result |= (ulong)(b & 0x7f) << shift;
                if (b < 0x80)
                    return result;
            }

            throw Bad(eventStart, "varint longer than 10 bytes");
        }

        private bool TryUvarint(ref int pos, out ulong value)
        {
            value = 0;
            for (int shift = 0; shift < 64; shift += 7)
            {
                if (pos >= data.Length)
                    return false;
                byte b = data[pos++];
                value |= (ulong)(b & 0x7f) << shift;
                if (b < 0x80)
                    return true;
            }

            return false;
        }

        private void Truncated(int offset, string where)
        {
            if (_events == 0)
                throw new AnalysisException(AnalysisErrorKind.Truncated, trace.Path, $"Go trace '{trace.Path}' is truncated: it ends at byte {data.Length:N0}, {where} (at byte {offset:N0}), before any event.");
            _warnings.Add(string.Create(CultureInfo.InvariantCulture, $"Go trace '{trace.Path}' is truncated: it ends at byte {data.Length:N0}, {where} (at byte {offset:N0}); the {_events:N0} events before are analyzed."));
        }

        private AnalysisException Bad(int offset, string problem) =>
            new(AnalysisErrorKind.WrongFormat, trace.Path, string.Create(CultureInfo.InvariantCulture, $"Go trace '{trace.Path}' is damaged at byte {offset:N0}: {problem}."));
    }
}
