using System.Buffers.Binary;
using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using Microsoft.Diagnostics.Runtime;

namespace Analysis.Dumps;

/// <summary>
/// One pass over the GC heap that counts objects and bytes per type. Instead of materialising a ClrObject per
/// object, it reads each segment in large blocks, decodes method tables and lengths from the bytes, and walks
/// segments in parallel. The object-size rules follow the runtime's (and ClrMD's) heap layout: base size plus
/// component size × length, strings one element longer, 8-byte alignment, a 3-pointer minimum, and allocation
/// contexts skipped.
/// </summary>
internal static class HeapWalker
{
    private const int SmallObjectWindow = 1 << 20;
    private const int LargeObjectWindow = 4096;

    private sealed class TypeEntry(uint baseSize, uint componentSize, bool isString, bool isFree)
    {
        public readonly uint BaseSize = baseSize;
        public readonly uint ComponentSize = componentSize;
        public readonly bool IsString = isString;
        public readonly bool IsFree = isFree;
    }

    private sealed class Counter
    {
        public long Count;
        public long Size;
    }

    private sealed class SegmentResult
    {
        public readonly Dictionary<ulong, Counter> PerMethodTable = new();
        public long FreeCount;
        public long FreeSize;
        public string? Warning;
        public long Skipped;
    }

    public static HeapStatistics Walk(ClrRuntime runtime, IProgress<WorkProgress>? progress, CancellationToken cancellationToken, int maxParallelism = 0)
    {
        var stopwatch = Stopwatch.StartNew();
        ClrHeap heap = runtime.Heap;
        IDataReader reader = runtime.DataTarget.DataReader;
        int pointerSize = reader.PointerSize;
        ulong minObjectSize = (ulong)pointerSize * 3;

        var allocationContexts = new AllocationContexts(heap, minObjectSize);

        var types = new ConcurrentDictionary<ulong, TypeEntry?>();
        ulong freeMt = heap.FreeType.MethodTable;
        ulong stringMt = heap.StringType.MethodTable;

        TypeEntry? Resolve(ulong mt) => types.GetOrAdd(mt, static (m, h) =>
        {
            ClrType? type = h.Heap.GetTypeByMethodTable(m);
            if (type is null)
                return null;
            return new TypeEntry((uint)type.StaticSize, (uint)type.ComponentSize, m == h.StringMt, m == h.FreeMt);
        }, (Heap: heap, StringMt: stringMt, FreeMt: freeMt));

        var segments = heap.Segments.Where(s => s.ObjectRange.Length > 0).OrderByDescending(s => s.ObjectRange.Length).ToArray();
        long total = segments.Sum(s => (long)s.ObjectRange.Length);
        long done = 0;
        int lastPercent = -1;
        void Advance(long bytes)
        {
            long now = Interlocked.Add(ref done, bytes);
            if (progress is null || total == 0)
                return;
            int percent = (int)(now * 100 / total);
            int seen = Volatile.Read(ref lastPercent);
            if (percent > seen && Interlocked.CompareExchange(ref lastPercent, percent, seen) == seen)
                progress.Report(new WorkProgress("Walking the GC heap", $"{Bytes.Format(now)} of {Bytes.Format(total)}", now, total));
        }

        var results = new SegmentResult[segments.Length];
        var options = new ParallelOptions
        {
            CancellationToken = cancellationToken,
            MaxDegreeOfParallelism = maxParallelism > 0 ? maxParallelism : Environment.ProcessorCount,
        };
        Parallel.For(0, segments.Length, options, () => new Dictionary<ulong, TypeEntry?>(), (i, _, localTypes) =>
        {
            results[i] = WalkSegment(segments[i], reader, allocationContexts, localTypes, Resolve, minObjectSize, Advance, cancellationToken);
            return localTypes;
        }, _ => { });

        // Merge per segment, then by type name.
        var perMt = new Dictionary<ulong, Counter>();
        long freeCount = 0, freeSize = 0, skipped = 0;
        var warnings = new List<string>();
        foreach (var r in results)
        {
            foreach (var (mt, c) in r.PerMethodTable)
            {
                var acc = perMt.TryGetValue(mt, out var a) ? a : perMt[mt] = new Counter();
                acc.Count += c.Count;
                acc.Size += c.Size;
            }

            freeCount += r.FreeCount;
            freeSize += r.FreeSize;
            skipped += r.Skipped;
            if (r.Warning is not null)
                warnings.Add(r.Warning);
        }

        var byName = new Dictionary<string, (long Count, long Size, List<ulong> Mts)>(StringComparer.Ordinal);
        foreach (var (mt, c) in perMt)
        {
            string name = heap.GetTypeByMethodTable(mt)?.Name ?? string.Create(CultureInfo.InvariantCulture, $"<unknown type, method table 0x{mt:x}>");
            var acc = byName.TryGetValue(name, out var a) ? a : (Count: 0L, Size: 0L, Mts: new List<ulong>());
            acc.Mts.Add(mt);
            byName[name] = (acc.Count + c.Count, acc.Size + c.Size, acc.Mts);
        }

        var rows = byName
            .Select(kv => new HeapTypeStat(kv.Key, kv.Value.Count, kv.Value.Size) { MethodTables = kv.Value.Mts.Order().ToArray() })
            .OrderByDescending(t => t.TotalSize).ThenBy(t => t.TypeName, StringComparer.Ordinal)
            .ToArray();
        return new HeapStatistics(rows, freeCount, freeSize, segments.Length, warnings, skipped, stopwatch.Elapsed);
    }

    private static SegmentResult WalkSegment(
        ClrSegment segment,
        IDataReader reader,
        AllocationContexts allocationContexts,
        Dictionary<ulong, TypeEntry?> localTypes,
        Func<ulong, TypeEntry?> resolve,
        ulong minObjectSize,
        Action<long> advance,
        CancellationToken cancellationToken)
    {
        var result = new SegmentResult();
        bool largeObjects = segment.Kind is GCSegmentKind.Large or GCSegmentKind.Pinned;
        ulong start = segment.FirstObjectAddress;
        ulong end = segment.ObjectRange.End;
        byte[] buffer = new byte[largeObjects ? LargeObjectWindow : SmallObjectWindow];
        ulong windowStart = 0;
        int windowLength = 0;
        ulong reported = start;

        ulong lastMt = 0;
        TypeEntry? lastType = null;
        Counter? lastCounter = null;

        var contexts = allocationContexts.For(segment);
        ulong obj = contexts.SkipFrom(start);

        while (obj < end)
        {
            // Make sure the method table and the length field of this object are in the window.
            if (obj < windowStart || obj + 16 > windowStart + (ulong)windowLength)
            {
                cancellationToken.ThrowIfCancellationRequested();
                advance((long)(obj - reported));
                reported = obj;
                int want = (int)Math.Min((ulong)buffer.Length, end - obj);
                windowStart = obj;
                windowLength = reader.Read(obj, buffer.AsSpan(0, want));
                if (windowLength < Math.Min(16, want))
                {
                    result.Warning = Warn(segment, obj, "memory is not in the dump");
                    break;
                }
            }

            int offset = (int)(obj - windowStart);
            ulong mt = BinaryPrimitives.ReadUInt64LittleEndian(buffer.AsSpan(offset)) & ~3UL;
            if (mt == 0)
            {
                ulong skippedTo = contexts.SkipFrom(obj);
                if (skippedTo != obj)
                {
                    obj = skippedTo;
                    continue;
                }

                result.Warning = Warn(segment, obj, "zero method table outside an allocation context");
                break;
            }

            TypeEntry? type;
            if (mt == lastMt)
            {
                type = lastType;
            }
            else
            {
                if (!localTypes.TryGetValue(mt, out type))
                    localTypes[mt] = type = resolve(mt);
                lastMt = mt;
                lastType = type;
                lastCounter = null;
            }

            if (type is null)
            {
                result.Warning = Warn(segment, obj, string.Create(CultureInfo.InvariantCulture, $"invalid method table 0x{mt:x}"));
                break;
            }

            ulong size = type.BaseSize;
            if (type.ComponentSize != 0)
            {
                uint count = offset + 12 <= windowLength ? BinaryPrimitives.ReadUInt32LittleEndian(buffer.AsSpan(offset + 8)) : 0;
                if (type.IsString)
                    count++;
                size += count * (ulong)type.ComponentSize;
            }

            // Sizes are reported unaligned (but at least the minimum object size), as SOS's dumpheap -stat and
            // ClrMD's ClrObject.Size do; the walk itself steps by the aligned size.
            if (size < minObjectSize)
                size = minObjectSize;
            if (type.IsFree)
            {
                result.FreeCount++;
                result.FreeSize += (long)size;
            }
            else
            {
                if (lastCounter is null && !result.PerMethodTable.TryGetValue(mt, out lastCounter))
                    result.PerMethodTable[mt] = lastCounter = new Counter();
                lastCounter!.Count++;
                lastCounter.Size += (long)size;
            }

            ulong next = obj + ((size + 7) & ~7UL);
            if (next <= obj)
            {
                result.Warning = Warn(segment, obj, "object size overflows the address space");
                break;
            }

            obj = next >= contexts.Next ? contexts.SkipFrom(next) : next;
        }

        if (obj < end && result.Warning is not null)
            result.Skipped = (long)(end - obj);
        advance((long)(end - reported));
        return result;
    }

    private static string Warn(ClrSegment segment, ulong obj, string reason) =>
        string.Create(CultureInfo.InvariantCulture,
            $"{segment.Kind} segment [0x{segment.ObjectRange.Start:x}, 0x{segment.ObjectRange.End:x}): stopped at 0x{obj:x}: {reason}; the rest of this segment ({segment.ObjectRange.End - obj:N0} bytes) was not walked.");
}
