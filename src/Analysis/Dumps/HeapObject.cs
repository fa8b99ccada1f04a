using System.Globalization;

namespace Analysis.Dumps;

/// <summary>The kind of GC heap segment (a region, with regions) that holds an object, as ClrMD reports it.</summary>
public enum HeapSegmentKind : byte
{
    /// <summary>A generation-0 region.</summary>
    Generation0,
    /// <summary>A generation-1 region.</summary>
    Generation1,
    /// <summary>A generation-2 region or segment.</summary>
    Generation2,
    /// <summary>A large-object-heap segment.</summary>
    Large,
    /// <summary>A pinned-object-heap segment.</summary>
    Pinned,
    /// <summary>A frozen (read-only) segment.</summary>
    Frozen,
    /// <summary>The ephemeral segment of the segments GC (generations 0, 1 and part of 2 in one segment).</summary>
    Ephemeral,
}

/// <summary>Which objects a listing or statistics cover by reachability from the GC roots.</summary>
public enum ObjectLiveness : byte
{
    /// <summary>Every object on the heap, reachable or not (what <c>dumpheap</c> lists).</summary>
    All,
    /// <summary>Objects a GC root reaches (<c>dumpheap -live</c>).</summary>
    Live,
    /// <summary>Objects no GC root reaches: garbage the GC has not collected yet (<c>dumpheap -dead</c>).</summary>
    Dead,
}

/// <summary>Which objects <see cref="DumpSession.EnumerateObjects(HeapObjectQuery?, CancellationToken)"/> lists; every filter given must hold.</summary>
public sealed record HeapObjectQuery
{
    /// <summary>A type-name wildcard (case-insensitive, <c>*</c> and <c>?</c>, whole name), e.g. 'Contoso.*'; null: every type.</summary>
    public string? TypeName { get; init; }

    /// <summary>Only objects of this method table (<c>dumpheap -mt</c>); null: any.</summary>
    public ulong? MethodTable { get; init; }

    /// <summary>The smallest object size in bytes to list (<c>dumpheap -min</c>).</summary>
    public ulong MinSize { get; init; }

    /// <summary>The largest object size in bytes to list (<c>dumpheap -max</c>).</summary>
    public ulong MaxSize { get; init; } = ulong.MaxValue;

    /// <summary>All objects, only those a root reaches, or only those none reaches (indexes the object graph on first use).</summary>
    public ObjectLiveness Liveness { get; init; }

    /// <summary>Only objects of this generation (<c>dumpgen</c>); null: any.</summary>
    public GcHeapGeneration? Generation { get; init; }

    /// <summary>Only objects at this address or above (<c>dumpheap &lt;start&gt;</c>); 0: from the heap's start.</summary>
    public ulong StartAddress { get; init; }

    /// <summary>Only objects below this address (<c>dumpheap &lt;start&gt; &lt;end&gt;</c>, end excluded); the default: to the heap's end.</summary>
    public ulong EndAddress { get; init; } = ulong.MaxValue;
}

/// <summary>
/// One object on the GC heap: where it is, its type and size (as <c>dumpheap</c> reports them: unaligned, at least the
/// minimum object size), and the generation and segment kind that hold it. Equal when the addresses are equal.
/// </summary>
/// <param name="Address">The object's address (what Get-DumpObject, Get-GcRoot and SOS take).</param>
/// <param name="MethodTable">Its method table.</param>
/// <param name="TypeName">Its type's full name.</param>
/// <param name="Size">Its size in bytes, header included (shallow: not what it references).</param>
/// <param name="Generation">The generation it is in.</param>
/// <param name="SegmentKind">The kind of segment (region) holding it.</param>
public readonly record struct HeapObject(ulong Address, ulong MethodTable, string TypeName, ulong Size, GcHeapGeneration Generation, HeapSegmentKind SegmentKind)
{
    /// <summary>The dump file the object is in (set by the session that listed it).</summary>
    public string? Source { get; init; }

    /// <summary>Whether both are the object at the same address of the same dump.</summary>
    public bool Equals(HeapObject other) => Address == other.Address && string.Equals(Source, other.Source, StringComparison.Ordinal);

    /// <summary>The address's hash.</summary>
    public override int GetHashCode() => Address.GetHashCode();

    /// <summary>A <c>dumpheap</c> line: "0x7f0a12345678       24 gen0  Contoso.Order".</summary>
    public override string ToString() =>
        string.Create(CultureInfo.InvariantCulture, $"0x{Address:x} {Size,10:N0} {Generation,-6} {TypeName}");
}
