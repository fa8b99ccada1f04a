using System.Globalization;
using Analysis.Findings;
using Analysis.Stacks;

namespace Analysis.Traces;

/// <summary>One garbage collection, as PerfView's GCStats shows it.</summary>
public sealed record GcEvent
{
    /// <summary>The GC's number in the process (GC #N), counted from the process start, so the first in a trace may not be 1.</summary>
    public required int Number { get; init; }

    /// <summary>The condemned generation: 0, 1 or 2.</summary>
    public required int Generation { get; init; }

    /// <summary>Blocking, Background or Foreground (a blocking GC during a background one).</summary>
    public required string Type { get; init; }

    /// <summary>Why it ran: AllocSmall, Induced, LowMemory, AllocLarge, …</summary>
    public required string Reason { get; init; }

    /// <summary>Induced by code (GC.Collect) or the runtime on request, not by allocation.</summary>
    public bool IsInduced => Reason.StartsWith("Induced", StringComparison.Ordinal);

    /// <summary>Start, in milliseconds from the start of the trace.</summary>
    public double StartMs { get; init; }

    /// <summary>How long managed threads were paused (suspension included).</summary>
    public double PauseMs { get; init; }

    /// <summary>How long suspending the threads took (part of the pause).</summary>
    public double SuspendMs { get; init; }

    /// <summary>From the GC's start to its end, in ms (a background GC runs longer than it pauses).</summary>
    public double DurationMs { get; init; }

    /// <summary>Heap size before the GC, in MB (10^6 bytes, as TraceEvent's GCStats).</summary>
    public double HeapSizeBeforeMB { get; init; }

    /// <summary>Heap size after the GC, in MB (10^6 bytes).</summary>
    public double HeapSizeAfterMB { get; init; }

    /// <summary>Bytes the GC promoted (survived) to an older generation, in MB (10^6 bytes).</summary>
    public double PromotedMB { get; init; }

    /// <summary>Allocated between the previous GC and this one, in MB (10^6 bytes).</summary>
    public double AllocatedSinceLastGcMB { get; init; }

    /// <summary>Size of each generation after the GC: gen0, gen1, gen2, large object heap, pinned object heap (MB).</summary>
    public ItemList<double> GenerationSizesAfterMB { get; init; } = [];

    /// <summary>When the pause began (the runtime started suspending threads), in milliseconds from the start of the trace; before <see cref="StartMs"/>.</summary>
    public double PauseStartMs { get; init; }

    /// <summary>"GC #N genG Type Reason at T ms: pause P ms, heap B → A MB".</summary>
    public override string ToString() =>
        string.Create(CultureInfo.InvariantCulture, $"GC #{Number} gen{Generation} {Type} {Reason} at {StartMs:F1} ms: pause {PauseMs:F2} ms, heap {HeapSizeBeforeMB:F1} → {HeapSizeAfterMB:F1} MB");
}

/// <summary>Totals over all GCs of a trace, and the anomalies found.</summary>
public sealed record GcSummary
{
    /// <summary>GCs completed in the trace.</summary>
    public int Count { get; init; }

    /// <summary>Gen0 GCs.</summary>
    public int Gen0Count { get; init; }

    /// <summary>Gen1 GCs.</summary>
    public int Gen1Count { get; init; }

    /// <summary>Gen2 GCs (blocking and background).</summary>
    public int Gen2Count { get; init; }

    /// <summary>GCs induced by code or the runtime (Reason Induced…), any generation.</summary>
    public int InducedCount { get; init; }

    /// <summary>Induced gen2 GCs (GC.Collect() with default arguments, typically).</summary>
    public int InducedGen2Count { get; init; }

    /// <summary>Background gen2 GCs.</summary>
    public int BackgroundCount { get; init; }

    /// <summary>Sum of the pauses, in ms.</summary>
    public double TotalPauseMs { get; init; }

    /// <summary>Mean pause per GC, in ms; 0 without GCs.</summary>
    public double MeanPauseMs { get; init; }

    /// <summary>Longest pause, in ms; 0 without GCs.</summary>
    public double MaxPauseMs { get; init; }

    /// <summary>Share of the traced time the process spent paused for GC.</summary>
    public double PercentTimePaused { get; init; }

    /// <summary>Allocated over the trace, in MB (10^6 bytes), as TraceEvent's GC statistics count it.</summary>
    public double TotalAllocatedMB { get; init; }

    /// <summary><see cref="TotalAllocatedMB"/> over <see cref="TraceDurationMs"/>, in MB per second; 0 for an empty trace.</summary>
    public double AllocationRateMBPerSec { get; init; }

    /// <summary>Largest heap size before or after any GC, in MB (10^6 bytes); 0 without GCs.</summary>
    public double PeakHeapSizeMB { get; init; }

    /// <summary>The traced time span the percentages refer to.</summary>
    public double TraceDurationMs { get; init; }

    /// <summary>The pause length, in ms, over which a GC is listed in <see cref="GcsOverThreshold"/> and a LongPause anomaly is raised (default 50).</summary>
    public double PauseThresholdMs { get; init; }

    /// <summary>GC numbers whose pause exceeded <see cref="PauseThresholdMs"/>.</summary>
    public ItemList<int> GcsOverThreshold { get; init; } = [];

    /// <summary>What is worth a look (LongPause, InducedGen2, Gen2Storm, HighPauseShare), with the GCs that show it in <see cref="Finding.GcNumbers"/>.</summary>
    public ItemList<Finding> Anomalies { get; init; } = [];

    /// <summary>"N GCs (gen0 …, gen1 …, gen2 …, induced …); pause total T ms, max M ms …".</summary>
    public override string ToString() =>
        string.Create(CultureInfo.InvariantCulture, $"{Count} GCs (gen0 {Gen0Count}, gen1 {Gen1Count}, gen2 {Gen2Count}, induced {InducedCount}); pause total {TotalPauseMs:F1} ms, max {MaxPauseMs:F1} ms, {PercentTimePaused:F2}% of {TraceDurationMs / 1000:F1} s; {AllocationRateMBPerSec:F1} MB/s allocated; peak heap {PeakHeapSizeMB:F1} MB");
}

/// <summary>A function's share of CPU samples.</summary>
/// <param name="Function">The method (full name).</param>
/// <param name="Module">The module (assembly or native library) it is in; null when unknown.</param>
/// <param name="ExclusiveSamples">Samples with the function as the leaf (its own code).</param>
/// <param name="InclusiveSamples">Samples with the function anywhere on the stack.</param>
/// <param name="ExclusivePercent"><paramref name="ExclusiveSamples"/> as a percentage of the samples counted.</param>
/// <param name="InclusivePercent"><paramref name="InclusiveSamples"/> as a percentage of the samples counted.</param>
public sealed record CpuFunction(string Function, string? Module, long ExclusiveSamples, long InclusiveSamples, double ExclusivePercent, double InclusivePercent)
{
    /// <summary>"excl% incl%  Module!Function".</summary>
    public override string ToString() =>
        string.Create(CultureInfo.InvariantCulture, $"{ExclusivePercent,6:F2}% {InclusivePercent,6:F2}%  {(Module is null ? "" : Module + "!")}{Function}");
}

/// <summary>One stack in folded form ("root;…;leaf") and how many samples it had.</summary>
/// <param name="Stack">The frames root first, joined by ';'.</param>
/// <param name="Samples">How many samples had exactly this stack.</param>
public sealed record FoldedStack(string Stack, long Samples)
{
    /// <summary>"root;…;leaf N", the folded-stack line flamegraph tools read.</summary>
    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"{Stack} {Samples}");
}

/// <summary>An exception thrown during the trace.</summary>
/// <param name="TimeMs">When it was thrown, in ms from the start of the trace.</param>
/// <param name="ThreadId">The OS thread id of the throwing thread.</param>
/// <param name="Type">The exception type (full name).</param>
/// <param name="Message">Its message (empty when none).</param>
/// <param name="HResult">Its HResult.</param>
public sealed record TraceException(double TimeMs, int ThreadId, string Type, string Message, int HResult)
{
    /// <summary>Where it was thrown, top first (empty when the trace has no stacks).</summary>
    public ItemList<StackFrameInfo> Stack { get; init; } = [];

    /// <summary>The method that threw: the first managed frame below the runtime's exception dispatch.</summary>
    public StackFrameInfo? ThrownIn => Stack.FirstOrDefault(f => f.Kind == FrameKind.Managed &&
        !f.Function.StartsWith("System.Runtime.EH.", StringComparison.Ordinal) &&
        !f.Function.StartsWith("System.Runtime.ExceptionServices.", StringComparison.Ordinal));

    /// <summary>"T ms  thread N  Type: Message in Function".</summary>
    public override string ToString() =>
        string.Create(CultureInfo.InvariantCulture, $"{TimeMs,10:F1} ms  thread {ThreadId}  {Type}: {Message}{(ThrownIn is { } f ? " in " + f.Function : "")}");
}

/// <summary>A thread that had to wait for a lock.</summary>
/// <param name="TimeMs">When the wait began, in ms from the start of the trace.</param>
/// <param name="ThreadId">The OS thread id of the waiting thread.</param>
/// <param name="DurationMs">How long it waited, in ms.</param>
/// <param name="LockKind">"managed" (Monitor, Lock) or "native" (a runtime-internal lock).</param>
public sealed record ContentionEvent(double TimeMs, int ThreadId, double DurationMs, string LockKind)
{
    /// <summary>Where the thread waited, top first.</summary>
    public ItemList<StackFrameInfo> Stack { get; init; } = [];

    /// <summary>The thread that held the lock, when the runtime reported it (.NET 8+).</summary>
    public long? OwnerThreadId { get; init; }

    /// <summary>Address of the contended lock object; 0 when the runtime did not report it.</summary>
    public ulong LockAddress { get; init; }

    /// <summary>"T ms  thread N waited D ms on a Kind lock in Function".</summary>
    public override string ToString() =>
        string.Create(CultureInfo.InvariantCulture, $"{TimeMs,10:F1} ms  thread {ThreadId} waited {DurationMs:F2} ms on a {LockKind} lock{(Stack.FirstOrDefault(f => f.Kind == FrameKind.Managed && !f.Function.StartsWith("System.Threading.", StringComparison.Ordinal)) is { } f ? " in " + f.Function : "")}");
}
