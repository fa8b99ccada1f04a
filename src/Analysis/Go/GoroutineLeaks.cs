using System.Globalization;
using Analysis.Stacks;

namespace Analysis.Go;

/// <summary>A bucket of goroutines that looks leaked: many, blocked long on a channel, select or lock.</summary>
/// <param name="Bucket">The goroutines (same state, stack and creator).</param>
/// <param name="Description">Why they look leaked, in one sentence.</param>
public sealed record LeakSuspect(StackBucket Bucket, string Description)
{
    /// <summary>Goroutines in the bucket.</summary>
    public int Count => Bucket.Count;

    /// <summary>The state they share: "chan receive", "select", "sync.Mutex.Lock" ….</summary>
    public string State => Bucket.State;

    /// <summary>The longest wait in the bucket, in minutes (0 when the runtime printed none).</summary>
    public int WaitMinutes => Bucket.MaxWaitMinutes;

    /// <summary>Where the goroutines are stuck.</summary>
    public StackFrameInfo? Site => Bucket.TopFrame;

    /// <summary>The function and site that started these goroutines ("created by"); null when not printed.</summary>
    public StackFrameInfo? CreatedBy => Bucket.CreatedBy;

    /// <summary>The <see cref="Description"/>.</summary>
    public override string ToString() => Description;
}

/// <summary>Finds goroutine leaks in a dump.</summary>
public static class GoroutineLeaks
{
    private static readonly string[] BlockingStates =
    [
        "chan receive", "chan send", "select", "sync.Mutex.Lock", "sync.RWMutex.Lock", "sync.RWMutex.RLock", "sync.Cond.Wait",
        "sync.WaitGroup.Wait", "semacquire", "IO wait",
    ];

    /// <summary>The state given to debug=1 records whose wait cannot be told from their frames.</summary>
    public const string UnknownWait = "unknown wait (debug=1 has no states)";

    /// <summary>True for states in which goroutines wait for another goroutine (channels, select, locks, I/O).</summary>
    public static bool IsBlocking(string state)
    {
        foreach (string s in BlockingStates)
        {
            if (state.StartsWith(s, StringComparison.Ordinal))
                return true;
        }

        return false;
    }

    /// <summary>
    /// Buckets (arguments ignored) of at least <paramref name="minGoroutines"/> goroutines in a blocking state for at least
    /// <paramref name="minMinutes"/> minutes, largest first. A debug=1 dump has neither states nor durations: every record
    /// of that size counts, with its state inferred from its frames where they show it, else <see cref="UnknownWait"/>.
    /// </summary>
    public static IReadOnlyList<LeakSuspect> Find(GoroutineDump dump, int minGoroutines = 10, int minMinutes = 1)
    {
        ArgumentNullException.ThrowIfNull(dump);
        var buckets = StackGrouper.Group(dump.Goroutines, StackSimilarity.IgnoreArguments);
        var suspects = new List<LeakSuspect>();
        bool timed = dump.Format == GoroutineDumpFormat.Traceback;
        foreach (var b in buckets)
        {
            if (b.Count < minGoroutines)
                continue;
            string state = b.State;
            if (!timed)
            {
                // debug=1 prints neither states nor the runtime frames of parked goroutines: infer what can be inferred,
                // and leave out only the goroutine that wrote the profile.
                if (b.Frames.Any(f => f.Function.StartsWith("runtime/pprof.writeGoroutine", StringComparison.Ordinal)))
                    continue;
                state = InferState(b.Frames) is { Length: > 0 } inferred ? inferred : UnknownWait;
            }
            else if (!IsBlocking(state))
            {
                continue;
            }

            if (timed && b.MaxWaitMinutes < minMinutes)
                continue;
            string site = b.TopFrame is { } f ? $"{f.Function} ({Path.GetFileName(f.File)}:{f.Line})" : "an unknown site";
            string created = b.CreatedBy is { } c ? $", created by {c.Function} ({Path.GetFileName(c.File)}:{c.Line})" : "";
            string wait = timed ? string.Create(CultureInfo.InvariantCulture, $" for {b.MinWaitMinutes}–{b.MaxWaitMinutes} minutes") : "";
            suspects.Add(new LeakSuspect(b with { State = state },
                string.Create(CultureInfo.InvariantCulture, $"{b.Count} goroutines blocked on {state}{wait} in {site}{created}")));
        }

        return suspects;
    }

    /// <summary>The wait a debug=1 record is in, from its innermost frames.</summary>
    internal static string InferState(IReadOnlyList<StackFrameInfo> frames)
    {
        foreach (var f in frames.Take(6))
        {
            switch (f.Function)
            {
                case "runtime.chanrecv" or "runtime.chanrecv1" or "runtime.chanrecv2":
                    return "chan receive";
                case "runtime.chansend" or "runtime.chansend1":
                    return "chan send";
                case "runtime.selectgo" or "runtime.block":
                    return "select";
                case "sync.(*Mutex).Lock" or "sync.(*Mutex).lockSlow":
                    return "sync.Mutex.Lock";
                case "sync.(*RWMutex).Lock":
                    return "sync.RWMutex.Lock";
                case "sync.(*RWMutex).RLock":
                    return "sync.RWMutex.RLock";
                case "sync.(*Cond).Wait":
                    return "sync.Cond.Wait";
                case "sync.(*WaitGroup).Wait":
                    return "sync.WaitGroup.Wait";
                case "internal/poll.runtime_pollWait":
                    return "IO wait";
            }
        }

        return "";
    }
}
