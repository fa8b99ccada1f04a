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
