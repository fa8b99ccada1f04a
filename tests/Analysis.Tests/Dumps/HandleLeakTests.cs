using Analysis.Dumps;
using Analysis.Testing;
using Xunit;

namespace Analysis.Tests.Dumps;

/// <summary>
/// Get-DumpHandles -Leaked (SOS gchandleleaks) on the facts dump. SOS's own command cannot answer here: dotnet-dump
/// 10.0.750501 on Linux says "Unrecognized SOS command 'gchandleleaks'" (its C# command needs the memory region service
/// of windbg/cdb). So the handles searched are compared with SOS gchandles' strong and pinned handles, and the answer
/// with the target's facts: the one handle it drops is leaked; the ones it keeps in a List&lt;GCHandle&gt; (an IntPtr in a
/// struct array, no reference the GC describes) and the runtime's own (held by native structures) are not.
/// </summary>
public class HandleLeakTests
{
    private static string Dump => DumpSet.FactsLite[CapturedDump.ClientWithHeap];

    private static readonly string[] SearchedSosKinds = ["Strong", "Pinned", "AsyncPinned", "SizedRef", "RefCounted"];

    private static DumpSession Open(EngineIsolation isolation = EngineIsolation.InProcess) =>
        DumpSession.Open(Dump, new DumpOpenOptions { NoCache = true, Isolation = isolation });

    [Fact]
    public void LeakedHandles_AreOnlyTheDroppedLeakedBuffer_NotTheStoredOnesNorTheRuntimes()
    {
        using var session = Open();

        var leaked = Assert.Single(session.GetLeakedHandles());
        Assert.Equal((GcHandleKind.Strong, TargetFacts.LeakedBufferType, true), (leaked.Kind, leaked.TypeName, leaked.IsLeaked));
        var buffer = Assert.Single(session.GetHandles([GcHandleKind.Strong], TargetFacts.LeakedBufferType));
        Assert.Equal(buffer with { IsLeaked = true }, leaked);
        // the target's stored handles: five strong labels and the pinned buffer, found in the List<GCHandle>'s array
        var stored = session.GetHandles([GcHandleKind.Strong], TargetFacts.ShippingLabelType)
            .Concat(session.GetHandles([GcHandleKind.Pinned], "System.Byte[]")).Select(h => h.HandleAddress).ToHashSet();
        Assert.Equal(TargetFacts.StrongHandles + 1, stored.Count);
        Assert.Equal(stored.Count, session.GetHandleLeaks().Count(h => stored.Contains(h.HandleAddress) && h.IsLeaked == false));
        // threads' handles live in the runtime's native thread objects: found there
        Assert.NotEmpty(session.GetHandles([GcHandleKind.Strong], "System.Threading.Thread"));
        Assert.Empty(session.GetLeakedHandles([GcHandleKind.Strong], "System.Threading.Thread"));
        Assert.Equal([(GcHandleKind.Strong, TargetFacts.LeakedBufferType, 1, buffer.Size)],
            session.GetLeakedHandleGroups().Select(g => (g.Kind, g.TypeName, g.Count, g.TotalSize)));
        Assert.True(buffer.Size >= 24, buffer.ToString()); // the LeakedBuffer object itself; its byte[] of LeakedBufferBytes hangs off it
        Assert.Equal(TargetFacts.LeakedBufferBytes, session.MeasureObject(buffer.Address).ReachableBytes - buffer.Size - 24);
    }

    [Fact]
    public void SearchedHandles_AreSosGchandlesStrongAndPinnedOnes_EachMarked_AndTheOthersNot()
    {
        var sos = SosAnswers.Gchandles(Dump);
        using var session = Open();

        var all = session.GetHandles();
        Assert.All(all, h => Assert.Null(h.IsLeaked)); // the plain listing does not search
        var marked = Searched(session);
        Assert.Equal(all, session.GetHandleLeaks().Select(h => h with { IsLeaked = null }));
        Assert.Equal(sos.Where(h => SearchedSosKinds.Contains(h.Kind)).Select(h => h.Address).Order(), marked.Select(h => h.HandleAddress).Order());
        Assert.True(marked.Count > TargetFacts.StrongHandles + 1, string.Join("\n", marked));
        Assert.Contains(marked, h => h.TypeName == TargetFacts.ShippingLabelType && h.IsLeaked == false);
        Assert.Contains(marked, h => h.TypeName == "System.Byte[]" && h.Kind == GcHandleKind.Pinned && h.IsLeaked == false);
    }

    [Fact]
    public void Worker_AndInProcess_FindTheSameLeakedHandles()
    {
        using var local = Open(EngineIsolation.InProcess);
        using var worker = Open(EngineIsolation.Worker);
        Assert.Equal(EngineIsolation.Worker, worker.ReadBy);

        var reports = new List<WorkProgress>();
        Assert.Equal(local.GetLeakedHandles(), worker.GetLeakedHandles(progress: new SyncProgress(reports.Add)));
        Assert.Equal(local.GetHandleLeaks(), worker.GetHandleLeaks());
        Assert.Equal(local.GetLeakedHandleGroups(), worker.GetLeakedHandleGroups());
        Assert.Equal(Searched(local), Searched(worker));
        Assert.Single(worker.GetLeakedHandles(null, "contoso.inspect.leaked*"));
    }

    private static List<DumpHandle> Searched(DumpSession session) => [.. session.GetHandleLeaks().Where(h => h.IsLeaked is not null)];
}
