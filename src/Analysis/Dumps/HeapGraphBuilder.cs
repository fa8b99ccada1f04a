using System.Buffers;
using System.Buffers.Binary;
using System.Globalization;
using Microsoft.Diagnostics.Runtime;

namespace Analysis.Dumps;

/// <summary>
/// Builds the <see cref="HeapGraph"/> in one parallel pass over the heap segments: like <see cref="HeapWalker"/> it
/// reads segments in large blocks and decodes objects from the bytes, and for objects with references it decodes the
/// type's GCDesc (the runtime's pointer map, stored just before the method table) itself, so no ClrObject is made.
/// </summary>
internal static class HeapGraphBuilder
{
    private const int Window = 1 << 20;

    private sealed class TypeInfo
    {
        public int Id;
        public uint BaseSize;
        public uint ComponentSize;
        public bool IsString;
        public bool IsFree;

        // GCDesc: positive series (offset, size adjusted by the object size) or a repeating value-type pattern.
        public long[]? SeriesOffsets;
        public long[]? SeriesSizes;
        public long RepeatStart;
        public uint[]? RepeatPointers;
        public uint[]? RepeatSkips;

        public bool HasPointers => SeriesOffsets is not null || RepeatPointers is not null;
    }

    private sealed class SegmentPart
    {
        public ulong Start;
        public ulong End;

        /// <summary>Objects found (first pass: counted; second pass: written).</summary>
        public int Count;
        public Buffer<ulong> Targets = new();
        public string? Warning;
    }

    /// <summary>Where the second pass writes a segment's objects: the final arrays, from <see cref="Base"/> on.</summary>
    private sealed class NodeSink(ulong[] addresses, int[] typeIds, uint[] sizes, int[] edgeStart)
    {
        public readonly ulong[] Addresses = addresses;
        public readonly int[] TypeIds = typeIds;
        public readonly uint[] Sizes = sizes;

        /// <summary>Holds the segment-local start of each object's references until the segments' offsets are known.</summary>
        public readonly int[] EdgeStart = edgeStart;
        public int Base;
        public int Limit;
    }

    /// <summary>A growable array without List's per-call checks; Items may be longer than Count.</summary>
    private sealed class Buffer<T>
    {
        public T[] Items = new T[256];
        public int Count;

        [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
        public void Add(T item)
        {
            if (Count == Items.Length)
                Array.Resize(ref Items, Items.Length * 2);
            Items[Count++] = item;
        }
    }

    /// <summary>
    /// Address → node: a binary search over the walked segments, then a table of the first node of every 4 KB
    /// page of the segment, then a short search within the page. Far fewer cache misses than one binary search
    /// over all objects.
    /// </summary>
    private sealed class NodeLocator
    {
        private const int PageShift = 12;
        private readonly ulong[] _addresses;
        private readonly ulong[] _starts;
        private readonly ulong[] _ends;
        private readonly int[] _pageBase;
        private readonly int[] _pageFirst;

        public NodeLocator(ulong[] addresses, (ulong Start, ulong End)[] ranges, int[] nodeOffsets)
        {
            _addresses = addresses;
            _starts = ranges.Select(r => r.Start).ToArray();
            _ends = ranges.Select(r => r.End).ToArray();
            _pageBase = new int[ranges.Length];
            long pages = 0;
            for (int s = 0; s < ranges.Length; s++)
            {
                _pageBase[s] = checked((int)pages);
                pages += (long)((ranges[s].End - ranges[s].Start) >> PageShift) + 2;
            }

            _pageFirst = new int[checked((int)pages)];
            for (int s = 0; s < ranges.Length; s++)
            {
                int node = nodeOffsets[s], last = nodeOffsets[s + 1];
                int count = (int)((ranges[s].End - ranges[s].Start) >> PageShift) + 2;
                for (int p = 0; p < count; p++)
                {
                    ulong pageStart = ranges[s].Start + ((ulong)p << PageShift);
                    while (node < last && addresses[node] < pageStart)
                        node++;
                    _pageFirst[_pageBase[s] + p] = node;
                }
            }
        }

        public int Find(ulong address)
        {
            int s = Array.BinarySearch(_starts, address);
            if (s < 0)
                s = ~s - 1;
            if (s < 0 || address >= _ends[s])
                return -1;
            int page = _pageBase[s] + (int)((address - _starts[s]) >> PageShift);
            int found = Array.BinarySearch(_addresses, _pageFirst[page], _pageFirst[page + 1] - _pageFirst[page], address);
            return found >= 0 ? found : -1;
        }
    }

    public static HeapGraph Build(ClrRuntime runtime, IProgress<WorkProgress>? progress, CancellationToken cancellationToken)
    {
        ClrHeap heap = runtime.Heap;
        IDataReader reader = runtime.DataTarget.DataReader;
        ulong minObjectSize = (ulong)reader.PointerSize * 3;
        var allocationContexts = new AllocationContexts(heap, minObjectSize);

        var typesByMt = new Dictionary<ulong, TypeInfo?>();
        var typeList = new List<(ulong Mt, string Name)>();
        ulong freeMt = heap.FreeType.MethodTable, stringMt = heap.StringType.MethodTable;
        TypeInfo? Resolve(ulong mt)
        {
            lock (typesByMt)
            {
                if (typesByMt.TryGetValue(mt, out var known))
                    return known;
                ClrType? type = heap.GetTypeByMethodTable(mt);
                TypeInfo? info = null;
                if (type is not null)
                {
                    info = new TypeInfo
                    {
                        Id = typeList.Count, BaseSize = (uint)type.StaticSize, ComponentSize = (uint)type.ComponentSize,
                        IsString = mt == stringMt, IsFree = mt == freeMt,
                    };
                    if (type.ContainsPointers)
                        ReadGcDesc(reader, mt, info);
                    typeList.Add((mt, type.Name ?? string.Create(CultureInfo.InvariantCulture, $"<unknown type, method table 0x{mt:x}>")));
                }

                typesByMt[mt] = info;
                return info;
            }
        }

        // Dependent handles (ConditionalWeakTable, DependentHandle): the primary keeps the secondary alive, though no
        // field refers to it. The walk adds them as the primary's last references (sorted, so one cursor per segment),
        // or values attached to live keys would look like garbage.
        var dependents = runtime.EnumerateHandles()
            .Where(h => h.HandleKind == ClrHandleKind.Dependent && h.Object.Address != 0 && h.Dependent.Address != 0)
            .Select(h => (From: h.Object.Address, To: h.Dependent.Address))
            .Order()
            .ToArray();

        var segments = heap.Segments.Where(s => s.ObjectRange.Length > 0).OrderBy(s => s.ObjectRange.Start).ToArray();
        long total = 2 * segments.Sum(s => (long)s.ObjectRange.Length), done = 0; // two passes
        int lastPercent = -1;
        void Advance(long bytes)
        {
            long now = Interlocked.Add(ref done, bytes);
            int percent = total == 0 ? 100 : (int)(now * 100 / total);
            int seen = Volatile.Read(ref lastPercent);
            if (progress is not null && percent > seen && Interlocked.CompareExchange(ref lastPercent, percent, seen) == seen)
                progress.Report(new WorkProgress("Indexing the object graph", $"{Bytes.Format(now)} of {Bytes.Format(total)}", now, total));
        }

        var options = new ParallelOptions { CancellationToken = cancellationToken, MaxDegreeOfParallelism = Environment.ProcessorCount };
        // Biggest segments first so the parallel loop ends evenly; results keep address order by index.
        var order = Enumerable.Range(0, segments.Length).OrderByDescending(i => segments[i].ObjectRange.Length).ToArray();

        // Pass 1 counts the objects of each segment, so pass 2 writes them straight into arrays of the exact size:
        // no growing buffers and no concatenation (half the memory of collecting first).
        var counts = new SegmentPart[segments.Length];
        Parallel.ForEach(order, options, () => new Dictionary<ulong, TypeInfo?>(), (i, _, local) =>
        {
            counts[i] = WalkSegment(segments[i], reader, allocationContexts, local, Resolve, minObjectSize, Advance, dependents, null, cancellationToken);
            return local;
        }, _ => { });

        var nodeOffsets = new int[segments.Length + 1];
        for (int i = 0; i < segments.Length; i++)
            nodeOffsets[i + 1] = checked(nodeOffsets[i] + counts[i].Count);
        int nodeCount = nodeOffsets[^1];
        var addresses = HugePages.Allocate<ulong>(nodeCount);
        var typeIds = HugePages.Allocate<int>(nodeCount);
        var sizes = HugePages.Allocate<uint>(nodeCount);
        var edgeStart = HugePages.Allocate<int>(nodeCount + 1);

        var parts = new SegmentPart[segments.Length];
        Parallel.ForEach(order, options, () => new Dictionary<ulong, TypeInfo?>(), (i, _, local) =>
        {
            var sink = new NodeSink(addresses, typeIds, sizes, edgeStart) { Base = nodeOffsets[i], Limit = counts[i].Count };
            parts[i] = WalkSegment(segments[i], reader, allocationContexts, local, Resolve, minObjectSize, Advance, dependents, sink, cancellationToken);
            if (parts[i].Count != counts[i].Count)
                throw new InvalidOperationException($"Segment 0x{segments[i].ObjectRange.Start:x} had {counts[i].Count:N0} objects in the first pass and {parts[i].Count:N0} in the second.");
            return local;
        }, _ => { });

        var edgeOffsets = new long[parts.Length + 1];
        for (int i = 0; i < parts.Length; i++)
            edgeOffsets[i + 1] = edgeOffsets[i] + parts[i].Targets.Count;
        long edgeTotal = edgeOffsets[^1];
        if (edgeTotal > int.MaxValue)
            throw new InvalidOperationException($"The heap has {edgeTotal:N0} references, more than this index holds.");
        Parallel.For(0, parts.Length, options, i =>
        {
            int e0 = (int)edgeOffsets[i];
            for (int n = nodeOffsets[i]; n < nodeOffsets[i + 1]; n++)
                edgeStart[n] += e0;
        });
        edgeStart[nodeCount] = (int)edgeTotal;
        var warnings = parts.Where(p => p.Warning is not null).Select(p => p.Warning!).ToList();
        cancellationToken.ThrowIfCancellationRequested();

        // Target addresses to nodes through a per-page table; references to anything that is not an object start
        // (unreadable segments, corruption) are dropped and counted.
        var resolved = HugePages.Allocate<int>((int)edgeTotal);
        var locator = new NodeLocator(addresses, parts.Select(p => (p.Start, p.End)).ToArray(), nodeOffsets);
        long dangling = 0;
        Parallel.For(0, parts.Length, options, () => 0L, (i, _, missing) =>
        {
            var part = parts[i];
            var items = part.Targets.Items;
            int e0 = (int)edgeOffsets[i], last = -1;
            ulong lastAddress = 0;
            for (int k = 0; k < part.Targets.Count; k++)
            {
                ulong target = items[k];
                if (target != lastAddress || last < 0)
                {
                    last = locator.Find(target);
                    lastAddress = target;
                }

                resolved[e0 + k] = last;
                if (last < 0)
                    missing++;
            }

            parts[i] = null!; // let the part's buffers go
            return missing;
        }, missing => Interlocked.Add(ref dangling, missing));

        int[] edges = resolved;
        if (dangling > 0)
        {
            edges = new int[resolved.Length - dangling];
            int w = 0;
            for (int node = 0; node < nodeCount; node++)
            {
                int from = edgeStart[node], to = edgeStart[node + 1];
                edgeStart[node] = w;
                for (int k = from; k < to; k++)
                {
                    if (resolved[k] >= 0)
                        edges[w++] = resolved[k];
                }
            }

            edgeStart[nodeCount] = w;
            warnings.Add(string.Create(CultureInfo.InvariantCulture, $"{dangling:N0} references point to no object on the walked heap (unreadable segments or corruption); they are left out of root paths and retained sizes."));
        }

        if (StackWalk.Warning(runtime.Threads) is { } cut)
            warnings.Add(cut);
        string? finalizerQueueDamage = FinalizerQueues.Damage(runtime);
        if (finalizerQueueDamage is not null)
            warnings.Add(finalizerQueueDamage);
        var (roots, frames) = ReadRoots(runtime, addresses, finalizerQueues: finalizerQueueDamage is null, cancellationToken);
        return new HeapGraph
        {
            Addresses = addresses, TypeIds = typeIds, Sizes = sizes, EdgeStart = edgeStart, Edges = edges,
            TypeNames = typeList.Select(t => t.Name).ToArray(), TypeMethodTables = typeList.Select(t => t.Mt).ToArray(),
            Roots = roots, Frames = frames, Warnings = warnings.ToArray(),
        };
    }

    private static (GraphRoot[] Roots, string[] Frames) ReadRoots(ClrRuntime runtime, ulong[] addresses, bool finalizerQueues, CancellationToken cancellationToken)
    {
        var roots = new List<GraphRoot>();
        var frames = new List<string>();
        var frameIds = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (ClrRoot root in EnumerateRoots(runtime, finalizerQueues, cancellationToken))
        {
            cancellationToken.ThrowIfCancellationRequested();
            int node = Array.BinarySearch(addresses, root.Object.Address);
            if (node < 0)
                continue;
            int threadId = 0, frame = -1;
            if (root is ClrStackRoot stack && stack.StackFrame is { } f)
            {
                threadId = f.Thread is { } t ? t.ManagedThreadId : 0;
                string name = f.Method?.Signature ?? f.FrameName ?? f.Kind.ToString();
                if (!frameIds.TryGetValue(name, out frame))
                {
                    frameIds[name] = frame = frames.Count;
                    frames.Add(name);
                }
            }

            var kind = root.RootKind switch
            {
                ClrRootKind.StrongHandle => GcRootKind.StrongHandle,
                ClrRootKind.PinnedHandle => GcRootKind.PinnedHandle,
                ClrRootKind.AsyncPinnedHandle => GcRootKind.AsyncPinnedHandle,
                ClrRootKind.RefCountedHandle => GcRootKind.RefCountedHandle,
                ClrRootKind.SizedRefHandle => GcRootKind.SizedRefHandle,
                ClrRootKind.Stack => GcRootKind.Stack,
                ClrRootKind.FinalizerQueue => GcRootKind.FinalizerQueue,
                ClrRootKind.StaticVar => GcRootKind.Static,
                _ => GcRootKind.Other,
            };
            roots.Add(new GraphRoot(kind, node, root.Address, threadId, frame));
        }

        return (roots.ToArray(), frames.ToArray());
    }

    /// <summary>
    /// ClrMD's <see cref="ClrHeap.EnumerateRoots"/> when every live thread's stack walk ends and the finalization queues
    /// are believable (<paramref name="finalizerQueues"/>: <see cref="FinalizerQueues.Damage"/> found nothing); otherwise the same kinds of roots with the stacks of threads whose walk does not end, or the damaged
    /// queues, left out (the DAC or ClrMD could read them forever; see <see cref="StackWalk"/>, <see cref="FinalizerQueues"/>).
    /// Only that case loses the elements of async-pinned handles' arrays.
    /// </summary>
    private static IEnumerable<ClrRoot> EnumerateRoots(ClrRuntime runtime, bool finalizerQueues, CancellationToken cancellationToken)
    {
        var alive = runtime.Threads.Where(t => t.IsAlive).ToArray();
        if (finalizerQueues && alive.All(StackWalk.Ends))
        {
            foreach (var root in runtime.Heap.EnumerateRoots())
                yield return root;
            yield break;
        }

        foreach (var handle in runtime.EnumerateHandles())
        {
            if (handle.IsStrong)
                yield return handle;
        }

        if (finalizerQueues)
        {
            foreach (var root in runtime.Heap.EnumerateFinalizerRoots())
                yield return root;
        }

        foreach (var thread in alive)
        {
            cancellationToken.ThrowIfCancellationRequested();
            foreach (var root in StackWalk.Roots(thread))
                yield return root;
        }

        foreach (var root in runtime.Heap.EnumerateAdditionalRoots())
            yield return root;
    }

    /// <summary>Reads a type's GCDesc: the series count just below the method table, then the series below that.</summary>
    private static void ReadGcDesc(IDataReader reader, ulong mt, TypeInfo info)
    {
        long series = reader.Read<long>(mt - 8);
        if (series > 0 && series < 100_000)
        {
            var bytes = new byte[series * 16];
            if (reader.Read(mt - 8 - (ulong)bytes.Length, bytes) != bytes.Length)
                return;
            info.SeriesOffsets = new long[series];
            info.SeriesSizes = new long[series];
            for (int i = 0; i < series; i++)
            {
                // The series are stored downwards from the method table: series i at mt - 8 - 16 * (i + 1).
                int at = bytes.Length - (16 * (i + 1));
                info.SeriesSizes[i] = BinaryPrimitives.ReadInt64LittleEndian(bytes.AsSpan(at));
                info.SeriesOffsets[i] = BinaryPrimitives.ReadInt64LittleEndian(bytes.AsSpan(at + 8));
            }
        }
        else if (series < 0 && series > -100_000)
        {
            // An array of structs with references: a start offset and (pointer count, bytes to skip) items repeated.
            long items = -series;
            info.RepeatStart = reader.Read<long>(mt - 16);
            info.RepeatPointers = new uint[items];
            info.RepeatSkips = new uint[items];
            for (int i = 0; i < items; i++)
            {
                ulong item = reader.Read<ulong>(mt - 24 - (ulong)(8 * i));
                info.RepeatPointers[i] = (uint)item;
                info.RepeatSkips[i] = (uint)(item >> 32);
            }

            if (info.RepeatPointers.All(p => p == 0))
                info.RepeatPointers = info.RepeatSkips = null; // nothing to report, and it would never advance
        }
    }

    private static SegmentPart WalkSegment(ClrSegment segment, IDataReader reader, AllocationContexts allocationContexts, Dictionary<ulong, TypeInfo?> local,
        Func<ulong, TypeInfo?> resolve, ulong minObjectSize, Action<long> advance, (ulong From, ulong To)[] dependents, NodeSink? sink, CancellationToken cancellationToken)
    {
        // The first dependent handle whose primary is in this segment; the cursor moves with the walk.
        int dep = Array.BinarySearch(dependents, (segment.ObjectRange.Start, 0UL));
        if (dep < 0)
            dep = ~dep;
        var part = new SegmentPart { Start = segment.ObjectRange.Start, End = segment.ObjectRange.End };
        var contexts = allocationContexts.For(segment);
        ulong end = segment.ObjectRange.End;
        byte[] buffer = ArrayPool<byte>.Shared.Rent(Window);
        try
        {
            ulong windowStart = 0;
            int windowLength = 0;
            ulong reported = segment.FirstObjectAddress;
            ulong obj = contexts.SkipFrom(segment.FirstObjectAddress);
            ulong lastMt = 0;
            TypeInfo? type = null;
            while (obj < end)
            {
                if (obj < windowStart || obj + 16 > windowStart + (ulong)windowLength)
                {
                    cancellationToken.ThrowIfCancellationRequested();
                    advance((long)(obj - reported));
                    reported = obj;
                    windowStart = obj;
                    windowLength = reader.Read(obj, buffer.AsSpan(0, (int)Math.Min((ulong)Window, end - obj)));
                    if (windowLength < 16 && end - obj >= 16)
                    {
                        part.Warning = Warn(segment, obj, "memory is not in the dump");
                        break;
                    }
                }

                int offset = (int)(obj - windowStart);
                ulong mt = BinaryPrimitives.ReadUInt64LittleEndian(buffer.AsSpan(offset)) & ~3UL;
                if (mt == 0)
                {
                    ulong skipped = contexts.SkipFrom(obj);
                    if (skipped != obj)
                    {
                        obj = skipped;
                        continue;
                    }

                    part.Warning = Warn(segment, obj, "zero method table outside an allocation context");
                    break;
                }

                if (mt != lastMt)
                {
                    if (!local.TryGetValue(mt, out type))
                        local[mt] = type = resolve(mt);
                    lastMt = mt;
                }

                if (type is null)
                {
                    part.Warning = Warn(segment, obj, string.Create(CultureInfo.InvariantCulture, $"invalid method table 0x{mt:x}"));
                    break;
                }

                ulong size = type.BaseSize;
                if (type.ComponentSize != 0)
                {
                    uint count = BinaryPrimitives.ReadUInt32LittleEndian(buffer.AsSpan(offset + 8));
                    if (type.IsString)
                        count++;
                    size += count * (ulong)type.ComponentSize;
                }

                if (size < minObjectSize)
                    size = minObjectSize;
                if (type.IsFree)
                {
                    // free space: not an object
                }
                else if (sink is null)
                {
                    part.Count++;
                }
                else
                {
                    if (part.Count == sink.Limit)
                    {
                        part.Count++; // more than the first pass saw: reported by the caller
                        break;
                    }

                    int at = sink.Base + part.Count++;
                    sink.Addresses[at] = obj;
                    sink.TypeIds[at] = type.Id;
                    sink.Sizes[at] = size > uint.MaxValue ? uint.MaxValue : (uint)size;
                    sink.EdgeStart[at] = part.Targets.Count;
                    if (type.HasPointers)
                    {
                        if ((ulong)offset + size <= (ulong)windowLength)
                        {
                            AddReferences(type, buffer.AsSpan(offset, (int)size), part.Targets);
                        }
                        else if (size <= int.MaxValue)
                        {
                            byte[] whole = ArrayPool<byte>.Shared.Rent((int)size);
                            int read = reader.Read(obj, whole.AsSpan(0, (int)size));
                            AddReferences(type, whole.AsSpan(0, read), part.Targets);
                            ArrayPool<byte>.Shared.Return(whole);
                        }
                    }

                    while (dep < dependents.Length && dependents[dep].From < obj)
                        dep++;
                    for (; dep < dependents.Length && dependents[dep].From == obj; dep++)
                        part.Targets.Add(dependents[dep].To);
                }

                ulong next = obj + ((size + 7) & ~7UL);
                if (next <= obj)
                {
                    part.Warning = Warn(segment, obj, "object size overflows the address space");
                    break;
                }

                obj = next >= contexts.Next ? contexts.SkipFrom(next) : next;
            }

            advance((long)(end - reported));
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }

        return part;
    }

    /// <summary>Non-null references of one object, from its bytes and its type's pointer map.</summary>
    private static void AddReferences(TypeInfo type, ReadOnlySpan<byte> obj, Buffer<ulong> targets)
    {
        long size = obj.Length;
        if (type.SeriesOffsets is { } offsets)
        {
            for (int s = 0; s < offsets.Length; s++)
            {
                long from = offsets[s];
                long to = Math.Min(from + type.SeriesSizes![s] + size, size);
                for (long at = from; at + 8 <= to; at += 8)
                {
                    ulong value = BinaryPrimitives.ReadUInt64LittleEndian(obj[(int)at..]);
                    if (value != 0)
                        targets.Add(value);
                }
            }
        }
        else if (type.RepeatPointers is { } pointers)
        {
            long at = type.RepeatStart;
            long stop = size - 8;
            while (at < stop)
            {
                for (int i = 0; i < pointers.Length && at < stop; i++)
                {
                    for (uint p = 0; p < pointers[i] && at + 8 <= size; p++, at += 8)
                    {
                        ulong value = BinaryPrimitives.ReadUInt64LittleEndian(obj[(int)at..]);
                        if (value != 0)
                            targets.Add(value);
                    }

                    at += type.RepeatSkips![i];
                }
            }
        }
    }

    private static string Warn(ClrSegment segment, ulong obj, string reason) =>
        string.Create(CultureInfo.InvariantCulture,
            $"{segment.Kind} segment [0x{segment.ObjectRange.Start:x}, 0x{segment.ObjectRange.End:x}): indexing stopped at 0x{obj:x}: {reason}; the objects after it are not in root paths or retained sizes.");
}
