// Asks every dump question of damaged dumps and prints one line per case, so a parent process can tell answers and
// AnalysisExceptions from any other exception, a hang, or a crash of this process inside the DAC.
//
//   Analysis.DumpProbe questions <dump> [<seconds>]
//       one case: the dump as it is
//   Analysis.DumpProbe flips <source dump> <work copy> <seed> <first case> <cases> [<seconds>]
//       case i flips bytes of a copy of the dump, chosen by Random(seed, i): in thread stacks, around the frames'
//       stack pointers, in GC heap segments, in the note segments (threads, auxv, file list) or anywhere in the file;
//       runs the questions; puts the bytes back. The flips in flight are kept in <work copy>.pending so the next run
//       restores them if this one was killed.
//
// Lines: "START <case> <what was flipped>", "ASK <question>" before each question, then "END <case> <question>=<outcome>
// ..." with outcome OK, AE:<kind>(<cause>), CANCELLED (the per-case time ran out and the question observed it) or
// OTHER:<type>:<message>; "stackwalk=CUT" when a thread's stack roots were skipped for a walk that did not end.
using System.Buffers.Binary;
using System.Diagnostics;
using System.Globalization;
using Analysis;
using Analysis.Dumps;

return args switch
{
    ["questions", var dump, ..] => Probe.Questions(dump, Seconds(args, 2)),
    ["flips", var source, var work, var seed, var first, var count, ..] => Probe.Flips(source, work, Int(seed), Int(first), Int(count), Seconds(args, 6)),
    _ => Usage(),
};

static int Int(string s) => int.Parse(s, CultureInfo.InvariantCulture);

static TimeSpan Seconds(string[] args, int at) => TimeSpan.FromSeconds(args.Length > at ? Int(args[at]) : 60);

static int Usage()
{
    Console.Error.WriteLine("usage: Analysis.DumpProbe questions <dump> [<seconds>] | flips <source> <work copy> <seed> <first> <count> [<seconds>]");
    return 2;
}

internal static class Probe
{
    public static int Questions(string dump, TimeSpan budget)
    {
        Console.WriteLine("START 0 unchanged");
        Console.WriteLine("END 0 " + Ask(dump, budget));
        return 0;
    }

    public static int Flips(string source, string work, int seed, int first, int count, TimeSpan budget)
    {
        string pending = work + ".pending";
        Restore(work, pending);
        if (!File.Exists(work) || new FileInfo(work).Length != new FileInfo(source).Length)
            File.Copy(source, work, overwrite: true);

        var regions = Regions(source);
        for (int i = first; i < first + count; i++)
        {
            var rng = new Random(unchecked((seed * 1_000_003) + i) & int.MaxValue); // not HashCode: it is seeded per process
            var (what, ranges) = regions[rng.Next(regions.Count)];
            int flips = 1 + rng.Next(rng.Next(2) == 0 ? 8 : 512);
            var edits = new List<(long Offset, byte Original)>();
            using (var f = new FileStream(work, FileMode.Open, FileAccess.ReadWrite))
            {
                for (int k = 0; k < flips; k++)
                {
                    var (start, length) = ranges[rng.Next(ranges.Count)];
                    long at = start + (long)(rng.NextDouble() * length);
                    f.Position = at;
                    int b = f.ReadByte();
                    if (b < 0)
                        continue;
                    edits.Add((at, (byte)b));
                }

                File.WriteAllLines(pending, edits.Select(e => string.Create(CultureInfo.InvariantCulture, $"{e.Offset} {e.Original}")));
                foreach (var (offset, original) in edits)
                {
                    f.Position = offset;
                    f.WriteByte(rng.Next(3) == 0 ? (byte)rng.Next(256) : (byte)(original ^ (1 << rng.Next(8))));
                }
            }

            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"START {i} {edits.Count} bytes in {what} from 0x{edits.Min(e => e.Offset):x}"));
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"END {i} {Ask(work, budget)}"));
            Restore(work, pending);
        }

        return 0;
    }

    /// <summary>Opens the dump and asks every question; one "name=outcome" per question.</summary>
    private static string Ask(string dump, TimeSpan budget)
    {
        using var cts = new CancellationTokenSource(budget);
        var ct = cts.Token;
        var outcomes = new List<string>();
        DumpSession? session = null;
        string Run(string name, Action question)
        {
            Console.WriteLine("ASK " + name); // the question in flight, should this process die in it
            var sw = Stopwatch.StartNew();
            string outcome;
            try
            {
                question();
                outcome = "OK";
            }
            catch (AnalysisException e)
            {
                outcome = "AE:" + e.Kind + (e.InnerException is { } inner ? "(" + inner.GetType().Name + ")" : "");
            }
            catch (OperationCanceledException)
            {
                outcome = "CANCELLED";
            }
            catch (Exception e)
            {
                outcome = "OTHER:" + e.GetType().FullName + ":" + e.Message.ReplaceLineEndings(" ");
            }

            outcomes.Add(string.Create(CultureInfo.InvariantCulture, $"{name}={outcome}[{sw.ElapsedMilliseconds}ms]"));
            return outcome;
        }

        if (Run("open", () => session = DumpSession.Open(dump, new DumpOpenOptions { NoCache = true }, ct)) != "OK" || session is null)
            return string.Join(' ', outcomes);
        using (session)
        {
            Run("text", () => _ = session.ToString() + session.HasHeap + session.Warnings.Count);
            Run("threads", () => session.GetThreads(ct));
            Run("heap", () => session.GetHeapTop(10, cancellationToken: ct));
            Run("finalizer", () => session.GetFinalizer(ct));
            Run("threadpool", () => session.GetThreadPool(ct));
            Run("roots", () => session.FindRootPaths("Contoso.*", 3, cancellationToken: ct));
            Run("retained", () => session.GetRetainedByType(10, cancellationToken: ct));
            Run("async", () => session.GetAsyncState(cancellationToken: ct));
            Run("triage", () => DumpTriage.Run(session, cancellationToken: ct));
            Run("objects", () =>
            {
                // objects and collections on root paths (Contoso objects, the dictionaries and arrays on the way), each also
                // at addresses that start no object: answers, or NotAnObject / ReadFailed, nothing else
                var paths = session.FindRootPaths("Contoso.*", 10, cancellationToken: ct).Paths;
                foreach (ulong address in paths.SelectMany(p => p.Addresses.Concat(p.Hops.Select(h => h.Address))).Distinct().Take(40))
                {
                    foreach (ulong at in new[] { address, address + 8, address + 3 })
                    {
                        try
                        {
                            _ = session.InspectObject(at, depth: 2, cancellationToken: ct).ToString();
                            _ = session.InspectCollection(at, depth: 1, first: 50, cancellationToken: ct).ToString();
                        }
                        catch (AnalysisException e) when (e.Kind == AnalysisErrorKind.NotAnObject)
                        {
                        }
                    }
                }
            });
            if (session.Warnings.Any(w => w.Contains("stack walk of thread", StringComparison.Ordinal)))
                outcomes.Add("stackwalk=CUT[0ms]"); // threads whose roots were skipped for a walk that did not end
        }

        return string.Join(' ', outcomes);
    }

    private static void Restore(string work, string pending)
    {
        if (!File.Exists(pending))
            return;
        using (var f = new FileStream(work, FileMode.Open, FileAccess.ReadWrite))
        {
            foreach (string line in File.ReadAllLines(pending).Reverse())
            {
                var parts = line.Split(' ');
                f.Position = long.Parse(parts[0], CultureInfo.InvariantCulture);
                f.WriteByte(byte.Parse(parts[1], CultureInfo.InvariantCulture));
            }
        }

        File.Delete(pending);
    }

    /// <summary>File ranges to damage: the threads' stacks, the GC heap's segments, and the whole file.</summary>
    private static List<(string What, List<(long Start, long Length)> Ranges)> Regions(string dump)
    {
        var loads = ProgramLoads(dump);
        List<(long, long)> ToFile(IEnumerable<(ulong Start, ulong End)> memory)
        {
            var result = new List<(long, long)>();
            foreach (var (start, end) in memory)
            {
                foreach (var (vaddr, offset, size) in loads)
                {
                    ulong from = Math.Max(start, vaddr), to = Math.Min(end, vaddr + size);
                    if (from < to)
                        result.Add(((long)(offset + (from - vaddr)), (long)(to - from)));
                }
            }

            return result;
        }

        using var session = DumpSession.Open(dump, new DumpOpenOptions { NoCache = true, Isolation = EngineIsolation.InProcess });
        var runtime = session.GetClrRuntime();
        // The used part of each stack: from the thread's stack pointer... approximated by the limit..base range ClrMD reports.
        var stacks = ToFile(runtime.Threads.Where(t => t.StackBase > t.StackLimit).Select(t => (t.StackLimit, t.StackBase)));
        var heap = ToFile(runtime.Heap.Segments.Select(s => (s.ObjectRange.Start, s.ObjectRange.End)));
        // Around each frame's stack pointer: return addresses, saved registers and frame links the unwinder follows.
        var frames = ToFile(runtime.Threads.Where(t => t.IsAlive)
            .SelectMany(t => t.EnumerateStackTrace(includeContext: false, 512))
            .Where(f => f.StackPointer > 64)
            .Select(f => (f.StackPointer - 64, f.StackPointer + 192)));
        var regions = new List<(string, List<(long, long)>)>();
        if (stacks.Count > 0)
            regions.Add(("stacks", stacks));
        if (heap.Count > 0)
            regions.Add(("heap", heap));
        if (frames.Count > 0)
            regions.Add(("frames", frames));
        regions.Add(("notes", NoteSegments(dump)));
        regions.Add(("file", [(0L, new FileInfo(dump).Length)]));
        return regions;
    }

    /// <summary>PT_NOTE segments (threads' registers, auxiliary vector, mapped files) as file ranges.</summary>
    private static List<(long Start, long Length)> NoteSegments(string dump) =>
        ProgramHeaders(dump).Where(p => p.Type == 4).Select(p => ((long)p.Offset, (long)p.Size)).ToList();

    private static List<(ulong VAddr, ulong Offset, ulong Size)> ProgramLoads(string dump) =>
        ProgramHeaders(dump).Where(p => p.Type == 1).Select(p => (p.VAddr, p.Offset, p.Size)).ToList();

    /// <summary>Program headers of a 64-bit little-endian ELF core: virtual address, file offset, size in the file.</summary>
    private static List<(uint Type, ulong VAddr, ulong Offset, ulong Size)> ProgramHeaders(string dump)
    {
        using var f = File.OpenRead(dump);
        var header = new byte[64];
        f.ReadExactly(header);
        ulong phoff = BinaryPrimitives.ReadUInt64LittleEndian(header.AsSpan(32));
        int phentsize = BinaryPrimitives.ReadUInt16LittleEndian(header.AsSpan(54));
        int phnum = BinaryPrimitives.ReadUInt16LittleEndian(header.AsSpan(56));
        var table = new byte[phentsize * phnum];
        f.Position = (long)phoff;
        f.ReadExactly(table);
        var loads = new List<(uint, ulong, ulong, ulong)>();
        for (int i = 0; i < phnum; i++)
        {
            var ph = table.AsSpan(i * phentsize);
            loads.Add((BinaryPrimitives.ReadUInt32LittleEndian(ph), BinaryPrimitives.ReadUInt64LittleEndian(ph[16..]), BinaryPrimitives.ReadUInt64LittleEndian(ph[8..]), BinaryPrimitives.ReadUInt64LittleEndian(ph[32..])));
        }

        return loads;
    }
}
