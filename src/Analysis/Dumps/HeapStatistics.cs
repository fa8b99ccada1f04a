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
public sealed record HeapTypeStat(string TypeName, long Count, long TotalSize)
{
    /// <summary>The method table(s) of this type name (several when the type is loaded more than once).</summary>
    public IReadOnlyList<ulong> MethodTables { get; init; } = [];

    public long AverageSize => Count == 0 ? 0 : TotalSize / Count;

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

    public long TotalCount { get; }

    public long TotalSize { get; }

    /// <summary>Free-space blocks between objects (fragmentation), excluded from <see cref="Types"/>.</summary>
    public long FreeCount { get; }

    public long FreeSize { get; }

    public int SegmentCount { get; }

    /// <summary>Parts of the heap that could not be walked, quoting the address and reason. Empty on a healthy heap.</summary>
    public IReadOnlyList<string> Warnings { get; }

    /// <summary>Bytes of segments left unwalked because of the problems in <see cref="Warnings"/>.</summary>
    public long SkippedBytes { get; }

    public TimeSpan Elapsed { get; }

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
}
