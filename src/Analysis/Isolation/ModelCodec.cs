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
}
