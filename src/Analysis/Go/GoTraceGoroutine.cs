using System.Globalization;

namespace Analysis.Go;

/// <summary>One goroutine as an execution trace saw it: its id, when it was created and ended, and its start function.</summary>
/// <param name="Id">The goroutine id (the one goroutine dumps print).</param>
/// <param name="CreatedMs">When the trace saw it created (ms since the trace's first event); null when it existed before the trace began.</param>
/// <param name="EndedMs">When it ended in the trace; null when it was still alive when the trace stopped.</param>
/// <param name="StartFunction">The function it was created to run ("main.worker"); null when it existed before the trace began.</param>
public sealed record GoTraceGoroutine(long Id, double? CreatedMs, double? EndedMs, string? StartFunction)
{
    /// <summary>
    /// A runtime goroutine (its start function is in package runtime, other than runtime.main): goroutine dumps leave
    /// these out unless GOTRACEBACK=system, so a dump's not listing it says nothing. Null when the start is not known.
    /// </summary>
    public bool? IsRuntime => StartFunction is null ? null : StartFunction.StartsWith("runtime.", StringComparison.Ordinal) && StartFunction != "runtime.main";

    /// <summary>"goroutine 203 (runtime.traceStartReadCPU.func1): created at 12.345 ms, alive at the end".</summary>
    public override string ToString() => string.Create(CultureInfo.InvariantCulture,
        $"goroutine {Id}{(StartFunction is null ? "" : $" ({StartFunction})")}: {(CreatedMs is { } c ? $"created at {c:F3} ms" : "before the trace")}, {(EndedMs is { } e ? $"ended at {e:F3} ms" : "alive at the end")}");
}
