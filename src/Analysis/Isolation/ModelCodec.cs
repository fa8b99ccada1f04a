namespace Analysis;

/// <summary>Helpers for the binary forms our models take between the worker and the session (little-endian, BinaryWriter).</summary>
internal static class ModelCodec
{
    /// <summary>Reads an element count and checks it against what is left (each element at least <paramref name="minBytes"/>).</summary>
    public static int Count(BinaryReader reader, int minBytes)
    {
        int count = reader.ReadInt32();
        long left = reader.BaseStream.Length - reader.BaseStream.Position;
        if (count < 0 || (long)count * minBytes > left)
            throw new InvalidDataException($"count {count} at byte {reader.BaseStream.Position - 4} exceeds the {left} bytes left");
        return count;
    }

    /// <summary>A row of a table as <see cref="ReadRows"/> hands it over.</summary>
    public delegate void RowReader(ReadOnlySpan<byte> row);

    /// <summary>
    /// Reads <paramref name="count"/> rows of <paramref name="rowBytes"/> bytes each, as BinaryWriter wrote their fields
    /// (packed, little-endian), a block of rows per read: one read per field cost ~0.4 µs a row on a worker's answer read
    /// as it comes (the bench's trace: 19,480 exceptions, 8 ms), and the worker waited for the session meanwhile.
    /// </summary>
    public static void ReadRows(BinaryReader reader, int count, int rowBytes, RowReader read)
    {
        if (count == 0)
            return;
        int perBlock = Math.Clamp(16 * 1024 / rowBytes, 1, count);
        byte[] block = System.Buffers.ArrayPool<byte>.Shared.Rent(perBlock * rowBytes);
        try
        {
            for (int done = 0; done < count;)
            {
                int rows = Math.Min(perBlock, count - done);
                var span = block.AsSpan(0, rows * rowBytes);
                reader.BaseStream.ReadExactly(span);
                for (int i = 0; i < rows; i++)
                    read(span.Slice(i * rowBytes, rowBytes));
                done += rows;
            }
        }
        finally
        {
            System.Buffers.ArrayPool<byte>.Shared.Return(block);
        }
    }

    /// <summary>Writes a string that BinaryWriter's strict UTF-8 always accepts (lone surrogates become U+FFFD).</summary>
    public static void WriteText(this BinaryWriter writer, string text) => writer.Write(SafeText.Sanitize(text));

    public static void WriteOptional(this BinaryWriter writer, string? text)
    {
        writer.Write(text is not null);
        if (text is not null)
            writer.WriteText(text);
    }

    public static string? ReadOptional(this BinaryReader reader) => reader.ReadBoolean() ? reader.ReadString() : null;

    public static void WriteStrings(BinaryWriter w, IReadOnlyList<string> items) => WriteList(w, items, (w, s) => w.WriteText(s));

    public static ItemList<string> ReadStrings(BinaryReader r) => ReadList(r, 1, r => r.ReadString());

    /// <summary>A count, then each item.</summary>
    public static void WriteList<T>(BinaryWriter w, IReadOnlyList<T> items, Action<BinaryWriter, T> write)
    {
        w.Write(items.Count);
        foreach (var item in items)
            write(w, item);
    }

    /// <summary>A list whose elements take at least <paramref name="minBytes"/> each (the count is checked against what is left).</summary>
    public static ItemList<T> ReadList<T>(BinaryReader r, int minBytes, Func<BinaryReader, T> read)
    {
        var items = new T[Count(r, minBytes)];
        for (int i = 0; i < items.Length; i++)
            items[i] = read(r);
        return items;
    }

    /// <summary>Whether there is an item, then the item.</summary>
    public static void WriteNullable<T>(BinaryWriter w, T? item, Action<BinaryWriter, T> write)
        where T : class
    {
        w.Write(item is not null);
        if (item is not null)
            write(w, item);
    }

    public static T? ReadNullable<T>(BinaryReader r, Func<BinaryReader, T> read)
        where T : class => r.ReadBoolean() ? read(r) : null;
}
