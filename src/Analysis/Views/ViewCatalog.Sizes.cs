using System.Globalization;
using Analysis.Dumps;
using static Analysis.Views.ViewColumn;

namespace Analysis.Views;

// The views of the sizes, heap layout and handles results (issue 14).
public static partial class ViewCatalog
{
    private static IEnumerable<View> SizeViews()
    {
        yield return new View(typeof(ObjectSize), ViewKind.Table,
        [
            Computed<ObjectSize>(nameof(ObjectSize.Address), o => Hex(o.Address)) with { Width = 14 },
            Of("Objects", nameof(ObjectSize.ReachableCount)) with { Format = "N0", Width = 11, Alignment = Right },
            Of("Bytes", nameof(ObjectSize.ReachableBytes)) with { Format = "N0", Width = 13, Alignment = Right },
            Of("Retained", nameof(ObjectSize.RetainedBytes)) with { Format = "N0", Width = 13, Alignment = Right },
            Of(nameof(ObjectSize.RetainedCount)) with { Format = "N0", Alignment = Right, Wide = true },
            Of(nameof(ObjectSize.TypeName)),
        ]);
        yield return new View(typeof(GcGenerationStat), ViewKind.Table,
        [
            Of(nameof(GcGenerationStat.Heap)) with { Width = 4, Alignment = Right },
            Of(nameof(GcGenerationStat.Generation)) with { Width = 10 },
            Of("Segments", nameof(GcGenerationStat.SegmentCount)) with { Width = 8, Alignment = Right },
            Of(nameof(GcGenerationStat.Committed)) with { Format = "N0", Width = 14, Alignment = Right },
            Of(nameof(GcGenerationStat.Allocated)) with { Format = "N0", Width = 14, Alignment = Right },
            Of(nameof(GcGenerationStat.ObjectBytes)) with { Format = "N0", Alignment = Right, Wide = true },
            Of(nameof(GcGenerationStat.FreeBytes)) with { Format = "N0", Width = 13, Alignment = Right },
            Of("Frag%", nameof(GcGenerationStat.Fragmentation)) with { Format = "F1", Width = 6, Alignment = Right },
        ]);
        yield return new View(typeof(GcSegmentStat), ViewKind.Table,
        [
            Of(nameof(GcSegmentStat.Heap)) with { Width = 4, Alignment = Right },
            Of(nameof(GcSegmentStat.Generation)) with { Width = 10 },
            Computed<GcSegmentStat>(nameof(GcSegmentStat.Start), s => Hex(s.Start)) with { Width = 14 },
            Computed<GcSegmentStat>(nameof(GcSegmentStat.End), s => Hex(s.End)) with { Width = 14 },
            Of(nameof(GcSegmentStat.Committed)) with { Format = "N0", Alignment = Right, Wide = true },
            Of(nameof(GcSegmentStat.Allocated)) with { Format = "N0", Width = 13, Alignment = Right },
            Of(nameof(GcSegmentStat.FreeBytes)) with { Format = "N0", Width = 11, Alignment = Right },
            Of(nameof(GcSegmentStat.Kind)) with { Wide = true },
        ]);
        yield return new View(typeof(GcAddressInfo), ViewKind.Table,
        [
            Computed<GcAddressInfo>(nameof(GcAddressInfo.Address), a => Hex(a.Address)) with { Width = 14 },
            Of(nameof(GcAddressInfo.Heap)) with { Width = 4, Alignment = Right },
            Of(nameof(GcAddressInfo.Generation)) with { Width = 10 },
            Computed<GcAddressInfo>(nameof(GcAddressInfo.SegmentStart), a => Hex(a.SegmentStart)) with { Width = 14 },
            Computed<GcAddressInfo>(nameof(GcAddressInfo.SegmentEnd), a => Hex(a.SegmentEnd)) with { Width = 14 },
            Of(nameof(GcAddressInfo.SegmentKind)),
        ]);
        yield return new View(typeof(HandleGroup), ViewKind.Table,
        [
            Of(nameof(HandleGroup.Kind)) with { Width = 11 },
            Of(nameof(HandleGroup.Count)) with { Format = "N0", Width = 9, Alignment = Right },
            Of(nameof(HandleGroup.TotalSize)) with { Format = "N0", Width = 13, Alignment = Right },
            Of("PinnedEph", nameof(HandleGroup.PinnedEphemeral)) with { Width = 9, Alignment = Right, Wide = true },
            Of(nameof(HandleGroup.TypeName)),
        ]);
        yield return new View(typeof(DumpHandle), ViewKind.Table,
        [
            Of(nameof(DumpHandle.Kind)) with { Width = 11 },
            Computed<DumpHandle>("Handle", h => Hex(h.HandleAddress)) with { Width = 14, Wide = true },
            Computed<DumpHandle>(nameof(DumpHandle.Address), h => Hex(h.Address)) with { Width = 14 },
            Of(nameof(DumpHandle.Size)) with { Format = "N0", Width = 10, Alignment = Right },
            Of("Gen", nameof(DumpHandle.Generation)) with { Width = 6 },
            Of(nameof(DumpHandle.TypeName)),
        ]);
    }
}
