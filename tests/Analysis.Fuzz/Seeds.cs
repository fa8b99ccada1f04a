using System.Buffers.Binary;
using System.Text;
using Analysis.Testing;
using Analysis.Traces;

namespace Analysis.Fuzz;

/// <summary>
/// Seed inputs per path: the Go fixtures (tests/testdata/go), traces and dumps of the target programs
/// (tests/TestTargets, captured the way the tests capture them, cached in artifacts/fuzz/seeds), hand-made dump headers,
/// and the committed findings (tests/testdata/fuzz/&lt;path&gt;), which keep being mutated.
/// </summary>
public static class Seeds
{
    public static string GoFixtures => Path.Combine(RepoPaths.Root, "tests", "testdata", "go");

    /// <summary>Where minimized findings are committed, replayed by the test suite.</summary>
    public static string FindingsRoot => Path.Combine(RepoPaths.Root, "tests", "testdata", "fuzz");

    public static string GeneratedRoot => Path.Combine(RepoPaths.Root, "artifacts", "fuzz", "seeds");

    /// <summary>Tokens of each text format, inserted by the mutator.</summary>
    public static IReadOnlyList<string> Dictionary(string path) => path switch
    {
        "goroutine" =>
        [
            "goroutine ", "goroutine 1 [running]:\n", " [chan receive, 5 minutes]:\n", " [select, locked to thread]:\n", "created by ", " in goroutine ",
            "\t", "+0x", " +0x1f\n", "(...)\n", "...additional frames elided...\n", "# labels: ", "# labels: []\n", "# labels: {\"a\":\"b\"}\n",
            "# labels: {\"a\":1}\n", "# labels: null\n", "# labels: \"x\"\n", "#\t0x4a1b2c\t", "goroutine profile: total ", "1 @ 0x1 0x2\n",
            "2147483647 @ 0x1\n", "panic: ", "fatal error: ", "[recovered]", "main.main()\n", ".go:", ":99999999999", "0xc000012345, ", "{0x1, 0x2}",
            " minutes]", " minute]", "\r\n", "runtime.gopark(", "sync.(*Mutex).Lock", "runtime.chanrecv1(", "\n\n",
        ],
        "gctrace" =>
        [
            "gc ", "gc 1 @0.012s 2%: ", "@", "s ", "%: ", " ms clock, ", " ms cpu, ", "->", " MB, ", " MB goal, ", " MB stacks, ",
            " MB globals, ", " P", " (forced)", "+", "/", "#", "scvg", "pacer:", "0.00.018", "99999999999", "\n",
            "gc 1 @0.006s 3%: 0.018+0.64+0.006+0.1+0.2 ms clock, 0.037+0.41/0.066/0.43+0.013 ms cpu, 3->4->3 MB, 4 MB goal, 2 P\n",
        ],
        "timeline" => [.. Dictionary("goroutine"), .. Dictionary("gctrace")],
        _ => [],
    };

    /// <summary>The seeds of a path; generates the trace/dump seeds first when they are not cached.</summary>
    public static IReadOnlyList<(string Name, byte[] Data)> For(string path)
    {
        var seeds = new List<(string, byte[])>();
        switch (path)
        {
            case "pprof":
                seeds.AddRange(Files(GoFixtures, "*.pb.gz"));
                break;
            case "goroutine":
                seeds.AddRange(Files(GoFixtures, "goroutines-debug*.txt"));
                seeds.AddRange(Files(GoFixtures, "panic.txt"));
                seeds.AddRange(Files(Path.Combine(GoFixtures, "quirks"), "*.txt"));
                break;
            case "gctrace":
                seeds.AddRange(Files(GoFixtures, "gctrace.log"));
                seeds.Add(("gctrace-go15.log", Encoding.ASCII.GetBytes(
                    "gc #1 @0.012s 2%: 0.024+1.2+0.035+0.1+0.2 ms clock, 0.1+0.2/0.3/0.4+0.5 ms cpu, 4->4->0 MB, 5 MB goal, 4 P\n" +
                    "scvg0: inuse: 4, idle: 0, sys: 5, released: 0, consumed: 5 (MB)\n" +
                    "pacer: assist ratio=+1.3 (scan 0 MB in 4->4 MB) workers=1++0.0\n" +
                    "gc 2 @0.020s 3%: 0.1+2+0.1 ms clock, 0.2+0.1/1/2+0.2 ms cpu, 4->5->1 MB, 8 MB goal, 0 MB stacks, 0 MB globals, 4 P (forced)\n")));
                break;
            case "gotrace":
                seeds.AddRange(Files(GoFixtures, "trace.out"));
                break;
            case "timeline":
                // the texts a timeline takes beside an execution trace of the same run (FuzzTargets.TimelineCase)
                seeds.AddRange(Files(Path.Combine(GoFixtures, "dump-in-trace"), "*.txt"));
                seeds.AddRange(Files(Path.Combine(GoFixtures, "dump-in-trace"), "*.log"));
                seeds.AddRange(Files(GoFixtures, "goroutines-debug2.txt"));
                seeds.AddRange(Files(GoFixtures, "gctrace.log"));
                break;
            case "gocore":
                // cores of one Go 1.23 build (tests/TestTargets/go/cores.sh, made on first use): a panic, a nil dereference,
                // a goroutine running on its thread, a fatal error; FuzzTargets.GoCoreCase reads them with that build
                var build = GoCoreSet.Instance["go1.23"];
                foreach (var mode in new[] { GoCoreMode.Crash, GoCoreMode.Segv, GoCoreMode.Hang, GoCoreMode.Deadlock })
                    seeds.Add((mode + ".core", File.ReadAllBytes(build[mode].CorePath)));
                break;
            case "nettrace" or "dump":
                seeds.AddRange(Generated(path));
                break;
            case "dumpheader":
                seeds.AddRange(DumpHeaders());
                break;
            default:
                throw new ArgumentException($"unknown fuzz path '{path}'", nameof(path));
        }

        if (!FuzzTargets.HasWholeFileInputs(path))
            seeds.AddRange(Findings(path));
        return seeds;
    }

    /// <summary>
    /// Findings whose fix belongs to another change (the file OPEN beside them: one file name per line, then why): the
    /// suite reports them without failing until they are fixed and their line removed.
    /// </summary>
    public static IReadOnlyDictionary<string, string> OpenFindings(string path)
    {
        string file = Path.Combine(FindingsRoot, path, "OPEN");
        if (!File.Exists(file))
            return new Dictionary<string, string>();
        return File.ReadLines(file)
            .Where(l => l.Length > 0 && l[0] != '#')
            .Select(l => l.Split(' ', 2, StringSplitOptions.TrimEntries))
            .ToDictionary(p => p[0], p => p.Length > 1 ? p[1] : "", StringComparer.Ordinal);
    }

    /// <summary>The committed regression inputs of a path.</summary>
    public static IEnumerable<(string Name, byte[] Data)> Findings(string path) => Files(Path.Combine(FindingsRoot, path), "*.bin");

    private static IEnumerable<(string, byte[])> Files(string dir, string pattern) =>
        Directory.Exists(dir) ? Directory.GetFiles(dir, pattern).Order(StringComparer.Ordinal).Select(f => (Path.GetFileName(f), File.ReadAllBytes(f))) : [];

    private static IEnumerable<(string, byte[])> Generated(string path) => GeneratedFiles(path).Select(f => (Path.GetFileName(f), File.ReadAllBytes(f)));

    /// <summary>The captured seed files of nettrace or dump, in name order; captured first when there are none.</summary>
    public static string[] GeneratedFiles(string path)
    {
        string dir = Path.Combine(GeneratedRoot, path);
        if (!Directory.Exists(dir) || Directory.GetFiles(dir).Length == 0)
            Generate(path, dir);
        return Directory.GetFiles(dir).Order(StringComparer.Ordinal).ToArray();
    }

    /// <summary>Captures a trace (TraceTarget "facts") or a createdump --withheap dump (DumpTarget "facts") into <paramref name="dir"/>.</summary>
    public static void Generate(string path, string dir)
    {
        Directory.CreateDirectory(dir);
        if (path == "nettrace")
        {
            string file = Path.Combine(dir, "facts.nettrace");
            Console.WriteLine($"Generating the nettrace seed: TraceTarget 'facts' traced with every provider -> {file}");
            TraceRecording? recording = null;
            TraceFacts.RunTraced("facts", pid => recording = TraceRecording.Start(pid, file, TraceProfile.All), () => recording?.Dispose());
        }
        else
        {
            string file = Path.Combine(dir, "facts.dmp");
            Console.WriteLine($"Generating the dump seed: createdump --withheap of DumpTarget 'facts' -> {file}");
            using var target = TargetProcess.Start("DumpTarget", TimeSpan.FromSeconds(180), "facts");
            DumpSet.WriteDump(target.Id, CapturedDump.CreateDumpWithHeap, file);
        }
    }

    /// <summary>Hand-made headers: an ELF64 core with a note and a load segment, a minidump with a stream directory, a Mach-O core.</summary>
    public static IEnumerable<(string, byte[])> DumpHeaders()
    {
        // ELF64 little-endian core for x86-64: header, 2 program headers (PT_NOTE, PT_LOAD), a PRSTATUS note, 4 KiB of memory
        var elf = new byte[64 + (2 * 56) + 64 + 4096];
        var s = elf.AsSpan();
        "\x7f"u8.CopyTo(s);
        "ELF"u8.CopyTo(s[1..]);
        s[4] = 2; // 64-bit
        s[5] = 1; // little-endian
        s[6] = 1; // version
        BinaryPrimitives.WriteUInt16LittleEndian(s[16..], 4); // ET_CORE
        BinaryPrimitives.WriteUInt16LittleEndian(s[18..], 62); // EM_X86_64
        BinaryPrimitives.WriteUInt32LittleEndian(s[20..], 1);
        BinaryPrimitives.WriteUInt64LittleEndian(s[32..], 64); // e_phoff
        BinaryPrimitives.WriteUInt16LittleEndian(s[52..], 64); // e_ehsize
        BinaryPrimitives.WriteUInt16LittleEndian(s[54..], 56); // e_phentsize
        BinaryPrimitives.WriteUInt16LittleEndian(s[56..], 2); // e_phnum
        int note = 64 + (2 * 56);
        // PT_NOTE
        BinaryPrimitives.WriteUInt32LittleEndian(s[64..], 4);
        BinaryPrimitives.WriteUInt64LittleEndian(s[(64 + 8)..], (ulong)note);
        BinaryPrimitives.WriteUInt64LittleEndian(s[(64 + 32)..], 64);
        BinaryPrimitives.WriteUInt64LittleEndian(s[(64 + 40)..], 64);
        // PT_LOAD
        BinaryPrimitives.WriteUInt32LittleEndian(s[120..], 1);
        BinaryPrimitives.WriteUInt32LittleEndian(s[124..], 6);
        BinaryPrimitives.WriteUInt64LittleEndian(s[128..], (ulong)(note + 64));
        BinaryPrimitives.WriteUInt64LittleEndian(s[136..], 0x7f00_0000_0000);
        BinaryPrimitives.WriteUInt64LittleEndian(s[152..], 4096);
        BinaryPrimitives.WriteUInt64LittleEndian(s[160..], 4096);
        // note: namesz 5 "CORE", descsz 40, NT_PRSTATUS
        BinaryPrimitives.WriteUInt32LittleEndian(s[note..], 5);
        BinaryPrimitives.WriteUInt32LittleEndian(s[(note + 4)..], 40);
        BinaryPrimitives.WriteUInt32LittleEndian(s[(note + 8)..], 1);
        "CORE"u8.CopyTo(s[(note + 12)..]);
        yield return ("elf-core.dmp", elf);

        // Minidump: header, 3 directory entries (thread list, module list, system info), small streams
        var md = new byte[32 + (3 * 12) + 4 + 4 + 56 + 512];
        var m = md.AsSpan();
        "MDMP"u8.CopyTo(m);
        BinaryPrimitives.WriteUInt32LittleEndian(m[4..], 0xa793);
        BinaryPrimitives.WriteUInt32LittleEndian(m[8..], 3); // streams
        BinaryPrimitives.WriteUInt32LittleEndian(m[12..], 32); // directory rva
        int data = 32 + (3 * 12);
        (uint Type, uint Size, int Rva)[] streams = [(3, 4, data), (4, 4, data + 4), (7, 56, data + 8)];
        for (int i = 0; i < streams.Length; i++)
        {
            BinaryPrimitives.WriteUInt32LittleEndian(m[(32 + (i * 12))..], streams[i].Type);
            BinaryPrimitives.WriteUInt32LittleEndian(m[(36 + (i * 12))..], streams[i].Size);
            BinaryPrimitives.WriteUInt32LittleEndian(m[(40 + (i * 12))..], (uint)streams[i].Rva);
        }

        BinaryPrimitives.WriteUInt16LittleEndian(m[(data + 8)..], 9); // PROCESSOR_ARCHITECTURE_AMD64
        yield return ("minidump.dmp", md);

        // Mach-O 64-bit core: header, one LC_SEGMENT_64
        var macho = new byte[32 + 72 + 256];
        var o = macho.AsSpan();
        BinaryPrimitives.WriteUInt32LittleEndian(o, 0xfeedfacf);
        BinaryPrimitives.WriteUInt32LittleEndian(o[4..], 0x0100_0007); // x86-64
        BinaryPrimitives.WriteUInt32LittleEndian(o[12..], 4); // MH_CORE
        BinaryPrimitives.WriteUInt32LittleEndian(o[16..], 1);
        BinaryPrimitives.WriteUInt32LittleEndian(o[20..], 72);
        BinaryPrimitives.WriteUInt32LittleEndian(o[32..], 0x19); // LC_SEGMENT_64
        BinaryPrimitives.WriteUInt32LittleEndian(o[36..], 72);
        BinaryPrimitives.WriteUInt64LittleEndian(o[(32 + 24)..], 0x1000);
        BinaryPrimitives.WriteUInt64LittleEndian(o[(32 + 32)..], 256);
        BinaryPrimitives.WriteUInt64LittleEndian(o[(32 + 40)..], 104);
        BinaryPrimitives.WriteUInt64LittleEndian(o[(32 + 48)..], 256);
        yield return ("macho-core.dmp", macho);
    }
}
