using static Analysis.ModelCodec;

namespace Analysis.Dumps;

/// <summary>
/// The binary form of <see cref="DumpObject"/> and <see cref="DumpCollection"/> between the worker and the session:
/// each value with a tag for its .NET type, so an int comes back an int and a Guid a Guid. Followed objects nest (their
/// depth is bounded by the inspector); every count is checked against the bytes left.
/// </summary>
internal static class DumpObjectCodec
{
    private enum Tag : byte
    {
        None, Bool, Char, SByte, Byte, Int16, UInt16, Int32, UInt32, Int64, UInt64, Single, Double, Decimal, Guid, DateTime, TimeSpan, String,
        DateTimeOffset,
    }

    public static void WriteObject(BinaryWriter w, DumpObject o)
    {
        w.Write(o.Address);
        w.WriteText(o.TypeName);
        w.Write(o.MethodTable);
        w.Write(o.Size);
        w.Write(o.Generation is { } g ? (int)g : -1);
        w.Write(o.IsArray);
        WriteInt(w, o.Length);
        WriteList(w, o.Dimensions, (w, d) => w.Write(d));
        w.WriteOptional(o.ElementTypeName);
        WriteScalar(w, o.Value);
        w.Write(o.IsTruncated);
        WriteList(w, o.Fields, WriteField);
        WriteList(w, o.Elements, (w, e) =>
        {
            w.Write(e.Index);
            WriteList(w, e.Indices, (w, i) => w.Write(i));
            WriteValue(w, e);
        });
        w.Write(o.FirstIndex);
        WriteStrings(w, o.Warnings);
    }

    public static DumpObject ReadObject(BinaryReader r) =>
        new()
        {
            Address = r.ReadUInt64(),
            TypeName = r.ReadString(),
            MethodTable = r.ReadUInt64(),
            Size = r.ReadInt64(),
            Generation = r.ReadInt32() is var g and >= 0 and <= (int)GcHeapGeneration.Frozen ? (GcHeapGeneration)g : null,
            IsArray = r.ReadBoolean(),
            Length = ReadInt(r),
            Dimensions = ReadList(r, 4, r => r.ReadInt32()),
            ElementTypeName = r.ReadOptional(),
            Value = ReadScalar(r),
            IsTruncated = r.ReadBoolean(),
            Fields = ReadList(r, 20, ReadField),
            Elements = ReadList(r, 20, r =>
            {
                int index = r.ReadInt32();
                var indices = ReadList(r, 4, r => r.ReadInt32());
                return new DumpElement(ReadValue(r), index, indices);
            }),
            FirstIndex = r.ReadInt32(),
            Warnings = ReadStrings(r),
        };

    public static void WriteCollection(BinaryWriter w, DumpCollection c)
    {
        w.Write(c.Address);
        w.WriteText(c.TypeName);
        w.WriteText(c.Kind);
        w.Write(c.Count);
        WriteList(w, c.Entries, (w, e) =>
        {
            w.Write(e.Index);
            WriteNullable(w, e.Key, WriteValue);
            WriteValue(w, e.Value);
        });
        WriteStrings(w, c.Warnings);
    }

    public static DumpCollection ReadCollection(BinaryReader r) =>
        new()
        {
            Address = r.ReadUInt64(),
            TypeName = r.ReadString(),
            Kind = r.ReadString(),
            Count = r.ReadInt32(),
            Entries = ReadList(r, 20, r => new DumpEntry { Index = r.ReadInt32(), Key = ReadNullable(r, ReadValue), Value = ReadValue(r) }),
            Warnings = ReadStrings(r),
        };

    private static void WriteField(BinaryWriter w, DumpField f)
    {
        w.WriteText(f.Name);
        w.Write(f.Offset);
        WriteValue(w, f);
    }

    private static DumpField ReadField(BinaryReader r)
    {
        string name = r.ReadString();
        int offset = r.ReadInt32();
        return new DumpField(ReadValue(r), name, offset);
    }

    private static void WriteValue(BinaryWriter w, DumpValue v)
    {
        w.Write((byte)v.Kind);
        w.WriteText(v.TypeName);
        WriteScalar(w, v.Value);
        w.Write(v.Address);
        w.WriteOptional(v.ObjectTypeName);
        WriteInt(w, v.Length);
        w.Write(v.IsTruncated);
        WriteList(w, v.Fields, WriteField);
        WriteNullable(w, v.Target, WriteObject);
        w.WriteOptional(v.Problem);
    }

    private static DumpValue ReadValue(BinaryReader r) =>
        new()
        {
            Kind = (DumpValueKind)r.ReadByte(),
            TypeName = r.ReadString(),
            Value = ReadScalar(r),
            Address = r.ReadUInt64(),
            ObjectTypeName = r.ReadOptional(),
            Length = ReadInt(r),
            IsTruncated = r.ReadBoolean(),
            Fields = ReadList(r, 20, ReadField),
            Target = ReadNullable(r, ReadObject),
            Problem = r.ReadOptional(),
        };

    private static void WriteInt(BinaryWriter w, int? value)
    {
        w.Write(value is not null);
        w.Write(value ?? 0);
    }

    private static int? ReadInt(BinaryReader r)
    {
        bool has = r.ReadBoolean();
        int value = r.ReadInt32();
        return has ? value : null;
    }

    private static void WriteScalar(BinaryWriter w, object? value)
    {
        switch (value)
        {
            case null: w.Write((byte)Tag.None); break;
            case bool v: w.Write((byte)Tag.Bool); w.Write(v); break;
            case char v: w.Write((byte)Tag.Char); w.Write((ushort)v); break;
            case sbyte v: w.Write((byte)Tag.SByte); w.Write(v); break;
            case byte v: w.Write((byte)Tag.Byte); w.Write(v); break;
            case short v: w.Write((byte)Tag.Int16); w.Write(v); break;
            case ushort v: w.Write((byte)Tag.UInt16); w.Write(v); break;
            case int v: w.Write((byte)Tag.Int32); w.Write(v); break;
            case uint v: w.Write((byte)Tag.UInt32); w.Write(v); break;
            case long v: w.Write((byte)Tag.Int64); w.Write(v); break;
            case ulong v: w.Write((byte)Tag.UInt64); w.Write(v); break;
            case float v: w.Write((byte)Tag.Single); w.Write(v); break;
            case double v: w.Write((byte)Tag.Double); w.Write(v); break;
            case decimal v: w.Write((byte)Tag.Decimal); w.Write(v); break;
            case Guid v: w.Write((byte)Tag.Guid); w.Write(v.ToByteArray()); break;
            case DateTime v: w.Write((byte)Tag.DateTime); w.Write(v.Ticks); w.Write((byte)v.Kind); break;
            case TimeSpan v: w.Write((byte)Tag.TimeSpan); w.Write(v.Ticks); break;
            case DateTimeOffset v: w.Write((byte)Tag.DateTimeOffset); w.Write(v.Ticks); w.Write((short)v.Offset.TotalMinutes); break;
            case string v: w.Write((byte)Tag.String); w.WriteText(v); break;
            default: w.Write((byte)Tag.String); w.WriteText(value.ToString() ?? ""); break;
        }
    }

    private static object? ReadScalar(BinaryReader r) => (Tag)r.ReadByte() switch
    {
        Tag.None => null,
        Tag.Bool => r.ReadBoolean(),
        Tag.Char => (char)r.ReadUInt16(),
        Tag.SByte => r.ReadSByte(),
        Tag.Byte => r.ReadByte(),
        Tag.Int16 => r.ReadInt16(),
        Tag.UInt16 => r.ReadUInt16(),
        Tag.Int32 => r.ReadInt32(),
        Tag.UInt32 => r.ReadUInt32(),
        Tag.Int64 => r.ReadInt64(),
        Tag.UInt64 => r.ReadUInt64(),
        Tag.Single => r.ReadSingle(),
        Tag.Double => r.ReadDouble(),
        Tag.Decimal => r.ReadDecimal(),
        Tag.Guid => new Guid(r.ReadBytes(16)),
        Tag.DateTime => new DateTime(r.ReadInt64(), (DateTimeKind)(r.ReadByte() % 3)),
        Tag.TimeSpan => new TimeSpan(r.ReadInt64()),
        Tag.String => r.ReadString(),
        Tag.DateTimeOffset => new DateTimeOffset(r.ReadInt64(), TimeSpan.FromMinutes(r.ReadInt16())),
        var tag => throw new InvalidDataException($"value tag {(byte)tag} at byte {r.BaseStream.Position - 1} is not one this reads"),
    };
}
