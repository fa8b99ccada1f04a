using System.Text.Json;
using System.Text.RegularExpressions;
using Analysis.Dumps;
using Analysis.Testing;
using Xunit;

namespace Analysis.Tests.Dumps;

/// <summary>
/// Issue 14, polish: the linked collections (LinkedList, SortedSet, SortedDictionary, ImmutableList of InspectMore.cs on the facts
/// dump) read entry by entry in their own order equal what the target put in them, in the worker and in process alike.
/// </summary>
public sealed class CollectionInspectionMoreTests
{
    private static string Dump => DumpSet.Facts[CapturedDump.CreateDumpWithHeap];

    private static DumpCollection Read(DumpSession session, string field, int depth = 0, int first = 1000) =>
        session.InspectCollection(ObjectInspectionTests.StaticAddress(session, field, TargetFacts.InspectMoreType), depth, first);

    [Fact]
    public void LinkedList_FromHeadAlongNext_PastTheRemovedNode_EqualsTheFacts()
    {
        using var session = DumpSession.Open(Dump);
        var route = Read(session, "Route");
        Assert.Equal(("LinkedList", "System.Collections.Generic.LinkedList<System.String>", TargetFacts.InspectRoute.Length), (route.Kind, route.TypeName, route.Count));
        Assert.Equal(TargetFacts.InspectRoute, route.Entries.Select(e => (string)e.Value.Value!));
        Assert.Equal(Enumerable.Range(0, TargetFacts.InspectRoute.Length), route.Entries.Select(e => e.Index));
        Assert.All(route.Entries, e => Assert.Null(e.Key));
        Assert.Empty(route.Warnings);

        var two = Read(session, "Route", first: 2);
        Assert.Equal(TargetFacts.InspectRoute[..2], two.Entries.Select(e => (string)e.Value.Value!));
        Assert.Contains(two.Warnings, w => w.Contains("first 2 of 4", StringComparison.Ordinal));
        Assert.DoesNotContain(two.Warnings, w => w.Contains("chain", StringComparison.Ordinal));
    }

    [Fact]
    public void SortedSetAndSortedDictionary_InKeyOrder_WithoutTheRemovedOnes_EqualTheFacts()
    {
        using var session = DumpSession.Open(Dump);
        var milestones = Read(session, "Milestones");
        Assert.Equal(("SortedSet", TargetFacts.InspectMilestones.Length), (milestones.Kind, milestones.Count));
        Assert.Equal(TargetFacts.InspectMilestones, milestones.Entries.Select(e => (int)e.Value.Value!));
        Assert.Empty(milestones.Warnings);

        var ranks = Read(session, "Ranks");
        Assert.Equal(("SortedDictionary", TargetFacts.InspectRanks.Length), (ranks.Kind, ranks.Count));
        Assert.Equal(TargetFacts.InspectRanks, ranks.Entries.Select(e => ((string)e.Key!.Value!, (int)e.Value.Value!)));
        Assert.Equal("[\"alpha\"] = 1", ranks.Entries[0].ToString());
        Assert.Empty(ranks.Warnings);

        var firstThree = Read(session, "Milestones", first: 3);
        Assert.Equal(TargetFacts.InspectMilestones[..3], firstThree.Entries.Select(e => (int)e.Value.Value!));
    }

    [Fact]
    public void ImmutableList_TheTreeInListOrder_EqualsTheFacts()
    {
        using var session = DumpSession.Open(Dump);
        var crew = Read(session, "Crew");
        Assert.Equal(("ImmutableList", "System.Collections.Immutable.ImmutableList<System.String>", TargetFacts.InspectCrew.Length), (crew.Kind, crew.TypeName, crew.Count));
        Assert.Equal(TargetFacts.InspectCrew, crew.Entries.Select(e => (string)e.Value.Value!));
        Assert.Empty(crew.Warnings);
        Assert.Equal(TargetFacts.InspectCrew[..2], Read(session, "Crew", first: 2).Entries.Select(e => (string)e.Value.Value!));
    }

    [Fact]
    public void LinkedCollections_WorkerAndInProcess_Agree()
    {
        using var worker = DumpSession.Open(Dump);
        using var local = DumpSession.Open(Dump, new DumpOpenOptions { NoCache = true, Isolation = EngineIsolation.InProcess });
        foreach (string field in new[] { "Route", "Milestones", "Ranks", "Crew" })
        {
            ulong address = ObjectInspectionTests.StaticAddress(local, field, TargetFacts.InspectMoreType);
            string a = JsonSerializer.Serialize(worker.InspectCollection(address, depth: 1));
            Assert.Equal(JsonSerializer.Serialize(local.InspectCollection(address, depth: 1)), a);
            Assert.Contains("Count", a, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void LinkedCollections_TheFieldsTheReaderWalks_AreTheOnesSosDumpclassLists()
    {
        using var session = DumpSession.Open(Dump);
        var runtime = session.GetClrRuntime();
        // the method tables from ClrMD itself, not from the code under test
        string Class(string field, string node)
        {
            var obj = runtime.Heap.GetObject(ObjectInspectionTests.StaticAddress(session, field, TargetFacts.InspectMoreType));
            var nodeType = obj.ReadObjectField(node).Type!;
            return Sos.Run(Dump, $"dumpclass {obj.Type!.MethodTable:x}", $"dumpclass {nodeType.MethodTable:x}");
        }

        static IEnumerable<string> Names(string sos) =>
            Regex.Matches(sos, @"^[0-9a-f]{16} [0-9a-f]{8} +[0-9a-f]+ +.+? +(Yes|No) +instance +\S* +(?<name>\S+)\s*$", RegexOptions.Multiline).Select(m => m.Groups["name"].Value);

        Assert.Superset(new HashSet<string> { "head", "count", "next", "item" }, Names(Class("Route", "head")).ToHashSet());
        Assert.Superset(new HashSet<string> { "root", "count", "<Left>k__BackingField", "<Right>k__BackingField", "<Item>k__BackingField" }, Names(Class("Milestones", "root")).ToHashSet());
        Assert.Superset(new HashSet<string> { "_root", "_key", "_left", "_right", "_count" }, Names(Class("Crew", "_root")).ToHashSet());
        var ranks = runtime.Heap.GetObject(ObjectInspectionTests.StaticAddress(session, "Ranks", TargetFacts.InspectMoreType));
        Assert.Contains("_set", Names(Sos.Run(Dump, $"dumpclass {ranks.Type!.MethodTable:x}")));
    }
}
