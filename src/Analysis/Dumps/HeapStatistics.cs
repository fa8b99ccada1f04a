using System.Globalization;

namespace Analysis.Dumps;

/// <summary>How to order heap statistics.</summary>
public enum HeapSortBy
{
    /// <summary>Total bytes, largest first.</summary>
    Size,
    /// <summary>Object count, most first.</summary>
    Count,
}

/// <summary>One row of <c>dumpheap -stat</c>: all live objects of one type name.</summary>
/// <param name="TypeName">The type's full name (generic arguments included).</param>
/// <param name="Count">Live objects of the type.</param>
/// <param name="TotalSize">Bytes they take, object headers included (shallow: not what they reference).</param>
public sealed record HeapTypeStat(string TypeName, long Count, long TotalSize)
{
    /// <summary>The method table(s) of this type name (several when the type is loaded more than once).</summary>
    public ItemList<ulong> MethodTables { get; init; } = [];

    /// <summary>Bytes per object: <see cref="TotalSize"/> / <see cref="Count"/>, rounded down; 0 when there are none.</summary>
    public long AverageSize => Count == 0 ? 0 : TotalSize / Count;

    /// <summary>One <c>dumpheap -stat</c> line: count, total bytes, type name.</summary>
    public override string ToString() =>
        string.Create(CultureInfo.InvariantCulture, $"{Count,12:N0} {TotalSize,16:N0}  {TypeName}");
}

/// <summary>The result of one walk over the GC heap: statistics per type, plus what could not be walked.</summary>
public sealed class HeapStatistics
{
    internal HeapStatistics(IReadOnlyList<HeapTypeStat> types, long freeCount, long freeSize, int segments, IReadOnlyList<string> warnings, long skippedBytes, TimeSpan elapsed)
    {
        Types = types;
        FreeCount = freeCount;
        FreeSize = freeSize;
        SegmentCount = segments;
        Warnings = warnings;
        SkippedBytes = skippedBytes;
        Elapsed = elapsed;
        TotalCount = types.Sum(t => t.Count);
        TotalSize = types.Sum(t => t.TotalSize);
    }

    /// <summary>Every type with live objects, largest total size first. Free space is not included.</summary>
    public IReadOnlyList<HeapTypeStat> Types { get; }

    /// <summary>Live objects on the heap, all types.</summary>
    public long TotalCount { get; }

    /// <summary>Bytes of live objects on the heap, all types (free space excluded).</summary>
    public long TotalSize { get; }

    /// <summary>Free-space blocks between objects (fragmentation), excluded from <see cref="Types"/>.</summary>
    public long FreeCount { get; }

    /// <summary>Bytes of free-space blocks (fragmentation), excluded from <see cref="TotalSize"/>.</summary>
    public long FreeSize { get; }

    /// <summary>Heap segments (regions) with objects that the walk visited.</summary>
    public int SegmentCount { get; }

    /// <summary>Parts of the heap that could not be walked, quoting the address and reason. Empty on a healthy heap.</summary>
    public IReadOnlyList<string> Warnings { get; }

    /// <summary>Bytes of segments left unwalked because of the problems in <see cref="Warnings"/>.</summary>
    public long SkippedBytes { get; }

    /// <summary>Wall-clock time of the heap walk.</summary>
    public TimeSpan Elapsed { get; }

    /// <summary>
    /// Objects and free space per segment and generation, for the heap's layout (<see cref="GcHeapLayouts"/>); only in
    /// the process that walked (not sent by a worker, which answers the layout itself).
    /// </summary>
    internal IReadOnlyDictionary<(ulong Segment, GcHeapGeneration Generation), GenerationTally>? Tallies { get; init; }

    /// <summary>The top <paramref name="top"/> types matching an optional wildcard, ordered by size or count.</summary>
    public IReadOnlyList<HeapTypeStat> Top(int top, HeapSortBy sortBy = HeapSortBy.Size, string? typeNamePattern = null)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(top);
        IEnumerable<HeapTypeStat> rows = Types;
        if (!string.IsNullOrEmpty(typeNamePattern))
        {
            var wildcard = new Wildcard(typeNamePattern);
            rows = rows.Where(t => wildcard.IsMatch(t.TypeName));
        }

        rows = sortBy == HeapSortBy.Count
            ? rows.OrderByDescending(t => t.Count).ThenByDescending(t => t.TotalSize).ThenBy(t => t.TypeName, StringComparer.Ordinal)
            : rows.OrderByDescending(t => t.TotalSize).ThenByDescending(t => t.Count).ThenBy(t => t.TypeName, StringComparer.Ordinal);
        return rows.Take(top).ToArray();
    }

    /// <summary>Which objects these statistics count: all (<c>dumpheap -stat</c>), only live or only dead ones (<c>-live</c>, <c>-dead</c>).</summary>
    public ObjectLiveness Liveness { get; init; }

    /// <summary>For live or dead statistics: which GC roots counted as keeping objects alive, in words; null for all objects.</summary>
    public string? RootsCounted { get; init; }
}

/// <summary>One type's change between two heap walks (an earlier dump of the same process and a later one).</summary>
/// <param name="TypeName">The type's full name.</param>
/// <param name="Count">Objects in the later dump.</param>
/// <param name="TotalSize">Bytes in the later dump.</param>
/// <param name="BaselineCount">Objects in the earlier (baseline) dump.</param>
/// <param name="BaselineSize">Bytes in the earlier (baseline) dump.</param>
public sealed record HeapTypeDiff(string TypeName, long Count, long TotalSize, long BaselineCount, long BaselineSize)
{
    /// <summary>Objects gained since the baseline (negative when fewer).</summary>
    public long CountDelta => Count - BaselineCount;

    /// <summary>Bytes gained since the baseline (negative when smaller).</summary>
    public long SizeDelta => TotalSize - BaselineSize;

    /// <summary>"+count +bytes  type name", signs always shown.</summary>
    public override string ToString() =>
        string.Create(CultureInfo.InvariantCulture, $"{CountDelta,12:+#,0;-#,0;0} {SizeDelta,16:+#,0;-#,0;0}  {TypeName}");
}

/// <summary>What grew between two heap walks: the memory-growth question of two dumps taken apart in time.</summary>
public static class HeapDiff
{
    /// <summary>
    /// Types whose size (or count) changed, largest growth first; types that shrank come last, unchanged types are
    /// left out. Types are matched by full name, so the two dumps may come from different processes of one program.
    /// </summary>
    public static IReadOnlyList<HeapTypeDiff> Compare(HeapStatistics baseline, HeapStatistics current, int top = int.MaxValue, HeapSortBy sortBy = HeapSortBy.Size, string? typeNamePattern = null)
    {
        ArgumentNullException.ThrowIfNull(baseline);
        ArgumentNullException.ThrowIfNull(current);
        ArgumentOutOfRangeException.ThrowIfNegative(top);
        var before = baseline.Types.ToDictionary(t => t.TypeName, StringComparer.Ordinal);
        var rows = new List<HeapTypeDiff>();
        foreach (var now in current.Types)
        {
            before.Remove(now.TypeName, out var then);
            rows.Add(new HeapTypeDiff(now.TypeName, now.Count, now.TotalSize, then?.Count ?? 0, then?.TotalSize ?? 0));
        }

        foreach (var gone in before.Values)
            rows.Add(new HeapTypeDiff(gone.TypeName, 0, 0, gone.Count, gone.TotalSize));
        IEnumerable<HeapTypeDiff> result = rows.Where(r => r.CountDelta != 0 || r.SizeDelta != 0);
        if (!string.IsNullOrEmpty(typeNamePattern))
        {
            var wildcard = new Wildcard(typeNamePattern);
            result = result.Where(r => wildcard.IsMatch(r.TypeName));
        }

        result = sortBy == HeapSortBy.Count
            ? result.OrderByDescending(r => r.CountDelta).ThenByDescending(r => r.SizeDelta).ThenBy(r => r.TypeName, StringComparer.Ordinal)
            : result.OrderByDescending(r => r.SizeDelta).ThenByDescending(r => r.CountDelta).ThenBy(r => r.TypeName, StringComparer.Ordinal);
        return result.Take(top).ToArray();
    }
}
