using System.Diagnostics;
using System.Runtime.CompilerServices;
using Microsoft.Diagnostics.Runtime;

namespace Analysis.Dumps;

/// <summary>
/// One pass over the GC heap that counts objects and bytes per type: the <see cref="HeapScanner"/>'s segments in
/// parallel, counted per method table, then merged by type name.
/// </summary>
internal static class HeapWalker
{
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

        /// <summary>Objects and free space per generation (Get-GcHeap): one for a region, up to three for an ephemeral segment.</summary>
        public readonly GenerationTally[] ByGeneration = new GenerationTally[Enum.GetValues<GcHeapGeneration>().Length];
    }

    /// <summary>Counts per method table; the last counter is kept, as neighbouring objects often share a type.</summary>
    private struct CountVisitor(SegmentResult result, ClrSegment segment) : IHeapObjectVisitor
    {
        private ulong _lastMt;
        private Counter? _lastCounter;

        /// <summary>The segment's generation, or null for an ephemeral segment (told apart per object).</summary>
        private readonly GenerationTally? _generation = GcHeapLayouts.Of(segment.Kind) is { } g ? result.ByGeneration[(int)g] = new GenerationTally() : null;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public bool Visit(ulong address, ulong methodTable, ObjectLayout layout, ulong size, ReadOnlySpan<byte> window, int offset)
        {
            var tally = _generation ?? Tally(address);
            if (layout.IsFree)
            {
                result.FreeCount++;
                result.FreeSize += (long)size;
                tally.FreeCount++;
                tally.FreeBytes += (long)size;
                return true;
            }

            tally.ObjectCount++;
            tally.ObjectBytes += (long)size;

            if (methodTable != _lastMt)
            {
                _lastMt = methodTable;
                if (!result.PerMethodTable.TryGetValue(methodTable, out _lastCounter))
                    result.PerMethodTable[methodTable] = _lastCounter = new Counter();
            }

            _lastCounter!.Count++;
            _lastCounter.Size += (long)size;
            return true;
        }

        private readonly GenerationTally Tally(ulong address) =>
            result.ByGeneration[(int)GcHeapLayouts.GenerationOf(segment, address)] ??= new GenerationTally();
    }

    public static HeapStatistics Walk(ClrRuntime runtime, IProgress<WorkProgress>? progress, CancellationToken cancellationToken, int maxParallelism = 0)
    {
        var stopwatch = Stopwatch.StartNew();
        var scanner = new HeapScanner(runtime);
        var walked = new ScanProgress(progress, "Walking the GC heap", scanner.TotalBytes);
        var results = scanner.ScanSegments((segment, _, layouts) =>
        {
            var result = new SegmentResult();
            var visitor = new CountVisitor(result, segment);
            return (Result: result, Scan: scanner.Scan(segment, ref visitor, layouts, walked, cancellationToken));
        }, cancellationToken, maxParallelism);

        // Merge per segment, then by type name.
        var perMt = new Dictionary<ulong, Counter>();
        long freeCount = 0, freeSize = 0, skipped = 0;
        var warnings = new List<string>();
        var tallies = new Dictionary<(ulong Segment, GcHeapGeneration Generation), GenerationTally>();
        foreach (var (r, scan) in results)
        {
            for (int g = 0; g < r.ByGeneration.Length; g++)
            {
                if (r.ByGeneration[g] is { } tally)
                    tallies[(scan.Segment.ObjectRange.Start, (GcHeapGeneration)g)] = tally;
            }

            foreach (var (mt, c) in r.PerMethodTable)
            {
                var acc = perMt.TryGetValue(mt, out var a) ? a : perMt[mt] = new Counter();
                acc.Count += c.Count;
                acc.Size += c.Size;
            }

            freeCount += r.FreeCount;
            freeSize += r.FreeSize;
            skipped += scan.SkippedBytes;
            if (scan.Warning("stopped", "was not walked") is { } warning)
                warnings.Add(warning);
        }

        var byName = new Dictionary<string, (long Count, long Size, List<ulong> Mts)>(StringComparer.Ordinal);
        foreach (var (mt, c) in perMt)
        {
            string name = scanner.Layout(mt)!.Name;
            var acc = byName.TryGetValue(name, out var a) ? a : (Count: 0L, Size: 0L, Mts: new List<ulong>());
            acc.Mts.Add(mt);
            byName[name] = (acc.Count + c.Count, acc.Size + c.Size, acc.Mts);
        }

        var rows = byName
            .Select(kv => new HeapTypeStat(kv.Key, kv.Value.Count, kv.Value.Size) { MethodTables = kv.Value.Mts.Order().ToArray() })
            .OrderByDescending(t => t.TotalSize).ThenBy(t => t.TypeName, StringComparer.Ordinal)
            .ToArray();
        return new HeapStatistics(rows, freeCount, freeSize, scanner.Segments.Count, warnings, skipped, stopwatch.Elapsed) { Tallies = tallies };
    }
}
