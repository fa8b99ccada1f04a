using System.Text;

namespace Analysis.Traces;

/// <summary>
/// An append-only list stored in fixed-size chunks: growing never copies what is already stored. A chunk of 2,048 items
/// stays below the large-object threshold for items of up to 40 bytes (an exception row is 32): large arrays count
/// towards a full collection, and a session decoding its worker's model had one in the middle of it (10 ms).
/// </summary>
internal sealed class ChunkedList<T>
    where T : struct
{
    private const int ChunkSize = 1 << 11;
    private readonly List<T[]> _chunks = new();

    public int Count { get; private set; }

    public void Add(in T item)
    {
        int slot = Count & (ChunkSize - 1);
        if (slot == 0)
            _chunks.Add(new T[ChunkSize]);
        _chunks[^1][slot] = item;
        Count++;
    }

    public ref T this[int index] => ref _chunks[index / ChunkSize][index & (ChunkSize - 1)];

    /// <summary>
    /// Writes the items as their bytes, a chunk at a time, for <see cref="ReadItems"/> in a process of the same build on
    /// the same machine (a worker's answer): no field-by-field encoding.
    /// </summary>
    public void WriteItems(BinaryWriter writer)
    {
        for (int i = 0; i < _chunks.Count; i++)
            writer.Write(System.Runtime.InteropServices.MemoryMarshal.AsBytes(_chunks[i].AsSpan(0, Math.Min(ChunkSize, Count - i * ChunkSize))));
    }

    /// <summary>Appends <paramref name="count"/> items that <see cref="WriteItems"/> wrote (the caller checks their values).</summary>
    public void ReadItems(Stream input, int count)
    {
        while (count > 0)
        {
            int slot = Count & (ChunkSize - 1);
            if (slot == 0)
                _chunks.Add(new T[ChunkSize]);
            int n = Math.Min(count, ChunkSize - slot);
            input.ReadExactly(System.Runtime.InteropServices.MemoryMarshal.AsBytes(_chunks[^1].AsSpan(slot, n)));
            Count += n;
            count -= n;
        }
    }
}

/// <summary>Strings kept as UTF-8 in large shared buffers (no object per string), addressed by a 64-bit handle.</summary>
internal sealed class Utf8Heap
{
    private const int ChunkSize = 1 << 20;
    private readonly List<byte[]> _chunks = new();
    private int _used = ChunkSize;

    /// <summary>Stores a string; returns a handle for <see cref="Get"/>.</summary>
    public long Add(string? text)
    {
        if (string.IsNullOrEmpty(text))
            return 0;
        int byteCount = Encoding.UTF8.GetByteCount(text);
        if (byteCount > ChunkSize)
        {
            text = text[..(ChunkSize / 4)];
            byteCount = Encoding.UTF8.GetByteCount(text);
        }

        if (_used + byteCount > ChunkSize)
        {
            _chunks.Add(new byte[ChunkSize]);
            _used = 0;
        }

        int chunk = _chunks.Count - 1;
        int offset = _used;
        Encoding.UTF8.GetBytes(text, _chunks[chunk].AsSpan(offset));
        _used += byteCount;
        // chunk (20 bits) | offset (20 bits) | length (21 bits); 0 means empty.
        return ((long)(chunk + 1) << 41) | ((long)offset << 21) | (uint)byteCount;
    }

    /// <summary>Writes the buffers for <see cref="ReadFrom"/>; handles stay valid.</summary>
    public void WriteTo(BinaryWriter writer)
    {
        writer.Write(_chunks.Count);
        writer.Write(_chunks.Count == 0 ? 0 : Length(_chunks.Count - 1));
        for (int i = 0; i < _chunks.Count; i++)
        {
            int length = Length(i);
            writer.Write(length);
            writer.Write(_chunks[i], 0, length);
        }
    }

    /// <summary>What chunk <paramref name="i"/> holds: all of it but the last one's free end.</summary>
    private int Length(int i) => i == _chunks.Count - 1 ? Math.Min(_used, _chunks[i].Length) : _chunks[i].Length;

    /// <summary>Whether <paramref name="handle"/> is one this heap gave (0, or a string inside a chunk): a model's check.</summary>
    public bool Holds(long handle)
    {
        if (handle == 0)
            return true;
        long chunk = (handle >> 41) - 1;
        int offset = (int)((handle >> 21) & 0xFFFFF);
        int length = (int)(handle & 0x1FFFFF);
        return chunk >= 0 && chunk < _chunks.Count && offset + length <= _chunks[(int)chunk].Length;
    }

    /// <summary>Fills an empty heap with what <see cref="WriteTo"/> wrote.</summary>
    public void ReadFrom(BinaryReader reader)
    {
        int chunks = ModelCodec.Count(reader, 4);
        int used = reader.ReadInt32();
        if (used is < 0 or > ChunkSize)
            throw new InvalidDataException($"message buffer use {used} out of range");
        for (int i = 0; i < chunks; i++)
        {
            int length = reader.ReadInt32();
            if (length is < 0 or > ChunkSize)
                throw new InvalidDataException($"message buffer length {length} out of range");
            // exactly as long as its strings: nothing is added to a heap read from a model (a large array's allocation can
            // start a full collection, and the chunk is 1 MB)
            var chunk = GC.AllocateUninitializedArray<byte>(length);
            reader.BaseStream.ReadExactly(chunk);
            _chunks.Add(chunk);
        }

        _used = ChunkSize; // a string added now starts a chunk of its own
    }

    public string Get(long handle)
    {
        if (handle == 0)
            return "";
        int chunk = (int)(handle >> 41) - 1;
        int offset = (int)((handle >> 21) & 0xFFFFF);
        int length = (int)(handle & 0x1FFFFF);
        return Encoding.UTF8.GetString(_chunks[chunk], offset, length);
    }
}
