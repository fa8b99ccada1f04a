namespace Analysis.Fuzz;

/// <summary>
/// A protobuf message decoded without a schema, for structure-aware mutation: length-delimited fields that parse as
/// messages become sub-messages, runs of varints become packed lists, the rest stays bytes. Written back, with lengths
/// recomputed (or, on request, off by a little), it is a profile whose structure survived the mutation, so the parser
/// and the queries behind it get exercised, not only the first length check.
/// </summary>
internal sealed class ProtoNode
{
    public int Field;
    public int WireType;
    public ulong Value; // varint
    public byte[]? Raw; // fixed32/64, bytes
    public List<ProtoNode>? Children; // message
    public List<ulong>? Packed; // packed varints
    public int LengthDelta; // a lie about the length, written as is

    public static List<ProtoNode>? Parse(ReadOnlySpan<byte> data, int depth)
    {
        var nodes = new List<ProtoNode>();
        int pos = 0;
        while (pos < data.Length)
        {
            if (!TryVarint(data, ref pos, out ulong tag) || tag >> 3 == 0 || tag >> 3 > int.MaxValue)
                return null;
            var node = new ProtoNode { Field = (int)(tag >> 3), WireType = (int)(tag & 7) };
            switch (node.WireType)
            {
                case 0:
                    if (!TryVarint(data, ref pos, out node.Value))
                        return null;
                    break;
                case 1 or 5:
                    int n = node.WireType == 1 ? 8 : 4;
                    if (data.Length - pos < n)
                        return null;
                    node.Raw = data.Slice(pos, n).ToArray();
                    pos += n;
                    break;
                case 2:
                    if (!TryVarint(data, ref pos, out ulong len) || len > (ulong)(data.Length - pos))
                        return null;
                    var payload = data.Slice(pos, (int)len);
                    pos += (int)len;
                    if (depth < 4 && payload.Length > 0 && Parse(payload, depth + 1) is { } children)
                        node.Children = children;
                    else if (payload.Length > 0 && ParsePacked(payload) is { } packed)
                        node.Packed = packed;
                    else
                        node.Raw = payload.ToArray();
                    break;
                default:
                    return null;
            }

            nodes.Add(node);
        }

        return nodes;
    }

    private static List<ulong>? ParsePacked(ReadOnlySpan<byte> data)
    {
        var values = new List<ulong>();
        int pos = 0;
        while (pos < data.Length)
        {
            if (!TryVarint(data, ref pos, out ulong v))
                return null;
            values.Add(v);
        }

        return values;
    }

    /// <summary>A varint at <paramref name="pos"/> (advanced past it); false when the bytes end first or it runs past 64 bits.</summary>
    internal static bool TryVarint(ReadOnlySpan<byte> d, ref int pos, out ulong value)
    {
        value = 0;
        for (int shift = 0; shift < 64; shift += 7)
        {
            if (pos >= d.Length)
                return false;
            byte b = d[pos++];
            value |= (ulong)(b & 0x7f) << shift;
            if (b < 0x80)
                return true;
        }

        return false;
    }

    public ProtoNode Clone() => new()
    {
        Field = Field,
        WireType = WireType,
        Value = Value,
        Raw = Raw?.ToArray(),
        Children = Children?.Select(c => c.Clone()).ToList(),
        Packed = Packed?.ToList(),
        LengthDelta = LengthDelta,
    };

    public static void Write(List<ProtoNode> nodes, List<byte> into)
    {
        foreach (var n in nodes)
        {
            Varint(into, ((ulong)(uint)n.Field << 3) | (uint)n.WireType);
            switch (n.WireType)
            {
                case 0:
                    Varint(into, n.Value);
                    break;
                case 2:
                    var payload = new List<byte>();
                    if (n.Children is not null)
                        Write(n.Children, payload);
                    else if (n.Packed is not null)
                        n.Packed.ForEach(v => Varint(payload, v));
                    else
                        payload.AddRange(n.Raw ?? []);
                    Varint(into, (ulong)(payload.Count + n.LengthDelta));
                    into.AddRange(payload);
                    break;
                default:
                    into.AddRange(n.Raw ?? []);
                    break;
            }
        }
    }

    private static void Varint(List<byte> into, ulong v)
    {
        do
        {
            byte b = (byte)(v & 0x7f);
            v >>= 7;
            into.Add(v != 0 ? (byte)(b | 0x80) : b);
        }
        while (v != 0);
    }

    /// <summary>Every node of the tree with the list that holds it.</summary>
    public static void Walk(List<ProtoNode> nodes, List<(List<ProtoNode> Parent, ProtoNode Node)> into)
    {
        foreach (var n in nodes)
        {
            into.Add((nodes, n));
            if (n.Children is not null)
                Walk(n.Children, into);
        }
    }
}
