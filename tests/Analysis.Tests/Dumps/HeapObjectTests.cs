using System.Globalization;
using Analysis.Dumps;
using Analysis.Isolation;
using Analysis.Testing;
using Xunit;

namespace Analysis.Tests.Dumps;

/// <summary>
/// The object listing (Get-HeapObject) against SOS on the facts dump: dumpheap -type / -mt / -min / -max, -live and
/// -dead, dumpgen; and the streaming contract: a worker session lists what this process's engine lists, taking the
/// first few objects or cancelling reads no further than the first batch.
/// </summary>
public sealed class HeapObjectTests
{
    private static string Dump => DumpSet.FactsLite[CapturedDump.ClientWithHeap];

    private static DumpSession OpenInProcess() => DumpSession.Open(Dump, new DumpOpenOptions { Isolation = EngineIsolation.InProcess, NoCache = true });

    [Fact]
    public void EnumerateObjects_OfShippingLabels_EqualsSosDumpheapType_InWorkerAndInProcess()
    {
        using var worker = DumpSession.Open(Dump, new DumpOpenOptions { NoCache = true });
        using var local = OpenInProcess();
        Assert.Equal(EngineIsolation.Worker, worker.ReadBy);
        var query = new HeapObjectQuery { TypeName = TargetFacts.ShippingLabelType };

        var ours = worker.EnumerateObjects(query).ToArray();
        var sos = SosObjects(Sos.Run(Dump, "dumpheap -type " + TargetFacts.ShippingLabelType), TargetFacts.ShippingLabelType);

        Assert.NotEmpty(ours);
        Assert.Equal(sos, ours.Select(o => (o.Address, o.Size)).ToArray());
        Assert.All(ours, o => Assert.Equal(TargetFacts.ShippingLabelType, o.TypeName));
        Assert.All(ours, o => Assert.Equal(worker.Path, o.Source));
        Assert.Equal(ours, local.EnumerateObjects(query).ToArray());
        // the wildcard is Get-HeapTop's: case-insensitive, whole name
        Assert.Equal(ours, worker.EnumerateObjects(new HeapObjectQuery { TypeName = "contoso.inspect.shipping*" }).Where(o => o.TypeName == TargetFacts.ShippingLabelType).ToArray());
        Assert.Equal(ours, worker.EnumerateObjects(new HeapObjectQuery { MethodTable = ours[0].MethodTable }).ToArray());
    }

    [Fact]
    public void EnumerateObjects_InAnAddressRange_EqualsSosDumpheapStartEnd_InWorkerAndInProcess()
    {
        using var worker = DumpSession.Open(Dump, new DumpOpenOptions { NoCache = true });
        using var local = OpenInProcess();
        var labels = worker.EnumerateObjects(new HeapObjectQuery { TypeName = TargetFacts.ShippingLabelType }).ToArray();
        // from the first label to the last one (excluded): everything between, whatever its type
        ulong start = labels[0].Address, end = labels[^1].Address;
        var query = new HeapObjectQuery { StartAddress = start, EndAddress = end };

        var ours = worker.EnumerateObjects(query).Select(o => o.Address).ToArray();
        // SOS lists free space between objects too ("address mt size Free"); the listing holds objects only
        var sos = Sos.Run(Dump, string.Create(CultureInfo.InvariantCulture, $"dumpheap {start:x} {end:x}")).Split('\n')
            .Select(l => l.Split(' ', StringSplitOptions.RemoveEmptyEntries))
            .Where(f => f.Length == 3 && f.All(x => x.Replace(",", "", StringComparison.Ordinal).All(Uri.IsHexDigit)))
            .Select(f => ulong.Parse(f[0], NumberStyles.HexNumber, CultureInfo.InvariantCulture)).ToArray();

        Assert.True(ours.Length > labels.Length, $"{ours.Length} objects between the first and last label");
        Assert.Equal(start, ours[0]);
        Assert.DoesNotContain(end, ours);
        Assert.Equal(sos, ours);
        Assert.Equal(ours, local.EnumerateObjects(query).Select(o => o.Address).ToArray());
        Assert.Equal(labels[..^1], worker.EnumerateObjects(query with { TypeName = TargetFacts.ShippingLabelType }).ToArray());
    }

    [Fact]
    public void EnumerateObjects_OfTheWholeHeap_IsTheSameInWorkerAndInProcess_AndMatchesHeapStatistics()
    {
        using var worker = DumpSession.Open(Dump, new DumpOpenOptions { NoCache = true });
        using var local = OpenInProcess();
        var warnings = new List<string>();

        var all = worker.EnumerateObjects(null, warnings.Add, null, CancellationToken.None).ToArray();
        var same = local.EnumerateObjects().ToArray();

        Assert.Empty(warnings);
        Assert.True(all.Length > DumpSession.FirstBatchSize * 4, $"{all.Length} objects: too few to need several batches");
        Assert.True(worker.ObjectBatchesRead > 2);
        Assert.Equal(all.Select(o => (o.Address, o.MethodTable, o.TypeName, o.Size, o.Generation, o.SegmentKind)), same.Select(o => (o.Address, o.MethodTable, o.TypeName, o.Size, o.Generation, o.SegmentKind)));
        Assert.Equal(all.Select(o => o.Address).Order(), all.Select(o => o.Address));
        var stats = worker.GetHeapStatistics();
        Assert.Equal(stats.TotalCount, all.Length);
        Assert.Equal(stats.TotalSize, all.Sum(o => (long)o.Size));
    }

    [Fact]
    public void EnumerateObjects_WithMinAndMaxSize_EqualsSosDumpheapMinMax()
    {
        using var session = DumpSession.Open(Dump, new DumpOpenOptions { NoCache = true });
        ulong stringMt = session.EnumerateObjects(new HeapObjectQuery { TypeName = "System.String" }).First().MethodTable;

        var ours = session.EnumerateObjects(new HeapObjectQuery { MethodTable = stringMt, MinSize = 100, MaxSize = 1000 }).Select(o => (o.Address, o.Size)).ToArray();
        var sos = SosObjects(Sos.Run(Dump, string.Create(CultureInfo.InvariantCulture, $"dumpheap -mt {stringMt:x} -min 100 -max 1000")), null);

        Assert.NotEmpty(ours);
        Assert.Equal(sos, ours);
        Assert.All(ours, o => Assert.InRange(o.Size, 100UL, 1000UL));
    }

    [Theory]
    [InlineData(GcHeapGeneration.Gen0, "gen0")]
    [InlineData(GcHeapGeneration.Gen1, "gen1")]
    [InlineData(GcHeapGeneration.Gen2, "gen2")]
    [InlineData(GcHeapGeneration.Large, "loh")]
    [InlineData(GcHeapGeneration.Pinned, "poh")]
    public void EnumerateObjects_OfOneGeneration_EqualsSosDumpgen(GcHeapGeneration generation, string sosName)
    {
        using var session = DumpSession.Open(Dump, new DumpOpenOptions { NoCache = true });

        var ours = session.EnumerateObjects(new HeapObjectQuery { Generation = generation }).ToArray();
        var sos = SosStatistics(Sos.Run(Dump, "dumpgen " + sosName));

        Assert.All(ours, o => Assert.Equal(generation, o.Generation));
        Assert.Equal(sos.OrderBy(r => r.Key), ours.GroupBy(o => o.MethodTable).Select(g => KeyValuePair.Create(g.Key, (g.LongCount(), g.Sum(o => (long)o.Size)))).OrderBy(r => r.Key));
        if (generation == GcHeapGeneration.Pinned)
        {
            // the facts target's 8,192-byte array on the pinned object heap
            Assert.Contains(ours, o => o.SegmentKind == HeapSegmentKind.Pinned && o.TypeName == "System.Byte[]" && o.Size >= 8192);
        }
    }

    [Fact]
    public void LiveAndDead_EqualSosDumpheapLiveAndDead()
    {
        using var session = DumpSession.Open(Dump, new DumpOpenOptions { NoCache = true });
        string sosLive = Sos.Run(Dump, "dumpheap -live -stat");
        string sosDead = Sos.Run(Dump, "dumpheap -dead -stat");

        var live = session.GetHeapStatistics(ObjectLiveness.Live, null, CancellationToken.None);
        var dead = session.GetHeapStatistics(ObjectLiveness.Dead, null, CancellationToken.None);
        var all = session.GetHeapStatistics();

        Assert.Equal(ObjectLiveness.Live, live.Liveness);
        Assert.Contains("stack", live.RootsCounted);
        Assert.Equal(all.TotalCount, live.TotalCount + dead.TotalCount);
        Assert.Equal(all.TotalSize, live.TotalSize + dead.TotalSize);
        Assert.Equal(SosTotal(sosLive), (live.TotalCount, live.TotalSize));
        Assert.Equal(SosTotal(sosDead), (dead.TotalCount, dead.TotalSize));
        Assert.Equal(StatsByName(sosLive), live.Types.ToDictionary(t => t.TypeName, t => (t.Count, t.TotalSize)));

        // the listing agrees with the statistics, type by type
        var liveLabels = session.EnumerateObjects(new HeapObjectQuery { TypeName = TargetFacts.ShippingLabelType, Liveness = ObjectLiveness.Live }).ToArray();
        var deadLabels = session.EnumerateObjects(new HeapObjectQuery { TypeName = TargetFacts.ShippingLabelType, Liveness = ObjectLiveness.Dead }).ToArray();
        Assert.Equal(live.Types.SingleOrDefault(t => t.TypeName == TargetFacts.ShippingLabelType)?.Count ?? 0, liveLabels.Length);
        Assert.Equal(dead.Types.SingleOrDefault(t => t.TypeName == TargetFacts.ShippingLabelType)?.Count ?? 0, deadLabels.Length);
        Assert.Equal(dead.TotalCount, session.EnumerateObjects(new HeapObjectQuery { Liveness = ObjectLiveness.Dead }).LongCount());
        Assert.Equal(TargetFacts.LeakedOrderCount, session.EnumerateObjects(new HeapObjectQuery { TypeName = TargetFacts.LeakedOrderType, Liveness = ObjectLiveness.Live }).Count());
    }

    [Fact]
    public void EnumerateObjects_TakingTheFirstFew_ReadsOneBatch_AndCancellingStopsTheWalk()
    {
        using var session = DumpSession.Open(Dump, new DumpOpenOptions { NoCache = true });

        var first = session.EnumerateObjects().Take(5).ToArray();
        Assert.Equal(5, first.Length);
        Assert.Equal(1, session.ObjectBatchesRead);

        using var cancel = new CancellationTokenSource();
        int listed = 0;
        Assert.ThrowsAny<OperationCanceledException>(() =>
        {
            foreach (var _ in session.EnumerateObjects(null, cancel.Token))
            {
                listed++;
                cancel.Cancel();
            }
        });
        Assert.Equal(DumpSession.FirstBatchSize, listed); // the batch at hand, then nothing more
        Assert.Equal(2, session.ObjectBatchesRead);

        long whole = session.EnumerateObjects().LongCount();
        Assert.True(session.ObjectBatchesRead > 4, $"the whole heap ({whole:N0} objects) took {session.ObjectBatchesRead - 2} batches");
    }

    [Fact]
    public void EnumerateObjects_WithMinAboveMax_IsRejected_AndAClosedSessionFailsAsClosed()
    {
        var session = DumpSession.Open(Dump, new DumpOpenOptions { NoCache = true });
        Assert.Throws<ArgumentException>(() => session.EnumerateObjects(new HeapObjectQuery { MinSize = 10, MaxSize = 5 }));
        session.Dispose();
        var e = Assert.Throws<AnalysisException>(() => session.EnumerateObjects().First());
        Assert.Equal(AnalysisErrorKind.SessionClosed, e.Kind);
    }

    private static (ulong Address, ulong Size)[] SosObjects(string output, string? exactType) => SosHeap.Objects(output, exactType);

    private static Dictionary<ulong, (long Count, long Size)> SosStatistics(string output) =>
        SosHeap.Statistics(output).ToDictionary(r => r.MethodTable, r => (r.Count, r.Size));

    private static Dictionary<string, (long Count, long Size)> StatsByName(string output) =>
        SosHeap.Statistics(output).GroupBy(r => r.Name).ToDictionary(g => g.Key, g => (g.Sum(r => r.Count), g.Sum(r => r.Size)));

    private static (long Count, long Size) SosTotal(string output) => SosHeap.Total(output);
}
