using System.Buffers.Binary;
using System.IO.Compression;
using System.Text;

namespace Analysis.Fuzz;

/// <summary>How a path's inputs are built, which decides the format-aware mutations on top of the byte-level ones.</summary>
public enum InputShape
{
    /// <summary>Gzip-compressed protobuf (pprof): mutate the decompressed message (varints, length fields), then re-gzip.</summary>
    GzipProtobuf,
    /// <summary>Line-oriented text (goroutine dumps, gctrace): lines, numbers, unicode, NULs.</summary>
    Text,
    /// <summary>Binary with LEB128 varints (Go execution traces).</summary>
    Varints,
    /// <summary>Plain binary (nettrace, dump headers).</summary>
    Binary,
    /// <summary>Big binary files (Go cores): only in-place flips and interesting integers, at a handful of offsets.</summary>
    BigBinary,
}

/// <summary>
/// Our own mutation engine (no coverage feedback): bit flips, interesting bytes and integers (8/16/32/64-bit, both
/// endians), arithmetic, chunk delete/duplicate/insert, splicing with another seed, truncation; for protobuf, varint and
/// length-field mutations under the gzip layer; for text, line and number mutations and odd characters. Deterministic
/// for a given seed of the random generator.
/// </summary>
public sealed class Mutator
{
    private static readonly long[] InterestingInts =
    [
        0, 1, -1, 2, 7, 8, 16, 32, 64, 100, 127, 128, 255, 256, 512, 1000, 1024, 4096, 32767, 32768, 65535, 65536,
        int.MaxValue, (long)int.MaxValue + 1, int.MinValue, uint.MaxValue, (long)uint.MaxValue + 1, long.MaxValue, long.MinValue,
        1L << 40, (1L << 53) + 1, -2, -128, -129, 0x7fff_fff0, 0x1000_0000,
    ];

    private static readonly ulong[] InterestingVarints =
    [
        0, 1, 2, 0x7f, 0x80, 0xff, 0x3fff, 0x4000, 0xffff, 0x10000, 0x7fff_ffff, 0x8000_0000, 0xffff_fff0, 0xffff_ffff, 0x1_0000_0000,
        0x7fff_ffff_ffff_ffff, 0x8000_0000_0000_0000, ulong.MaxValue, ulong.MaxValue - 1, ulong.MaxValue - 15, 0x4000_0000_0000_0000, 1UL << 62 | 5,
    ];

    private static readonly string[] OddNumbers =
    [
        "0", "-1", "-0", "00", "99999999999999999999", "2147483647", "2147483648", "4294967296", "9223372036854775807",
        "9223372036854775808", "18446744073709551616", "1e308", "1e309", "0.00.018", "1..2", ".", "..", "0x10", "+5", "NaN",
        "١٢٣", "٣", "３２", "߀", "๙", "1٫5", "0.0000000000000000000000000001", "340282366920938463463374607431768211456",
    ];

    private static readonly string[] OddText =
    [
        "\0", "\r", "\r\n", "\n\n", "\t", " ", "\u00a0", "\u2028", "\ufeff", "\ufffd", "é", "日本", "😀", "\u0000\u0000", "{", "}", "[]",
        "\"", "\\", "%", "(", ")", ":", "+", "/", "->", "@", "#", "...", "\u202e",
    ];

    private readonly Random _rng;
    private readonly List<byte[]> _seeds;
    private readonly InputShape _shape;
    private readonly string[] _dictionary;
    private readonly int _maxSize;
    private readonly Dictionary<byte[], byte[]?> _inflated = new(ReferenceEqualityComparer.Instance);

    public Mutator(int seed, IReadOnlyList<byte[]> seeds, InputShape shape, IReadOnlyList<string>? dictionary = null, int maxSize = 1 << 20)
    {
        if (seeds.Count == 0)
            throw new ArgumentException("no seeds", nameof(seeds));
        _rng = new Random(seed);
        _seeds = seeds.ToList();
        _shape = shape;
        _dictionary = dictionary?.ToArray() ?? [];
        _maxSize = Math.Max(maxSize, seeds.Max(s => s.Length));
    }

    /// <summary>Inputs that found something new join the seeds (only small ones).</summary>
    public void AddToCorpus(byte[] input)
    {
        if (input.Length <= 1 << 20 && _shape != InputShape.BigBinary && _seeds.Count < MaxCorpus)
            _seeds.Add(input);
    }

    public const int MaxCorpus = 10_000;

    public IReadOnlyList<byte[]> Corpus => _seeds;

    public int CorpusSize => _seeds.Count;

    public static InputShape ShapeOf(string path) => path switch
    {
        "pprof" => InputShape.GzipProtobuf,
        "goroutine" or "gctrace" or "timeline" => InputShape.Text,
        "gotrace" => InputShape.Varints,
        "gocore" => InputShape.BigBinary,
        "dump" => throw new ArgumentException("whole dumps are not mutated: DumpCases damages them as the bit-flip test does", nameof(path)),
        _ => InputShape.Binary,
    };

    /// <summary>The next case: a seed with one to a few stacked mutations.</summary>
    public byte[] Next()
    {
        byte[] seed = _seeds[_rng.Next(_seeds.Count)];
        if (_shape == InputShape.BigBinary)
            return BigBinary(seed);
        int stack = 1 << _rng.Next(4); // 1, 2, 4 or 8 mutations
        switch (_shape)
        {
            case InputShape.GzipProtobuf:
                return Protobuf(seed, stack);
            case InputShape.Text when _rng.Next(10) < 8:
                var text = new List<byte>(seed);
                for (int i = 0; i < stack; i++)
                    TextMutation(text);
                return Cap(text);
            case InputShape.Varints when _rng.Next(2) == 0:
                var v = new List<byte>(seed);
                for (int i = 0; i < stack; i++)
                {
                    if (_rng.Next(3) == 0)
                        ByteMutation(v);
                    else
                        VarintMutation(v, 16);
                }

                return Cap(v);
            default:
                var bytes = new List<byte>(seed);
                for (int i = 0; i < stack; i++)
                    ByteMutation(bytes);
                return Cap(bytes);
        }
    }

    private byte[] Cap(List<byte> data) => data.Count > _maxSize ? data.GetRange(0, _maxSize).ToArray() : data.ToArray();

    // ---- byte level ----

    private void ByteMutation(List<byte> d)
    {
        if (d.Count == 0)
        {
            d.AddRange(RandomBytes(1 + _rng.Next(16)));
            return;
        }

        switch (_rng.Next(12))
        {
            case 0: // bit flip
                d[_rng.Next(d.Count)] ^= (byte)(1 << _rng.Next(8));
                break;
            case 1: // random byte
                d[_rng.Next(d.Count)] = (byte)_rng.Next(256);
                break;
            case 2: // interesting byte
                d[_rng.Next(d.Count)] = (byte)(_rng.Next(5) switch { 0 => 0, 1 => 0xff, 2 => 0x7f, 3 => 0x80, _ => 1 });
                break;
            case 3 or 4: // interesting integer, 2/4/8 bytes, either endian
                WriteInteresting(d, _rng.Next(d.Count));
                break;
            case 5: // arithmetic on a byte
                int at = _rng.Next(d.Count);
                d[at] = (byte)(d[at] + _rng.Next(-35, 36));
                break;
            case 6: // delete a chunk
                int len = ChunkLength(d.Count);
                d.RemoveRange(_rng.Next(d.Count - len + 1), len);
                break;
            case 7: // duplicate a chunk
                int dl = ChunkLength(d.Count);
                int from = _rng.Next(d.Count - dl + 1);
                d.InsertRange(_rng.Next(d.Count + 1), d.GetRange(from, dl));
                break;
            case 8: // insert random or repeated bytes
                d.InsertRange(_rng.Next(d.Count + 1), _rng.Next(2) == 0 ? RandomBytes(1 + _rng.Next(32)) : Enumerable.Repeat((byte)_rng.Next(256), 1 + _rng.Next(64)));
                break;
            case 9: // splice with another seed
                var other = _seeds[_rng.Next(_seeds.Count)];
                if (other.Length > 0)
                {
                    int ol = ChunkLength(other.Length);
                    int of = _rng.Next(other.Length - ol + 1);
                    int cut = _rng.Next(d.Count + 1);
                    if (_rng.Next(2) == 0)
                        d.RemoveRange(cut, d.Count - cut);
                    d.InsertRange(Math.Min(cut, d.Count), other.AsSpan(of, ol).ToArray());
                }

                break;
            case 10: // truncate
                int keep = _rng.Next(d.Count);
                d.RemoveRange(keep, d.Count - keep);
                break;
            default: // overwrite a chunk with a copy of another place
                int cl = ChunkLength(d.Count);
                int src = _rng.Next(d.Count - cl + 1), dst = _rng.Next(d.Count - cl + 1);
                var copy = d.GetRange(src, cl);
                for (int i = 0; i < cl; i++)
                    d[dst + i] = copy[i];
                break;
        }
    }

    private int ChunkLength(int count)
    {
        int max = Math.Max(1, count);
        return _rng.Next(4) switch
        {
            0 => 1 + _rng.Next(Math.Min(max, 4)),
            1 => 1 + _rng.Next(Math.Min(max, 32)),
            2 => 1 + _rng.Next(Math.Min(max, 512)),
            _ => 1 + _rng.Next(max),
        };
    }

    private byte[] RandomBytes(int n)
    {
        var b = new byte[n];
        _rng.NextBytes(b);
        return b;
    }

    private void WriteInteresting(List<byte> d, int at)
    {
        long value = InterestingInts[_rng.Next(InterestingInts.Length)];
        if (_rng.Next(4) == 0)
            value += _rng.Next(-2, 3);
        int width = _rng.Next(3) switch { 0 => 2, 1 => 4, _ => 8 };
        Span<byte> buf = stackalloc byte[8];
        bool big = _rng.Next(2) == 0;
        if (big)
            BinaryPrimitives.WriteInt64BigEndian(buf, value);
        else
            BinaryPrimitives.WriteInt64LittleEndian(buf, value);
        var bytes = big ? buf[(8 - width)..] : buf[..width];
        for (int i = 0; i < bytes.Length && at + i < d.Count; i++)
            d[at + i] = bytes[i];
    }

    // ---- varints ----

    private static byte[] Uvarint(ulong v)
    {
        var b = new List<byte>();
        do
        {
            byte x = (byte)(v & 0x7f);
            v >>= 7;
            b.Add(v != 0 ? (byte)(x | 0x80) : x);
        }
        while (v != 0);
        return b.ToArray();
    }

    /// <summary>Replaces the varint that starts at a random position (after <paramref name="skip"/>) with an interesting one.</summary>
    private void VarintMutation(List<byte> d, int skip)
    {
        if (d.Count <= skip)
        {
            ByteMutation(d);
            return;
        }

        int at = skip + _rng.Next(d.Count - skip);
        int end = at;
        while (end < d.Count && end - at < 10 && (d[end] & 0x80) != 0)
            end++;
        end = Math.Min(end + 1, d.Count);
        ulong value = InterestingVarints[_rng.Next(InterestingVarints.Length)];
        if (_rng.Next(3) == 0)
        {
            // the old value, changed a little
            ulong old = 0;
            for (int i = at, shift = 0; i < end && shift < 64; i++, shift += 7)
                old |= (ulong)(d[i] & 0x7f) << shift;
            value = old + (ulong)_rng.Next(-3, 4);
        }

        d.RemoveRange(at, end - at);
        d.InsertRange(at, Uvarint(value));
    }

    // ---- protobuf under gzip ----

    private byte[]? Inflate(byte[] seed)
    {
        if (_inflated.TryGetValue(seed, out var known))
            return known;
        byte[]? raw = null;
        if (seed.Length > 2 && seed[0] == 0x1f && seed[1] == 0x8b)
        {
            try
            {
                using var gz = new GZipStream(new MemoryStream(seed), CompressionMode.Decompress);
                using var ms = new MemoryStream();
                gz.CopyTo(ms);
                raw = ms.ToArray();
            }
            catch (Exception e) when (e is InvalidDataException or IOException)
            {
                raw = null;
            }
        }

        _inflated[seed] = raw;
        return raw;
    }

    private static byte[] Deflate(byte[] raw)
    {
        using var ms = new MemoryStream();
        using (var gz = new GZipStream(ms, CompressionLevel.Fastest, leaveOpen: true))
            gz.Write(raw);
        return ms.ToArray();
    }

    private byte[] Protobuf(byte[] seed, int stack)
    {
        byte[]? raw = Inflate(seed) ?? (seed.Length > 0 && seed[0] != 0x1f ? seed : null);
        int choice = _rng.Next(10);
        if (raw is null || choice == 0)
        {
            // the gzip layer itself: flips, truncation (a 2-byte gzip), a wrong trailer
            var g = new List<byte>(seed);
            for (int i = 0; i < stack; i++)
            {
                int keep = Math.Min(g.Count, _rng.Next(2, 24));
                if (_rng.Next(4) == 0)
                    g.RemoveRange(keep, g.Count - keep);
                else
                    ByteMutation(g);
            }

            return Cap(g);
        }

        if (_rng.Next(2) == 0 && Tree(raw) is { } tree)
        {
            // structure-aware: values, packed lists and whole fields change; lengths stay right (mostly)
            var copy = tree.Select(n => n.Clone()).ToList();
            for (int i = 0; i < stack; i++)
                TreeMutation(copy);
            var written = new List<byte>();
            ProtoNode.Write(copy, written);
            byte[] structured = Cap(written);
            return choice < 9 ? Deflate(structured) : structured;
        }

        var d = new List<byte>(raw);
        for (int i = 0; i < stack; i++)
        {
            switch (_rng.Next(6))
            {
                case 0 or 1 or 2:
                    VarintMutation(d, 0);
                    break;
                case 3:
                    FieldMutation(d);
                    break;
                default:
                    ByteMutation(d);
                    break;
            }
        }

        byte[] bytes = Cap(d);
        return choice < 9 ? Deflate(bytes) : bytes; // now and then raw protobuf (the loader reads both)
    }

    private readonly Dictionary<byte[], List<ProtoNode>?> _trees = new(ReferenceEqualityComparer.Instance);

    private List<ProtoNode>? Tree(byte[] raw)
    {
        if (!_trees.TryGetValue(raw, out var tree))
            _trees[raw] = tree = raw.Length <= 4 << 20 ? ProtoNode.Parse(raw, 0) : null;
        return tree;
    }

    private void TreeMutation(List<ProtoNode> tree)
    {
        var all = new List<(List<ProtoNode> Parent, ProtoNode Node)>();
        ProtoNode.Walk(tree, all);
        if (all.Count == 0)
            return;
        var (parent, node) = all[_rng.Next(all.Count)];
        switch (_rng.Next(10))
        {
            case 0 or 1 or 2: // a value: interesting, nudged, or negative
                if (node.WireType == 0)
                    node.Value = InterestingVarint(node.Value);
                else if (node.Packed is { Count: > 0 } p)
                    p[_rng.Next(p.Count)] = InterestingVarint(p[_rng.Next(p.Count)]);
                else if (node.Raw is { Length: > 0 } raw)
                    raw[_rng.Next(raw.Length)] = (byte)_rng.Next(256);
                break;
            case 3: // a packed list grows, shrinks or repeats
                if (node.Packed is { Count: > 0 } list)
                {
                    int op = _rng.Next(3);
                    if (op == 0)
                        list.RemoveAt(_rng.Next(list.Count));
                    else if (op == 1)
                        list.AddRange(Enumerable.Repeat(list[_rng.Next(list.Count)], 1 + _rng.Next(_rng.Next(2) == 0 ? 4 : 2000)));
                    else
                        list.Insert(_rng.Next(list.Count + 1), InterestingVarint(0));
                }

                break;
            case 4: // delete a field
                parent.Remove(node);
                break;
            case 5: // duplicate a field, sometimes many times
                int times = 1 + _rng.Next(_rng.Next(3) == 0 ? 200 : 2);
                for (int i = 0; i < times; i++)
                    parent.Insert(_rng.Next(parent.Count + 1), node.Clone());
                break;
            case 6: // a field from elsewhere in the tree (a location in a sample, a line in a function)
                var (_, other) = all[_rng.Next(all.Count)];
                parent.Insert(_rng.Next(parent.Count + 1), other.Clone());
                break;
            case 7: // the field number or wire type changes
                if (_rng.Next(2) == 0)
                    node.Field = 1 + _rng.Next(16);
                else if (node.WireType == 0)
                    node.Value = (ulong)_rng.Next(4);
                break;
            case 8: // a length that lies a little
                if (node.WireType == 2)
                    node.LengthDelta = _rng.Next(-3, 4);
                break;
            default: // two siblings swap
                int a = _rng.Next(parent.Count), b = _rng.Next(parent.Count);
                (parent[a], parent[b]) = (parent[b], parent[a]);
                break;
        }
    }

    private ulong InterestingVarint(ulong old) => _rng.Next(4) switch
    {
        0 => old + (ulong)_rng.Next(-2, 3),
        1 => (ulong)-(long)old, // negative as int64
        _ => InterestingVarints[_rng.Next(InterestingVarints.Length)],
    };

    /// <summary>Duplicates, deletes or moves a whole top-level field (a sample, a location, a string).</summary>
    private void FieldMutation(List<byte> d)
    {
        var fields = new List<(int Start, int End)>();
        var bytes = System.Runtime.InteropServices.CollectionsMarshal.AsSpan(d); // read only while the fields are found
        int pos = 0;
        while (pos < d.Count && fields.Count < 100_000)
        {
            int start = pos;
            if (!ProtoNode.TryVarint(bytes, ref pos, out ulong tag))
                break;
            switch (tag & 7)
            {
                case 0:
                    if (!ProtoNode.TryVarint(bytes, ref pos, out _))
                        pos = d.Count + 1;
                    break;
                case 1:
                    pos += 8;
                    break;
                case 2:
                    if (!ProtoNode.TryVarint(bytes, ref pos, out ulong len) || len > (ulong)(d.Count - pos))
                        pos = d.Count + 1;
                    else
                        pos += (int)len;
                    break;
                case 5:
                    pos += 4;
                    break;
                default:
                    pos = d.Count + 1;
                    break;
            }

            if (pos > d.Count)
                break;
            fields.Add((start, pos));
        }

        if (fields.Count == 0)
        {
            ByteMutation(d);
            return;
        }

        var (s, e) = fields[_rng.Next(fields.Count)];
        var field = d.GetRange(s, e - s);
        switch (_rng.Next(3))
        {
            case 0:
                d.RemoveRange(s, e - s);
                break;
            case 1:
                int times = 1 + _rng.Next(_rng.Next(2) == 0 ? 2 : 64);
                for (int i = 0; i < times && d.Count < _maxSize; i++)
                    d.InsertRange(fields[_rng.Next(fields.Count)].Start, field);
                break;
            default:
                d.RemoveRange(s, e - s);
                var (to, _) = fields[_rng.Next(fields.Count)];
                d.InsertRange(Math.Min(to, d.Count), field);
                break;
        }
    }

    // ---- text ----

    private static List<(int Start, int End)> Lines(List<byte> d)
    {
        var lines = new List<(int, int)>();
        int start = 0;
        for (int i = 0; i < d.Count; i++)
        {
            if (d[i] == (byte)'\n')
            {
                lines.Add((start, i + 1));
                start = i + 1;
            }
        }

        if (start < d.Count)
            lines.Add((start, d.Count));
        return lines;
    }

    private void TextMutation(List<byte> d)
    {
        var lines = Lines(d);
        if (lines.Count == 0)
        {
            d.AddRange(Encoding.UTF8.GetBytes(_dictionary.Length > 0 ? _dictionary[_rng.Next(_dictionary.Length)] : "x"));
            return;
        }

        var (s, e) = lines[_rng.Next(lines.Count)];
        switch (_rng.Next(12))
        {
            case 0: // duplicate a line (or many times: a long dump)
                var line = d.GetRange(s, e - s);
                int times = _rng.Next(8) == 0 ? 1 + _rng.Next(200) : 1;
                for (int i = 0; i < times && d.Count < _maxSize; i++)
                    d.InsertRange(e, line);
                break;
            case 1: // delete a line
                d.RemoveRange(s, e - s);
                break;
            case 2: // swap two lines
                var (s2, e2) = lines[_rng.Next(lines.Count)];
                if (s2 == s)
                    break;
                var (a, b) = s < s2 ? ((s, e), (s2, e2)) : ((s2, e2), (s, e));
                var first = d.GetRange(a.Item1, a.Item2 - a.Item1);
                var second = d.GetRange(b.Item1, b.Item2 - b.Item1);
                d.RemoveRange(b.Item1, b.Item2 - b.Item1);
                d.InsertRange(b.Item1, first);
                d.RemoveRange(a.Item1, a.Item2 - a.Item1);
                d.InsertRange(a.Item1, second);
                break;
            case 3: // a line from another seed
                var other = _seeds[_rng.Next(_seeds.Count)];
                var otherLines = Lines(new List<byte>(other));
                if (otherLines.Count > 0)
                {
                    var (os, oe) = otherLines[_rng.Next(otherLines.Count)];
                    d.InsertRange(s, other.AsSpan(os, oe - os).ToArray());
                }

                break;
            case 4 or 5 or 6: // a number
                NumberMutation(d, s, e);
                break;
            case 7: // odd characters, invalid UTF-8, a lone surrogate
                int at = s + _rng.Next(e - s + 1);
                byte[] odd = _rng.Next(4) switch
                {
                    0 => [0xed, 0xa0, 0x80], // a lone surrogate in UTF-8 form
                    1 => [(byte)(0x80 + _rng.Next(0x40))], // a stray continuation byte
                    2 => [0xc3], // a cut two-byte sequence
                    _ => Encoding.UTF8.GetBytes(OddText[_rng.Next(OddText.Length)]),
                };
                d.InsertRange(at, odd);
                break;
            case 8 when _dictionary.Length > 0: // a token of the format
                d.InsertRange(s + _rng.Next(e - s + 1), Encoding.UTF8.GetBytes(_dictionary[_rng.Next(_dictionary.Length)]));
                break;
            case 9: // cut a line short
                if (e - s > 1)
                {
                    int cutAt = s + 1 + _rng.Next(e - s - 1);
                    d.RemoveRange(cutAt, e - cutAt);
                }

                break;
            case 10: // a very long line
                if (d.Count < _maxSize / 2)
                    d.InsertRange(s, Enumerable.Repeat((byte)"a 9:(+.\t"[_rng.Next(8)], 1000 + _rng.Next(60_000)));
                break;
            default:
                ByteMutation(d);
                break;
        }
    }

    private void NumberMutation(List<byte> d, int s, int e)
    {
        var digits = new List<(int Start, int End)>();
        for (int i = s; i < e; i++)
        {
            if (d[i] is >= (byte)'0' and <= (byte)'9')
            {
                int j = i;
                while (j < e && (d[j] is >= (byte)'0' and <= (byte)'9' or (byte)'.'))
                    j++;
                digits.Add((i, j));
                i = j;
            }
        }

        if (digits.Count == 0)
        {
            d.InsertRange(s + _rng.Next(e - s + 1), Encoding.UTF8.GetBytes(OddNumbers[_rng.Next(OddNumbers.Length)]));
            return;
        }

        var (ds, de) = digits[_rng.Next(digits.Count)];
        string replacement = _rng.Next(3) switch
        {
            0 => OddNumbers[_rng.Next(OddNumbers.Length)],
            1 => InterestingInts[_rng.Next(InterestingInts.Length)].ToString(System.Globalization.CultureInfo.InvariantCulture),
            _ => ToOtherDigits(Encoding.UTF8.GetString(d.GetRange(ds, de - ds).ToArray())),
        };
        d.RemoveRange(ds, de - ds);
        d.InsertRange(ds, Encoding.UTF8.GetBytes(replacement));
    }

    /// <summary>The same number in other Unicode decimal digits (Arabic-Indic, fullwidth, Devanagari) that \d matches.</summary>
    private string ToOtherDigits(string number)
    {
        char zero = _rng.Next(3) switch { 0 => '\u0660', 1 => '\uff10', _ => '\u0966' };
        var sb = new StringBuilder();
        foreach (char c in number)
            sb.Append(c is >= '0' and <= '9' && _rng.Next(3) != 0 ? (char)(zero + (c - '0')) : c);
        return sb.ToString();
    }

    // ---- big binaries ----

    private byte[] BigBinary(byte[] seed)
    {
        var copy = (byte[])seed.Clone();
        int n = 1 + _rng.Next(8);
        Span<byte> buf = stackalloc byte[8];
        // most structure is at the start (headers, notes, program headers, the runtime's data): bias the offsets there
        for (int i = 0; i < n; i++)
        {
            int limit = _rng.Next(3) switch { 0 => Math.Min(copy.Length, 4096), 1 => Math.Min(copy.Length, 1 << 20), _ => copy.Length };
            int at = _rng.Next(limit);
            if (_rng.Next(2) == 0)
            {
                copy[at] ^= (byte)(1 << _rng.Next(8));
            }
            else
            {
                long value = InterestingInts[_rng.Next(InterestingInts.Length)];
                BinaryPrimitives.WriteInt64LittleEndian(buf, value);
                int width = _rng.Next(2) == 0 ? 4 : 8;
                for (int k = 0; k < width && at + k < copy.Length; k++)
                    copy[at + k] = buf[k];
            }
        }

        if (_rng.Next(10) == 0)
            return copy.AsSpan(0, _rng.Next(copy.Length)).ToArray();
        return copy;
    }
}
