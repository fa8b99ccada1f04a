using System.Buffers.Binary;
using static Analysis.ModelCodec;

namespace Analysis.Dumps;

/// <summary>
/// The binary form of object listings between the worker and the session: the query, the cursor to resume at, and a
/// batch of objects whose type names travel once per batch (a table by method table) and are shared with the
/// earlier batches' strings on the session's side. Counts are checked against the bytes left.
/// </summary>
internal static class HeapObjectCodec
{
    /// <summary>Bytes of one object in a batch: address, type index, size, generation, segment kind.</summary>
    private const int ObjectBytes = 8 + 4 + 8 + 1 + 1;

    public static void WriteRequest(BinaryWriter w, HeapObjectQuery q, HeapCursor from, int max)
    {
        w.WriteOptional(q.TypeName);
        w.Write(q.MethodTable.HasValue);
        w.Write(q.MethodTable ?? 0);
        w.Write(q.MinSize);
        w.Write(q.MaxSize);
        w.Write((byte)q.Liveness);
        w.Write(q.Generation.HasValue);
        w.Write((byte)(q.Generation ?? 0));
        w.Write(q.StartAddress);
        w.Write(q.EndAddress);
        w.Write(from.Segment);
        w.Write(from.Address);
        w.Write(max);
    }

    public static (HeapObjectQuery Query, HeapCursor From, int Max) ReadRequest(BinaryReader r)
    {
        string? typeName = r.ReadOptional();
        bool hasMt = r.ReadBoolean();
        ulong mt = r.ReadUInt64();
        var query = new HeapObjectQuery
        {
            TypeName = typeName,
            MethodTable = hasMt ? mt : null,
            MinSize = r.ReadUInt64(),
            MaxSize = r.ReadUInt64(),
            Liveness = Checked<ObjectLiveness>(r.ReadByte()),
        };
        bool hasGeneration = r.ReadBoolean();
        var generation = Checked<GcHeapGeneration>(r.ReadByte());
        query = query with { Generation = hasGeneration ? generation : null, StartAddress = r.ReadUInt64(), EndAddress = r.ReadUInt64() };
        return (query, new HeapCursor(r.ReadInt32(), r.ReadUInt64()), r.ReadInt32());
    }

    public static void WriteBatch(BinaryWriter w, HeapObjectBatch batch)
    {
        var types = new Dictionary<ulong, int>();
        var table = new List<HeapObject>();
        foreach (var o in batch.Objects)
        {
            if (types.TryAdd(o.MethodTable, table.Count))
                table.Add(o);
        }

        WriteList(w, table, (w, o) =>
        {
            w.Write(o.MethodTable);
            w.WriteText(o.TypeName);
        });
        // the objects as one block of fixed-size records: millions of them go through here
        var block = new byte[batch.Objects.Length * ObjectBytes];
        ulong lastMt = 0;
        int lastType = -1;
        for (int i = 0; i < batch.Objects.Length; i++)
        {
            var o = batch.Objects[i];
            if (lastType < 0 || o.MethodTable != lastMt)
            {
                lastType = types[o.MethodTable];
                lastMt = o.MethodTable;
            }

            var record = block.AsSpan(i * ObjectBytes, ObjectBytes);
            BinaryPrimitives.WriteUInt64LittleEndian(record, o.Address);
            BinaryPrimitives.WriteInt32LittleEndian(record[8..], lastType);
            BinaryPrimitives.WriteUInt64LittleEndian(record[12..], o.Size);
            record[20] = (byte)o.Generation;
            record[21] = (byte)o.SegmentKind;
        }

        w.Write(batch.Objects.Length);
        w.Write(block);
        w.Write(batch.Next.HasValue);
        w.Write(batch.Next?.Segment ?? 0);
        w.Write(batch.Next?.Address ?? 0);
        WriteStrings(w, batch.Warnings);
    }

    /// <summary>A batch; <paramref name="names"/> holds the type names of earlier batches (by method table), so they are one string each.</summary>
    public static HeapObjectBatch ReadBatch(BinaryReader r, Dictionary<ulong, string> names)
    {
        var table = ReadList(r, 9, r =>
        {
            ulong mt = r.ReadUInt64();
            string name = r.ReadString();
            if (!names.TryGetValue(mt, out string? known))
                names[mt] = known = name;
            return (MethodTable: mt, Name: known);
        });
        var objects = new HeapObject[Count(r, ObjectBytes)];
        byte[] block = r.ReadBytes(objects.Length * ObjectBytes);
        for (int i = 0; i < objects.Length; i++)
        {
            var record = block.AsSpan(i * ObjectBytes, ObjectBytes);
            int type = BinaryPrimitives.ReadInt32LittleEndian(record[8..]);
            if ((uint)type >= (uint)table.Count)
                throw new InvalidDataException($"type index {type} of object {i} is past the batch's {table.Count} types");
            if (record[20] > (byte)GcHeapGeneration.Frozen || record[21] > (byte)HeapSegmentKind.Ephemeral)
                throw new InvalidDataException($"generation {record[20]} or segment kind {record[21]} of object {i} is out of range");
            var (mt, name) = table[type];
            objects[i] = new HeapObject(BinaryPrimitives.ReadUInt64LittleEndian(record), mt, name, BinaryPrimitives.ReadUInt64LittleEndian(record[12..]),
                (GcHeapGeneration)record[20], (HeapSegmentKind)record[21]);
        }

        bool more = r.ReadBoolean();
        var next = new HeapCursor(r.ReadInt32(), r.ReadUInt64());
        return new HeapObjectBatch(objects, more ? next : null, ReadStrings(r));
    }

    /// <summary>Statistics of live or dead objects: the heap statistics, then which liveness and which roots counted.</summary>
    public static void WriteStatistics(BinaryWriter w, HeapStatistics s)
    {
        DumpCodec.WriteHeap(w, s);
        w.Write((byte)s.Liveness);
        w.WriteOptional(s.RootsCounted);
    }

    public static HeapStatistics ReadStatistics(BinaryReader r)
    {
        var s = DumpCodec.ReadHeap(r);
        return new HeapStatistics(s.Types, s.FreeCount, s.FreeSize, s.SegmentCount, s.Warnings, s.SkippedBytes, s.Elapsed)
        {
            Liveness = Checked<ObjectLiveness>(r.ReadByte()),
            RootsCounted = r.ReadOptional(),
        };
    }

    private static T Checked<T>(byte value)
        where T : struct, Enum =>
        Enum.IsDefined(typeof(T), value) ? (T)Enum.ToObject(typeof(T), value) : throw new InvalidDataException($"{value} is not a {typeof(T).Name}");
}
