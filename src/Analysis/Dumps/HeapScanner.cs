using System.Buffers;
using System.Buffers.Binary;
using System.Globalization;
using System.Runtime.CompilerServices;
using Microsoft.Diagnostics.Runtime;

namespace Analysis.Dumps;

/// <summary>
/// What a scan knows of one method table: enough to size its objects and, when the scanner reads pointer maps, where
/// their references are. One instance per method table and scanner, shared by all threads; <see cref="Id"/> numbers
/// the method tables in the order they were first met.
/// </summary>
internal sealed class ObjectLayout
{
    public required int Id { get; init; }

    public required ulong MethodTable { get; init; }

    public required string Name { get; init; }

    public required uint BaseSize { get; init; }

    public required uint ComponentSize { get; init; }

    public required bool IsString { get; init; }

    /// <summary>Free space between objects (the heap's free type), not an object.</summary>
    public required bool IsFree { get; init; }

    // GCDesc (read only when the scanner reads pointer maps): positive series (offset, size adjusted by the object
    // size) or a repeating value-type pattern.
    public long[]? SeriesOffsets;
    public long[]? SeriesSizes;
    public long RepeatStart;
    public uint[]? RepeatPointers;
    public uint[]? RepeatSkips;

    public bool HasPointers => SeriesOffsets is not null || RepeatPointers is not null;

    /// <summary>Reads the type's GCDesc: the series count just below the method table, then the series below that.</summary>
    public void ReadPointerMap(IDataReader reader)
    {
        ulong mt = MethodTable;
        long series = reader.Read<long>(mt - 8);
        if (series > 0 && series < 100_000)
        {
            var bytes = new byte[series * 16];
            if (reader.Read(mt - 8 - (ulong)bytes.Length, bytes) != bytes.Length)
                return;
            SeriesOffsets = new long[series];
            SeriesSizes = new long[series];
            for (int i = 0; i < series; i++)
            {
                // The series are stored downwards from the method table: series i at mt - 8 - 16 * (i + 1).
                int at = bytes.Length - (16 * (i + 1));
                SeriesSizes[i] = BinaryPrimitives.ReadInt64LittleEndian(bytes.AsSpan(at));
                SeriesOffsets[i] = BinaryPrimitives.ReadInt64LittleEndian(bytes.AsSpan(at + 8));
            }
        }
        else if (series < 0 && series > -100_000)
        {
            // An array of structs with references: a start offset and (pointer count, bytes to skip) items repeated.
            long items = -series;
            RepeatStart = reader.Read<long>(mt - 16);
            RepeatPointers = new uint[items];
            RepeatSkips = new uint[items];
            for (int i = 0; i < items; i++)
            {
                ulong item = reader.Read<ulong>(mt - 24 - (ulong)(8 * i));
                RepeatPointers[i] = (uint)item;
                RepeatSkips[i] = (uint)(item >> 32);
            }

            if (RepeatPointers.All(p => p == 0))
                RepeatPointers = RepeatSkips = null; // nothing to report, and it would never advance
        }
    }
}

/// <summary>Receives the objects of a segment scan, in address order. A struct, so the scan loop is compiled for each.</summary>
internal interface IHeapObjectVisitor
{
    /// <summary>
    /// One object (or free block: <see cref="ObjectLayout.IsFree"/>) of <paramref name="size"/> bytes, unaligned and at
    /// least the minimum object size, as SOS's dumpheap and ClrMD's ClrObject.Size report it. Its bytes start at
    /// <paramref name="offset"/> of <paramref name="window"/>, which may end before the object does.
    /// </summary>
    /// <returns>False to stop the scan before this object (the scan resumes there when asked to).</returns>
    bool Visit(ulong address, ulong methodTable, ObjectLayout layout, ulong size, ReadOnlySpan<byte> window, int offset);
}

/// <summary>How a segment scan ended: at the segment's end, stopped by the visitor, or at damage it could not pass.</summary>
internal readonly record struct SegmentScan(ClrSegment Segment, ulong StoppedAt, bool StoppedByVisitor, string? Problem)
{
    /// <summary>Bytes of the segment left unscanned because of <see cref="Problem"/>.</summary>
    public long SkippedBytes => Problem is not null && StoppedAt < Segment.ObjectRange.End ? (long)(Segment.ObjectRange.End - StoppedAt) : 0;

    /// <summary>The problem, naming the segment, the address and the bytes left out, or null.</summary>
    /// <param name="stopped">What stopped ("stopped", "indexing stopped").</param>
    /// <param name="consequence">What the rest of the segment is not part of, after "the rest of this segment (N bytes)".</param>
    public string? Warning(string stopped, string consequence) => Problem is null ? null : string.Create(CultureInfo.InvariantCulture,
        $"{Segment.Kind} segment [0x{Segment.ObjectRange.Start:x}, 0x{Segment.ObjectRange.End:x}): {stopped} at 0x{StoppedAt:x}: {Problem}; the rest of this segment ({Segment.ObjectRange.End - StoppedAt:N0} bytes) {consequence}.");
}

/// <summary>One object of <see cref="HeapScanner.EnumerateObjects"/>.</summary>
internal readonly record struct ScannedObject(ulong Address, ulong Size, ObjectLayout Layout)
{
    public string TypeName => Layout.Name;

    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"0x{Address:x} {Size,10:N0}  {Layout.Name}");
}

/// <summary>Progress of a scan in bytes of segments, reported once per percent from any thread.</summary>
internal sealed class ScanProgress(IProgress<WorkProgress>? progress, string activity, long total)
{
    private long _done;
    private int _lastPercent = -1;

    public void Advance(long bytes)
    {
        long now = Interlocked.Add(ref _done, bytes);
        if (progress is null || total == 0)
            return;
        int percent = (int)(now * 100 / total);
        int seen = Volatile.Read(ref _lastPercent);
        if (percent > seen && Interlocked.CompareExchange(ref _lastPercent, percent, seen) == seen)
            progress.Report(new WorkProgress(activity, $"{Bytes.Format(now)} of {Bytes.Format(total)}", now, total));
    }
}

/// <summary>
/// The one decoder of GC heap segments. Instead of materialising a ClrObject per object, it reads a segment in large
/// windows and decodes method tables and lengths from the bytes. The object-size rules follow the runtime's (and
/// ClrMD's) heap layout: base size plus component size × length, strings one element longer, 8-byte alignment, a
/// 3-pointer minimum, and allocation contexts skipped. A scan stops at the first object it cannot decode (memory not
/// in the dump, a zero or unknown method table, a size past the address space) and says where and how much it left.
/// Used by the heap statistics (<see cref="HeapWalker"/>), the object graph (<see cref="HeapGraphBuilder"/>) and the
/// object listing (<see cref="EnumerateObjects"/>).
/// </summary>
internal sealed class HeapScanner
{
    /// <summary>Bytes read at once: many small objects per read.</summary>
    private const int Window = 1 << 20;

    /// <summary>Bytes read at once in large-object segments when only headers are needed.</summary>
    private const int HeaderWindow = 4096;

    /// <summary>The method table and the length of an array or string.</summary>
    private const int HeaderBytes = 16;

    private readonly AllocationContexts _contexts;
    private readonly bool _pointerMaps;
    private readonly ulong _freeMt;
    private readonly ulong _stringMt;
    private readonly Dictionary<ulong, ObjectLayout?> _layouts = new();
    private readonly List<ObjectLayout> _layoutList = new();

    /// <param name="runtime">The runtime whose heap to scan.</param>
    /// <param name="pointerMaps">Whether layouts carry the types' pointer maps (for reading references).</param>
    public HeapScanner(ClrRuntime runtime, bool pointerMaps = false)
    {
        Heap = runtime.Heap;
        Reader = runtime.DataTarget.DataReader;
        MinObjectSize = (ulong)Reader.PointerSize * 3;
        _contexts = new AllocationContexts(Heap, MinObjectSize);
        _pointerMaps = pointerMaps;
        _freeMt = Heap.FreeType.MethodTable;
        _stringMt = Heap.StringType.MethodTable;
        Segments = Heap.Segments.Where(s => s.ObjectRange.Length > 0).OrderBy(s => s.ObjectRange.Start).ToArray();
        TotalBytes = Segments.Sum(s => (long)s.ObjectRange.Length);
    }

    public ClrHeap Heap { get; }

    public IDataReader Reader { get; }

    public ulong MinObjectSize { get; }

    /// <summary>The segments that hold objects, in address order.</summary>
    public IReadOnlyList<ClrSegment> Segments { get; }

    /// <summary>Bytes of <see cref="Segments"/>.</summary>
    public long TotalBytes { get; }

    /// <summary>The layouts met so far, by <see cref="ObjectLayout.Id"/>.</summary>
    public ObjectLayout[] Layouts
    {
        get
        {
            lock (_layouts)
                return _layoutList.ToArray();
        }
    }

    /// <summary>The layout of a method table, or null when the runtime knows no type there.</summary>
    public ObjectLayout? Layout(ulong methodTable)
    {
        lock (_layouts)
        {
            if (_layouts.TryGetValue(methodTable, out var known))
                return known;
            ObjectLayout? layout = null;
            if (Heap.GetTypeByMethodTable(methodTable) is { } type)
            {
                layout = new ObjectLayout
                {
                    Id = _layoutList.Count, MethodTable = methodTable,
                    Name = type.Name ?? string.Create(CultureInfo.InvariantCulture, $"<unknown type, method table 0x{methodTable:x}>"),
                    BaseSize = (uint)type.StaticSize, ComponentSize = (uint)type.ComponentSize,
                    IsString = methodTable == _stringMt, IsFree = methodTable == _freeMt,
                };
                if (_pointerMaps && type.ContainsPointers)
                    layout.ReadPointerMap(Reader);
                _layoutList.Add(layout);
            }

            _layouts[methodTable] = layout;
            return layout;
        }
    }

    /// <summary>
    /// The size of an object of <paramref name="layout"/> whose length field (arrays, strings) reads
    /// <paramref name="length"/>: base size plus component size × length (strings one element longer), at least the
    /// minimum object size; unaligned, as SOS and ClrMD report it.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static ulong SizeOf(ObjectLayout layout, uint length, ulong minObjectSize)
    {
        ulong size = layout.BaseSize;
        if (layout.ComponentSize != 0)
            size += (layout.IsString ? length + 1UL : length) * layout.ComponentSize;
        return size < minObjectSize ? minObjectSize : size;
    }

    /// <summary>
    /// Runs <paramref name="scan"/> for every segment in parallel, biggest first so the threads end together, each
    /// thread with its own cache of layouts (pass it to <see cref="Scan"/>). The results are in segment order.
    /// </summary>
    public TResult[] ScanSegments<TResult>(Func<ClrSegment, int, LayoutCache, TResult> scan, CancellationToken cancellationToken, int maxParallelism = 0)
    {
        var results = new TResult[Segments.Count];
        var order = Enumerable.Range(0, Segments.Count).OrderByDescending(i => Segments[i].ObjectRange.Length).ToArray();
        var options = new ParallelOptions
        {
            CancellationToken = cancellationToken,
            MaxDegreeOfParallelism = maxParallelism > 0 ? maxParallelism : Environment.ProcessorCount,
        };
        Parallel.ForEach(order, options, () => new LayoutCache(this), (i, _, cache) =>
        {
            results[i] = scan(Segments[i], i, cache);
            return cache;
        }, _ => { });
        return results;
    }

    /// <summary>
    /// Decodes the objects of one segment, from its first object (or from <paramref name="from"/>, an object address
    /// a visitor stopped at) to its end, the visitor stopping it, or the first object that cannot be decoded.
    /// </summary>
    /// <param name="segment">The segment to decode.</param>
    /// <param name="visitor">Called once per object; it may stop the scan.</param>
    /// <param name="layouts">The calling thread's cache of method-table layouts.</param>
    /// <param name="progress">Receives the bytes covered, when progress is reported.</param>
    /// <param name="cancellationToken">Checked once per window.</param>
    /// <param name="objectBytes">Whether the visitor reads objects' bytes past their header: large-object segments are
    /// then read in big windows too.</param>
    /// <param name="from">An object address to start at instead of the segment's first object (0: the first).</param>
    public SegmentScan Scan<TVisitor>(ClrSegment segment, ref TVisitor visitor, LayoutCache layouts, ScanProgress? progress,
        CancellationToken cancellationToken, bool objectBytes = false, ulong from = 0)
        where TVisitor : struct, IHeapObjectVisitor
    {
        bool headersOnly = !objectBytes && segment.Kind is GCSegmentKind.Large or GCSegmentKind.Pinned;
        int windowSize = headersOnly ? HeaderWindow : Window;
        ulong start = from != 0 ? from : segment.FirstObjectAddress;
        ulong end = segment.ObjectRange.End;
        ulong minObjectSize = MinObjectSize;
        var contexts = _contexts.For(segment);
        ulong obj = contexts.SkipFrom(start);
        ulong reported = start;
        ulong windowStart = 0;
        ReadOnlySpan<byte> window = default;
        ulong lastMt = 0;
        ObjectLayout? layout = null;
        string? problem = null;
        bool stopped = false;
        TVisitor v = visitor; // a local copy the JIT can keep in registers
        byte[] buffer = ArrayPool<byte>.Shared.Rent(windowSize);
        try
        {
            while (obj < end)
            {
                // The method table and the length field of this object must be in the window.
                if (obj < windowStart || obj + HeaderBytes > windowStart + (ulong)window.Length)
                {
                    cancellationToken.ThrowIfCancellationRequested();
                    progress?.Advance((long)(obj - reported));
                    reported = obj;
                    int want = (int)Math.Min((ulong)windowSize, end - obj);
                    windowStart = obj;
                    window = buffer.AsSpan(0, Reader.Read(obj, buffer.AsSpan(0, want)));
                    // The whole header, or all that is left of the segment when less; at least the method table.
                    if (window.Length < Math.Min(HeaderBytes, want))
                    {
                        problem = "memory is not in the dump";
                        break;
                    }

                    if (window.Length < sizeof(ulong))
                    {
                        problem = "the segment ends inside an object's method table";
                        break;
                    }
                }

                int offset = (int)(obj - windowStart);
                ulong mt = BinaryPrimitives.ReadUInt64LittleEndian(window[offset..]) & ~3UL;
                if (mt == 0)
                {
                    ulong skippedTo = contexts.SkipFrom(obj);
                    if (skippedTo != obj)
                    {
                        obj = skippedTo;
                        continue;
                    }

                    problem = "zero method table outside an allocation context";
                    break;
                }

                if (mt != lastMt)
                {
                    layout = layouts.Get(mt);
                    lastMt = mt;
                }

                if (layout is null)
                {
                    problem = string.Create(CultureInfo.InvariantCulture, $"invalid method table 0x{mt:x}");
                    break;
                }

                ulong size = SizeOf(layout, offset + 12 <= window.Length ? BinaryPrimitives.ReadUInt32LittleEndian(window[(offset + 8)..]) : 0, minObjectSize);
                if (!v.Visit(obj, mt, layout, size, window, offset))
                {
                    stopped = true;
                    break;
                }

                ulong next = obj + ((size + 7) & ~7UL);
                if (next <= obj)
                {
                    problem = "object size overflows the address space";
                    break;
                }

                obj = next >= contexts.Next ? contexts.SkipFrom(next) : next;
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }

        visitor = v;
        progress?.Advance((long)((stopped ? obj : end) - reported));
        return new SegmentScan(segment, obj < end ? obj : end, stopped, problem);
    }

    /// <summary>
    /// The objects of the heap in address order, decoded as they are asked for (a window at a time), free space left
    /// out. Filters run before an object is made: <paramref name="type"/> once per method table.
    /// </summary>
    /// <param name="type">Which types to list (null: all).</param>
    /// <param name="minSize">The smallest object size to list.</param>
    /// <param name="maxSize">The largest object size to list.</param>
    /// <param name="warning">Receives each segment's problem (see <see cref="SegmentScan.Warning"/>) when it is met.</param>
    /// <param name="cancellationToken">Checked once per window.</param>
    public IEnumerable<ScannedObject> EnumerateObjects(Func<ObjectLayout, bool>? type = null, ulong minSize = 0, ulong maxSize = ulong.MaxValue,
        Action<string>? warning = null, CancellationToken cancellationToken = default)
    {
        var cache = new LayoutCache(this);
        var matches = type is null ? null : new Dictionary<ulong, bool>();
        foreach (var segment in Segments)
        {
            foreach (var o in EnumerateSegmentObjects(segment, 0, cache, type, matches, minSize, maxSize, warning, cancellationToken))
                yield return o;
        }
    }

    /// <summary>
    /// <see cref="EnumerateObjects"/> for one segment, from its first object or from <paramref name="from"/> (an object's
    /// address, or the end of one: where a listing stopped), so a listing can resume where it left off.
    /// </summary>
    /// <param name="segment">The segment to list.</param>
    /// <param name="from">An object address to start at (0: the segment's first object).</param>
    /// <param name="cache">The calling thread's cache of layouts.</param>
    /// <param name="type">Which types to list (null: all).</param>
    /// <param name="matches">The answers of <paramref name="type"/> by method table, kept across calls (null when no type filter).</param>
    /// <param name="minSize">The smallest object size to list.</param>
    /// <param name="maxSize">The largest object size to list.</param>
    /// <param name="warning">Receives the segment's problem when it is met.</param>
    /// <param name="cancellationToken">Checked once per window.</param>
    public IEnumerable<ScannedObject> EnumerateSegmentObjects(ClrSegment segment, ulong from, LayoutCache cache, Func<ObjectLayout, bool>? type, Dictionary<ulong, bool>? matches,
        ulong minSize, ulong maxSize, Action<string>? warning, CancellationToken cancellationToken)
    {
        var batch = new List<ScannedObject>(ListVisitor.Capacity);
        while (true)
        {
            var visitor = new ListVisitor(batch, type, matches, minSize, maxSize);
            var scan = Scan(segment, ref visitor, cache, null, cancellationToken, from: from);
            foreach (var o in batch)
                yield return o;
            batch.Clear();
            if (!scan.StoppedByVisitor)
            {
                if (scan.Warning("stopped", "was not listed") is { } w)
                    warning?.Invoke(w);
                break;
            }

            from = scan.StoppedAt;
        }
    }

    private struct ListVisitor(List<ScannedObject> batch, Func<ObjectLayout, bool>? type, Dictionary<ulong, bool>? matches, ulong minSize, ulong maxSize) : IHeapObjectVisitor
    {
        public const int Capacity = 4096;
        private ulong _lastMt;
        private bool _lastMatch;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public bool Visit(ulong address, ulong methodTable, ObjectLayout layout, ulong size, ReadOnlySpan<byte> window, int offset)
        {
            if (layout.IsFree || size < minSize || size > maxSize)
                return true;
            if (type is not null)
            {
                if (methodTable != _lastMt)
                {
                    if (!matches!.TryGetValue(methodTable, out _lastMatch))
                        matches[methodTable] = _lastMatch = type(layout);
                    _lastMt = methodTable;
                }

                if (!_lastMatch)
                    return true;
            }

            if (batch.Count == Capacity)
                return false;
            batch.Add(new ScannedObject(address, size, layout));
            return true;
        }
    }
}

/// <summary>One thread's cache of a scanner's layouts: no lock for method tables it has met.</summary>
internal sealed class LayoutCache(HeapScanner scanner)
{
    private readonly Dictionary<ulong, ObjectLayout?> _known = new();

    public ObjectLayout? Get(ulong methodTable)
    {
        if (!_known.TryGetValue(methodTable, out var layout))
            _known[methodTable] = layout = scanner.Layout(methodTable);
        return layout;
    }
}
