using System.Globalization;
using Analysis.Testing;
using Xunit;

namespace Analysis.PowerShell.Tests;

/// <summary>Measure-DumpObject, Get-GcHeap and Get-DumpHandles in a hosted runspace, against SOS on the same dump.</summary>
public class SizeCmdletTests
{
    private static string HeapDump => DumpSet.FactsLite[CapturedDump.ClientWithHeap];

    private static Dictionary<string, object?> Vars(params (string Name, object? Value)[] vars) => vars.ToDictionary(v => v.Name, v => v.Value);

    private static string Line(params object[] cells) => string.Join("|", cells.Select(c => Convert.ToString(c, CultureInfo.InvariantCulture)));

    [Fact]
    public void MeasureDumpObject_TakesHexTextAndPipedHandles_EqualsSosObjsize_AndABadAddressIsOneErrorBeforeTheNext()
    {
        var labels = SosAnswers.Gchandles(HeapDump).Where(h => h.Kind == "Strong" && h.TypeName == TargetFacts.ShippingLabelType).ToArray();
        Assert.Equal(TargetFacts.StrongHandles, labels.Length);
        ulong first = labels[0].Object;
        var (count, bytes) = SosAnswers.Objsize(HeapDump, first);
        using var host = new PwshHost();

        var r = host.Run("""
            $s = Open-Dump $d
            $hex = '0x{0:x}' -f $first
            Measure-DumpObject $s -Address $hex, ($first + 8), $first | ForEach-Object { '{0}|{1}|{2}|{3}' -f $_.TypeName, $_.ReachableCount, $_.ReachableBytes, $_.RetainedBytes }
            Get-DumpHandles $s -Kind Strong -TypeName 'contoso.inspect.shipping*' -List | Measure-DumpObject -Dump $s -Retained | ForEach-Object { '{0:x}|{1}' -f $_.Address, ($_.RetainedBytes -gt 0) }
            """, Vars(("d", HeapDump), ("first", first)));

        var error = Assert.Single(r.Errors);
        Assert.Equal("NotAnObject,Analysis.PowerShell.Commands.MeasureDumpObjectCommand", error.FullyQualifiedErrorId);
        Assert.Contains(string.Create(CultureInfo.InvariantCulture, $"0x{first + 8:x} is not the start of an object"), error.Exception.Message, StringComparison.Ordinal);
        string measured = Line(TargetFacts.ShippingLabelType, count, bytes, "");
        Assert.Equal([measured, measured, .. labels.Select(l => Line(l.Object.ToString("x", CultureInfo.InvariantCulture), "True")).Order(StringComparer.Ordinal)],
            [.. r.Strings.Take(2), .. r.Strings.Skip(2).Order(StringComparer.Ordinal)]);
    }

    [Fact]
    public void GetGcHeap_GenerationsSegmentsAndAddresses_EqualSosGcheapstatEeheapAndGcwhere()
    {
        var sos = SosAnswers.Gcheapstat(HeapDump);
        var segments = SosAnswers.EeheapSegments(HeapDump);
        var buffer = SosAnswers.Gchandles(HeapDump).Single(h => h.Kind == "Pinned" && h.TypeName == "System.Byte[]");
        var where = SosAnswers.Gcwhere(HeapDump, buffer.Object)!.Value;
        using var host = new PwshHost();

        var r = host.Run("""
            $s = Open-Dump $d
            Get-GcHeap $s | Where-Object Generation -ne Frozen | ForEach-Object { '{0}|{1}|{2}|{3}|{4}' -f $_.Heap, $_.Generation, $_.Allocated, $_.FreeBytes, $_.Committed }
            '--'
            @(Get-GcHeap $s -Segment).Count
            Get-DumpHandles $s -Kind Pinned -TypeName 'System.Byte[]' -List | Get-GcHeap -Dump $s | ForEach-Object { '{0}|{1}|{2:x}|{3:x}' -f $_.Heap, $_.Generation, $_.SegmentStart, $_.SegmentEnd }
            Get-GcHeap $s -Address 16
            """, Vars(("d", HeapDump)));

        Assert.Equal("NotAnObject", Assert.Single(r.Errors).FullyQualifiedErrorId.Split(',')[0]);
        Assert.Equal(
            [
                .. sos.OrderBy(kv => kv.Key.Heap).ThenBy(kv => Array.IndexOf(["Gen0", "Gen1", "Gen2", "Large", "Pinned"], kv.Key.Generation))
                    .Select(kv => Line(kv.Key.Heap, kv.Key.Generation, kv.Value.Allocated, kv.Value.Free, kv.Value.Committed)),
                "--",
                segments.Count.ToString(CultureInfo.InvariantCulture),
                Line(where.Heap, where.Generation, where.Start.ToString("x", CultureInfo.InvariantCulture), where.End.ToString("x", CultureInfo.InvariantCulture)),
            ],
            r.Strings);
    }

    [Fact]
    public void GetDumpHandles_GroupsByKindAndType_FiltersByKindAndWildcard_AndListsEachHandle_AsSosGchandles()
    {
        var sos = SosAnswers.Gchandles(HeapDump);
        using var host = new PwshHost();

        var r = host.Run("""
            $s = Open-Dump $d
            (Get-DumpHandles $s | Measure-Object Count -Sum).Sum
            Get-DumpHandles $s -Kind Strong, WeakShort -TypeName 'Contoso.Inspect.*' | ForEach-Object { '{0}|{1}|{2}|{3}' -f $_.Kind, $_.TypeName, $_.Count, $_.TotalSize }
            @(Get-DumpHandles $s -List).Count
            @(Get-DumpHandles $s -List -Kind Pinned | Where-Object { $_.PinsEphemeral -ne ($_.Generation -in 'Gen0', 'Gen1') }).Count
            """, Vars(("d", HeapDump)));

        Assert.Empty(r.Errors);
        string Group(string kind, string type = TargetFacts.ShippingLabelType)
        {
            var labels = sos.Where(h => h.Kind == kind && h.TypeName == type).ToArray();
            return Line(kind, type, labels.Length, labels.Sum(h => h.Size));
        }

        Assert.Equal([sos.Count.ToString(CultureInfo.InvariantCulture), Group("WeakShort"), Group("Strong"), Group("Strong", TargetFacts.LeakedBufferType), sos.Count.ToString(CultureInfo.InvariantCulture), "0"], r.Strings);
    }

    [Fact]
    public void GetDumpHandlesLeaked_GroupsAndListsOnlyTheDroppedHandle_OfSosGchandles_AndPipesItsObject()
    {
        var buffer = SosAnswers.Gchandles(HeapDump).Single(h => h.TypeName == TargetFacts.LeakedBufferType);
        Assert.Equal("Strong", buffer.Kind);
        using var host = new PwshHost();

        var r = host.Run("""
            $s = Open-Dump $d
            Get-DumpHandles $s -Leaked | ForEach-Object { '{0}|{1}|{2}|{3}' -f $_.Kind, $_.TypeName, $_.Count, $_.TotalSize }
            Get-DumpHandles $s -Leaked -List | ForEach-Object { '{0:x}|{1:x}|{2}' -f $_.HandleAddress, $_.Address, $_.IsLeaked }
            @(Get-DumpHandles $s -Leaked -Kind Pinned).Count
            @(Get-DumpHandles $s -List -Kind Strong -TypeName 'Contoso.Inspect.Shipping*' | Where-Object IsLeaked -ne $null).Count
            Get-DumpHandles $s -Leaked -List | Measure-DumpObject -Dump $s | ForEach-Object { '{0}|{1}' -f $_.TypeName, $_.ReachableCount }
            """, Vars(("d", HeapDump)));

        Assert.Empty(r.Errors);
        Assert.Equal(
            [
                Line("Strong", TargetFacts.LeakedBufferType, 1, buffer.Size),
                Line(buffer.Address.ToString("x", CultureInfo.InvariantCulture), buffer.Object.ToString("x", CultureInfo.InvariantCulture), "True"),
                "0",
                "0", // the plain listing does not search
                Line(TargetFacts.LeakedBufferType, 2), // the buffer and its byte[]
            ],
            r.Strings);
    }
}
