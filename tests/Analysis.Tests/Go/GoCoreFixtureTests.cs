using System.Buffers.Binary;
using System.Text;
using Analysis.Go;
using Analysis.Testing;
using Xunit;

namespace Analysis.Tests.Go;

/// <summary>
/// The Go core fixtures (tests/TestTargets/go/cores.sh, <see cref="GoCoreSet"/>) are what they claim: kernel ELF cores of
/// their own executable, with the runtime's traceback agreeing with what the program parked and with MANIFEST's grep
/// counts; and GoroutineDumpParser reads those GOTRACEBACK=crash tracebacks (signal blocks, registers, per-thread
/// blocks) without skipping or doubling anything. The ELF reading here is a few lines of its own, not the core reader.
/// </summary>
public class GoCoreFixtureTests
{
    private static GoCoreSet Set
    {
        get
        {
            Skip.If(GoCoreSet.Missing is not null, $"Skipped: {GoCoreSet.Missing}");
            return GoCoreSet.Instance;
        }
    }

    public static TheoryData<string> Versions => new(GoCoreSet.Versions);

    [SkippableTheory]
    [MemberData(nameof(Versions))]
    public void EachCore_IsAKernelElfCoreOfItsOwnExecutable(string version)
    {
        var set = Set;
        var build = set[version];
        var otherIds = GoCoreSet.Versions.Where(v => v != version).Select(v => set[v].GoBuildId).ToArray();
        Assert.NotEmpty(build.Modes);
        foreach (var mode in build.Modes)
        {
            var fixture = build[mode];
            var core = ElfCore.Read(fixture.CorePath);
            Assert.Equal(ElfCore.EtCore, core.Type);
            Assert.Equal(fixture.ProcessId, core.ProcessId);
            Assert.Equal("leaky", core.CommandName);
            // NT_FILE maps the executable (the run used the path where it still is), and the core's copy of its first
            // page holds the executable's Go build id note: the core is of this build, not of another version's.
            var exe = core.Files.First(f => f.Path == Path.GetFullPath(build.Executable) && f.FileOffset == 0);
            string firstPage = Encoding.Latin1.GetString(core.ReadMemory(exe.Start, 4096));
            Assert.Contains(build.GoBuildId, firstPage, StringComparison.Ordinal);
            Assert.All(otherIds, id => Assert.DoesNotContain(id, firstPage, StringComparison.Ordinal));
            Assert.Equal(long.Parse(build.Manifest[$"{mode.ToString().ToLowerInvariant()}.core.bytes"], System.Globalization.CultureInfo.InvariantCulture), new FileInfo(fixture.CorePath).Length);
            Assert.Equal(134, fixture.ExitCode); // 128 + SIGABRT: the runtime ends every mode with abort
        }
    }

    [SkippableFact]
    public void GcoreAndNonGoCore_AreElfCoresOfTheirProcesses()
    {
        var set = Set;
        Skip.If(set.GcorePath is null, "cores.sh ran with GO_CORES_GCORE=0: no gcore");
        var build = set["go1.23"];
        var gcore = ElfCore.Read(set.GcorePath!);
        Assert.Equal(ElfCore.EtCore, gcore.Type);
        Assert.Equal(int.Parse(build.Manifest["hang_gcore.ready.pid"], System.Globalization.CultureInfo.InvariantCulture), gcore.ProcessId);
        Assert.True(new FileInfo(set.GcorePath!).Length > 1L << 30, "gcore dumps Go's reserved arena: over 1 GB apparent");
        var exe = gcore.Files.First(f => f.Path == Path.GetFullPath(build.Executable) && f.FileOffset == 0);
        Assert.Contains(build.GoBuildId, Encoding.Latin1.GetString(gcore.ReadMemory(exe.Start, 4096)), StringComparison.Ordinal);

        var sleep = ElfCore.Read(set.OtherCorePath);
        Assert.Equal(ElfCore.EtCore, sleep.Type);
        Assert.Equal("sleep", sleep.CommandName);
        Assert.Contains(sleep.Files, f => f.Path == set.OtherExecutable);
        Assert.DoesNotContain(sleep.Files, f => f.Path.EndsWith("/leaky", StringComparison.Ordinal));
    }

    [SkippableTheory]
    [MemberData(nameof(Versions))]
    public void Traceback_AgreesWithWhatTheProgramParkedAndWithTheManifest(string version)
    {
        var build = Set[version];
        foreach (var mode in build.Modes)
        {
            var f = build[mode];
            string m = mode.ToString().ToLowerInvariant();
            var dump = f.Parsed();
            Assert.Empty(dump.Skipped);
            Assert.Equal(int.Parse(build.Manifest[$"{m}.traceback.goroutines"], System.Globalization.CultureInfo.InvariantCulture), dump.Goroutines.Count);
            Assert.Equal(dump.Goroutines.Count, dump.Goroutines.Select(g => g.Id).Distinct().Count());
            Assert.Equal(f.TracebackStates.OrderBy(kv => kv.Key, StringComparer.Ordinal),
                dump.Goroutines.GroupBy(g => g.State).ToDictionary(g => g.Key, g => g.Count()).OrderBy(kv => kv.Key, StringComparer.Ordinal));

            // The program's own goroutines (a frame of package main or orders) are what it counted: NumGoroutine at
            // READY (crash and segv start the failing goroutine after it), and per wait state what it parked.
            var own = dump.Goroutines.Where(g => g.Frames.Any(fr => fr.Function.StartsWith("main.", StringComparison.Ordinal) || fr.Function.StartsWith("contoso.example/", StringComparison.Ordinal))).ToArray();
            Assert.Equal(f.ReadyGoroutines + (mode is GoCoreMode.Crash or GoCoreMode.Segv ? 1 : 0), own.Length);
            foreach (var (state, count) in f.Expected)
                Assert.Equal(count, own.Count(g => g.State == state && g.Id != 1));
            Assert.Equal(mode == GoCoreMode.Deadlock ? 0 : 1, own.Count(g => g.Frames.Any(fr => fr.Function == "main.coreRead") && g.State == "syscall"));

            switch (mode)
            {
                case GoCoreMode.Crash:
                    Assert.Equal("order 42: payment declined", f.PanicMessage);
                    Assert.Equal(f.PanicMessage, dump.PanicMessage);
                    Assert.Contains(own, g => g.State == "running" && g.Frames.Any(fr => fr.Function == "main.declinePayment"));
                    break;
                case GoCoreMode.Segv:
                    Assert.Equal("runtime error: invalid memory address or nil pointer dereference", dump.PanicMessage);
                    Assert.Equal("SIGSEGV", f.Signal);
                    Assert.Equal(0UL, f.FaultAddress);
                    Assert.Contains(own, g => g.State == "running" && g.Frames.Any(fr => fr.Function == "main.dereference"));
                    break;
                case GoCoreMode.Deadlock:
                    Assert.Equal("all goroutines are asleep - deadlock!", f.FatalError);
                    Assert.Equal(f.FatalError, dump.PanicMessage);
                    break;
                case GoCoreMode.Hang:
                    // SIGABRT went to the spinner's thread: the runtime prints it first, [running] on that M
                    Assert.Equal("running", dump.Goroutines[0].State);
                    Assert.Equal("main.spin", dump.Goroutines[0].Frames[0].Function);
                    break;
            }
        }
    }

    [SkippableTheory]
    [MemberData(nameof(Versions))]
    public void Traceback_ReadLineByLine_AgreesWithTheParserAndKeepsFramePointers(string version)
    {
        var build = Set[version];
        foreach (var mode in build.Modes)
        {
            var f = build[mode];
            string m = mode.ToString().ToLowerInvariant();
            var raw = f.Traceback;
            var parsed = f.Parsed().Goroutines;
            Assert.Equal(parsed.Select(g => (g.Id, g.State)), raw.Goroutines.Select(g => (g.Id, g.State)));
            for (int i = 0; i < parsed.Count; i++)
            {
                Assert.Equal(parsed[i].Frames.Select(fr => (fr.Function, fr.File, fr.Line)), raw.Goroutines[i].Frames.Select(fr => (fr.Function, (string?)fr.File, fr.Line)));
                Assert.Equal(parsed[i].LockedToThread, raw.Goroutines[i].LockedToThread);
            }

            var frames = raw.Goroutines.SelectMany(g => g.Frames).ToArray();
            Assert.Equal(int.Parse(build.Manifest[$"{m}.traceback.frames"], System.Globalization.CultureInfo.InvariantCulture), frames.Count(fr => !fr.Inlined));
            Assert.Equal(int.Parse(build.Manifest[$"{m}.traceback.inlined_frames"], System.Globalization.CultureInfo.InvariantCulture), frames.Count(fr => fr.Inlined));
            // each physical frame's fp is the next frame's sp: the traceback's pointers are consistent
            foreach (var g in raw.Goroutines)
            {
                var physical = g.Frames.Where(fr => !fr.Inlined).ToArray();
                for (int i = 0; i + 1 < physical.Length; i++)
                    Assert.Equal(physical[i].Fp, physical[i + 1].Sp);
            }

            Assert.Equal(int.Parse(build.Manifest[$"{m}.traceback.thread_blocks"], System.Globalization.CultureInfo.InvariantCulture), raw.Threads.Count);
            Assert.Equal(int.Parse(build.Manifest[$"{m}.traceback.thread_blocks_g0"], System.Globalization.CultureInfo.InvariantCulture), raw.Threads.Count(t => t.Goroutine?.Id == 0));
            if (mode is GoCoreMode.Hang or GoCoreMode.Many)
            {
                var crashing = Assert.IsType<GoTracebackThread>(raw.CrashingThread);
                Assert.Equal("SIGABRT: abort", crashing.Signal);
                Assert.Equal(crashing.Pc, crashing.Registers["rip"]);
                Assert.All(raw.Threads, t => Assert.Equal("SIGQUIT: quit", t.Signal));
                Assert.All(raw.Threads, t => Assert.Equal(t.Pc, t.Registers["rip"]));
                // every M signalled once: the crashing one and each in a block
                Assert.Equal(raw.Threads.Count + 1, raw.Threads.Select(t => t.M).Append(crashing.M).Distinct().Count());
                // a goroutine a block shows (not g0) is one of the listing, not a new one
                Assert.All(raw.Threads.Where(t => t.Goroutine is { Id: > 0 }), t => Assert.Contains(raw.Goroutines, g => g.Id == t.Goroutine!.Id));
            }
            else
            {
                Assert.Null(raw.CrashingThread);
                Assert.Empty(raw.Threads);
            }

            if (mode == GoCoreMode.Hang && version != "go1.21")
                Assert.Equal(raw.CrashingThread!.M, raw.Goroutines[0].M); // Go 1.22+ print m= in the header
        }
    }

    [SkippableFact]
    public void StrippedBuild_HasNoSymbolsOrDwarf_TheOthersHaveBoth()
    {
        var set = Set;
        foreach (string version in GoCoreSet.Versions)
        {
            var sections = ElfCore.SectionNames(set[version].Executable);
            Assert.Contains(version.EndsWith("-pie", StringComparison.Ordinal) ? ".data.rel.ro.gopclntab" : ".gopclntab", sections);
            Assert.Contains(".go.buildinfo", sections);
            bool stripped = version.EndsWith("-stripped", StringComparison.Ordinal);
            Assert.Equal(stripped, set[version].Stripped);
            Assert.Equal(!stripped, sections.Contains(".symtab"));
            Assert.Equal(!stripped, sections.Contains(".debug_info"));
        }

        Assert.Equal(set["go1.23"].GoVersion, set["go1.23-stripped"].GoVersion);
        Assert.StartsWith("go1.21.", set["go1.21"].GoVersion, StringComparison.Ordinal);
        Assert.StartsWith("go1.22.", set["go1.22"].GoVersion, StringComparison.Ordinal);
        Assert.StartsWith("go1.23.", set["go1.23"].GoVersion, StringComparison.Ordinal);
    }

    /// <summary>Just enough ELF (64-bit little-endian) to check a fixture: header, program and section headers, notes.</summary>
    private sealed class ElfCore
    {
        public const int EtCore = 4;

        public int Type { get; private init; }
        public int ProcessId { get; private init; }
        public string CommandName { get; private init; } = "";
        public List<(ulong Start, ulong End, ulong FileOffset, string Path)> Files { get; } = [];
        private readonly List<(ulong Vaddr, ulong Offset, ulong FileSize)> _loads = [];
        private string _path = "";

        public static ElfCore Read(string path)
        {
            using var fs = File.OpenRead(path);
            byte[] h = ReadAt(fs, 0, 64);
            Assert.True(h.AsSpan(0, 4).SequenceEqual("\u007fELF"u8), $"{path} is not ELF");
            Assert.Equal(2, h[4]); // ELFCLASS64
            ulong phoff = BinaryPrimitives.ReadUInt64LittleEndian(h.AsSpan(32));
            int phentsize = BinaryPrimitives.ReadUInt16LittleEndian(h.AsSpan(54)), phnum = BinaryPrimitives.ReadUInt16LittleEndian(h.AsSpan(56));
            int pid = 0;
            string comm = "";
            var core = new List<(ulong, ulong, ulong, string)>();
            var loads = new List<(ulong, ulong, ulong)>();
            for (int i = 0; i < phnum; i++)
            {
                byte[] ph = ReadAt(fs, (long)phoff + i * phentsize, 56);
                uint type = BinaryPrimitives.ReadUInt32LittleEndian(ph);
                ulong offset = BinaryPrimitives.ReadUInt64LittleEndian(ph.AsSpan(8)), vaddr = BinaryPrimitives.ReadUInt64LittleEndian(ph.AsSpan(16)), filesz = BinaryPrimitives.ReadUInt64LittleEndian(ph.AsSpan(32));
                if (type == 1)
                    loads.Add((vaddr, offset, filesz));
                if (type != 4)
                    continue;
                byte[] notes = ReadAt(fs, (long)offset, (int)filesz);
                for (int at = 0; at + 12 <= notes.Length;)
                {
                    int namesz = BinaryPrimitives.ReadInt32LittleEndian(notes.AsSpan(at)), descsz = BinaryPrimitives.ReadInt32LittleEndian(notes.AsSpan(at + 4));
                    uint ntype = BinaryPrimitives.ReadUInt32LittleEndian(notes.AsSpan(at + 8));
                    int desc = at + 12 + ((namesz + 3) & ~3);
                    var d = notes.AsSpan(desc, descsz);
                    if (ntype == 3) // NT_PRPSINFO: pr_pid at 24 (NT_PRSTATUS's pr_pid is a thread's id), pr_fname[16] at 40
                    {
                        pid = BinaryPrimitives.ReadInt32LittleEndian(d[24..]);
                        comm = Encoding.ASCII.GetString(d.Slice(40, 16)).TrimEnd('\0');
                    }
                    else if (ntype == 0x46494c45) // NT_FILE: count, page size, (start, end, page offset) × count, names
                    {
                        long count = BinaryPrimitives.ReadInt64LittleEndian(d);
                        ulong page = BinaryPrimitives.ReadUInt64LittleEndian(d[8..]);
                        var names = Encoding.UTF8.GetString(d[(16 + (int)count * 24)..]).Split('\0');
                        for (int k = 0; k < count; k++)
                        {
                            var e = d[(16 + k * 24)..];
                            core.Add((BinaryPrimitives.ReadUInt64LittleEndian(e), BinaryPrimitives.ReadUInt64LittleEndian(e[8..]), BinaryPrimitives.ReadUInt64LittleEndian(e[16..]) * page, names[k]));
                        }
                    }

                    at = desc + ((descsz + 3) & ~3);
                }
            }

            var result = new ElfCore { Type = BinaryPrimitives.ReadUInt16LittleEndian(h.AsSpan(16)), ProcessId = pid, CommandName = comm, _path = path };
            result.Files.AddRange(core);
            result._loads.AddRange(loads);
            return result;
        }

        /// <summary>Bytes the core holds at a virtual address (the PT_LOAD segment's file part).</summary>
        public byte[] ReadMemory(ulong address, int length)
        {
            var (vaddr, offset, filesz) = _loads.First(l => address >= l.Vaddr && address + (ulong)length <= l.Vaddr + l.FileSize);
            using var fs = File.OpenRead(_path);
            return ReadAt(fs, (long)(offset + (address - vaddr)), length);
        }

        public static HashSet<string> SectionNames(string path)
        {
            using var fs = File.OpenRead(path);
            byte[] h = ReadAt(fs, 0, 64);
            long shoff = BinaryPrimitives.ReadInt64LittleEndian(h.AsSpan(40));
            int shentsize = BinaryPrimitives.ReadUInt16LittleEndian(h.AsSpan(58)), shnum = BinaryPrimitives.ReadUInt16LittleEndian(h.AsSpan(60)), shstrndx = BinaryPrimitives.ReadUInt16LittleEndian(h.AsSpan(62));
            byte[] sh = ReadAt(fs, shoff + (long)shstrndx * shentsize, 64);
            byte[] strtab = ReadAt(fs, BinaryPrimitives.ReadInt64LittleEndian(sh.AsSpan(24)), (int)BinaryPrimitives.ReadInt64LittleEndian(sh.AsSpan(32)));
            var names = new HashSet<string>(StringComparer.Ordinal);
            for (int i = 0; i < shnum; i++)
            {
                int name = BinaryPrimitives.ReadInt32LittleEndian(ReadAt(fs, shoff + (long)i * shentsize, 4));
                int end = Array.IndexOf(strtab, (byte)0, name);
                names.Add(Encoding.ASCII.GetString(strtab, name, end - name));
            }

            return names;
        }

        private static byte[] ReadAt(FileStream fs, long offset, int length)
        {
            var b = new byte[length];
            fs.Position = offset;
            fs.ReadExactly(b);
            return b;
        }
    }
}
