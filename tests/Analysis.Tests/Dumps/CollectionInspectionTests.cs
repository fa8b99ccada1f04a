using System.Globalization;
using System.Text.RegularExpressions;
using Analysis.Dumps;
using Analysis.Testing;
using Xunit;

namespace Analysis.Tests.Dumps;

/// <summary>Issue 14: collections read entry by entry (Get-DumpCollection) equal what the target put in them, and SOS where it reads them.</summary>
public sealed partial class CollectionInspectionTests
{
    private static string Dump => DumpSet.Facts[CapturedDump.CreateDumpWithHeap];

    private static DumpCollection Read(DumpSession session, string field, int depth = 0, int first = 1000) =>
        session.InspectCollection(ObjectInspectionTests.StaticAddress(session, field), depth, first);

    [Fact]
    public void ListHashSetQueueStack_EntriesInTheirOwnOrder_EqualTheFacts()
    {
        using var session = DumpSession.Open(Dump);

        var names = Read(session, "Names");
        Assert.Equal(("List", 3), (names.Kind, names.Count));
        Assert.Equal(TargetFacts.InspectNames, names.Entries.Select(e => (string)e.Value.Value!));
        Assert.All(names.Entries, e => Assert.Null(e.Key));

        var primes = Read(session, "Primes");
        Assert.Equal(("HashSet", TargetFacts.InspectPrimes.Length), (primes.Kind, primes.Count));
        Assert.Equal(TargetFacts.InspectPrimes, primes.Entries.Select(e => (int)e.Value.Value!));

        var ring = Read(session, "Ring");
        Assert.Equal(("Queue", TargetFacts.InspectRing.Length), (ring.Kind, ring.Count));
        Assert.Equal(TargetFacts.InspectRing, ring.Entries.Select(e => (int)e.Value.Value!));

        var undo = Read(session, "Undo");
        Assert.Equal(("Stack", 2), (undo.Kind, undo.Count));
        Assert.Equal(TargetFacts.InspectUndo, undo.Entries.Select(e => (string)e.Value.Value!));
        Assert.Equal([0, 1], undo.Entries.Select(e => e.Index));
    }

    [Fact]
    public void Dictionary_SkipsTheFreeEntry_AndFollowsValues()
    {
        using var session = DumpSession.Open(Dump);

        var stock = Read(session, "Stock");
        Assert.Equal(("Dictionary", TargetFacts.InspectStock.Length), (stock.Kind, stock.Count));
        Assert.Equal(TargetFacts.InspectStock, stock.Entries.Select(e => ((string)e.Key!.Value!, (int)e.Value.Value!)));
        Assert.Equal("[\"apple\"] = 3", stock.Entries[0].ToString());

        var labels = Read(session, "Labels", depth: 1);
        Assert.Equal([1, 2], labels.Entries.Select(e => (int)e.Key!.Value!));
        Assert.Equal(["Contoso Post", "Fabrikam Freight"], labels.Entries.Select(e => (string)e.Value.Target!.Field("Carrier")!.Value!));
        Assert.All(labels.Entries, e => Assert.Equal(TargetFacts.ShippingLabelType, e.Value.ObjectTypeName));
    }

    [Fact]
    public void ConcurrentDictionary_EqualsTheFactsAndSos()
    {
        using var session = DumpSession.Open(Dump);
        var lookup = Read(session, "Lookup");
        Assert.Equal(("ConcurrentDictionary", 3), (lookup.Kind, lookup.Count));
        Assert.Equal(TargetFacts.InspectLookup.Order(), lookup.Entries.Select(e => ((int)e.Key!.Value!, (string)e.Value.Value!)).Order());

        // SOS: "      Key: 1" then "    Value: "one"", an entry each, in bucket order as ours
        string sos = Sos.Run(Dump, string.Create(CultureInfo.InvariantCulture, $"dumpconcurrentdictionary 0x{lookup.Address:x}"));
        var pairs = SosKeyValue().Matches(sos).Select(m => (int.Parse(m.Groups["key"].Value, CultureInfo.InvariantCulture), m.Groups["value"].Value));
        Assert.Equal(lookup.Entries.Select(e => ((int)e.Key!.Value!, (string)e.Value.Value!)), pairs);
        Assert.Contains("3 items", sos);
    }

    [GeneratedRegex(@"Key: (?<key>\d+)\s+Value: ""(?<value>[^""]*)""")]
    private static partial Regex SosKeyValue();

    [Fact]
    public void ConcurrentQueue_EqualsTheFactsAndSos()
    {
        using var session = DumpSession.Open(Dump);
        var pending = Read(session, "Pending");
        Assert.Equal(("ConcurrentQueue", 3), (pending.Kind, pending.Count));
        Assert.Equal(TargetFacts.InspectPending, pending.Entries.Select(e => (string)e.Value.Value!));

        // SOS: "   1 - "q1"" per item, head first
        string sos = Sos.Run(Dump, string.Create(CultureInfo.InvariantCulture, $"dumpconcurrentqueue 0x{pending.Address:x}"));
        Assert.Equal(pending.Entries.Select(e => (string)e.Value.Value!), SosQueueItem().Matches(sos).Select(m => m.Groups["value"].Value));
        Assert.Contains("3 items", sos);
    }

    [GeneratedRegex(@"^ +\d+ - ""(?<value>[^""]*)""", RegexOptions.Multiline)]
    private static partial Regex SosQueueItem();

    [Fact]
    public void Arrays_AndCaps_GiveAWarning()
    {
        using var session = DumpSession.Open(Dump);
        var order = session.InspectObject(ObjectInspectionTests.StaticAddress(session, "Order"));
        var quantities = session.InspectCollection(order.Field("Quantities")!.Address);
        Assert.Equal(("Array", 8), (quantities.Kind, quantities.Count));
        Assert.Equal(TargetFacts.InspectedQuantities, quantities.Entries.Select(e => (int)e.Value.Value!));

        var capped = session.InspectCollection(quantities.Address, first: 3);
        Assert.Equal([3, 1, 4], capped.Entries.Select(e => (int)e.Value.Value!));
        Assert.Contains(capped.Warnings, w => w.Contains("first 3 of 8", StringComparison.Ordinal));
        Assert.Empty(quantities.Warnings);
    }
}
