using Analysis.Dumps;
using Analysis.Testing;
using Microsoft.Diagnostics.Runtime;
using Xunit;

namespace Analysis.Tests.Dumps;

public class RetentionTests
{
    public static TheoryData<CapturedDump> HeapCaptures => new(CapturedDump.CreateDumpWithHeap, CapturedDump.ClientWithHeap);

    private static DumpSession Open(CapturedDump kind = CapturedDump.ClientWithHeap, string? cacheDirectory = null, bool noCache = false) =>
        DumpSession.Open(DumpSet.Facts[kind], new DumpOpenOptions { CacheDirectory = cacheDirectory, NoCache = noCache });

    [Theory]
    [MemberData(nameof(HeapCaptures))]
    public void RootPaths_OfAllSessions_AreOneStaticDictionaryPath(CapturedDump kind)
    {
        using var session = Open(kind);

        var query = session.FindRootPaths(TargetFacts.SessionType);

        Assert.Equal(TargetFacts.SessionCount, query.Reachable);
        Assert.Equal(0, query.Unreachable);
        var path = Assert.Single(query.Paths);
        Assert.Equal(TargetFacts.SessionCount, path.Count);
        Assert.Equal(GcRootKind.Static, path.RootKind);
        Assert.Equal("static " + TargetFacts.SessionRegistryStatic, path.Root);
        Assert.Equal(
            [
                "System.Collections.Generic.Dictionary<System.Int32, Contoso.Retention.CustomerSession>",
                "System.Collections.Generic.Dictionary<System.Int32, Contoso.Retention.CustomerSession>+Entry[]",
                TargetFacts.SessionType,
            ],
            path.Hops.Select(h => h.TypeName));
        Assert.Equal([null, "._entries", "[*].value"], path.Hops.Select(h => h.Via));
        Assert.Equal(10, path.Addresses.Count);
    }

    [Theory]
    [MemberData(nameof(HeapCaptures))]
    public void RootPaths_OfObjectsSpreadOverManyArrays_ShowEveryVaryingIndexAsAStar(CapturedDump kind)
    {
        // 12 arrays of 25 lines under one outer array: the first few lines described all sit in chunk 0, yet the outer
        // index varies over all members, so it must read [*] too, not [0]
        using var session = Open(kind);

        var query = session.FindRootPaths(TargetFacts.SpreadLineType);

        Assert.Equal(TargetFacts.SpreadChunks * TargetFacts.SpreadLinesPerChunk, query.Reachable);
        var path = Assert.Single(query.Paths);
        Assert.Equal(TargetFacts.SpreadChunks * TargetFacts.SpreadLinesPerChunk, path.Count);
        Assert.Equal([TargetFacts.SpreadLineType + "[][]", TargetFacts.SpreadLineType + "[]", TargetFacts.SpreadLineType], path.Hops.TakeLast(3).Select(h => h.TypeName));
        Assert.Equal(["[*]", "[*]"], path.Hops.TakeLast(2).Select(h => h.Via));
    }

    [Fact]
    public void RootPaths_OfABoxedStructStatic_NameTheStaticField_NotTheRuntimesStaticsArray()
    {
        using var session = Open();
        var query = session.FindRootPaths(TargetFacts.GeoPointType);
        var path = Assert.Single(query.Paths);
        Assert.Equal(GcRootKind.Static, path.RootKind);
        Assert.Equal("static " + TargetFacts.HomeStatic, path.Root);
        Assert.Equal(TargetFacts.GeoPointType, Assert.Single(path.Hops).TypeName);
    }

    [Fact]
    public void RootPaths_PreferTheStaticOverAThreadsLocal()
    {
        // In the growth target the cache list is held by the static DumpTarget.Program.s_cache and, while the stdin
        // thread adds to it, by that thread's local too (one hop shorter): the static is the lasting reason.
        using var session = DumpSession.Open(GrowthDumps.Instance.After);
        var query = session.FindRootPaths("Contoso.Orders.CachedReport");

        var path = Assert.Single(query.Paths);
        Assert.Equal(GrowthDumps.GrowBy, path.Count);
        Assert.Equal("static DumpTarget.Program.s_cache", path.Root);
        Assert.Equal(GcRootKind.Static, path.RootKind);
        var stackRoots = session.GetClrRuntime().Heap.EnumerateRoots().Where(r => r.RootKind == ClrRootKind.Stack && r.Object.Type?.Name == "System.Collections.Generic.List<Contoso.Orders.CachedReport>").ToArray();
        Assert.NotEmpty(stackRoots); // the shorter, transient path exists and was passed over
    }

    [Fact]
    public void RootPaths_FollowDependentHandles_SoConditionalWeakTableValuesAreAlive()
    {
        using var session = Open();
        var query = session.FindRootPaths(TargetFacts.AttachedNoteType);

        Assert.Equal(TargetFacts.AttachedNotes, query.Reachable);
        Assert.Equal(0, query.Unreachable);
        var path = Assert.Single(query.Paths);
        Assert.Equal("static " + TargetFacts.NoteKeysStatic, path.Root);
        Assert.Equal(TargetFacts.NoteKeyType, path.Hops[^2].TypeName);
        Assert.Equal("(dependent handle)", path.Hops[^1].Via);
        // The note (and its body) is retained by its key: nothing else holds it.
        var note = session.GetClrRuntime().Heap.EnumerateObjects().First(o => o.Type?.Name == TargetFacts.AttachedNoteType);
        var key = session.GetClrRuntime().Heap.GetObject(path.Hops[^2].Address);
        Assert.True(session.GetRetainedSize(key.Address) >= (long)key.Size + (long)note.Size + (long)note.ReadObjectField("Body").Size);
    }

    [Fact]
    public void AllRootPaths_OfOneObject_ListEveryRootThatHoldsIt_StaticFirst()
    {
        using var session = DumpSession.Open(GrowthDumps.Instance.After);
        ulong report = session.FindRootPaths("Contoso.Orders.CachedReport").Paths[0].Addresses[0];

        var paths = session.FindAllRootPaths(report);

        Assert.True(paths.Count >= 2, string.Join("\n", paths));
        Assert.Equal("static DumpTarget.Program.s_cache", paths[0].Root);
        var stack = Assert.Single(paths, p => p.RootKind == GcRootKind.Stack);
        Assert.StartsWith("thread ", stack.Root);
        Assert.Contains("(stdin-watch)", stack.Root);
        Assert.All(paths, p => Assert.Equal(report, p.Target));
        // Each path is a real chain of references.
        var heap = session.GetClrRuntime().Heap;
        foreach (var p in paths)
        {
            for (int i = 1; i < p.Hops.Count; i++)
                Assert.Contains(p.Hops[i].Address, heap.GetObject(p.Hops[i - 1].Address).EnumerateReferenceAddresses(carefully: false, considerDependantHandles: true));
        }

        Assert.Equal(paths[0].Path, session.FindRootPath(report)!.Path);
    }

    [Fact]
    public void AllRootPaths_AskedInAnyOrder_AreTheSame()
    {
        // the search's work array is kept between questions (GcRoots._allPathsNext): nothing one search marks may be
        // seen by the next, whatever the order
        using var forward = DumpSession.Open(GrowthDumps.Instance.After);
        using var backward = DumpSession.Open(GrowthDumps.Instance.After);
        ulong[] addresses = forward.FindRootPaths("Contoso.*", top: 5).Paths.SelectMany(p => p.Addresses).Distinct().Take(12).ToArray();
        Assert.True(addresses.Length >= 6, $"{addresses.Length} addresses");

        var inOrder = addresses.Select(a => string.Join("\n", forward.FindAllRootPaths(a, 5))).ToArray();
        var reversed = addresses.Reverse().Select(a => string.Join("\n", backward.FindAllRootPaths(a, 5))).Reverse().ToArray();
        Assert.Equal(inOrder, reversed);
        Assert.All(inOrder, paths => Assert.NotEmpty(paths));
    }

    [Fact]
    public void RootPath_OfOneAddress_IsARealChainOfReferences_NoLongerThanClrMdsGcRoot()
    {
        using var session = Open();
        var heap = session.GetClrRuntime().Heap;
        ulong target = heap.EnumerateObjects().First(o => o.Type?.Name == TargetFacts.SessionType).Address;

        var path = session.FindRootPath(target);

        Assert.NotNull(path);
        Assert.Equal(target, path.Target);
        Assert.Matches(@"^\[\d+\]\.value$", path.Hops[^1].Via);
        Assert.DoesNotContain("*", path.Hops[^1].Via);
        // Every hop is a reference ClrMD also sees, from the object before it.
        for (int i = 1; i < path.Hops.Count; i++)
            Assert.Contains(path.Hops[i].Address, heap.GetObject(path.Hops[i - 1].Address).EnumerateReferenceAddresses(carefully: false, considerDependantHandles: false));
        // ClrMD's GCRoot finds a path of the same length or longer (ours is breadth-first: shortest).
        var (_, chain) = new GCRoot(heap, [target]).EnumerateRootPaths().First();
        int theirs = 0;
        for (var link = chain; link is not null; link = link.Next)
            theirs++;
        Assert.True(path.Hops.Count <= theirs + 1, $"ours {path.Hops.Count} hops, ClrMD {theirs}");
    }

    [Fact]
    public void Graph_HasExactlyClrMdsObjectsAndReferences()
    {
        // the index itself lives in the engine (in a worker process for a session): read it in this process
        using var session = DumpEngine.Open(DumpSet.Facts[CapturedDump.ClientWithHeap], new DumpOpenOptions());
        var graph = session.Graph(null, default);
        var heap = session.GetClrRuntime().Heap;

        int objects = 0;
        foreach (var obj in heap.EnumerateObjects().Where(o => !o.IsFree))
        {
            objects++;
            int node = graph.Find(obj.Address);
            Assert.True(node >= 0, $"object 0x{obj.Address:x} missing");
            Assert.Equal(obj.Type!.Name, graph.TypeName(node));
            Assert.Equal(obj.Size, (ulong)graph.Sizes[node]);
            // Dependent handles (ConditionalWeakTable values) are edges too.
            var theirs = obj.EnumerateReferenceAddresses(carefully: false, considerDependantHandles: true).Where(a => a != 0).Order().ToArray(); // ClrMD yields 0 for cleared dependents
            var ours = graph.References(node).ToArray().Select(n => graph.Addresses[n]).Order().ToArray();
            Assert.Equal(theirs, ours);
        }

        Assert.Equal(objects, graph.NodeCount);
        Assert.Empty(graph.Warnings);
    }

    [Fact]
    public void RetainedSize_OfSessionsAndArchive_AreTheirExclusivelyHeldObjects()
    {
        using var session = Open();
        var heap = session.GetClrRuntime().Heap;
        var sessions = heap.EnumerateObjects().Where(o => o.Type?.Name == TargetFacts.SessionType).ToArray();
        var archive = Assert.Single(heap.EnumerateObjects(), o => o.Type?.Name == TargetFacts.ArchiveType);

        // Expected from ClrMD's sizes: each session with its token; the archive with its blob, line array and lines,
        // but not the shared config the registry also holds.
        long sessionsExpected = sessions.Sum(s => (long)s.Size + (long)s.ReadObjectField("Token").Size);
        var blob = archive.ReadObjectField("Blob");
        var lines = archive.ReadObjectField("Lines");
        Assert.Equal(TargetFacts.ArchiveBlobBytes, blob.AsArray().Length);
        Assert.Equal(TargetFacts.ArchiveLines, lines.AsArray().Length);
        long archiveExpected = (long)archive.Size + (long)blob.Size + (long)lines.Size
            + Enumerable.Range(0, TargetFacts.ArchiveLines).Sum(i => (long)lines.AsArray().GetObjectValue(i).Size);

        var byType = session.GetRetainedByType(int.MaxValue, "Contoso.Retention.*");
        var sessionRow = Assert.Single(byType, r => r.TypeName == TargetFacts.SessionType);
        Assert.Equal(TargetFacts.SessionCount, sessionRow.Count);
        Assert.Equal(sessionsExpected, sessionRow.RetainedSize);
        Assert.Equal(TargetFacts.SessionCount * (long)(sessions[0].Size + 24 + TargetFacts.SessionTokenBytes), sessionRow.RetainedSize);
        Assert.Equal(archiveExpected, session.GetRetainedSize(archive.Address));
        Assert.Equal(archiveExpected, Assert.Single(byType, r => r.TypeName == TargetFacts.ArchiveType).RetainedSize);
        var config = archive.ReadObjectField("Config");
        Assert.Equal(TargetFacts.SharedConfigType, config.Type!.Name);
        Assert.True(session.GetRetainedSize(config.Address) < (long)config.Size + 64);
    }

    [Fact]
    public void RetainedSizes_EqualBruteForceReachability_ForSampledObjects()
    {
        // the index itself lives in the engine (in a worker process for a session): read it in this process
        using var session = DumpEngine.Open(DumpSet.Facts[CapturedDump.ClientWithHeap], new DumpOpenOptions());
        var graph = session.Graph(null, default);
        var roots = graph.Roots.Select(r => r.Node).Distinct().ToArray();
        long Reachable(int removed)
        {
            var seen = new bool[graph.NodeCount];
            var stack = new Stack<int>();
            long total = 0;
            foreach (int r in roots)
            {
                if (r != removed && !seen[r])
                {
                    seen[r] = true;
                    stack.Push(r);
                }
            }

            while (stack.Count > 0)
            {
                int n = stack.Pop();
                total += graph.Sizes[n];
                foreach (int m in graph.References(n))
                {
                    if (m != removed && !seen[m])
                    {
                        seen[m] = true;
                        stack.Push(m);
                    }
                }
            }

            return total;
        }

        long all = Reachable(-1);
        var random = new Random(42);
        var sample = Enumerable.Range(0, 40).Select(_ => random.Next(graph.NodeCount))
            .Append(graph.Find(session.GetClrRuntime().Heap.EnumerateObjects().First(o => o.Type?.Name == TargetFacts.ArchiveType).Address))
            .ToArray();
        int checkedCount = 0;
        foreach (int node in sample)
        {
            long withoutIt = Reachable(node);
            if (withoutIt == all)
                continue; // not reachable at all (garbage): no retained size to compare
            // Retained = what becomes unreachable when the object goes (itself included).
            Assert.Equal(all - withoutIt, session.GetRetainedSize(graph.Addresses[node]));
            checkedCount++;
        }

        Assert.True(checkedCount >= 20, $"only {checkedCount} reachable objects sampled");
    }

    [Fact]
    public void RootPath_OfAnAddressThatIsNoObject_Throws()
    {
        using var session = Open();
        var archive = session.GetClrRuntime().Heap.EnumerateObjects().First(o => o.Type?.Name == TargetFacts.ArchiveType);

        var e = Assert.Throws<ArgumentException>(() => session.FindRootPath(archive.Address + 8));
        Assert.Contains($"0x{archive.Address + 8:x}", e.Message);
        Assert.NotNull(session.FindRootPath(archive.Address));
    }

    [Fact]
    public void RootPaths_OnMiniDump_FailWithNoHeap()
    {
        using var session = DumpSession.Open(DumpSet.FactsLite[CapturedDump.ClientMini]);
        var e = Assert.Throws<AnalysisException>(() => session.FindRootPaths(TargetFacts.SessionType));
        Assert.Equal(AnalysisErrorKind.NoHeap, e.Kind);
        Assert.Contains("--withheap", e.Message);
    }

    [Fact]
    public void GraphIndex_Cancelled_CachesNothingAndCanRunAgain()
    {
        string cache = RepoPaths.NewScratchDirectory("analysis-cache-test");
        using var session = Open(cacheDirectory: cache);
        using var cts = new CancellationTokenSource();
        cts.Cancel();

        Assert.ThrowsAny<OperationCanceledException>(() => session.FindRootPaths(TargetFacts.SessionType, cancellationToken: cts.Token));
        Assert.False(session.IsGraphIndexed);
        Assert.Empty(Directory.GetFiles(cache));
        Assert.Equal(TargetFacts.SessionCount, session.FindRootPaths(TargetFacts.SessionType).Reachable);
    }

    [Fact]
    public void GraphIndex_IsCachedOnDiskByContent_NeverBesideTheDump_AndReusedByTheNextSession()
    {
        string cache = RepoPaths.NewScratchDirectory("analysis-cache-test");
        string dump = DumpSet.Facts[CapturedDump.ClientWithHeap];
        var besideBefore = Directory.GetFiles(Path.GetDirectoryName(dump)!);

        GcRootPath first;
        using (var session = Open(cacheDirectory: cache))
        {
            first = Assert.Single(session.FindRootPaths(TargetFacts.SessionType).Paths);
            Assert.False(session.GraphLoadedFromCache);
            session.WaitForGraphCache();
            var file = Assert.Single(Directory.GetFiles(cache));
            Assert.Equal(file, session.GraphCacheFile);
            Assert.EndsWith($"-{new FileInfo(dump).Length:x}.graph", file);
        }

        Assert.Equal(besideBefore, Directory.GetFiles(Path.GetDirectoryName(dump)!));

        // A copy of the dump elsewhere has the same content: same index.
        string copy = Path.Combine(RepoPaths.NewScratchDirectory("analysis-copy"), "copy.dmp");
        File.Copy(dump, copy);
        using (var again = DumpSession.Open(copy, new DumpOpenOptions { CacheDirectory = cache }))
        {
            var second = Assert.Single(again.FindRootPaths(TargetFacts.SessionType).Paths);
            Assert.True(again.GraphLoadedFromCache);
            Assert.Equal(first.Path, second.Path);
            Assert.Equal(first.Count, second.Count);
            Assert.Empty(again.GraphWarnings);
        }

        File.Delete(copy);
    }

    [Theory]
    [InlineData("truncated")]
    [InlineData("garbage")]
    [InlineData("damaged")]
    public void GraphIndex_DamagedCacheFile_IsRebuiltWithANote(string damage)
    {
        string cache = RepoPaths.NewScratchDirectory("analysis-cache-test");
        string file;
        using (var session = Open(cacheDirectory: cache))
        {
            _ = session.FindRootPaths(TargetFacts.SessionType);
            session.WaitForGraphCache();
            file = session.GraphCacheFile!;
        }

        byte[] bytes = File.ReadAllBytes(file);
        switch (damage)
        {
            case "truncated":
                File.WriteAllBytes(file, bytes[..(bytes.Length / 2)]);
                break;
            case "garbage":
                File.WriteAllBytes(file, [.. "not an index"u8]);
                break;
            default:
                // Same length, damaged content in the middle (sizes, types or references).
                for (int k = bytes.Length / 3; k < (bytes.Length / 3) + 4096 && k + 4 <= bytes.Length; k += 4)
                    BitConverter.TryWriteBytes(bytes.AsSpan(k), 12345);
                File.WriteAllBytes(file, bytes);
                break;
        }

        using var rebuilt = Open(cacheDirectory: cache);
        var path = Assert.Single(rebuilt.FindRootPaths(TargetFacts.SessionType).Paths);
        Assert.Equal(TargetFacts.SessionCount, path.Count);
        Assert.False(rebuilt.GraphLoadedFromCache);
        Assert.Contains(rebuilt.GraphWarnings, w => w.Contains(file, StringComparison.Ordinal) && w.Contains("rebuilt", StringComparison.Ordinal));
        rebuilt.WaitForGraphCache();
        using var third = Open(cacheDirectory: cache);
        Assert.Equal(TargetFacts.SessionCount, third.FindRootPaths(TargetFacts.SessionType).Reachable);
        Assert.True(third.GraphLoadedFromCache);
    }

    [Fact]
    public void GraphIndex_UnwritableCacheFolder_StillAnswers_WithAWarning()
    {
        string notAFolder = Path.Combine(RepoPaths.NewScratchDirectory("analysis-cache-test"), "file");
        File.WriteAllText(notAFolder, "a file where the cache folder should be");
        using var session = Open(cacheDirectory: notAFolder);

        Assert.Equal(TargetFacts.SessionCount, session.FindRootPaths(TargetFacts.SessionType).Reachable);
        session.WaitForGraphCache();
        Assert.Null(session.GraphCacheFile);
        Assert.Contains(session.GraphWarnings, w => w.Contains("could not be saved", StringComparison.Ordinal) && w.Contains(notAFolder, StringComparison.Ordinal));
    }

    [Fact]
    public void GraphIndex_SmallHeap_IsNotCachedInTheDefaultFolder()
    {
        // The facts heap is a few MB: hashing its 100+ MB dump would cost more than indexing it again.
        using var session = DumpSession.Open(DumpSet.Facts[CapturedDump.ClientWithHeap]);
        Assert.True(session.GetClrRuntime().Heap.Segments.Sum(s => (long)s.ObjectRange.Length) < 64L << 20);

        Assert.Equal(TargetFacts.SessionCount, session.FindRootPaths(TargetFacts.SessionType).Reachable);
        session.WaitForGraphCache();
        Assert.Null(session.GraphCacheFile);
        Assert.False(session.GraphLoadedFromCache);
    }

    [Fact]
    public void GraphIndex_NoCache_WritesNothing()
    {
        string cache = RepoPaths.NewScratchDirectory("analysis-cache-test");
        using var session = DumpSession.Open(DumpSet.Facts[CapturedDump.ClientWithHeap], new DumpOpenOptions { CacheDirectory = cache, NoCache = true });

        Assert.Equal(TargetFacts.SessionCount, session.FindRootPaths(TargetFacts.SessionType).Reachable);
        session.WaitForGraphCache();
        Assert.Empty(Directory.GetFiles(cache));
        Assert.Null(session.GraphCacheFile);
    }
}
