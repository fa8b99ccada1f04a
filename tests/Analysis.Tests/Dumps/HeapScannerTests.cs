using System.Globalization;
using System.Text.RegularExpressions;
using Analysis.Dumps;
using Analysis.Testing;
using Xunit;

namespace Analysis.Tests.Dumps;

/// <summary>
/// The one heap-segment scanner behind the heap statistics, the object graph and the object listing: the listing
/// against ClrMD's own walk, and a damaged object that every user of the scanner must stop at and report alike.
/// </summary>
public sealed class HeapScannerTests
{
    private static DumpSet Dumps => DumpSet.FactsLite;

    [Fact]
    public void EnumerateObjects_ListsExactlyClrMdsObjects_InAddressOrder()
    {
        using var engine = DumpEngine.Open(Dumps[CapturedDump.ClientWithHeap], new DumpOpenOptions { NoCache = true });
        var heap = engine.GetClrRuntime().Heap;
        var scanner = new HeapScanner(engine.GetClrRuntime());
        var warnings = new List<string>();

        var ours = scanner.EnumerateObjects(warning: warnings.Add).Select(o => (o.Address, o.TypeName, o.Size)).ToArray();
        var theirs = heap.EnumerateObjects().Where(o => !o.IsFree).Select(o => (o.Address, o.Type!.Name!, o.Size)).ToArray();

        Assert.Equal(theirs.OrderBy(o => o.Address), ours);
        Assert.Empty(warnings);
        // the listing hands out a batch at a time and resumes the segment where it stopped: some segment needed that
        Assert.Contains(scanner.Segments, s => ours.Count(o => s.ObjectRange.Contains(o.Address)) > 4_096);
    }

    [Fact]
    public void EnumerateObjects_FiltersByTypeAndSize_AndStopsWhenCancelled()
    {
        using var engine = DumpEngine.Open(Dumps[CapturedDump.ClientWithHeap], new DumpOpenOptions { NoCache = true });
        var heap = engine.GetClrRuntime().Heap;
        var scanner = new HeapScanner(engine.GetClrRuntime());

        var orders = scanner.EnumerateObjects(type: t => t.Name == TargetFacts.LeakedOrderType).ToArray();
        Assert.Equal(TargetFacts.LeakedOrderCount, orders.Length);
        Assert.All(orders, o => Assert.Equal(TargetFacts.LeakedOrderType, o.TypeName));

        var large = scanner.EnumerateObjects(minSize: 85_000).Select(o => o.Address).ToArray();
        Assert.NotEmpty(large);
        Assert.Equal(heap.EnumerateObjects().Where(o => !o.IsFree && o.Size >= 85_000).Select(o => o.Address).Order(), large);
        var small = scanner.EnumerateObjects(maxSize: 24).ToArray();
        Assert.NotEmpty(small);
        Assert.All(small, o => Assert.Equal(24UL, o.Size));

        // lazily: cancelled after the first object, the listing ends at its next read of the dump
        using var cancel = new CancellationTokenSource();
        int listed = 0;
        Assert.ThrowsAny<OperationCanceledException>(() =>
        {
            foreach (var _ in scanner.EnumerateObjects(cancellationToken: cancel.Token))
            {
                listed++;
                cancel.Cancel();
            }
        });
        Assert.InRange(listed, 1, 4_096);
    }

    [Fact]
    public void HeapWalkGraphAndListing_AtAZeroedMethodTable_StopThereAndNameTheBytesLeftOut()
    {
        // A real dump with the method table of one LeakedOrder in the middle of the others zeroed: no allocation
        // context starts there, so the scan of that segment must stop at it.
        string source = Dumps[CapturedDump.CreateDumpWithHeap];
        ulong victim, end;
        (ulong Address, string Type)[] before;
        byte[] pattern;
        using (var engine = DumpEngine.Open(source, new DumpOpenOptions { NoCache = true }))
        {
            var heap = engine.GetClrRuntime().Heap;
            before = heap.EnumerateObjects().Where(o => !o.IsFree).Select(o => (o.Address, o.Type!.Name!)).ToArray();
            var orders = before.Where(o => o.Type == TargetFacts.LeakedOrderType).Select(o => o.Address).Order().ToArray();
            victim = orders[orders.Length / 2];
            end = heap.GetSegmentByAddress(victim)!.ObjectRange.End;
            pattern = new byte[32]; // method table, Note, AmountCents, Id: one of a kind
            Assert.Equal(pattern.Length, engine.GetClrRuntime().DataTarget.DataReader.Read(victim, pattern));
        }

        var bytes = File.ReadAllBytes(source);
        int at = bytes.AsSpan().IndexOf(pattern);
        Assert.True(at > 0 && bytes.AsSpan(at + 1).IndexOf(pattern) < 0, "the object's bytes are not in the dump once");
        bytes.AsSpan(at, 8).Clear();
        string path = Path.Combine(Dumps.Scratch, "zeroed-method-table.dmp");
        File.WriteAllBytes(path, bytes);
        bytes = null;

        try
        {
            var left = before.Where(o => o.Address < victim || o.Address >= end).ToArray();
            long skipped = (long)(end - victim);
            string where = string.Create(CultureInfo.InvariantCulture, $"at 0x{victim:x}: zero method table outside an allocation context; the rest of this segment ({skipped:N0} bytes)");
            using var engine = DumpEngine.Open(path, new DumpOpenOptions { NoCache = true });

            var stats = engine.GetHeapStatistics();
            Assert.Contains("stopped " + where + " was not walked.", Assert.Single(stats.Warnings), StringComparison.Ordinal);
            Assert.Equal(skipped, stats.SkippedBytes);
            Assert.Equal(left.Count(o => o.Type == TargetFacts.LeakedOrderType), Assert.Single(stats.Types, t => t.TypeName == TargetFacts.LeakedOrderType).Count);
            Assert.Equal(left.Length, stats.TotalCount);

            var graph = engine.Graph(null, default);
            Assert.Contains(graph.Warnings, w => w.Contains("indexing stopped " + where + " is not in root paths or retained sizes.", StringComparison.Ordinal));
            Assert.Equal(left.Select(o => o.Address).Order(), graph.Addresses);
            Assert.Equal(-1, graph.Find(victim));

            var warnings = new List<string>();
            var listed = new HeapScanner(engine.GetClrRuntime()).EnumerateObjects(warning: warnings.Add).Select(o => o.Address).ToArray();
            Assert.Contains("stopped " + where + " was not listed.", Assert.Single(warnings), StringComparison.Ordinal);
            Assert.Equal(left.Select(o => o.Address).Order(), listed);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void HeapWalkGraphAndListing_WhereTheDumpLacksMemory_StopBeforeItAndNameTheBytesLeftOut()
    {
        // A real core whose program header for the memory holding the middle LeakedOrder says the file has only the
        // bytes before that object's page: a read into the missing bytes returns nothing.
        string source = Dumps[CapturedDump.CreateDumpWithHeap];
        ulong victim, start, end;
        using (var engine = DumpEngine.Open(source, new DumpOpenOptions { NoCache = true }))
        {
            var heap = engine.GetClrRuntime().Heap;
            var orders = heap.EnumerateObjects().Where(o => o.Type?.Name == TargetFacts.LeakedOrderType).Select(o => o.Address).Order().ToArray();
            victim = orders[orders.Length / 2];
            var segment = heap.GetSegmentByAddress(victim)!;
            (start, end) = (segment.FirstObjectAddress, segment.ObjectRange.End);
        }

        var bytes = File.ReadAllBytes(source);
        ulong page = victim & ~0xfffUL;
        long phoff = BitConverter.ToInt64(bytes, 32);
        int count = BitConverter.ToUInt16(bytes, 56);
        Assert.NotEqual(0xffff, count); // (more headers than that are counted in section 0; not in this small dump)
        bool cut = false;
        for (int i = 0; i < count && !cut; i++)
        {
            int h = checked((int)phoff + (56 * i));
            ulong vaddr = BitConverter.ToUInt64(bytes, h + 16), memsz = BitConverter.ToUInt64(bytes, h + 40);
            if (BitConverter.ToUInt32(bytes, h) == 1 && vaddr < page && page < vaddr + memsz)
            {
                BitConverter.TryWriteBytes(bytes.AsSpan(h + 32), page - vaddr); // p_filesz
                cut = true;
            }
        }

        Assert.True(cut, "no program header holds the object's page after its start");
        string path = Path.Combine(Dumps.Scratch, "memory-cut.dmp");
        File.WriteAllBytes(path, bytes);
        bytes = null;

        try
        {
            using var engine = DumpEngine.Open(path, new DumpOpenOptions { NoCache = true });
            var stats = engine.GetHeapStatistics();
            string warning = Assert.Single(stats.Warnings);
            var stop = Regex.Match(warning, "stopped at 0x([0-9a-f]+): memory is not in the dump; the rest of this segment \\(([0-9,]+) bytes\\) was not walked\\.");
            Assert.True(stop.Success, warning);
            ulong at = ulong.Parse(stop.Groups[1].Value, NumberStyles.HexNumber, CultureInfo.InvariantCulture);
            // a read of a window that runs into the missing bytes returns nothing (ClrMD drops a program segment it
            // reads only in part): the walk stops at that window's start, the graph at the same one
            Assert.InRange(at, Math.Max(start, page - (1UL << 20)), page);
            Assert.Equal((long)(end - at), stats.SkippedBytes);
            Assert.Equal(stop.Groups[2].Value, (end - at).ToString("N0", CultureInfo.InvariantCulture));

            var graph = engine.Graph(null, default);
            string where = string.Create(CultureInfo.InvariantCulture, $"at 0x{at:x}: memory is not in the dump; the rest of this segment ({end - at:N0} bytes)");
            Assert.Contains(graph.Warnings, w => w.Contains("indexing stopped " + where + " is not in root paths or retained sizes.", StringComparison.Ordinal));
            Assert.DoesNotContain(graph.Addresses, a => a >= at && a < end);

            var warnings = new List<string>();
            var listed = new HeapScanner(engine.GetClrRuntime()).EnumerateObjects(warning: warnings.Add).Select(o => o.Address).ToArray();
            // the listing reads its own windows (a batch at a time), so it may stop at another window's start
            var listStop = Regex.Match(Assert.Single(warnings), "stopped at 0x([0-9a-f]+): memory is not in the dump; the rest of this segment \\(([0-9,]+) bytes\\) was not listed\\.");
            Assert.True(listStop.Success, warnings[0]);
            ulong listedTo = ulong.Parse(listStop.Groups[1].Value, NumberStyles.HexNumber, CultureInfo.InvariantCulture);
            Assert.InRange(listedTo, Math.Max(start, page - (1UL << 20)), page);
            Assert.Equal(listStop.Groups[2].Value, (end - listedTo).ToString("N0", CultureInfo.InvariantCulture));
            Assert.DoesNotContain(listed, a => a >= listedTo && a < end);
        }
        finally
        {
            File.Delete(path);
        }
    }
}
