using System.Globalization;
using Analysis.Stacks;
using Microsoft.Diagnostics.Runtime;

namespace Analysis.Dumps;

/// <summary>Objects of one type.</summary>
/// <param name="TypeName">The type's full name.</param>
/// <param name="Count">Objects of the type.</param>
public sealed record TypeCount(string TypeName, int Count)
{
    /// <summary>"N TypeName".</summary>
    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"{Count:N0} {TypeName}");
}

/// <summary>The finalizer: its thread and what it runs, and the objects waiting for it.</summary>
public sealed record FinalizerReport
{
    /// <summary>Managed id of the finalizer thread; null when the dump shows none.</summary>
    public int? ThreadId { get; init; }

    /// <summary>The finalizer thread's stack, top first; empty when there is no finalizer thread.</summary>
    public ItemList<StackFrameInfo> Frames { get; init; } = [];

    /// <summary>The type whose finalizer is running (a Finalize frame on the finalizer thread), or null when idle.</summary>
    public string? Finalizing { get; init; }

    /// <summary>The wait the finalizer thread is in while running a finalizer (a finalizer should never wait).</summary>
    public string? WaitingIn { get; init; }

    /// <summary>A finalizer is running and waiting: every object behind it waits too.</summary>
    public bool IsBlocked => Finalizing is not null && WaitingIn is not null;

    /// <summary>Objects dead and queued for their finalizer (the f-reachable queue).</summary>
    public int ReadyCount => Ready.Sum(r => r.Count);

    /// <summary>The objects in the f-reachable queue, counted per type.</summary>
    public ItemList<TypeCount> Ready { get; init; } = [];

    /// <summary>Live objects registered for finalization (the finalization queue proper).</summary>
    public int RegisteredCount { get; init; }

    /// <summary>What could not be read: a damaged queue. Empty on a healthy dump.</summary>
    public ItemList<string> Warnings { get; init; } = [];

    /// <summary>"finalizer idle; N ready, M registered", or "finalizer running T.Finalize(), waiting in W; N objects wait behind it".</summary>
    public override string ToString() =>
        Finalizing is null
            ? string.Create(CultureInfo.InvariantCulture, $"finalizer idle; {ReadyCount:N0} ready, {RegisteredCount:N0} registered")
            : string.Create(CultureInfo.InvariantCulture, $"finalizer running {Finalizing}.Finalize(){(WaitingIn is null ? "" : ", waiting in " + WaitingIn)}; {ReadyCount:N0} objects wait behind it");
}

/// <summary>Reads what the finalizer thread runs and the objects queued behind it.</summary>
internal static class FinalizerReader
{
    public static FinalizerReport Read(ClrRuntime runtime, IReadOnlyList<DumpThread> threads, CancellationToken cancellationToken)
    {
        var thread = threads.FirstOrDefault(t => t.IsFinalizer);
        string? finalizing = null, waiting = null;
        if (thread is not null)
        {
            var frames = thread.Frames.Where(f => f.Kind == FrameKind.Managed).ToArray();
            int at = Array.FindIndex(frames, f => AsyncAnalyzer.ShortFunction(f.Function).EndsWith(".Finalize", StringComparison.Ordinal) && !f.Function.StartsWith("System.GC.", StringComparison.Ordinal));
            if (at >= 0)
            {
                string function = AsyncAnalyzer.ShortFunction(frames[at].Function);
                finalizing = function[..^".Finalize".Length];
                waiting = at > 0 ? ThreadFrames.WaitFrame(thread) : null;
            }
        }

        var warnings = new List<string>();
        var ready = new Dictionary<string, int>(StringComparer.Ordinal);
        int registered = 0;
        if (FinalizerQueues.Damage(runtime) is { } damage)
        {
            warnings.Add(damage);
        }
        else
        {
            foreach (var root in runtime.Heap.EnumerateFinalizerRoots())
            {
                cancellationToken.ThrowIfCancellationRequested();
                string name = root.Object.Type?.Name ?? "<unknown type>";
                ready[name] = ready.GetValueOrDefault(name) + 1;
            }

            foreach (var _ in runtime.Heap.EnumerateFinalizableObjects())
            {
                if ((++registered & 0xFFF) == 0)
                    cancellationToken.ThrowIfCancellationRequested();
            }
        }

        return new FinalizerReport
        {
            ThreadId = thread?.ManagedThreadId,
            Frames = thread?.Frames ?? [],
            Finalizing = finalizing,
            WaitingIn = waiting,
            Ready = ready.Select(kv => new TypeCount(kv.Key, kv.Value)).OrderByDescending(t => t.Count).ThenBy(t => t.TypeName, StringComparer.Ordinal).ToArray(),
            RegisteredCount = registered,
            Warnings = warnings,
        };
    }
}
