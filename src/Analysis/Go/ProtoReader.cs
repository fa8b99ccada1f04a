namespace Analysis.Go;

/// <summary>
/// A minimal protobuf wire-format reader over a byte span: varints, 64/32-bit fixed fields and length-delimited
/// fields, with the offset of every problem so errors can quote where the bytes went wrong.
/// </summary>
internal ref struct ProtoReader
{
    public const int Varint = 0;
    public const int Fixed64 = 1;
    public const int LengthDelimited = 2;
    public const int Fixed32 = 5;

    private readonly ReadOnlySpan<byte> _data;
    private readonly int _base;
    private int _pos;

    public ProtoReader(ReadOnlySpan<byte> data, int baseOffset = 0)
    {
        _data = data;
        _base = baseOffset;
        _pos = 0;
    }

    public readonly bool End => _pos >= _data.Length;

    /// <summary>Offset in the whole message of the next byte.</summary>
    public readonly int Offset => _base + _pos;

    public bool TryReadTag(out int field, out int wireType)
    {
        if (End)
        {
            field = wireType = 0;
            return false;
        }

        int at = Offset;
        ulong tag = ReadVarint();
        wireType = (int)(tag & 7);
        // field numbers are 1 to 2^29 - 1
        if (tag >> 3 is 0 or > (1 << 29) - 1)
            throw new FormatException($"invalid field number {tag >> 3} at offset {at}");
        field = (int)(tag >> 3);
        return true;
    }

    public ulong ReadVarint()
    {
        ulong result = 0;
        for (int shift = 0; shift < 64; shift += 7)
        {
            if (_pos >= _data.Length)
                throw new FormatException($"varint runs past the end at offset {Offset}");
            byte b = _data[_pos++];
            result |= (ulong)(b & 0x7f) << shift;
            if (b < 0x80)
                return result;
        }

        throw new FormatException($"varint longer than 10 bytes at offset {Offset}");
    }

    public long ReadInt64() => (long)ReadVarint();

    public ReadOnlySpan<byte> ReadBytes(out int offset)
    {
        ulong length = ReadVarint();
        offset = Offset;
        // compared as unsigned against what is left: a length near 2^64 or 2^31 can neither wrap nor pass
        if (length > (ulong)(_data.Length - _pos))
            throw new FormatException($"length-delimited field of {length} bytes at offset {offset} runs past the end of its message ({_data.Length - _pos} bytes left)");
        var slice = _data.Slice(_pos, (int)length);
        _pos += (int)length;
        return slice;
    }

    /// <summary>Reads a repeated integer field, packed or not, appending to <paramref name="into"/>.</summary>
    public void ReadRepeated(int wireType, List<long> into)
    {
        if (wireType == LengthDelimited)
        {
            var packed = new ProtoReader(ReadBytes(out int offset), offset);
            while (!packed.End)
                into.Add(packed.ReadInt64());
        }
        else if (wireType == Varint)
        {
            into.Add(ReadInt64());
        }
        else
        {
            throw new FormatException($"repeated integer field with wire type {wireType} at offset {Offset}");
        }
    }

    public void Skip(int wireType)
    {
        switch (wireType)
        {
            case Varint:
                ReadVarint();
                break;
            case Fixed64:
                Advance(8);
                break;
            case LengthDelimited:
                ReadBytes(out _);
                break;
            case Fixed32:
                Advance(4);
                break;
            default:
                throw new FormatException($"unknown wire type {wireType} at offset {Offset}");
        }
    }

    private void Advance(int n)
    {
        if (n > _data.Length - _pos)
            throw new FormatException($"fixed field runs past the end at offset {Offset}");
        _pos += n;
    }
}
