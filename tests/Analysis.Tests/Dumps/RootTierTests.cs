using System.Globalization;
using System.Text.RegularExpressions;
using Analysis.Dumps;
using Analysis.Testing;
using Microsoft.Diagnostics.Runtime;
using Xunit;

namespace Analysis.Tests.Dumps;

/// <summary>Get-GcRoot's tiers (which search found a path) and -Shortest (the plain shortest path), against SOS gcroot.</summary>
public class RootTierTests
{
    private static string Dump => DumpSet.Facts[CapturedDump.ClientWithHeap];

    [Fact]
    public void ShortestRootPath_WhereSosGcRootIsShorterThanTheTieredPath_HasSosHopCount()
    {
        using var session = DumpSession.Open(Dump);
        var heap = session.GetClrRuntime().Heap;
        // SOS shows the runtime's statics array (Object[]) a handle holds, where we name the static field instead: count
        // the objects on the chain, that array included
        var staticRoots = heap.EnumerateRoots().Where(r => r.RootKind == ClrRootKind.StaticVar).Select(r => r.Object.Address).ToHashSet();
        int Objects(GcRootPath p) => p.Hops.Count + (p.RootKind == GcRootKind.Static && !staticRoots.Contains(p.Hops[0].Address) ? 1 : 0);
        // one object of every path shape on the heap
        var sample = session.FindRootPaths("*", top: int.MaxValue).Paths.Select(p => p.Addresses[0]).Distinct().ToArray();
        var sos = SosShortestPaths(Dump, sample);

        var shorter = sample.Where(a => sos.TryGetValue(a, out int theirs) && theirs < Objects(session.FindRootPath(a)!)).ToArray();

        // the deadlocked threads hold their account locks in locals, one hop, while a static explains them by a longer path
        Assert.Contains(shorter, a => session.FindRootPath(a)!.TargetType == "Contoso.Sync.AccountLock");
        var rootObjects = heap.EnumerateRoots().Select(r => r.Object.Address).ToHashSet();
        var differ = new List<string>();
        foreach (ulong address in shorter)
        {
            var path = session.FindShortestRootPath(address);
            Assert.NotNull(path);
            Assert.Equal(address, path.Target);
            Assert.Equal(GcRootTier.AllRoots, path.Tier);
            // a real chain: a root's object, then one reference after another
            Assert.True(path.RootKind == GcRootKind.Static || rootObjects.Contains(path.Hops[0].Address), path.ToString());
            for (int i = 1; i < path.Hops.Count; i++)
                Assert.Contains(path.Hops[i].Address, heap.GetObject(path.Hops[i - 1].Address).EnumerateReferenceAddresses(carefully: false, considerDependantHandles: true));
            Assert.True(Objects(path) <= sos[address], $"0x{address:x}: SOS {sos[address]} objects, ours {Objects(path)}: {path}");
            if (Objects(path) < sos[address])
                differ.Add($"0x{address:x}: SOS {sos[address]} objects, ours {Objects(path)}: {path}");
        }

        // SOS gcroot searches depth-first, so now and then its best path is longer than the real shortest (measured on
        // this dump: 1 of 62, a thread-pool counter node one reference from a stack root, SOS shows 3 objects)
        Assert.True(differ.Count * 10 <= shorter.Length, $"{differ.Count} of {shorter.Length} shorter than SOS:\n{string.Join("\n", differ)}");

        // and nowhere is the plain shortest path longer than SOS's or than the tiered one
        foreach (ulong address in sample)
        {
            int shortest = Objects(session.FindShortestRootPath(address)!);
            Assert.True(shortest <= Objects(session.FindRootPath(address)!), $"0x{address:x}");
            if (sos.TryGetValue(address, out int theirs))
                Assert.True(shortest <= theirs, $"0x{address:x}: SOS {theirs} hops, ours {shortest}");
        }
    }

    [Fact]
    public void RootPath_Tier_IsTheFirstTierOfRootsThatReachesTheObject()
    {
        using var session = DumpSession.Open(Dump);
        var heap = session.GetClrRuntime().Heap;
        var roots = heap.EnumerateRoots().ToArray();
        var fromHandles = Reachable(heap, roots.Where(r => r.RootKind is not (ClrRootKind.Stack or ClrRootKind.FinalizerQueue)));
        var fromStacks = Reachable(heap, roots.Where(r => r.RootKind == ClrRootKind.Stack));

        var paths = session.FindRootPaths("*", top: int.MaxValue).Paths;

        Assert.All(paths, p => Assert.Equal(
            fromHandles.Contains(p.Target) ? GcRootTier.StaticsAndHandles : fromStacks.Contains(p.Target) ? GcRootTier.Stacks : GcRootTier.FinalizerAndOther,
            p.Tier));
        // a static-rooted object, a handle-rooted one (the pinned buffer), a stack-rooted one (the barrier the deadlocked
        // threads were given), one the finalizer queue holds
        var sessions = Assert.Single(session.FindRootPaths(TargetFacts.SessionType).Paths);
        Assert.Equal((GcRootKind.Static, GcRootTier.StaticsAndHandles), (sessions.RootKind, sessions.Tier));
        ulong pinned = roots.First(r => r.RootKind == ClrRootKind.PinnedHandle && r.Object.Type?.Name == "System.Byte[]" && r.Object.AsArray().Length == TargetFacts.PinnedBufferBytes).Object.Address;
        var buffer = session.FindRootPath(pinned)!;
        Assert.Equal((GcRootKind.PinnedHandle, GcRootTier.StaticsAndHandles), (buffer.RootKind, buffer.Tier));
        var barrier = Assert.Single(session.FindRootPaths("System.Threading.Barrier").Paths);
        Assert.Equal((GcRootKind.Stack, GcRootTier.Stacks), (barrier.RootKind, barrier.Tier));
        Assert.Contains(session.FindRootPaths("Contoso.Resources.PendingFile").Paths, p => (p.RootKind, p.Tier) == (GcRootKind.FinalizerQueue, GcRootTier.FinalizerAndOther));
        // the plain shortest search says so instead of a tier
        Assert.All(session.FindShortestRootPaths("*", top: int.MaxValue).Paths, p => Assert.Equal(GcRootTier.AllRoots, p.Tier));
        Assert.All(session.FindAllRootPaths(barrier.Target), p => Assert.Equal(GcRootTier.Stacks, p.Tier));
    }

    [Fact]
    public void ShortestRootPaths_OfAType_AreNoLongerThanTheTiered_AndCountTheSameObjects()
    {
        using var session = DumpSession.Open(Dump);

        var tiered = session.FindRootPaths("Contoso.Sync.AccountLock", top: int.MaxValue);
        var shortest = session.FindShortestRootPaths("Contoso.Sync.AccountLock", top: int.MaxValue);

        Assert.Equal(tiered.Reachable, shortest.Reachable);
        Assert.Equal(tiered.Unreachable, shortest.Unreachable);
        Assert.Equal(tiered.Reachable, shortest.Paths.Sum(p => p.Count));
        Assert.True(shortest.Paths.Max(p => p.Hops.Count) < tiered.Paths.Min(p => p.Hops.Count), string.Join("\n", tiered.Paths.Concat(shortest.Paths)));
        Assert.All(shortest.Paths, p => Assert.Equal(GcRootKind.Stack, p.RootKind));
    }

    /// <summary>Objects reached from the roots by references (dependent handles included, as in our graph).</summary>
    private static HashSet<ulong> Reachable(ClrHeap heap, IEnumerable<ClrRoot> roots)
    {
        var seen = new HashSet<ulong>();
        var stack = new Stack<ulong>();
        foreach (var root in roots)
        {
            if (root.Object.Address != 0 && seen.Add(root.Object.Address))
                stack.Push(root.Object.Address);
        }

        while (stack.Count > 0)
        {
            foreach (ulong next in heap.GetObject(stack.Pop()).EnumerateReferenceAddresses(carefully: false, considerDependantHandles: true))
            {
                if (next != 0 && seen.Add(next))
                    stack.Push(next);
            }
        }

        return seen;
    }

    /// <summary>
    /// SOS gcroot for each address (one analyzer process): the fewest objects on any root's chain it prints. Addresses
    /// SOS finds no root for are absent.
    /// </summary>
    private static Dictionary<ulong, int> SosShortestPaths(string dump, IReadOnlyList<ulong> addresses)
    {
        string output = Sos.Run(dump, addresses.Select(a => $"gcroot {a:x}").ToArray());
        var sections = Regex.Split(output, @"Found \d+ unique roots\.?");
        Assert.True(sections.Length > addresses.Count, $"SOS answered {sections.Length - 1} of {addresses.Count} gcroot commands:\n{output[..Math.Min(output.Length, 4000)]}");
        var lengths = new Dictionary<ulong, int>();
        for (int i = 0; i < addresses.Count; i++)
        {
            foreach (string block in Regex.Split(sections[i], @"\n\s*\n"))
            {
                var arrows = block.Split('\n').Select(l => l.Trim()).Where(l => l.StartsWith("->", StringComparison.Ordinal)).ToArray();
                if (arrows.Length == 0)
                    continue;
                Assert.Equal(addresses[i], ulong.Parse(arrows[^1].Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], NumberStyles.HexNumber, CultureInfo.InvariantCulture));
                lengths[addresses[i]] = Math.Min(arrows.Length, lengths.GetValueOrDefault(addresses[i], int.MaxValue));
            }
        }

        return lengths;
    }
}
