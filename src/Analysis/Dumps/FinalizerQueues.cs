using System.Globalization;
using Microsoft.Diagnostics.Runtime;

namespace Analysis.Dumps;

/// <summary>
/// Whether the finalization queues' bounds the runtime recorded are believable. ClrMD reads every slot between them and
/// yields only the non-empty ones, so a damaged bound (a flipped pointer: 35 PB of slots in one fuzz case) keeps it
/// reading without ever coming back, where no cancellation reaches. A queue cannot hold more objects than the heap.
/// </summary>
internal static class FinalizerQueues
{
    /// <summary>Null when every GC heap's queues fit its heap; else the damage, in words for a warning.</summary>
    public static string? Damage(ClrRuntime runtime)
    {
        var heap = runtime.Heap;
        long heapBytes = heap.Segments.Sum(s => (long)s.ObjectRange.Length);
        ulong slots = (ulong)Math.Max(1024, heapBytes / (3 * IntPtr.Size));
        foreach (var sub in heap.SubHeaps)
        {
            foreach (var range in new[] { sub.FinalizerQueueRoots, sub.FinalizerQueueObjects })
            {
                if (range.End < range.Start || (range.Length > 0 && (range.Start == 0 || range.Length / (ulong)IntPtr.Size > slots)))
                {
                    return string.Create(CultureInfo.InvariantCulture,
                        $"The finalization queue of GC heap {sub.Index} is damaged (0x{range.Start:x}..0x{range.End:x}: {range.Length / (ulong)IntPtr.Size:N0} slots for a heap of {heapBytes:N0} bytes): objects waiting for or registered for finalization are not listed, and are no roots here.");
                }
            }
        }

        return null;
    }
}
