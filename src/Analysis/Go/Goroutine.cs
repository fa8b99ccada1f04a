using System.Globalization;
using Analysis.Stacks;

namespace Analysis.Go;

/// <summary>One goroutine of a dump (debug=2 or panic output), or one aggregated record of a debug=1 dump.</summary>
public sealed record Goroutine : IGoroutineSample
{
    /// <summary>Always "go" (the runtime column shared with .NET threads).</summary>
    public string Runtime => "go";

    /// <summary>Goroutine id; 0 for debug=1 records, which aggregate goroutines without ids.</summary>
    public long Id { get; init; }

    /// <summary>The wait reason or status in brackets: "running", "chan receive", "sync.Mutex.Lock", "select"; empty in debug=1.</summary>
    public string State { get; init; } = "";

    /// <summary>Goroutines this record stands for: 1 in debug=2, the record count in debug=1.</summary>
    public int Count { get; init; } = 1;

    /// <summary>
    /// Minutes blocked, when the runtime printed it (after one minute). From a core, a lower bound: from the wait's stamp
    /// (<see cref="WaitingSince"/>) to the newest moment the core records (the last GC or network poll), since a core
    /// does not say when it was written.
    /// </summary>
    public int WaitMinutes { get; init; }

    /// <summary>Locked to its OS thread (runtime.LockOSThread; "locked to thread" in the header).</summary>
    public bool LockedToThread { get; init; }

    /// <summary>Frames, innermost first.</summary>
    public ItemList<StackFrameInfo> Frames { get; init; } = [];

    /// <summary>The runtime cut the stack short ("...additional frames elided...").</summary>
    public bool FramesElided { get; init; }

    /// <summary>The "created by" function and site.</summary>
    public StackFrameInfo? CreatedBy { get; init; }

    /// <summary>The goroutine that created this one (Go 1.21+ "in goroutine N"), 0 when not printed.</summary>
    public long CreatedByGoroutine { get; init; }

    /// <summary>pprof labels of a debug=1 record (# labels: {...}).</summary>
    public LabelSet Labels { get; init; } = LabelSet.Empty;

    /// <summary>1-based line of the header in the file.</summary>
    public int LineNumber { get; init; }

    /// <summary>
    /// From a core: when the runtime first saw the goroutine blocked (g.waitsince, stamped by the first GC that found it
    /// waiting, so the wait began at or before it), on the wall clock; null in text dumps, for goroutines not waiting,
    /// and before the process's first GC.
    /// </summary>
    public DateTimeOffset? WaitingSince { get; init; }

    /// <summary>The OS thread (LWP id) running the goroutine when a core was written; 0 when it was not running, or in a text dump.</summary>
    public int ThreadId { get; init; }

    /// <summary>The runtime's M (thread) id the goroutine was on (g.m), -1 when none or not known (text dumps).</summary>
    public long M { get; init; } = -1;

    /// <summary>The goroutine's g struct address in a core ("gp=" in a crash traceback), 0 from text dumps.</summary>
    public ulong Address { get; init; }

    /// <summary>Why the frames are missing or short, when a core could not give them all ("stack unavailable").</summary>
    public string? Note { get; init; }

    /// <summary>The first frame outside the runtime and standard library plumbing of waiting (gopark, chanrecv…).</summary>
    public StackFrameInfo? TopFrame => Frames.FirstOrDefault(f => !GoFunctions.IsRuntimeWait(f.Function)) ?? Frames.FirstOrDefault();

    /// <inheritdoc/>
    public bool IsWaitFrame(StackFrameInfo frame)
    {
        ArgumentNullException.ThrowIfNull(frame);
        return frame.Kind != FrameKind.Go || GoFunctions.IsRuntimeWait(frame.Function);
    }

    /// <summary>"goroutine N [State, M minutes] TopFrame", or "N goroutines […]" for a debug=1 record.</summary>
    public override string ToString()
    {
        string wait = WaitMinutes > 0 ? string.Create(CultureInfo.InvariantCulture, $", {WaitMinutes} minutes") : "";
        string who = Id > 0 ? string.Create(CultureInfo.InvariantCulture, $"goroutine {Id}") : string.Create(CultureInfo.InvariantCulture, $"{Count} goroutines");
        return $"{who} [{State}{wait}]{(TopFrame is { } f ? " " + f.Function : "")}";
    }
}

/// <summary>A line the parser could not place, with why.</summary>
/// <param name="LineNumber">1-based line in the file.</param>
/// <param name="Text">The line (cut to 120 characters).</param>
/// <param name="Reason">Why it was skipped, e.g. "not a gc line".</param>
public sealed record SkippedLine(int LineNumber, string Text, string Reason)
{
    /// <summary>"line N: Reason: Text".</summary>
    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"line {LineNumber}: {Reason}: {Text}");
}

/// <summary>Which text form a goroutine dump has.</summary>
public enum GoroutineDumpFormat
{
    /// <summary>Full tracebacks (pprof debug=2, SIGQUIT, panic output).</summary>
    Traceback,
    /// <summary>pprof debug=1: records aggregated by stack, with counts and labels, no states.</summary>
    Aggregated,
}

/// <summary>What a goroutine dump holds: goroutines, the panic message if any, and what could not be parsed.</summary>
public sealed class GoroutineDump
{
    internal GoroutineDump(string? path, GoroutineDumpFormat format, IReadOnlyList<Goroutine> goroutines, IReadOnlyList<SkippedLine> skipped, string? panicMessage, int? declaredTotal)
    {
        Path = path;
        Format = format;
        Goroutines = goroutines;
        Skipped = skipped;
        PanicMessage = panicMessage;
        DeclaredTotal = declaredTotal;
    }

    /// <summary>Full path of the dump file; null when parsed from text without one.</summary>
    public string? Path { get; }

    /// <summary>Full tracebacks (debug=2, panic) or aggregated records (debug=1).</summary>
    public GoroutineDumpFormat Format { get; }

    /// <summary>The goroutines (or debug=1 records), in file order.</summary>
    public IReadOnlyList<Goroutine> Goroutines { get; }

    /// <summary>Lines that were not understood; parsing continued at the next goroutine.</summary>
    public IReadOnlyList<SkippedLine> Skipped { get; }

    /// <summary>The message of "panic: …" (or "fatal error: …") when the file is a crash.</summary>
    public string? PanicMessage { get; }

    /// <summary>The "goroutine profile: total N" of a debug=1 dump.</summary>
    public int? DeclaredTotal { get; }

    /// <summary>Goroutines represented (sum of counts).</summary>
    public int Total => (int)Math.Min(int.MaxValue, Goroutines.Sum(g => (long)g.Count));
}

/// <summary>Go function-name helpers.</summary>
public static class GoFunctions
{
    private static readonly HashSet<string> RuntimeWaits = new(StringComparer.Ordinal)
    {
        "runtime.gopark", "runtime.goparkunlock", "runtime.chanrecv", "runtime.chanrecv1", "runtime.chanrecv2", "runtime.chansend",
        "runtime.chansend1", "runtime.selectgo", "runtime.block", "runtime.semacquire", "runtime.semacquire1", "runtime.notetsleepg",
        "runtime.netpollblock", "runtime.timeSleep", "runtime.Gosched", "runtime.goschedIfBusy", "sync.runtime_Semacquire",
        "sync.runtime_SemacquireMutex", "sync.runtime_SemacquireRWMutex", "sync.runtime_SemacquireRWMutexR", "sync.runtime_SemacquireWaitGroup",
        "sync.runtime_notifyListWait", "sync.(*Mutex).lockSlow", "sync.(*Mutex).Lock", "sync.(*RWMutex).RLock", "sync.(*RWMutex).Lock",
        "sync.(*Cond).Wait", "sync.(*WaitGroup).Wait", "internal/poll.runtime_pollWait", "internal/poll.(*pollDesc).wait",
        "internal/poll.(*pollDesc).waitRead", "internal/poll.(*pollDesc).waitWrite", "time.Sleep",
    };

    /// <summary>True for the runtime and sync frames a blocked goroutine sits in on behalf of its caller.</summary>
    public static bool IsRuntimeWait(string function) => RuntimeWaits.Contains(function);

    /// <summary>The package path of a function: "contoso.example/leaky/orders.(*Server).Handle" → "contoso.example/leaky/orders".</summary>
    public static string PackageOf(string function)
    {
        int slash = function.LastIndexOf('/');
        int dot = function.IndexOf('.', slash + 1);
        return dot < 0 ? function : function[..dot];
    }
}
