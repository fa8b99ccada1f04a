using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;
using Analysis.Go.Core;
using Analysis.Testing;
using Xunit;
using Xunit.Abstractions;

namespace Analysis.Tests.Go;

/// <summary>
/// <see cref="GoDwarf"/> on small programs built by each installed Go toolchain (1.21, 1.22, 1.23). Oracles that are
/// not our code: the program's own unsafe.Offsetof/Sizeof for its struct, and binutils' readelf --debug-dump=info for
/// the runtime's structs.
/// </summary>
public partial class GoDwarfTests(ITestOutputHelper output)
{
    public static TheoryData<string> Versions => new() { "1.21", "1.22", "1.23" };

    private const string ProbeSource = """
        package main

        import (
        	"fmt"
        	"os"
        	"unsafe"
        )

        type Inner struct{ X, Y int8 }

        type Probe struct {
        	A bool
        	B int64
        	C uint16
        	D *Probe
        	E string
        	F []int32
        	G map[string]int
        	H interface{}
        	I [3]byte
        	J float64
        	K chan int
        	L func()
        	M complex128
        	N Inner
        	O uint8
        	P error
        	Q uintptr
        	R int32
        }

        func main() {
        	var p Probe
        	fmt.Printf("size %d\n", unsafe.Sizeof(p))
        	f := func(name string, off, size uintptr) { fmt.Printf("%s %d %d\n", name, off, size) }
        	f("A", unsafe.Offsetof(p.A), unsafe.Sizeof(p.A))
        	f("B", unsafe.Offsetof(p.B), unsafe.Sizeof(p.B))
        	f("C", unsafe.Offsetof(p.C), unsafe.Sizeof(p.C))
        	f("D", unsafe.Offsetof(p.D), unsafe.Sizeof(p.D))
        	f("E", unsafe.Offsetof(p.E), unsafe.Sizeof(p.E))
        	f("F", unsafe.Offsetof(p.F), unsafe.Sizeof(p.F))
        	f("G", unsafe.Offsetof(p.G), unsafe.Sizeof(p.G))
        	f("H", unsafe.Offsetof(p.H), unsafe.Sizeof(p.H))
        	f("I", unsafe.Offsetof(p.I), unsafe.Sizeof(p.I))
        	f("J", unsafe.Offsetof(p.J), unsafe.Sizeof(p.J))
        	f("K", unsafe.Offsetof(p.K), unsafe.Sizeof(p.K))
        	f("L", unsafe.Offsetof(p.L), unsafe.Sizeof(p.L))
        	f("M", unsafe.Offsetof(p.M), unsafe.Sizeof(p.M))
        	f("N", unsafe.Offsetof(p.N), unsafe.Sizeof(p.N))
        	f("O", unsafe.Offsetof(p.O), unsafe.Sizeof(p.O))
        	f("P", unsafe.Offsetof(p.P), unsafe.Sizeof(p.P))
        	f("Q", unsafe.Offsetof(p.Q), unsafe.Sizeof(p.Q))
        	f("R", unsafe.Offsetof(p.R), unsafe.Sizeof(p.R))
        	if len(os.Args) > 5 {
        		fmt.Println(p) // keep every field's type in the binary
        	}
        }
        """;

    private static readonly Lazy<string> s_workRoot = new(() =>
    {
        string hash = Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(ProbeSource)))[..12].ToLowerInvariant();
        string dir = Path.Combine(RepoPaths.Root, "artifacts", "godwarf", hash);
        Directory.CreateDirectory(dir);
        return dir;
    });

    private static readonly Dictionary<string, Lazy<string>> s_builds = new()
    {
        ["1.21"] = new(() => Build("1.21")),
        ["1.22"] = new(() => Build("1.22")),
        ["1.23"] = new(() => Build("1.23")),
    };

    private static string GoTool(string version) => $"/usr/lib/go-{version}/bin/go";

    private static void SkipWithoutGo(string version) =>
        Skip.IfNot(File.Exists(GoTool(version)), $"Go {version} is not installed at {GoTool(version)} (apt-get install golang-{version}-go)");

    private static void SkipWithoutReadelf() =>
        Skip.IfNot(File.Exists("/usr/bin/readelf"), "binutils' readelf is not installed at /usr/bin/readelf (apt-get install binutils)");

    /// <summary>The probe built by Go <paramref name="version"/>, cached in artifacts/godwarf/&lt;source hash&gt;.</summary>
    private static string Build(string version)
    {
        string dir = Path.Combine(s_workRoot.Value, version);
        string exe = Path.Combine(dir, "probe");
        if (File.Exists(exe))
        {
            return exe;
        }

        Directory.CreateDirectory(dir);
        File.WriteAllText(Path.Combine(dir, "main.go"), ProbeSource);
        File.WriteAllText(Path.Combine(dir, "go.mod"), "module probe\n\ngo 1.21\n");
        var psi = new ProcessStartInfo(GoTool(version), ["build", "-o", exe + ".tmp", "."])
        {
            WorkingDirectory = dir,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        psi.Environment["GOTOOLCHAIN"] = "local";
        psi.Environment["CGO_ENABLED"] = "0";
        psi.Environment["GOFLAGS"] = "";
        psi.Environment["GOCACHE"] = Path.Combine(s_workRoot.Value, "gocache-" + version);
        psi.Environment["GOPATH"] = Path.Combine(s_workRoot.Value, "gopath");
        psi.Environment["GOTELEMETRY"] = "off";
        (int code, string stdout, string stderr) = Run(psi, TimeSpan.FromMinutes(5));
        if (code != 0)
        {
            throw new InvalidOperationException($"go {version} build failed ({code}): {stdout}{stderr}");
        }

        File.Move(exe + ".tmp", exe, overwrite: true);
        return exe;
    }

    private static (int Code, string Stdout, string Stderr) Run(ProcessStartInfo psi, TimeSpan timeout)
    {
        using var p = Process.Start(psi) ?? throw new InvalidOperationException($"{psi.FileName} did not start");
        Task<string> stdout = p.StandardOutput.ReadToEndAsync();
        Task<string> stderr = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(timeout))
        {
            p.Kill(entireProcessTree: true);
            throw new TimeoutException($"{psi.FileName} {string.Join(' ', psi.ArgumentList)} took more than {timeout}");
        }

        return (p.ExitCode, stdout.Result, stderr.Result);
    }

    private static string RunProbe(string exe)
    {
        (int code, string stdout, string stderr) = Run(new ProcessStartInfo(exe) { RedirectStandardOutput = true, RedirectStandardError = true }, TimeSpan.FromMinutes(1));
        Assert.True(code == 0, $"probe exited {code}: {stderr}");
        return stdout;
    }

    [SkippableTheory]
    [MemberData(nameof(Versions))]
    public void Struct_OfTheProbesOwnType_EqualsUnsafeOffsetofAndSizeof(string version)
    {
        SkipWithoutGo(version);
        string exe = s_builds[version].Value;
        var printed = RunProbe(exe).Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.Split(' ')).ToList();
        GoDwarf dwarf = GoDwarf.FromElfFile(exe);
        Assert.Empty(dwarf.Problems);

        GoStructType? probe = dwarf.Struct("main.Probe");
        Assert.NotNull(probe);
        Assert.Equal(long.Parse(printed[0][1], CultureInfo.InvariantCulture), probe.Size);
        Assert.Equal(probe.Size, dwarf.SizeOf("main.Probe"));
        Assert.Equal(printed.Count - 1, probe.Fields.Count);
        foreach (string[] line in printed.Skip(1))
        {
            GoStructField? field = probe.Field(line[0]);
            Assert.True(field is not null, $"Go {version}: main.Probe has no field {line[0]}: {string.Join(", ", probe.Fields)}");
            Assert.True(long.Parse(line[1], CultureInfo.InvariantCulture) == field.Offset, $"Go {version}: {field} but unsafe.Offsetof says {line[1]}");
            Assert.True(long.Parse(line[2], CultureInfo.InvariantCulture) == field.TypeSize, $"Go {version}: {field} but unsafe.Sizeof says {line[2]}");
        }

        // How Go names the field types (the spelling the core reader matches on).
        Assert.Equal("*main.Probe", probe.Field("D")!.TypeName);
        Assert.Equal("string", probe.Field("E")!.TypeName);
        Assert.Equal("[]int32", probe.Field("F")!.TypeName);
        Assert.Equal("main.Inner", probe.Field("N")!.TypeName);
        Assert.Equal("uintptr", probe.Field("Q")!.TypeName);
        Assert.Equal(2, dwarf.SizeOf("main.Inner"));
        Assert.Equal(8, dwarf.SizeOf("int64"));
        Assert.Null(dwarf.Struct("main.NoSuchType"));
        Assert.Null(dwarf.SizeOf("main.NoSuchType"));
    }

    private static readonly string[] s_runtimeStructs =
    [
        "runtime.g", "runtime.m", "runtime.gobuf", "runtime.stack", "runtime._panic", "runtime.eface", "runtime._type",
        "runtime.moduledata", "runtime.sigcontext", "runtime.ucontext", "runtime.mstats", "runtime.p", "runtime.sudog",
    ];

    [SkippableTheory]
    [MemberData(nameof(Versions))]
    public void RuntimeStructs_EqualReadelfsDebugDump(string version)
    {
        SkipWithoutGo(version);
        SkipWithoutReadelf();
        string exe = s_builds[version].Value;
        ReadelfDies oracle = ReadelfDies.Of(exe);
        GoDwarf dwarf = GoDwarf.FromElfFile(exe);
        Assert.Empty(dwarf.Problems);
        Assert.Equal([4], dwarf.Versions);
        int compared = 0;
        foreach (string name in s_runtimeStructs)
        {
            ReadelfDies.Struct? expected = oracle.StructNamed(name);
            GoStructType? actual = dwarf.Struct(name);
            if (expected is null)
            {
                Assert.Null(actual);
                continue;
            }

            Assert.NotNull(actual);
            Assert.Equal(expected.Size, actual.Size);
            Assert.Equal(expected.Members.Select(m => $"{m.Name}+{m.Offset}:{m.TypeName}"), actual.Fields.Select(f => $"{f.Name}+{f.Offset}:{f.TypeName}"));
            compared++;
        }

        Assert.True(compared >= 10, $"only {compared} of the runtime structs were in the binary");

        // Every struct readelf shows, by name and size, and the same number of them.
        foreach (ReadelfDies.Struct s in oracle.Structs)
        {
            Assert.Equal(s.Size, dwarf.Struct(s.Name)?.Size);
        }

        Assert.Equal(oracle.Structs.Select(s => s.Name).Distinct().Count(), dwarf.StructNames.Count());

        GoStructType g = dwarf.Struct("runtime.g")!;
        GoStructType m = dwarf.Struct("runtime.m")!;
        GoStructType gobuf = dwarf.Struct("runtime.gobuf")!;
        GoStructType stack = dwarf.Struct("runtime.stack")!;
        Assert.Equal("runtime.gobuf", g.Field("sched")!.TypeName);
        Assert.Equal("*runtime.m", g.Field("m")!.TypeName);
        Assert.Equal(8, g.Field("m")!.TypeSize);
        Assert.Equal("*runtime.g", m.Field("curg")!.TypeName);
        output.WriteLine($"Go {version}: runtime.g {g.Size} bytes; " + string.Join(", ",
            new[] { "goid", "atomicstatus", "sched", "stack", "m", "waitsince", "waitreason", "gopc", "syscallsp", "syscallpc", "_panic" }
                .Select(n => $"{n}={g.Field(n)?.Offset.ToString(CultureInfo.InvariantCulture) ?? "-"}")));
        output.WriteLine($"  gobuf: " + string.Join(", ", gobuf.Fields.Select(f => $"{f.Name}={f.Offset}")));
        output.WriteLine($"  stack: " + string.Join(", ", stack.Fields.Select(f => $"{f.Name}={f.Offset}")));
        output.WriteLine($"  runtime.m {m.Size} bytes; procid={m.Field("procid")?.Offset}, curg={m.Field("curg")?.Offset}");
    }

    [SkippableTheory]
    [MemberData(nameof(Versions))]
    public void Variable_OfRuntimeGlobals_HasTheAddressNmGives(string version)
    {
        SkipWithoutGo(version);
        Skip.IfNot(File.Exists("/usr/bin/nm"), "binutils' nm is not installed at /usr/bin/nm (apt-get install binutils)");
        string exe = s_builds[version].Value;
        (int code, string stdout, string stderr) = Run(new ProcessStartInfo("/usr/bin/nm", [exe]) { RedirectStandardOutput = true, RedirectStandardError = true }, TimeSpan.FromMinutes(1));
        Assert.True(code == 0, stderr);
        var symbols = new Dictionary<string, ulong>(StringComparer.Ordinal);
        foreach (string line in stdout.Split('\n'))
        {
            string[] parts = line.Split(' ', 3);
            if (parts.Length == 3 && parts[1] is "B" or "b" or "D" or "d" or "R" or "r")
            {
                symbols.TryAdd(parts[2], ulong.Parse(parts[0], NumberStyles.HexNumber, CultureInfo.InvariantCulture));
            }
        }

        GoDwarf dwarf = GoDwarf.FromElfFile(exe);
        string[] names = ["runtime.allgs", "runtime.allglen", "runtime.allm", "runtime.sched", "runtime.firstmoduledata", "runtime.buildVersion"];
        foreach (string name in names)
        {
            GoDwarfVariable? v = dwarf.Variable(name);
            Assert.True(v is not null, $"Go {version}: no DWARF variable {name}");
            Assert.True(symbols.TryGetValue(name, out ulong expected), $"Go {version}: nm has no {name}");
            Assert.Equal(expected, v.Address);
            output.WriteLine(v.ToString());
        }

        Assert.Equal("[]*runtime.g", dwarf.Variable("runtime.allgs")!.TypeName);
        Assert.Equal(24, dwarf.Variable("runtime.allgs")!.TypeSize);
        Assert.Equal("*runtime.m", dwarf.Variable("runtime.allm")!.TypeName);
        Assert.Equal(dwarf.SizeOf("runtime.schedt"), dwarf.Variable("runtime.sched")!.TypeSize);
        Assert.Equal("string", dwarf.Variable("runtime.buildVersion")!.TypeName);
        Assert.Null(dwarf.Variable("runtime.noSuchVariable"));
    }

    [SkippableTheory]
    [MemberData(nameof(Versions))]
    public void ReadingRuntimeG_TakesMilliseconds(string version)
    {
        SkipWithoutGo(version);
        string exe = s_builds[version].Value;
        var sections = Sections(exe, out var problems);
        Assert.Empty(problems);
        var cold = Stopwatch.StartNew();
        Assert.NotNull(GoDwarf.Read(sections[".debug_info"], sections[".debug_abbrev"], default, default).Struct("runtime.g"));
        double coldMs = cold.Elapsed.TotalMilliseconds;
        double ms = double.MaxValue;
        for (int i = 0; i < 20; i++)
        {
            var one = Stopwatch.StartNew();
            Assert.NotNull(GoDwarf.Read(sections[".debug_info"], sections[".debug_abbrev"], default, default).Struct("runtime.g"));
            ms = Math.Min(ms, one.Elapsed.TotalMilliseconds);
        }

        var whole = Stopwatch.StartNew();
        Assert.NotNull(GoDwarf.FromElfFile(exe).Struct("runtime.g"));
        output.WriteLine($"Go {version}: .debug_info {sections[".debug_info"].Length} bytes: read + runtime.g in {ms:F2} ms (best of 20; first call with JIT {coldMs:F1} ms); from the file with decompression {whole.Elapsed.TotalMilliseconds:F1} ms");
        Assert.True(ms < 200, $"reading took {ms:F1} ms");
    }

    [SkippableFact]
    public void Read_OfFlippedAndTruncatedBytes_GivesPartialResultsWithoutErrors()
    {
        SkipWithoutGo("1.23");
        string exe = s_builds["1.23"].Value;
        var sections = Sections(exe, out _);
        byte[] info = sections[".debug_info"];
        byte[] abbrev = sections[".debug_abbrev"];
        var random = new Random(15);
        var sw = Stopwatch.StartNew();
        int withProblems = 0;
        const int Rounds = 300;
        for (int round = 0; round < Rounds; round++)
        {
            byte[] i2 = (byte[])info.Clone();
            byte[] a2 = (byte[])abbrev.Clone();
            int flips = 1 + random.Next(64);
            for (int k = 0; k < flips; k++)
            {
                byte[] target = random.Next(8) == 0 ? a2 : i2;
                target[random.Next(target.Length)] ^= (byte)(1 << random.Next(8));
            }

            // Headers and the unit of the runtime's types: where a flip changes the most.
            i2[random.Next(64)] = (byte)random.Next(256);
            int infoLength = random.Next(4) == 0 ? random.Next(i2.Length) : i2.Length;
            int abbrevLength = random.Next(8) == 0 ? random.Next(a2.Length) : a2.Length;
            var one = Stopwatch.StartNew();
            GoDwarf d = GoDwarf.Read(i2.AsMemory(0, infoLength), a2.AsMemory(0, abbrevLength), default, default);
            foreach (string name in s_runtimeStructs.Concat(d.StructNames.Take(50)).ToList())
            {
                GoStructType? s = d.Struct(name);
                _ = s?.ToString();
                _ = d.SizeOf(name);
            }

            Assert.True(one.Elapsed < TimeSpan.FromSeconds(5), $"round {round} took {one.Elapsed}");
            Assert.DoesNotContain(d.Problems, p => p.Contains("internal error", StringComparison.Ordinal));
            if (d.Problems.Count > 0)
            {
                withProblems++;
            }
        }

        // Pure garbage and degenerate inputs.
        foreach (byte[] bytes in new[] { Array.Empty<byte>(), [0xff, 0xff, 0xff, 0xff], [0xff, 0xff, 0xff, 0xff, 1, 0, 0, 0, 0, 0, 0, 0x80], [0xf0, 0xff, 0xff, 0xff], [7, 0, 0, 0, 5, 0, 1, 8, 0, 0, 0] })
        {
            GoDwarf d = GoDwarf.Read(bytes, abbrev, default, default);
            Assert.DoesNotContain(d.Problems, p => p.Contains("internal error", StringComparison.Ordinal));
            Assert.Null(d.Struct("runtime.g"));
        }

        var noise = new byte[1 << 16];
        for (int round = 0; round < 50; round++)
        {
            random.NextBytes(noise);
            GoDwarf d = GoDwarf.Read(noise, noise.AsMemory(0, random.Next(noise.Length)), noise, noise);
            Assert.DoesNotContain(d.Problems, p => p.Contains("internal error", StringComparison.Ordinal));
        }

        output.WriteLine($"{Rounds} mutated inputs ({withProblems} with problems) and 55 garbage inputs in {sw.Elapsed.TotalMilliseconds:F0} ms");
        Assert.True(withProblems > Rounds / 3, $"only {withProblems} of {Rounds} mutations were noticed");
    }

    private const string CProbeSource = """
        #include <stdio.h>
        #include <stddef.h>
        #include <stdint.h>
        struct inner { char x; short y; };
        struct probe {
          char a; long long b; unsigned short c; struct probe *d; const char *e; double f; int g[3]; struct inner h;
          uint8_t i; void (*j)(void); long double k; _Bool l; int bits : 3; int m;
        };
        #define F(n) printf(#n " %zu %zu\n", offsetof(struct probe, n), sizeof(p.n))
        int main(void) {
          struct probe p = {0};
          printf("size %zu\n", sizeof p);
          F(a); F(b); F(c); F(d); F(e); F(f); F(g); F(h); F(i); F(j); F(k); F(l); F(m);
          return 0;
        }
        """;

    /// <summary>The C probe built by gcc with <paramref name="flags"/>, cached like the Go builds.</summary>
    private static string BuildC(string name, params string[] flags)
    {
        string dir = Path.Combine(s_workRoot.Value, "gcc");
        string exe = Path.Combine(dir, name);
        if (File.Exists(exe))
        {
            return exe;
        }

        Directory.CreateDirectory(dir);
        File.WriteAllText(Path.Combine(dir, "probe.c"), CProbeSource);
        var psi = new ProcessStartInfo("/usr/bin/gcc", [.. flags, "-O0", "-o", exe + ".tmp", "probe.c"])
        {
            WorkingDirectory = dir,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        (int code, string stdout, string stderr) = Run(psi, TimeSpan.FromMinutes(2));
        if (code != 0)
        {
            throw new InvalidOperationException($"gcc {string.Join(' ', flags)} failed ({code}): {stdout}{stderr}");
        }

        File.Move(exe + ".tmp", exe, overwrite: true);
        return exe;
    }

    /// <summary>
    /// Go 1.21–1.23 write only DWARF 4 with inline names; gcc's DWARF 5 (unit type, .debug_str, .debug_line_str,
    /// implicit_const, zlib-compressed sections) and DWARF 4 (unit-relative ref4) are the oracle for the other paths.
    /// </summary>
    [SkippableTheory]
    [InlineData("c5z", 5, new[] { "-gdwarf-5", "-gz=zlib" })]
    [InlineData("c4", 4, new[] { "-gdwarf-4" })]
    public void Struct_OfACProgramsDwarf_EqualsOffsetofAndSizeof(string name, int dwarfVersion, string[] flags)
    {
        Skip.IfNot(File.Exists("/usr/bin/gcc"), "gcc is not installed at /usr/bin/gcc (apt-get install gcc)");
        string exe = BuildC(name, flags);
        var printed = RunProbe(exe).Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.Split(' ')).ToList();
        GoDwarf dwarf = GoDwarf.FromElfFile(exe);
        Assert.Empty(dwarf.Problems);
        Assert.Contains(dwarfVersion, dwarf.Versions);
        GoStructType? probe = dwarf.Struct("probe");
        Assert.NotNull(probe);
        Assert.Equal(long.Parse(printed[0][1], CultureInfo.InvariantCulture), probe.Size);
        foreach (string[] line in printed.Skip(1))
        {
            GoStructField? field = probe.Field(line[0]);
            Assert.True(field is not null, $"{name}: probe has no field {line[0]}: {string.Join(", ", probe.Fields)}");
            Assert.True(long.Parse(line[1], CultureInfo.InvariantCulture) == field.Offset, $"{name}: {field} but offsetof says {line[1]}");
            Assert.True(long.Parse(line[2], CultureInfo.InvariantCulture) == field.TypeSize, $"{name}: {field} but sizeof says {line[2]}");
        }

        // The bit field: the byte of its first bit, between l and m.
        Assert.InRange(probe.Field("bits")!.Offset, probe.Field("l")!.Offset, probe.Field("m")!.Offset);
        Assert.Equal("int", probe.Field("m")!.TypeName);
        Assert.Equal("*probe", probe.Field("d")!.TypeName);
        Assert.Equal(4, dwarf.SizeOf("inner"));
    }

    [SkippableFact]
    public void Read_Of64BitDwarfUnits_SkipsThemWithAProblem()
    {
        Skip.IfNot(File.Exists("/usr/bin/gcc"), "gcc is not installed at /usr/bin/gcc (apt-get install gcc)");
        string exe = BuildC("c64", "-gdwarf-5", "-gdwarf64");
        GoDwarf dwarf = GoDwarf.FromElfFile(exe);
        Assert.Contains(dwarf.Problems, p => p.Contains("64-bit DWARF is not read", StringComparison.Ordinal));
        Assert.Null(dwarf.Struct("probe"));
    }

    [SkippableFact]
    public void FromElfFile_OfTruncatedAndFlippedExecutables_GivesProblemsWithoutErrors()
    {
        SkipWithoutGo("1.23");
        byte[] exe = File.ReadAllBytes(s_builds["1.23"].Value);
        var random = new Random(1523);
        int withProblems = 0;
        for (int round = 0; round < 40; round++)
        {
            byte[] copy = exe[..(random.Next(3) == 0 ? random.Next(exe.Length) : exe.Length)];
            int flips = random.Next(8);
            for (int k = 0; k < flips; k++)
            {
                // The ELF header, the section headers at the end, or anywhere.
                int at = random.Next(3) switch { 0 => random.Next(Math.Min(64, copy.Length)), 1 => copy.Length - 1 - random.Next(Math.Min(4096, copy.Length)), _ => random.Next(copy.Length) };
                copy[at] ^= (byte)(1 << random.Next(8));
            }

            string path = GoFixtures.Scratch($"mutated-{round}.elf", copy);
            GoDwarf d = GoDwarf.FromElfFile(path);
            File.Delete(path);
            Assert.DoesNotContain(d.Problems, p => p.Contains("internal error", StringComparison.Ordinal));
            withProblems += d.Problems.Count > 0 ? 1 : 0;
        }

        Assert.True(withProblems > 5, $"only {withProblems} of 40 mutated executables gave problems");
    }

    [Fact]
    public void FromElfFile_OfNoElfFile_GivesProblemsAndNoStructs()
    {
        string path = GoFixtures.Scratch("not-elf.bin", Encoding.ASCII.GetBytes("this is not an ELF file at all, not even close to one, nope."));
        GoDwarf d = GoDwarf.FromElfFile(path);
        Assert.Contains(d.Problems, p => p.Contains("not an ELF file", StringComparison.Ordinal));
        Assert.Null(d.Struct("runtime.g"));
        GoDwarf missing = GoDwarf.FromElfFile(Path.Combine(RepoPaths.ScratchRoot, "no-such-file"));
        Assert.NotEmpty(missing.Problems);
    }

    /// <summary>The DIEs of readelf --debug-dump=info: structs with their members, member types by name.</summary>
    private sealed partial class ReadelfDies
    {
        public sealed record Member(string Name, long Offset, string TypeName);

        public sealed record Struct(string Name, long Size, List<Member> Members);

        public List<Struct> Structs { get; } = [];

        public Struct? StructNamed(string name) => Structs.FirstOrDefault(s => s.Name == name);

        [GeneratedRegex(@"^\s*<(\d+)><([0-9a-f]+)>: Abbrev Number: (\d+)(?: \((\w+)\))?")]
        private static partial Regex DieLine();

        [GeneratedRegex(@"^\s*<[0-9a-f]+>\s+(DW_AT_\w+)\s*: (?:\(\w+\) )?(.*)$")]
        private static partial Regex AttrLine();

        private sealed class Die
        {
            public int Depth;
            public string Tag = "";
            public Dictionary<string, string> Attrs = [];
        }

        /// <summary>A constant as readelf prints it: "48", or "(udata) 48" for some forms.</summary>
        private static long Number(string text) => long.Parse(text[(text.LastIndexOf(' ') + 1)..], CultureInfo.InvariantCulture);

        public static ReadelfDies Of(string exe)
        {
            var psi = new ProcessStartInfo("/usr/bin/readelf", ["--debug-dump=info", "--wide", exe]) { RedirectStandardOutput = true, RedirectStandardError = true };
            (int code, string stdout, string stderr) = Run(psi, TimeSpan.FromMinutes(2));
            Assert.True(code == 0, $"readelf failed: {stderr}");
            var dies = new List<(long Offset, Die Die)>();
            Die? current = null;
            foreach (string line in stdout.Split('\n'))
            {
                Match dm = DieLine().Match(line);
                if (dm.Success)
                {
                    current = new Die { Depth = int.Parse(dm.Groups[1].Value, CultureInfo.InvariantCulture), Tag = dm.Groups[4].Value };
                    dies.Add((long.Parse(dm.Groups[2].Value, NumberStyles.HexNumber, CultureInfo.InvariantCulture), current));
                    continue;
                }

                Match am = AttrLine().Match(line);
                if (am.Success && current is not null)
                {
                    current.Attrs[am.Groups[1].Value] = am.Groups[2].Value.Trim();
                }
            }

            var byOffset = dies.ToDictionary(d => d.Offset, d => d.Die);
            string TypeName(string? reference)
            {
                if (reference is null || !reference.StartsWith("<0x", StringComparison.Ordinal))
                {
                    return "void";
                }

                long target = long.Parse(reference[3..reference.IndexOf('>', StringComparison.Ordinal)], NumberStyles.HexNumber, CultureInfo.InvariantCulture);
                return byOffset.TryGetValue(target, out Die? t) && t.Attrs.TryGetValue("DW_AT_name", out string? n) ? n : $"<0x{target:x}>";
            }

            var result = new ReadelfDies();
            for (int i = 0; i < dies.Count; i++)
            {
                Die d = dies[i].Die;
                if (d.Tag != "DW_TAG_structure_type" || !d.Attrs.TryGetValue("DW_AT_name", out string? name))
                {
                    continue;
                }

                var s = new Struct(name, Number(d.Attrs["DW_AT_byte_size"]), []);
                for (int j = i + 1; j < dies.Count && dies[j].Die.Depth > d.Depth; j++)
                {
                    Die m = dies[j].Die;
                    if (m.Depth == d.Depth + 1 && m.Tag == "DW_TAG_member")
                    {
                        s.Members.Add(new Member(m.Attrs["DW_AT_name"], Number(m.Attrs["DW_AT_data_member_location"]), TypeName(m.Attrs.GetValueOrDefault("DW_AT_type"))));
                    }
                }

                result.Structs.Add(s);
            }

            return result;
        }
    }

    private static Dictionary<string, byte[]> Sections(string exe, out IReadOnlyList<string> problems)
    {
        using var image = ElfImage.Open(exe, "Executable", "a Go executable");
        var sections = new Dictionary<string, byte[]>
        {
            [".debug_info"] = image.SectionBytes(".debug_info")!,
            [".debug_abbrev"] = image.SectionBytes(".debug_abbrev")!,
        };
        problems = [.. image.Problems];
        return sections;
    }
}
