using System.Globalization;
using Microsoft.Diagnostics.Runtime;

namespace Analysis.Dumps;

/// <summary>The kind of a GC handle (the runtime's handle types, as SOS gchandles names them).</summary>
public enum GcHandleKind
{
    /// <summary>A weak handle cleared before finalization (GCHandleType.Weak, WeakReference).</summary>
    WeakShort,
    /// <summary>A weak handle that tracks resurrection (GCHandleType.WeakTrackResurrection).</summary>
    WeakLong,
    /// <summary>A strong handle (GCHandleType.Normal; statics and runtime-internal objects).</summary>
    Strong,
    /// <summary>A pinned handle (GCHandleType.Pinned, fixed buffers handed to native code): the object cannot move.</summary>
    Pinned,
    /// <summary>A ref-counted handle (COM interop): strong while its count is above zero.</summary>
    RefCounted,
    /// <summary>A dependent handle (ConditionalWeakTable, DependentHandle): its primary keeps its dependent alive.</summary>
    Dependent,
    /// <summary>An async-pinned handle (overlapped I/O buffers).</summary>
    AsyncPinned,
    /// <summary>A sized-ref handle.</summary>
    SizedRef,
    /// <summary>A WinRT weak reference.</summary>
    WeakWinRT,
    /// <summary>A kind this library does not know.</summary>
    Other,
}

/// <summary>One GC handle (SOS <c>gchandles</c>): where it is, what it holds, and for a dependent handle what that keeps alive.</summary>
public sealed record DumpHandle
{
    /// <summary>The handle's address (the GCHandle's value).</summary>
    public required ulong HandleAddress { get; init; }

    /// <summary>The handle's kind.</summary>
    public required GcHandleKind Kind { get; init; }

    /// <summary>
    /// The object it holds (0 for a cleared handle; the primary of a dependent handle): binds to -Address of
    /// Measure-DumpObject, Get-GcRoot and Get-GcHeap when piped.
    /// </summary>
    public required ulong Address { get; init; }

    /// <summary>The held object's type, or null for a cleared handle.</summary>
    public string? TypeName { get; init; }

    /// <summary>Bytes of the held object itself.</summary>
    public long Size { get; init; }

    /// <summary>The held object's generation, or null for a cleared handle or an object outside the GC heap.</summary>
    public GcHeapGeneration? Generation { get; init; }

    /// <summary>For a dependent handle: the object its primary keeps alive (0 otherwise).</summary>
    public ulong DependentAddress { get; init; }

    /// <summary>For a dependent handle: the dependent object's type.</summary>
    public string? DependentType { get; init; }

    /// <summary>For a ref-counted handle: its count.</summary>
    public uint ReferenceCount { get; init; }

    /// <summary>
    /// Whether the handle looks leaked (SOS gchandleleaks): a strong or pinned handle whose value (the GCHandle's
    /// IntPtr) appears nowhere in the dump's memory (no object field, stack or native structure holds it), so the
    /// program can never free it. Null when not searched: other kinds, or handles read without the memory search.
    /// </summary>
    public bool? IsLeaked { get; init; }

    /// <summary>Whether the handle pins its object (pinned and async-pinned handles).</summary>
    public bool IsPinning => Kind is GcHandleKind.Pinned or GcHandleKind.AsyncPinned;

    /// <summary>
    /// Whether it pins an object in generation 0 or 1: the GC cannot compact around it, and its neighbours' space
    /// stays fragmented (a classic cause of a fragmented ephemeral heap).
    /// </summary>
    public bool PinsEphemeral => IsPinning && Generation is GcHeapGeneration.Gen0 or GcHeapGeneration.Gen1;

    /// <summary>"Pinned 0x… → 0x… System.Byte[] (4,120 bytes, Gen0)".</summary>
    public override string ToString() => string.Create(CultureInfo.InvariantCulture,
        $"{Kind} 0x{HandleAddress:x} -> 0x{Address:x} {TypeName ?? "(cleared)"} ({Size:N0} bytes{(Generation is { } g ? ", " + g : "")}){(DependentAddress != 0 ? $" keeps 0x{DependentAddress:x} {DependentType} alive" : "")}{(IsLeaked == true ? " leaked" : "")}");
}

/// <summary>GC handles of one kind holding objects of one type (SOS <c>gchandles -stat</c>, by type).</summary>
/// <param name="Kind">The handles' kind.</param>
/// <param name="TypeName">The type of the objects they hold ("(cleared)" for handles that hold none).</param>
/// <param name="Count">Handles.</param>
/// <param name="TotalSize">Bytes of the objects they hold, their own sizes (an object once per handle, as SOS sums them).</param>
public sealed record HandleGroup(GcHandleKind Kind, string TypeName, int Count, long TotalSize)
{
    /// <summary>Handles of the group that pin an object in generation 0 or 1 (see <see cref="DumpHandle.PinsEphemeral"/>).</summary>
    public int PinnedEphemeral { get; init; }

    /// <summary>"Pinned 2 × System.Byte[] (8,240 bytes)".</summary>
    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"{Kind} {Count:N0} × {TypeName} ({TotalSize:N0} bytes)");
}

/// <summary>Reads the runtime's handle table into <see cref="DumpHandle"/>s and groups them.</summary>
internal static class GcHandles
{
    /// <summary>Every handle in the order the runtime lists them.</summary>
    public static ItemList<DumpHandle> Read(ClrRuntime runtime, CancellationToken cancellationToken)
    {
        var heap = runtime.Heap;
        var handles = new List<DumpHandle>();
        foreach (var handle in runtime.EnumerateHandles())
        {
            if ((handles.Count & 0xFFF) == 0)
                cancellationToken.ThrowIfCancellationRequested();
            var target = handle.Object;
            var dependent = handle.HandleKind == ClrHandleKind.Dependent ? handle.Dependent : default;
            handles.Add(new DumpHandle
            {
                HandleAddress = handle.Address,
                Kind = KindOf(handle.HandleKind),
                Address = target.Address,
                TypeName = target.Address == 0 ? null : target.Type?.Name ?? "<unknown type>",
                Size = target.Address != 0 && target.Type is not null ? (long)target.Size : 0,
                Generation = target.Address != 0 && heap.GetSegmentByAddress(target.Address) is { } segment ? GcHeapLayouts.GenerationOf(segment, target.Address) : null,
                DependentAddress = dependent.Address,
                DependentType = dependent.Address == 0 ? null : dependent.Type?.Name ?? "<unknown type>",
                ReferenceCount = handle.HandleKind == ClrHandleKind.RefCounted ? handle.ReferenceCount : 0,
            });
        }

        return handles;
    }

    private static GcHandleKind KindOf(ClrHandleKind kind) => kind switch
    {
        ClrHandleKind.WeakShort => GcHandleKind.WeakShort,
        ClrHandleKind.WeakLong => GcHandleKind.WeakLong,
        ClrHandleKind.Strong => GcHandleKind.Strong,
        ClrHandleKind.Pinned => GcHandleKind.Pinned,
        ClrHandleKind.RefCounted => GcHandleKind.RefCounted,
        ClrHandleKind.Dependent => GcHandleKind.Dependent,
        ClrHandleKind.AsyncPinned => GcHandleKind.AsyncPinned,
        ClrHandleKind.SizedRef => GcHandleKind.SizedRef,
        ClrHandleKind.WeakWinRT => GcHandleKind.WeakWinRT,
        _ => GcHandleKind.Other,
    };

    /// <summary>The handles that match the kinds (null: all) and the target type wildcard (null: all).</summary>
    public static IEnumerable<DumpHandle> Where(IEnumerable<DumpHandle> handles, IReadOnlyCollection<GcHandleKind>? kinds, string? typeNamePattern)
    {
        if (kinds is { Count: > 0 })
            handles = handles.Where(h => kinds.Contains(h.Kind));
        if (!string.IsNullOrEmpty(typeNamePattern))
        {
            var wildcard = new Wildcard(typeNamePattern);
            handles = handles.Where(h => h.TypeName is { } t && wildcard.IsMatch(t));
        }

        return handles;
    }

    /// <summary>By kind (in the enum's order), then by bytes held, most first.</summary>
    public static IReadOnlyList<HandleGroup> Group(IEnumerable<DumpHandle> handles) =>
        handles.GroupBy(h => (h.Kind, TypeName: h.TypeName ?? "(cleared)"))
            .Select(g => new HandleGroup(g.Key.Kind, g.Key.TypeName, g.Count(), g.Sum(h => h.Size)) { PinnedEphemeral = g.Count(h => h.PinsEphemeral) })
            .OrderBy(g => g.Kind).ThenByDescending(g => g.TotalSize).ThenBy(g => g.TypeName, StringComparer.Ordinal)
            .ToArray();
}
