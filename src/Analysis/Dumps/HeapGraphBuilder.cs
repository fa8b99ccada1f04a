using System.Buffers;
using System.Buffers.Binary;
using System.Globalization;
using System.Runtime.CompilerServices;
using Microsoft.Diagnostics.Runtime;

namespace Analysis.Dumps;

/// <summary>
/// Builds the <see cref="HeapGraph"/> in parallel passes of the <see cref="HeapScanner"/> over the heap segments (one
/// to count the objects, one to write them); an object's references are read from its bytes with its type's GCDesc
/// (the runtime's pointer map, stored just before the method table), so no ClrObject is made.
/// </summary>
internal static class HeapGraphBuilder
{
    private sealed class SegmentPart
    {
        public ulong Start;
        public ulong End;

        /// <summary>Objects written.</summary>
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
    internal sealed class Buffer<T>
    {
        public T[] Items = new T[256];
        public int Count;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
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

    /// <summary>The dependent handles as (primary, value) pairs, sorted by primary: what a live primary keeps alive.</summary>
    internal static (ulong From, ulong To)[] Dependents(ClrRuntime runtime) =>
        runtime.EnumerateHandles()
            .Where(h => h.HandleKind == ClrHandleKind.Dependent && h.Object.Address != 0 && h.Dependent.Address != 0)
            .Select(h => (From: h.Object.Address, To: h.Dependent.Address))
            .Order()
            .ToArray();

    public static HeapGraph Build(ClrRuntime runtime, IProgress<WorkProgress>? progress, CancellationToken cancellationToken)
    {
        var scanner = new HeapScanner(runtime, pointerMaps: true);
        IDataReader reader = scanner.Reader;

        // Dependent handles (ConditionalWeakTable, DependentHandle): the primary keeps the secondary alive, though no
        // field refers to it. The walk adds them as the primary's last references (sorted, so one cursor per segment),
        // or values attached to live keys would look like garbage.
        var dependents = Dependents(runtime);

        var segments = scanner.Segments;
        var indexed = new ScanProgress(progress, "Indexing the object graph", 2 * scanner.TotalBytes); // two passes
        var options = new ParallelOptions { CancellationToken = cancellationToken, MaxDegreeOfParallelism = Environment.ProcessorCount };

        // Pass 1 counts the objects of each segment, so pass 2 writes them straight into arrays of the exact size:
        // no growing buffers and no concatenation (half the memory of collecting first). Both read the same windows,
        // so a dump that lacks memory stops both passes at the same object.
        var counts = scanner.ScanSegments((segment, _, layouts) =>
        {
            var visitor = new CountVisitor();
            scanner.Scan(segment, ref visitor, layouts, indexed, cancellationToken, objectBytes: true);
            return visitor.Count;
        }, cancellationToken);

        var nodeOffsets = new int[segments.Count + 1];
        for (int i = 0; i < segments.Count; i++)
            nodeOffsets[i + 1] = checked(nodeOffsets[i] + counts[i]);
        int nodeCount = nodeOffsets[^1];
        var addresses = HugePages.Allocate<ulong>(nodeCount);
        var typeIds = HugePages.Allocate<int>(nodeCount);
        var sizes = HugePages.Allocate<uint>(nodeCount);
        var edgeStart = HugePages.Allocate<int>(nodeCount + 1);

        var parts = scanner.ScanSegments((segment, i, layouts) =>
        {
            var part = new SegmentPart { Start = segment.ObjectRange.Start, End = segment.ObjectRange.End };
            var sink = new NodeSink(addresses, typeIds, sizes, edgeStart) { Base = nodeOffsets[i], Limit = counts[i] };
            var visitor = new IndexVisitor(part, sink, reader, dependents, segment.ObjectRange.Start);
            var scan = scanner.Scan(segment, ref visitor, layouts, indexed, cancellationToken, objectBytes: true);
            if (scan.StoppedByVisitor || part.Count != counts[i])
                throw new InvalidOperationException(string.Create(CultureInfo.InvariantCulture,
                    $"Segment 0x{segment.ObjectRange.Start:x} had {counts[i]:N0} objects in the first pass and {(scan.StoppedByVisitor ? "more" : part.Count.ToString("N0", CultureInfo.InvariantCulture))} in the second."));
            part.Warning = scan.Warning("indexing stopped", "is not in root paths or retained sizes");
            return part;
        }, cancellationToken);

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
        var layouts = scanner.Layouts;
        return new HeapGraph
        {
            Addresses = addresses, TypeIds = typeIds, Sizes = sizes, EdgeStart = edgeStart, Edges = edges,
            TypeNames = layouts.Select(t => t.Name).ToArray(), TypeMethodTables = layouts.Select(t => t.MethodTable).ToArray(),
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
    /// ClrMD's <see cref="ClrHeap.EnumerateRoots"/> when every live thread's stack walk ends (and none dispatches an exception) and the finalization queues
    /// are believable (<paramref name="finalizerQueues"/>: <see cref="FinalizerQueues.Damage"/> found nothing); otherwise the same kinds of roots with the stacks of threads whose walk does not end, or the damaged
    /// queues, left out (the DAC or ClrMD could read them forever; see <see cref="StackWalk"/>, <see cref="FinalizerQueues"/>).
    /// Only that case loses the elements of async-pinned handles' arrays.
    /// </summary>
    private static IEnumerable<ClrRoot> EnumerateRoots(ClrRuntime runtime, bool finalizerQueues, CancellationToken cancellationToken)
    {
        var alive = runtime.Threads.Where(t => t.IsAlive).ToArray();
        if (finalizerQueues && alive.All(t => StackWalk.Ends(t) && !StackWalk.InExceptionDispatch(t)))
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

    /// <summary>Pass 1: the objects of a segment, counted.</summary>
    private struct CountVisitor : IHeapObjectVisitor
    {
        public int Count;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public bool Visit(ulong address, ulong methodTable, ObjectLayout layout, ulong size, ReadOnlySpan<byte> window, int offset)
        {
            if (!layout.IsFree)
                Count++;
            return true;
        }
    }

    /// <summary>Pass 2: the objects of a segment written to the sink, their references (and dependents) to the part.</summary>
    private struct IndexVisitor : IHeapObjectVisitor
    {
        private readonly SegmentPart _part;
        private readonly NodeSink _sink;
        private readonly IDataReader _reader;
        private readonly (ulong From, ulong To)[] _dependents;

        /// <summary>The first dependent handle whose primary is not before the current object; moves with the walk.</summary>
        private int _dep;

        public IndexVisitor(SegmentPart part, NodeSink sink, IDataReader reader, (ulong From, ulong To)[] dependents, ulong segmentStart)
        {
            _part = part;
            _sink = sink;
            _reader = reader;
            _dependents = dependents;
            _dep = Array.BinarySearch(dependents, (segmentStart, 0UL));
            if (_dep < 0)
                _dep = ~_dep;
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public bool Visit(ulong address, ulong methodTable, ObjectLayout layout, ulong size, ReadOnlySpan<byte> window, int offset)
        {
            if (layout.IsFree)
                return true; // free space: not an object
            var part = _part;
            var sink = _sink;
            if (part.Count == sink.Limit)
                return false; // more than the first pass saw: reported by the caller

            int at = sink.Base + part.Count++;
            sink.Addresses[at] = address;
            sink.TypeIds[at] = layout.Id;
            sink.Sizes[at] = size > uint.MaxValue ? uint.MaxValue : (uint)size;
            sink.EdgeStart[at] = part.Targets.Count;
            if (layout.HasPointers)
            {
                if ((ulong)offset + size <= (ulong)window.Length)
                {
                    AddReferences(layout, window.Slice(offset, (int)size), part.Targets);
                }
                else if (size <= int.MaxValue)
                {
                    byte[] whole = ArrayPool<byte>.Shared.Rent((int)size);
                    int read = _reader.Read(address, whole.AsSpan(0, (int)size));
                    AddReferences(layout, whole.AsSpan(0, read), part.Targets);
                    ArrayPool<byte>.Shared.Return(whole);
                }
            }

            var dependents = _dependents;
            while (_dep < dependents.Length && dependents[_dep].From < address)
                _dep++;
            for (; _dep < dependents.Length && dependents[_dep].From == address; _dep++)
                part.Targets.Add(dependents[_dep].To);
            return true;
        }
    }

    /// <summary>Non-null references of one object, from its bytes and its type's pointer map.</summary>
    internal static void AddReferences(ObjectLayout type, ReadOnlySpan<byte> obj, Buffer<ulong> targets)
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
}
