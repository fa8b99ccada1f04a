namespace Analysis.Traces;

/// <summary>The threads the trace's sample profiler saw, for timelines' thread counts.</summary>
public sealed partial class TraceAnalysis
{
    private readonly Dictionary<int, (double First, double Last)> _threadSpans;

    /// <summary>
    /// Each thread the sample profiler saw, from its first to its last sample (ms from the trace start), by first
    /// sample. EventPipe's sample profiler samples, about every millisecond, each thread with managed code on its stack,
    /// running or waiting (threads only in native waits, like the finalizer's, are not sampled): such a thread's span is
    /// its life within the trace to about a millisecond. Empty when the trace has no CPU samples.
    /// </summary>
    internal IEnumerable<(int Thread, double FirstMs, double LastMs)> EnumerateThreadSpans() =>
        _threadSpans.Select(kv => (kv.Key, kv.Value.First, kv.Value.Last)).OrderBy(t => t.First).ThenBy(t => t.Key);
}
