using Analysis.Dumps;
using Analysis.Testing;
using Xunit;

namespace Analysis.Tests.Dumps;

/// <summary>
/// Measure-DumpObject, Get-GcHeap and Get-DumpHandles on the facts dump, each compared with SOS's own answer on the same
/// dump (objsize, gcheapstat, eeheap -gc, gcwhere, gchandles), in this process and in the worker.
/// </summary>
public class SizesTests
{
    private static string Dump => DumpSet.FactsLite[CapturedDump.ClientWithHeap];

    private static DumpSession Open(EngineIsolation isolation = EngineIsolation.InProcess) =>
        DumpSession.Open(Dump, new DumpOpenOptions { NoCache = true, Isolation = isolation });

    // ---- objsize ----

    [Fact]
    public void MeasureObject_OfEachInspectedOrder_EqualsSosObjsize_ReadDirectlyAndOverTheIndex()
    {
        var orders = SosAddresses("dumpheap -type " + TargetFacts.InspectedOrderType + " -short");
        Assert.Equal(2, orders.Count); // the order and its Next
        using var session = Open();

        foreach (ulong address in orders)
        {
            var (count, bytes) = SosObjsize(address);
            var direct = session.MeasureObject(address);
            Assert.False(direct.FromGraphIndex);
            Assert.Equal((count, bytes), (direct.ReachableCount, direct.ReachableBytes));
            Assert.Equal(TargetFacts.InspectedOrderType, direct.TypeName);
            Assert.Null(direct.RetainedBytes);
        }

        foreach (ulong address in orders)
        {
            var (count, bytes) = SosObjsize(address);
            var indexed = session.MeasureObject(address, retained: true);
            Assert.True(indexed.FromGraphIndex);
            Assert.Equal((count, bytes), (indexed.ReachableCount, indexed.ReachableBytes));
            // what only the order keeps alive: at most what it reaches, at least itself and its own long note
            Assert.InRange(indexed.RetainedBytes!.Value, indexed.Size + TargetFacts.InspectedLongNoteLength * 2, indexed.ReachableBytes);
            Assert.InRange(indexed.RetainedCount!.Value, 2, indexed.ReachableCount);
        }

        // the outer order reaches the inner one (Next): more objects, and it retains the inner order's retained bytes too
        var outer = orders.Select(a => session.MeasureObject(a)).MaxBy(o => o.ReachableCount)!;
        var inner = orders.Select(a => session.MeasureObject(a)).MinBy(o => o.ReachableCount)!;
        Assert.True(outer.RetainedBytes > inner.RetainedBytes, $"{outer} vs {inner}");
    }

    [Fact]
    public void MeasureObject_OfTheSessionRegistryDictionary_EqualsSosObjsize_AndRetainsEverySession()
    {
        using var session = Open();
        ulong dictionary = session.FindRootPaths(TargetFacts.SessionType).Paths[0].Hops[0].Address;
        var (count, bytes) = SosObjsize(dictionary);

        var size = session.MeasureObject(dictionary, retained: true);

        Assert.Equal((count, bytes), (size.ReachableCount, size.ReachableBytes));
        Assert.StartsWith("System.Collections.Generic.Dictionary<", size.TypeName, StringComparison.Ordinal);
        Assert.True(size.RetainedCount >= TargetFacts.SessionCount + 2, size.ToString()); // the entries array and every session
        Assert.InRange(size.RetainedBytes!.Value, 1, size.ReachableBytes);
    }

    [Fact]
    public void MeasureObject_OfADependentHandlesKey_CountsTheValueItKeepsAlive_AsSosDoes()
    {
        using var session = Open();
        var key = session.GetHandles([GcHandleKind.Dependent], "Contoso.Retention.NoteKey")[0];
        var (count, bytes) = SosObjsize(key.Address);

        var direct = session.MeasureObject(key.Address);
        var indexed = session.MeasureObject(key.Address, retained: true);

        Assert.Equal((count, bytes), (direct.ReachableCount, direct.ReachableBytes));
        Assert.Equal((count, bytes), (indexed.ReachableCount, indexed.ReachableBytes));
        Assert.True(count >= 2, "the key's value is reached through the dependent handle");
    }

    [Theory]
    [InlineData(EngineIsolation.InProcess, false)]
    [InlineData(EngineIsolation.InProcess, true)]
    [InlineData(EngineIsolation.Worker, false)]
    [InlineData(EngineIsolation.Worker, true)]
    public void MeasureObject_AtAnAddressWhereNoObjectStarts_IsNotAnObject(EngineIsolation isolation, bool retained)
    {
        ulong order = SosAddresses("dumpheap -type " + TargetFacts.InspectedOrderType + " -short")[0];
        using var session = Open(isolation);

        foreach (ulong bad in new[] { 0x10UL, order + 8, ulong.MaxValue - 7 })
        {
            var e = Assert.Throws<AnalysisException>(() => session.MeasureObject(bad, retained));
            Assert.Equal(AnalysisErrorKind.NotAnObject, e.Kind);
            Assert.Contains($"0x{bad:x}", e.Message, StringComparison.Ordinal);
            Assert.Equal(Dump, e.Path);
        }

        Assert.Equal(TargetFacts.InspectedOrderType, session.MeasureObject(order).TypeName); // the session lives on
    }

    // ---- gcheapstat, eeheap -gc, gcwhere ----

    [Fact]
    public void GcHeap_PerGeneration_EqualsSosGcheapstat_AllocatedFreeAndCommitted()
    {
        using var session = Open();
        var layout = session.GetGcHeap();
        var sos = SosAnswers.Gcheapstat(Dump);

        Assert.NotEmpty(sos);
        foreach (var ((heap, generation), (allocated, free, committed)) in sos)
        {
            var row = Assert.Single(layout.Generations, g => g.Heap == heap && g.Generation.ToString() == generation);
            Assert.Equal((allocated, free, committed), (row.Allocated, row.FreeBytes, row.Committed));
        }

        Assert.Equal(sos.Keys.Order(), layout.Generations.Where(g => g.Generation != GcHeapGeneration.Frozen).Select(g => (g.Heap, g.Generation.ToString())).Order());
    }

    [Fact]
    public void GcHeap_Segments_EqualSosEeheap_StartAllocationEndAndCommitted()
    {
        using var session = Open();
        var layout = session.GetGcHeap();
        var sos = SosAnswers.EeheapSegments(Dump);

        Assert.Equal(sos.Order(), layout.Segments.Select(s => (s.Start, s.End, s.Committed)).Order());
        Assert.Contains(layout.Segments, s => s.Generation == GcHeapGeneration.Frozen); // eeheap's NonGC heap
        foreach (var g in layout.Generations)
            Assert.Equal(g.SegmentCount, layout.Segments.Count(s => s.Heap == g.Heap && s.Generation == g.Generation));
    }

    [Fact]
    public void GcHeap_IsCountedInTheHeapStatisticsWalk_ObjectsAndFreeSpaceAddUp()
    {
        using var session = Open();
        var statistics = session.GetHeapStatistics();
        var layout = session.GetGcHeap();

        Assert.Equal(statistics.TotalSize, layout.Generations.Sum(g => g.ObjectBytes));
        Assert.Equal(statistics.TotalCount, layout.Generations.Sum(g => g.ObjectCount));
        Assert.Equal(statistics.FreeSize, layout.FreeBytes);
        Assert.Equal(statistics.FreeCount, layout.Generations.Sum(g => g.FreeCount));
        // objects' sizes are unaligned (as SOS reports them): up to 7 bytes of padding after each; gen 0 also has the
        // threads' allocation contexts, in no object
        foreach (var g in layout.Generations.Where(g => g.Generation != GcHeapGeneration.Gen0))
            Assert.InRange(g.Allocated - g.ObjectBytes - g.FreeBytes, 0, 7 * (g.ObjectCount + g.FreeCount));
        var gen0 = layout.Generations.Single(g => g.Generation == GcHeapGeneration.Gen0);
        Assert.True(gen0.ObjectBytes + gen0.FreeBytes <= gen0.Allocated, gen0.ToString());
        // the 8,192-byte array allocated on the pinned object heap is there
        Assert.True(layout.Generations.Single(g => g.Generation == GcHeapGeneration.Pinned).ObjectBytes >= TargetFacts.PinnedHeapBytes);
    }

    [Fact]
    public void FindGcAddress_OfObjectsInEveryKindOfSegment_EqualsSosGcwhere()
    {
        using var session = Open();
        var layout = session.GetGcHeap();
        var addresses = SosAddresses("dumpheap -type " + TargetFacts.InspectedOrderType + " -short")
            .Concat(session.GetHandles([GcHandleKind.Pinned], null).Select(h => h.Address))
            .Concat(layout.Segments.Where(s => s.End > s.Start).Select(s => s.Start))
            .Distinct().ToArray();
        Assert.True(addresses.Length >= 6, string.Join(", ", addresses));

        foreach (ulong address in addresses)
        {
            var sos = SosAnswers.Gcwhere(Dump, address);
            var where = session.FindGcAddress(address);
            Assert.Equal(sos, (where.Heap, where.Generation.ToString(), where.SegmentStart, where.SegmentEnd));
        }

        Assert.Contains(addresses, a => session.FindGcAddress(a).Generation == GcHeapGeneration.Pinned);
        Assert.Contains(addresses, a => session.FindGcAddress(a).Generation == GcHeapGeneration.Large);
    }

    [Theory]
    [InlineData(EngineIsolation.InProcess)]
    [InlineData(EngineIsolation.Worker)]
    public void FindGcAddress_OutsideTheGcHeap_IsNotAnObject(EngineIsolation isolation)
    {
        using var session = Open(isolation);
        Assert.Null(SosAnswers.Gcwhere(Dump, 0x10));

        var e = Assert.Throws<AnalysisException>(() => session.FindGcAddress(0x10));

        Assert.Equal(AnalysisErrorKind.NotAnObject, e.Kind);
        Assert.Contains("0x10 is not in any segment", e.Message, StringComparison.Ordinal);
    }

    // ---- gchandles ----

    [Fact]
    public void Handles_EqualSosGchandles_OneByOne_AndCountedPerKind()
    {
        using var session = Open();
        var handles = session.GetHandles();
        var sos = SosAnswers.Gchandles(Dump);

        Assert.True(sos.Count > 20, string.Join("\n", sos));
        Assert.Equal(sos.Select(h => (h.Address, h.Kind, h.Object, h.Size)).Order(), handles.Select(h => (h.HandleAddress, h.Kind.ToString(), h.Address, h.Size)).Order());
        Assert.Equal(SosAnswers.GchandlesStat(Dump).OrderBy(k => k.Key), handles.GroupBy(h => h.Kind.ToString()).ToDictionary(g => g.Key, g => g.Count()).OrderBy(k => k.Key));
        // the facts target's own handles, by type as SOS names it
        Assert.Equal(TargetFacts.StrongHandles, sos.Count(h => h.Kind == "Strong" && h.TypeName == TargetFacts.ShippingLabelType));
    }

    [Fact]
    public void Handles_OfTheFactsTarget_ThePinnedBufferFiveStrongLabelsAndOneWeakLabel_WithTheirGenerations()
    {
        using var session = Open();
        var groups = session.GetHandleGroups();

        var buffer = Assert.Single(session.GetHandles([GcHandleKind.Pinned], "System.Byte[]"));
        Assert.Equal(TargetFacts.PinnedBufferBytes + 24, buffer.Size); // header, method table and length
        Assert.Equal(session.FindGcAddress(buffer.Address).Generation, buffer.Generation);
        Assert.Equal(buffer.Generation is GcHeapGeneration.Gen0 or GcHeapGeneration.Gen1, buffer.PinsEphemeral);
        var pinned = Assert.Single(groups, g => g.Kind == GcHandleKind.Pinned && g.TypeName == "System.Byte[]");
        Assert.Equal((1, buffer.Size, buffer.PinsEphemeral ? 1 : 0), (pinned.Count, pinned.TotalSize, pinned.PinnedEphemeral));

        var strong = Assert.Single(groups, g => g.Kind == GcHandleKind.Strong && g.TypeName == TargetFacts.ShippingLabelType);
        Assert.Equal(TargetFacts.StrongHandles, strong.Count);
        Assert.Equal(1, Assert.Single(groups, g => g.Kind == GcHandleKind.WeakShort && g.TypeName == TargetFacts.ShippingLabelType).Count);
        Assert.All(session.GetHandles([GcHandleKind.Dependent], "Contoso.*"), h => Assert.NotNull(h.DependentType));
        Assert.Empty(session.GetHandles([GcHandleKind.Strong], "NoSuchType*"));
    }

    // ---- worker and this process ----

    [Fact]
    public void Worker_AndInProcess_GiveTheSameSizesLayoutAndHandles()
    {
        ulong dictionary;
        using (var finder = Open())
            dictionary = finder.FindRootPaths(TargetFacts.SessionType).Paths[0].Hops[0].Address;
        using var local = Open(EngineIsolation.InProcess);
        using var worker = Open(EngineIsolation.Worker);
        Assert.Equal(EngineIsolation.Worker, worker.ReadBy);

        Assert.Equal(local.MeasureObject(dictionary), worker.MeasureObject(dictionary));
        Assert.Equal(local.MeasureObject(dictionary, retained: true), worker.MeasureObject(dictionary, retained: true));
        Assert.Equal(local.GetGcHeap().Generations, worker.GetGcHeap().Generations);
        Assert.Equal(local.GetGcHeap().Segments, worker.GetGcHeap().Segments);
        Assert.Equal(local.FindGcAddress(dictionary), worker.FindGcAddress(dictionary));
        Assert.Equal(local.GetHandles(), worker.GetHandles());
        Assert.Equal(local.GetHandleGroups(), worker.GetHandleGroups());
    }

    private static List<ulong> SosAddresses(string command) => SosAnswers.Addresses(Dump, command);

    private static (long Count, long Bytes) SosObjsize(ulong address) => SosAnswers.Objsize(Dump, address);
}

/// <summary>Get-GcHeap on a dump of the segments GC (one ephemeral segment for generations 0 to 2), against SOS gcheapstat.</summary>
public class SegmentsGcSizesTests
{
    [Fact]
    public void GcHeap_OfAnEphemeralSegment_SplitsItsGenerations_AsSosGcheapstat()
    {
        string dump = SegmentsGcDump.Path;
        var sos = SosAnswers.Gcheapstat(dump);
        Assert.True(sos.ContainsKey((0, "Ephemeral")), "the segments GC has an ephemeral segment");
        using var session = DumpSession.Open(dump, new DumpOpenOptions { NoCache = true, Isolation = EngineIsolation.InProcess });

        var layout = session.GetGcHeap();

        GcGenerationStat Row(string generation) => layout.Generations.Single(g => g.Heap == 0 && g.Generation.ToString() == generation);
        foreach (string generation in new[] { "Gen0", "Gen1", "Gen2" })
        {
            // SOS lists an ephemeral segment's generations by their objects' bytes (and their free space)
            Assert.Equal((sos[(0, generation)].Allocated, sos[(0, generation)].Free), (Row(generation).ObjectBytes, Row(generation).FreeBytes));
        }

        foreach (string generation in new[] { "Large", "Pinned" })
            Assert.Equal(sos[(0, generation)], (Row(generation).Allocated, Row(generation).FreeBytes, Row(generation).Committed));
        // the segment's bytes are split between its generations; its committed memory is counted once
        Assert.Equal(sos[(0, "Ephemeral")].Allocated, Row("Gen0").Allocated + Row("Gen1").Allocated + Row("Gen2").Allocated);
        Assert.Equal(sos[(0, "Ephemeral")].Committed, Row("Gen0").Committed + Row("Gen1").Committed + Row("Gen2").Committed);
        var ephemeral = Assert.Single(layout.Segments, s => s.Kind == "Ephemeral");
        Assert.Equal(sos[(0, "Ephemeral")].Free, ephemeral.FreeBytes);

        // gcwhere inside the ephemeral segment tells the generations apart
        foreach (ulong order in SosAnswers.Addresses(dump, "dumpheap -type " + TargetFacts.InspectedOrderType + " -short"))
            Assert.Equal(SosAnswers.Gcwhere(dump, order), (session.FindGcAddress(order).Heap, session.FindGcAddress(order).Generation.ToString(), session.FindGcAddress(order).SegmentStart, session.FindGcAddress(order).SegmentEnd));
    }
}
