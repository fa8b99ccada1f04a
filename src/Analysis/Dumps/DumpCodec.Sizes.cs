using static Analysis.ModelCodec;

namespace Analysis.Dumps;

// The binary form of the sizes, heap layout and handles answers (issue 14).
internal static partial class DumpCodec
{
    public static void WriteObjectSize(BinaryWriter w, ObjectSize s)
    {
        w.Write(s.Address);
        w.WriteText(s.TypeName);
        w.Write(s.Size);
        w.Write(s.ReachableBytes);
        w.Write(s.ReachableCount);
        WriteOptionalInt64(w, s.RetainedBytes);
        WriteOptionalInt64(w, s.RetainedCount);
        w.Write(s.FromGraphIndex);
    }

    public static ObjectSize ReadObjectSize(BinaryReader r) =>
        new()
        {
            Address = r.ReadUInt64(),
            TypeName = r.ReadString(),
            Size = r.ReadInt64(),
            ReachableBytes = r.ReadInt64(),
            ReachableCount = r.ReadInt64(),
            RetainedBytes = ReadOptionalInt64(r),
            RetainedCount = ReadOptionalInt64(r),
            FromGraphIndex = r.ReadBoolean(),
        };

    public static void WriteGcHeap(BinaryWriter w, GcHeapLayout layout)
    {
        WriteList(w, layout.Generations, (w, g) =>
        {
            w.Write(g.Heap);
            w.Write((int)g.Generation);
            w.Write(g.SegmentCount);
            w.Write(g.Committed);
            w.Write(g.Allocated);
            w.Write(g.ObjectCount);
            w.Write(g.ObjectBytes);
            w.Write(g.FreeCount);
            w.Write(g.FreeBytes);
        });
        WriteList(w, layout.Segments, (w, s) =>
        {
            w.Write(s.Heap);
            w.Write((int)s.Generation);
            w.WriteText(s.Kind);
            w.Write(s.Start);
            w.Write(s.End);
            w.Write(s.Committed);
            w.Write(s.ObjectCount);
            w.Write(s.ObjectBytes);
            w.Write(s.FreeBytes);
        });
        WriteStrings(w, layout.Warnings);
    }

    public static GcHeapLayout ReadGcHeap(BinaryReader r)
    {
        var generations = ReadList(r, 60, r => new GcGenerationStat
        {
            Heap = r.ReadInt32(),
            Generation = (GcHeapGeneration)r.ReadInt32(),
            SegmentCount = r.ReadInt32(),
            Committed = r.ReadInt64(),
            Allocated = r.ReadInt64(),
            ObjectCount = r.ReadInt64(),
            ObjectBytes = r.ReadInt64(),
            FreeCount = r.ReadInt64(),
            FreeBytes = r.ReadInt64(),
        });
        var segments = ReadList(r, 57, r => new GcSegmentStat
        {
            Heap = r.ReadInt32(),
            Generation = (GcHeapGeneration)r.ReadInt32(),
            Kind = r.ReadString(),
            Start = r.ReadUInt64(),
            End = r.ReadUInt64(),
            Committed = r.ReadInt64(),
            ObjectCount = r.ReadInt64(),
            ObjectBytes = r.ReadInt64(),
            FreeBytes = r.ReadInt64(),
        });
        return new GcHeapLayout(generations, segments, ReadStrings(r));
    }

    public static void WriteGcAddress(BinaryWriter w, GcAddressInfo a)
    {
        w.Write(a.Address);
        w.Write(a.Heap);
        w.Write((int)a.Generation);
        w.WriteText(a.SegmentKind);
        w.Write(a.SegmentStart);
        w.Write(a.SegmentEnd);
    }

    public static GcAddressInfo ReadGcAddress(BinaryReader r) =>
        new()
        {
            Address = r.ReadUInt64(),
            Heap = r.ReadInt32(),
            Generation = (GcHeapGeneration)r.ReadInt32(),
            SegmentKind = r.ReadString(),
            SegmentStart = r.ReadUInt64(),
            SegmentEnd = r.ReadUInt64(),
        };

    public static void WriteHandles(BinaryWriter w, IReadOnlyList<DumpHandle> handles) =>
        WriteList(w, handles, (w, h) =>
        {
            w.Write(h.HandleAddress);
            w.Write((int)h.Kind);
            w.Write(h.Address);
            w.WriteOptional(h.TypeName);
            w.Write(h.Size);
            w.Write(h.Generation is { } g ? (int)g : -1);
            w.Write(h.DependentAddress);
            w.WriteOptional(h.DependentType);
            w.Write(h.ReferenceCount);
            w.Write((sbyte)(h.IsLeaked is { } leaked ? (leaked ? 1 : 0) : -1));
        });

    public static ItemList<DumpHandle> ReadHandles(BinaryReader r) =>
        ReadList(r, 43, r => new DumpHandle
        {
            HandleAddress = r.ReadUInt64(),
            Kind = (GcHandleKind)r.ReadInt32(),
            Address = r.ReadUInt64(),
            TypeName = r.ReadOptional(),
            Size = r.ReadInt64(),
            Generation = r.ReadInt32() is var g and >= 0 ? (GcHeapGeneration)g : null,
            DependentAddress = r.ReadUInt64(),
            DependentType = r.ReadOptional(),
            ReferenceCount = r.ReadUInt32(),
            IsLeaked = r.ReadSByte() switch { 1 => true, 0 => false, _ => null },
        });

    private static void WriteOptionalInt64(BinaryWriter w, long? value)
    {
        w.Write(value is not null);
        w.Write(value ?? 0);
    }

    private static long? ReadOptionalInt64(BinaryReader r)
    {
        bool has = r.ReadBoolean();
        long value = r.ReadInt64();
        return has ? value : null;
    }
}
