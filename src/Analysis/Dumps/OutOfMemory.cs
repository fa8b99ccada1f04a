using System.Globalization;
using Microsoft.Diagnostics.Runtime;

namespace Analysis.Dumps;

/// <summary>
/// What the GC recorded about a managed allocation it could not satisfy on one heap (SOS <c>analyzeoom</c>): why, how
/// big the request was, after which GC. The GC keeps the last such failure per heap, also when the process went on.
/// </summary>
/// <param name="HeapIndex">The GC heap (0 for workstation GC).</param>
/// <param name="Reason">Why the allocation failed: Budget, CantCommit, CantReserve, LOH, LowMem, UnproductiveFullGC.</param>
/// <param name="GetMemoryFailure">What the GC was doing when getting memory failed (ReserveSegment, CommitSegmentBegin, …); null when it was not that.</param>
/// <param name="IsLargeObjectHeap">The request was for the large object heap.</param>
/// <param name="AllocationSize">The bytes the allocation asked for.</param>
/// <param name="GcIndex">The number of the GC after which it failed.</param>
/// <param name="AvailablePageFileMB">Page file megabytes available then (0 when not recorded, as on Linux).</param>
public sealed record OutOfMemoryInfo(int HeapIndex, string Reason, string? GetMemoryFailure, bool IsLargeObjectHeap, ulong AllocationSize, ulong GcIndex, ulong AvailablePageFileMB)
{
    /// <summary>The reason as a sentence, e.g. "could not commit memory".</summary>
    public string ReasonText => Reason switch
    {
        nameof(OutOfMemoryReason.Budget) => "the allocation exceeded the GC's budget",
        nameof(OutOfMemoryReason.CantCommit) => "could not commit memory (the memory limit or the machine's memory was reached)",
        nameof(OutOfMemoryReason.CantReserve) => "could not reserve address space",
        nameof(OutOfMemoryReason.LOH) => "could not get memory for the large object heap",
        nameof(OutOfMemoryReason.LowMem) => "low on memory during a GC",
        nameof(OutOfMemoryReason.UnproductiveFullGC) => "full GCs freed too little (unproductive full GC)",
        _ => Reason,
    };

    /// <summary>"allocating N bytes (LOH) failed after GC #G on heap H: reason".</summary>
    public override string ToString() =>
        string.Create(CultureInfo.InvariantCulture,
            $"allocating {AllocationSize:N0} bytes{(IsLargeObjectHeap ? " (LOH)" : "")} failed after GC #{GcIndex} on heap {HeapIndex}: {ReasonText}{(GetMemoryFailure is null ? "" : $" ({GetMemoryFailure})")}");
}

/// <summary>Reads the GC's out-of-memory records (ClrMD's <see cref="ClrSubHeap.OomInfo"/>).</summary>
internal static class OutOfMemoryReader
{
    public static ItemList<OutOfMemoryInfo> Read(ClrRuntime runtime)
    {
        var result = new List<OutOfMemoryInfo>();
        foreach (var heap in runtime.Heap.SubHeaps)
        {
            ClrOutOfMemoryInfo? oom;
            try
            {
                oom = heap.OomInfo;
            }
            catch (Exception e) when (DumpEngine.IsEngineFailure(e))
            {
                continue; // a heap whose record cannot be read has none to tell
            }

            if (oom is null || oom.Reason == OutOfMemoryReason.None)
                continue;
            result.Add(new OutOfMemoryInfo(heap.Index, oom.Reason.ToString(), oom.GetMemoryFailure == GetMemoryFailureReason.None ? null : oom.GetMemoryFailure.ToString(),
                oom.IsLargeObjectHeap, oom.AllocSize, oom.GCIndex, oom.AvailablePageFileMB));
        }

        return result;
    }
}
