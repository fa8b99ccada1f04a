using Analysis.Stacks;

namespace Analysis.Traces;

/// <summary>
/// Distinct raw stacks of a trace (instruction pointers, leaf first), interned once, resolved to methods once
/// the trace's method table is complete (rundown comes last).
/// </summary>
internal sealed class StackTable
{
    /// <summary>Method id of a frame no managed method covers (native code, stubs, or no rundown).</summary>
    public const int Unresolved = -1;

    private readonly Dictionary<ulong[], int> _ids = new(StackComparer.Instance);
    private readonly List<ulong[]> _stacks = new();
    private int[]?[]? _resolved;
    private ItemList<StackFrameInfo>?[]? _frames;

    public int Count => _stacks.Count;

    /// <summary>Id of this stack (frames leaf first); -1 for an empty stack.</summary>
    public int Intern(ReadOnlySpan<ulong> frames)
    {
        if (frames.IsEmpty)
            return -1;
        if (_resolved is not null)
            throw new InvalidOperationException("The table is sealed.");
        var lookup = _ids.GetAlternateLookup<ReadOnlySpan<ulong>>();
        if (lookup.TryGetValue(frames, out int id))
            return id;
        id = _stacks.Count;
        var copy = frames.ToArray();
        _stacks.Add(copy);
        _ids.Add(copy, id);
        return id;
    }

    /// <summary>Fixes the set of stacks; resolution happens lazily per stack from now on.</summary>
    public void Seal()
    {
        _resolved = new int[_stacks.Count][];
        _frames = new ItemList<StackFrameInfo>[_stacks.Count];
    }

    /// <summary>Method ids of a stack, leaf first, consecutive unresolved frames collapsed into one.</summary>
    public int[] Methods(int stackId, MethodTable methods)
    {
        if (stackId < 0)
            return [];
        var resolved = _resolved ?? throw new InvalidOperationException("Seal the table first.");
        if (resolved[stackId] is { } cached)
            return cached;
        var raw = _stacks[stackId];
        var list = new List<int>(raw.Length);
        foreach (ulong ip in raw)
        {
            int m = methods.Find(ip);
            if (m == Unresolved && list.Count > 0 && list[^1] == Unresolved)
                continue;
            list.Add(m);
        }

        return resolved[stackId] = list.ToArray();
    }

    /// <summary>The stack as frames, top first.</summary>
    public ItemList<StackFrameInfo> Frames(int stackId, MethodTable methods)
    {
        if (stackId < 0)
            return [];
        var frames = _frames ?? throw new InvalidOperationException("Seal the table first.");
        if (frames[stackId] is { } cached)
            return cached;
        var ids = Methods(stackId, methods);
        var list = new StackFrameInfo[ids.Length];
        for (int i = 0; i < ids.Length; i++)
            list[i] = Frame(ids[i], methods);
        return frames[stackId] = list;
    }

    /// <summary>Writes the stacks for <see cref="ReadFrom"/>, in id order.</summary>
    public void WriteTo(BinaryWriter writer)
    {
        writer.Write(_stacks.Count);
        foreach (var stack in _stacks)
        {
            writer.Write(stack.Length);
            foreach (ulong ip in stack)
                writer.Write(ip);
        }
    }

    /// <summary>Fills an empty table with what <see cref="WriteTo"/> wrote, and seals it (no index for interning: a sealed table takes no more stacks).</summary>
    public void ReadFrom(BinaryReader reader)
    {
        int count = ModelCodec.Count(reader, 4);
        _stacks.Capacity = count;
        for (int i = 0; i < count; i++)
        {
            var frames = new ulong[ModelCodec.Count(reader, 8)];
            // one read for the stack: the frames as BinaryWriter wrote them (little-endian)
            reader.BaseStream.ReadExactly(System.Runtime.InteropServices.MemoryMarshal.AsBytes(frames.AsSpan()));
            if (!BitConverter.IsLittleEndian)
            {
                for (int f = 0; f < frames.Length; f++)
                    frames[f] = System.Buffers.Binary.BinaryPrimitives.ReverseEndianness(frames[f]);
            }

            _stacks.Add(frames);
        }

        Seal();
    }

    public static StackFrameInfo Frame(int method, MethodTable methods) =>
        method == Unresolved
            ? new StackFrameInfo("[native or unresolved code]", null, FrameKind.Native)
            : new StackFrameInfo(methods.FunctionOf(method), methods.ModuleOf(method), FrameKind.Managed);

    private sealed class StackComparer : IEqualityComparer<ulong[]>, IAlternateEqualityComparer<ReadOnlySpan<ulong>, ulong[]>
    {
        public static readonly StackComparer Instance = new();

        public bool Equals(ulong[]? x, ulong[]? y) => x.AsSpan().SequenceEqual(y);

        public int GetHashCode(ulong[] obj) => Hash(obj);

        public bool Equals(ReadOnlySpan<ulong> alternate, ulong[] other) => alternate.SequenceEqual(other);

        public int GetHashCode(ReadOnlySpan<ulong> alternate) => Hash(alternate);

        public ulong[] Create(ReadOnlySpan<ulong> alternate) => alternate.ToArray();

        private static int Hash(ReadOnlySpan<ulong> frames)
        {
            var h = new HashCode();
            h.AddBytes(System.Runtime.InteropServices.MemoryMarshal.AsBytes(frames));
            return h.ToHashCode();
        }
    }
}
