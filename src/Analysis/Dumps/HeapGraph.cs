namespace Analysis.Dumps;

/// <summary>What kind of GC root holds an object, as the runtime reports it.</summary>
public enum GcRootKind : byte
{
    /// <summary>A static field (reached through the runtime's pinned statics array).</summary>
    Static,
    /// <summary>A strong GC handle (e.g. GCHandle.Alloc, runtime-internal handles).</summary>
    StrongHandle,
    /// <summary>A pinned GC handle.</summary>
    PinnedHandle,
    /// <summary>An async-pinned handle (overlapped I/O buffers).</summary>
    AsyncPinnedHandle,
    /// <summary>A ref-counted handle (COM interop).</summary>
    RefCountedHandle,
    /// <summary>A sized-ref handle.</summary>
    SizedRefHandle,
    /// <summary>A local variable or argument of a frame on a thread's stack.</summary>
    Stack,
    /// <summary>The finalizer queue: the object is waiting for its finalizer to run.</summary>
    FinalizerQueue,
    /// <summary>Another root the runtime reports.</summary>
    Other,
}

/// <summary>One GC root of the graph: its kind, the object it holds, and where (slot, thread, frame).</summary>
internal readonly record struct GraphRoot(GcRootKind Kind, int Node, ulong Slot, int ThreadId, int FrameIndex);

/// <summary>
/// The object graph of a dump's GC heap in compact arrays: objects sorted by address (node = index), their type and
/// size, outgoing references in CSR form (EdgeStart/Edges), and the GC roots. Built in one pass over the heap and
/// cached per session (and on disk), so root paths and retained sizes do not walk the heap again.
/// </summary>
internal sealed class HeapGraph
{
    public required ulong[] Addresses { get; init; }

    public required int[] TypeIds { get; init; }

    public required uint[] Sizes { get; init; }

    /// <summary>Edges of node n are Edges[EdgeStart[n] .. EdgeStart[n + 1]).</summary>
    public required int[] EdgeStart { get; init; }

    public required int[] Edges { get; init; }

    public required string[] TypeNames { get; init; }

    public required ulong[] TypeMethodTables { get; init; }

    public required GraphRoot[] Roots { get; init; }

    /// <summary>Method names of the stack frames that roots refer to (GraphRoot.FrameIndex).</summary>
    public required string[] Frames { get; init; }

    /// <summary>Parts of the heap that could not be read, references that point nowhere, and similar.</summary>
    public required string[] Warnings { get; init; }

    public int NodeCount => Addresses.Length;

    public int EdgeCount => Edges.Length;

    /// <summary>The node of the object starting at <paramref name="address"/>, or -1.</summary>
    public int Find(ulong address)
    {
        int i = Array.BinarySearch(Addresses, address);
        return i >= 0 ? i : -1;
    }

    /// <summary>The node of the object starting at <paramref name="address"/>.</summary>
    /// <exception cref="ArgumentException">No object starts there.</exception>
    public int NodeOf(ulong address)
    {
        int node = Find(address);
        return node >= 0 ? node : throw new ArgumentException(
            string.Create(System.Globalization.CultureInfo.InvariantCulture, $"0x{address:x} is not the address of an object on the GC heap."), nameof(address));
    }

    public ReadOnlySpan<int> References(int node) => Edges.AsSpan(EdgeStart[node], EdgeStart[node + 1] - EdgeStart[node]);

    public string TypeName(int node) => TypeNames[TypeIds[node]];
}
