using System.Text;

namespace Analysis.Traces;

/// <summary>An append-only list stored in fixed-size chunks: growing never copies what is already stored.</summary>
internal sealed class ChunkedList<T>
    where T : struct
{
    private const int ChunkSize = 1 << 14;
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
        writer.Write(_used);
        for (int i = 0; i < _chunks.Count; i++)
        {
            int length = i == _chunks.Count - 1 ? _used : ChunkSize;
            writer.Write(length);
            writer.Write(_chunks[i], 0, length);
        }
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
            var chunk = new byte[ChunkSize];
            reader.BaseStream.ReadExactly(chunk, 0, length);
            _chunks.Add(chunk);
        }

        _used = chunks == 0 ? ChunkSize : used;
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
