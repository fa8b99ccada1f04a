using System.Collections.ObjectModel;
using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;

namespace Analysis.Testing;

/// <summary>How the process behind a Go core fixture ended (leaky -mode=…, tests/TestTargets/go/cores.go).</summary>
public enum GoCoreMode
{
    /// <summary>A goroutine panics with a string ("order 42: payment declined"): traceback, then SIGABRT and the core.</summary>
    Crash,
    /// <summary>A goroutine dereferences nil: "[signal SIGSEGV … addr=0x0 …]", then SIGABRT and the core.</summary>
    Segv,
    /// <summary>Everything parked, one goroutine spinning on its locked thread; SIGABRT sent to that thread (tgkill).</summary>
    Hang,
    /// <summary>As <see cref="Hang"/> plus 5,000 goroutines in four stacks; SIGABRT sent to the process (kill -ABRT).</summary>
    Many,
    /// <summary>Goroutines parked on channels and a mutex only, main blocked: "fatal error: all goroutines are asleep - deadlock!".</summary>
    Deadlock,
}

/// <summary>
/// The Go core fixtures of tests/TestTargets/go/cores.sh in &lt;repo&gt;/artifacts/go-cores, made on first use (once per
/// test process; the script returns at once when its stamp matches) and kept between runs. The truth about each core
/// is the Go runtime's own GOTRACEBACK=crash traceback, read line by line by <see cref="GoTraceback"/> (with what
/// GoroutineDumpParser does not keep: frame fp/sp/pc, gp/m/mp, the per-thread blocks and registers); Analysis.Tests
/// reads it with GoroutineDumpParser too (GoCoreParsing.Parsed). This library does not reference Analysis.dll, so the
/// hosted-runspace tests still load the module's own copy. Tests skip with <see cref="Missing"/> when the fixtures
/// cannot be made here.
/// </summary>
public sealed class GoCoreSet
{
    private static readonly Lazy<(GoCoreSet? Set, string? Missing)> s_set = new(Prepare);

    /// <summary>The builds, in order: three toolchains, the stripped (-ldflags="-s -w") and the position-independent (-buildmode=pie) Go 1.23 builds.</summary>
    public static readonly IReadOnlyList<string> Versions = ["go1.21", "go1.22", "go1.23", "go1.23-stripped", "go1.23-pie"];

    private readonly Dictionary<string, GoCoreBuild> _builds;

    private GoCoreSet(string folder, TimeSpan prepareTime, string scriptOutput)
    {
        Folder = folder;
        PrepareTime = prepareTime;
        ScriptOutput = scriptOutput;
        _builds = Versions.ToDictionary(v => v, v => new GoCoreBuild(v, Path.Combine(folder, v)), StringComparer.Ordinal);
        string gcore = Path.Combine(folder, "go1.23", "hang.gcore");
        GcorePath = File.Exists(gcore) ? gcore : null;
        OtherCorePath = Path.Combine(folder, "other", "sleep.core");
        OtherExecutable = GoCoreBuild.ReadManifest(Path.Combine(folder, "other", "MANIFEST"))["executable"];
    }

    /// <summary>Null when the fixtures are ready; otherwise why not (for Skip.If).</summary>
    public static string? Missing => s_set.Value.Missing;

    /// <summary>The fixtures; throws <see cref="InvalidOperationException"/> with <see cref="Missing"/> when they are not available.</summary>
    public static GoCoreSet Instance => s_set.Value.Set ?? throw new InvalidOperationException(s_set.Value.Missing);

    /// <summary>&lt;repo&gt;/artifacts/go-cores.</summary>
    public string Folder { get; }

    /// <summary>How long cores.sh took in this test process (near zero when its stamp matched).</summary>
    public TimeSpan PrepareTime { get; }

    /// <summary>What cores.sh printed.</summary>
    public string ScriptOutput { get; }

    /// <summary>One build: "go1.21", "go1.22", "go1.23", "go1.23-stripped" or "go1.23-pie".</summary>
    public GoCoreBuild this[string version] => _builds.TryGetValue(version, out var b) ? b : throw new ArgumentException($"no Go core build '{version}'; known: {string.Join(", ", Versions)}", nameof(version));

    /// <summary>One core: <c>set["go1.23", GoCoreMode.Hang]</c>.</summary>
    public GoCoreFixture this[string version, GoCoreMode mode] => this[version][mode];

    /// <summary>Every (build, mode) core there is: 5 modes of three toolchains, crash and hang of the stripped and PIE builds.</summary>
    public IEnumerable<GoCoreFixture> All => Versions.SelectMany(v => _builds[v].Modes.Select(m => _builds[v][m]));

    /// <summary>gdb's gcore of a hung Go 1.23 leaky (go1.23/leaky; ~1.2 GB apparent, sparse), or null when cores.sh ran with GO_CORES_GCORE=0.</summary>
    public string? GcorePath { get; }

    /// <summary>A core of a process that is not Go: /usr/bin/sleep killed with SIGABRT.</summary>
    public string OtherCorePath { get; }

    /// <summary>The executable of <see cref="OtherCorePath"/> (/usr/bin/sleep).</summary>
    public string OtherExecutable { get; }

    private static (GoCoreSet?, string?) Prepare()
    {
        if (!RuntimeInformation.IsOSPlatform(OSPlatform.Linux) || RuntimeInformation.OSArchitecture != Architecture.X64)
            return (null, "Go core fixtures are made on Linux x64 only (tests/TestTargets/go/cores.sh)");
        string root = RepoPaths.Root;
        string folder = Path.Combine(root, "artifacts", "go-cores");
        string script = Path.Combine(root, "tests", "TestTargets", "go", "cores.sh");
        var sw = Stopwatch.StartNew();
        var psi = new ProcessStartInfo("/bin/bash") { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = root };
        psi.ArgumentList.Add(script);
        psi.ArgumentList.Add(folder);
        string output;
        int code;
        try
        {
            using var p = Process.Start(psi)!;
            var stderr = p.StandardError.ReadToEndAsync();
            string stdout = p.StandardOutput.ReadToEnd();
            if (!p.WaitForExit(TimeSpan.FromMinutes(5)))
            {
                p.Kill(entireProcessTree: true);
                return (null, "tests/TestTargets/go/cores.sh took more than 5 minutes; killed");
            }

            output = stdout + stderr.Result;
            code = p.ExitCode;
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            return (null, $"could not run /bin/bash tests/TestTargets/go/cores.sh: {e.Message}");
        }

        if (code != 0)
        {
            var last = output.Split('\n', StringSplitOptions.RemoveEmptyEntries).TakeLast(6);
            return (null, $"tests/TestTargets/go/cores.sh {folder} exited with {code}: {string.Join(" | ", last)}");
        }

        return (new GoCoreSet(folder, sw.Elapsed, output), null);
    }
}

/// <summary>One build of leaky (a Go version, or the stripped 1.23 build) and its cores, with its MANIFEST.</summary>
public sealed class GoCoreBuild
{
    private readonly Dictionary<GoCoreMode, GoCoreFixture> _fixtures = new();

    internal GoCoreBuild(string version, string folder)
    {
        Version = version;
        Folder = folder;
        Executable = Path.Combine(folder, "leaky");
        Manifest = ReadManifest(Path.Combine(folder, "MANIFEST"));
        Modes = Enum.GetValues<GoCoreMode>().Where(m => File.Exists(Path.Combine(folder, Name(m) + ".core"))).ToArray();
        foreach (var m in Modes)
            _fixtures[m] = new GoCoreFixture(this, m);
    }

    /// <summary>"go1.21", "go1.22", "go1.23", "go1.23-stripped", "go1.23-pie".</summary>
    public string Version { get; }

    /// <summary>artifacts/go-cores/&lt;version&gt;.</summary>
    public string Folder { get; }

    /// <summary>The leaky executable every core of this build is of.</summary>
    public string Executable { get; }

    /// <summary>MANIFEST as written by cores.sh (key=value; keys like "go.version", "hang.traceback.state.chan_receive").</summary>
    public IReadOnlyDictionary<string, string> Manifest { get; }

    /// <summary>`go env GOVERSION` of the toolchain: "go1.23.5".</summary>
    public string GoVersion => Manifest["go.version"];

    /// <summary>The Go build id (the "Go" ELF note, .note.go.buildid) from readelf -n.</summary>
    public string GoBuildId => Manifest["go_build_id"];

    /// <summary>The GNU build id from readelf -n: empty, as Go links none unless -ldflags=-B is given.</summary>
    public string GnuBuildId => Manifest["gnu_build_id"];

    /// <summary>Built with -ldflags="-s -w" (readelf -S shows no .symtab).</summary>
    public bool Stripped => Manifest["stripped"] == "true";

    /// <summary>The modes with a core in this build.</summary>
    public IReadOnlyList<GoCoreMode> Modes { get; }

    /// <summary>The core of one mode.</summary>
    public GoCoreFixture this[GoCoreMode mode] => _fixtures.TryGetValue(mode, out var f) ? f : throw new ArgumentException($"{Version} has no {Name(mode)} core; it has {string.Join(", ", Modes.Select(Name))}", nameof(mode));

    internal static string Name(GoCoreMode mode) => mode.ToString().ToLowerInvariant();

    internal static IReadOnlyDictionary<string, string> ReadManifest(string path)
    {
        var d = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (string line in File.ReadLines(path))
        {
            int eq = line.IndexOf('=');
            if (line.StartsWith('#') || eq <= 0)
                continue;
            d[line[..eq]] = line[(eq + 1)..];
        }

        return new ReadOnlyDictionary<string, string>(d);
    }

    /// <inheritdoc/>
    public override string ToString() => $"{Version} ({GoVersion})";
}

/// <summary>One core: the files, what the program said when it was ready, and the runtime's traceback.</summary>
public sealed class GoCoreFixture
{
    private readonly Lazy<GoTraceback> _traceback;

    internal GoCoreFixture(GoCoreBuild build, GoCoreMode mode)
    {
        Build = build;
        Mode = mode;
        string name = GoCoreBuild.Name(mode);
        CorePath = Path.Combine(build.Folder, name + ".core");
        TracebackPath = Path.Combine(build.Folder, name + ".txt");
        StdoutPath = Path.Combine(build.Folder, name + ".out");
        string Fact(string key) => build.Manifest[$"{name}.{key}"];
        ProcessId = int.Parse(Fact("ready.pid"), CultureInfo.InvariantCulture);
        StartUnixNanos = long.Parse(Fact("ready.start_unix_nanos"), CultureInfo.InvariantCulture);
        ReadyGoroutines = int.Parse(Fact("ready.goroutines"), CultureInfo.InvariantCulture);
        ExitCode = int.Parse(Fact("exit"), CultureInfo.InvariantCulture);
        string prefix = name + ".expect.";
        Expected = build.Manifest.Where(kv => kv.Key.StartsWith(prefix, StringComparison.Ordinal))
            .ToDictionary(kv => kv.Key[prefix.Length..].Replace('_', ' '), kv => int.Parse(kv.Value, CultureInfo.InvariantCulture), StringComparer.Ordinal);
        string statePrefix = name + ".traceback.state.";
        TracebackStates = build.Manifest.Where(kv => kv.Key.StartsWith(statePrefix, StringComparison.Ordinal))
            .ToDictionary(kv => kv.Key[statePrefix.Length..].Replace('_', ' '), kv => int.Parse(kv.Value, CultureInfo.InvariantCulture), StringComparer.Ordinal);
        SpinningThreadId = build.Manifest.TryGetValue(name + ".spinning.tid", out string? tid) ? int.Parse(tid, CultureInfo.InvariantCulture) : null;
        PanicMessage = build.Manifest.GetValueOrDefault(name + ".panic");
        FatalError = build.Manifest.GetValueOrDefault(name + ".fatal_error");
        Signal = build.Manifest.GetValueOrDefault(name + ".signal");
        FaultAddress = build.Manifest.TryGetValue(name + ".fault_addr", out string? addr) ? Convert.ToUInt64(addr, 16) : null;
        _traceback = new(() => GoTraceback.Read(TracebackPath));
    }

    /// <summary>The build the core is of.</summary>
    public GoCoreBuild Build { get; }

    /// <summary>How the process ended.</summary>
    public GoCoreMode Mode { get; }

    /// <summary>The kernel's ELF core (sparse).</summary>
    public string CorePath { get; }

    /// <summary>The executable that ran (<see cref="GoCoreBuild.Executable"/>).</summary>
    public string Executable => Build.Executable;

    /// <summary>The process's stderr: the runtime's GOTRACEBACK=crash traceback, the oracle.</summary>
    public string TracebackPath { get; }

    /// <summary>The process's stdout: SPINNING (hang, many), READY and EXPECT lines.</summary>
    public string StdoutPath { get; }

    /// <summary>From READY: the process id.</summary>
    public int ProcessId { get; }

    /// <summary>From READY: time.Now() in the program's earliest init, Unix nanoseconds.</summary>
    public long StartUnixNanos { get; }

    /// <summary><see cref="StartUnixNanos"/> as a time (to the 100 ns tick).</summary>
    public DateTimeOffset StartTime => DateTimeOffset.UnixEpoch.AddTicks(StartUnixNanos / 100);

    /// <summary>From READY: runtime.NumGoroutine() (no system goroutines), including main and, in hang/many, the spinner.</summary>
    public int ReadyGoroutines { get; }

    /// <summary>The process's exit status as the shell saw it (134 = SIGABRT).</summary>
    public int ExitCode { get; }

    /// <summary>From EXPECT: goroutines the program parked, by the wait state the runtime prints ("chan receive", "sync.Mutex.Lock"); main, the crashing and the spinning goroutine not counted.</summary>
    public IReadOnlyDictionary<string, int> Expected { get; }

    /// <summary>From MANIFEST (grep over the main listing, before the first "-----"): goroutines per state, the bracket's text before the first ',' (system goroutines included).</summary>
    public IReadOnlyDictionary<string, int> TracebackStates { get; }

    /// <summary>hang and many: the Linux thread id of the spinning goroutine's locked thread (hang's SIGABRT went to it).</summary>
    public int? SpinningThreadId { get; }

    /// <summary>crash and segv: the panic message ("order 42: payment declined").</summary>
    public string? PanicMessage { get; }

    /// <summary>The "fatal error: …" message of the traceback (runtime.throw), from MANIFEST; null when there is none.</summary>
    public string? FatalError { get; }

    /// <summary>segv: "SIGSEGV" from the "[signal …]" line.</summary>
    public string? Signal { get; }

    /// <summary>segv: the faulting address from the "[signal …]" line (0).</summary>
    public ulong? FaultAddress { get; }

    /// <summary>The traceback read line by line here, keeping fp/sp/pc, gp/m/mp, per-thread blocks and registers.</summary>
    public GoTraceback Traceback => _traceback.Value;

    /// <inheritdoc/>
    public override string ToString() => $"{Build.Version}/{GoCoreBuild.Name(Mode)}";
}

/// <summary>One frame line pair of a GOTRACEBACK=crash traceback.</summary>
/// <param name="Function">"main.declinePayment", "runtime.gopark".</param>
/// <param name="Arguments">The arguments as printed ("0xc0000241e0?", "..." for an inlined frame).</param>
/// <param name="File">The file as printed (module path with -trimpath: "contoso.example/leaky/cores.go").</param>
/// <param name="Line">The line.</param>
/// <param name="Offset">"+0x5c": pc minus the function's entry; 0 for inlined frames (not printed).</param>
/// <param name="Fp">"fp=": the frame pointer the runtime's unwinder computed; null for inlined frames.</param>
/// <param name="Sp">"sp=".</param>
/// <param name="Pc">"pc=": the frame's pc as the runtime printed it (a return address for callers); null for inlined frames.</param>
public sealed record GoTracebackFrame(string Function, string Arguments, string File, int Line, long Offset, ulong? Fp, ulong? Sp, ulong? Pc)
{
    /// <summary>An inlined call: the runtime prints no +offset or fp/sp/pc for it.</summary>
    public bool Inlined => Pc is null;
}

/// <summary>One goroutine block of a GOTRACEBACK=crash traceback.</summary>
/// <param name="Id">The goroutine id (0 for an M's g0 in the per-thread blocks).</param>
/// <param name="Status">Everything in the brackets: "chan receive, locked to thread", "running".</param>
/// <param name="State">The part before the first ", " of <paramref name="Status"/> that is not minutes: "chan receive".</param>
/// <param name="Gp">"gp=" (Go 1.22+), the g's address.</param>
/// <param name="M">"m=": the M's id, null for "m=nil" or Go 1.21 (not printed).</param>
/// <param name="Mp">"mp=": the M's address.</param>
/// <param name="Frames">Innermost first, inlined frames included.</param>
/// <param name="CreatedBy">"created by F in goroutine N": F, or null.</param>
/// <param name="CreatedByGoroutine">N, or 0.</param>
/// <param name="LineNumber">1-based line of the header.</param>
public sealed record GoTracebackGoroutine(long Id, string Status, string State, ulong? Gp, int? M, ulong? Mp, IReadOnlyList<GoTracebackFrame> Frames, string? CreatedBy, long CreatedByGoroutine, int LineNumber)
{
    /// <summary>"locked to thread" in the header.</summary>
    public bool LockedToThread => Status.Contains("locked to thread", StringComparison.Ordinal);
}

/// <summary>A signal block: "SIGQUIT: quit" / "PC=… m=N sigcode=…", the goroutine the M was running, its registers.</summary>
/// <param name="Signal">"SIGABRT: abort", "SIGQUIT: quit".</param>
/// <param name="Pc">"PC=": where the thread was when the signal came.</param>
/// <param name="M">"m=": the M's id.</param>
/// <param name="SigCode">"sigcode=" as printed (SI_TKILL = 18446744073709551610 for tgkill).</param>
/// <param name="Goroutine">The goroutine printed for it (g0 "goroutine 0 … [idle]" when the M runs no goroutine).</param>
/// <param name="Registers">"rax" → value … "gs" → value, as printed.</param>
public sealed record GoTracebackThread(string Signal, ulong Pc, int M, string SigCode, GoTracebackGoroutine? Goroutine, IReadOnlyDictionary<string, ulong> Registers);

/// <summary>
/// A GOTRACEBACK=crash traceback read line by line, independently of GoroutineDumpParser: the goroutines
/// of the main listing, the crashing thread's signal block (hang, many) and each other M's block after "-----".
/// </summary>
public sealed class GoTraceback
{
    private GoTraceback(IReadOnlyList<GoTracebackGoroutine> goroutines, GoTracebackThread? crashing, IReadOnlyList<GoTracebackThread> threads, string? panic, string? signalLine)
    {
        Goroutines = goroutines;
        CrashingThread = crashing;
        Threads = threads;
        PanicMessage = panic;
        SignalLine = signalLine;
    }

    /// <summary>The goroutines of the main listing (before the first "-----"), in file order; each once.</summary>
    public IReadOnlyList<GoTracebackGoroutine> Goroutines { get; }

    /// <summary>hang, many: the block at the top ("SIGABRT: abort", PC, m) with the registers printed after the listing.</summary>
    public GoTracebackThread? CrashingThread { get; }

    /// <summary>hang, many: every other M's "SIGQUIT: quit" block after "-----".</summary>
    public IReadOnlyList<GoTracebackThread> Threads { get; }

    /// <summary>"panic: …" without the prefix.</summary>
    public string? PanicMessage { get; }

    /// <summary>segv: the "[signal SIGSEGV: … addr=0x0 pc=…]" line.</summary>
    public string? SignalLine { get; }

    /// <summary>Reads a traceback file.</summary>
    public static GoTraceback Read(string path)
    {
        string[] lines = File.ReadAllLines(path);
        var goroutines = new List<GoTracebackGoroutine>();
        var threads = new List<GoTracebackThread>();
        GoTracebackThread? crashing = null;
        string? panic = null, signalLine = null;
        (string Signal, ulong Pc, int M, string Code)? pendingSignal = null;
        GoTracebackGoroutine? blockGoroutine = null;
        var registers = new Dictionary<string, ulong>(StringComparer.Ordinal);
        bool afterSeparator = false;

        void FinishSignalBlock()
        {
            if (pendingSignal is { } s)
            {
                var t = new GoTracebackThread(s.Signal, s.Pc, s.M, s.Code, blockGoroutine, new ReadOnlyDictionary<string, ulong>(new Dictionary<string, ulong>(registers)));
                if (afterSeparator)
                    threads.Add(t);
                else
                    crashing = t;
            }

            pendingSignal = null;
            blockGoroutine = null;
            registers.Clear();
        }

        for (int i = 0; i < lines.Length; i++)
        {
            string line = lines[i];
            if (line == "-----")
            {
                FinishSignalBlock();
                afterSeparator = true;
            }
            else if (line.StartsWith("panic: ", StringComparison.Ordinal))
            {
                panic ??= line["panic: ".Length..];
            }
            else if (line.StartsWith("[signal ", StringComparison.Ordinal))
            {
                signalLine ??= line;
            }
            else if (line.StartsWith("SIG", StringComparison.Ordinal) && line.Contains(": ", StringComparison.Ordinal) && i + 1 < lines.Length && lines[i + 1].StartsWith("PC=", StringComparison.Ordinal))
            {
                var f = Fields(lines[++i]);
                pendingSignal = (line, Hex(f["PC"]), int.Parse(f["m"], CultureInfo.InvariantCulture), f["sigcode"]);
            }
            else if (line.StartsWith("goroutine ", StringComparison.Ordinal) && line.EndsWith("]:", StringComparison.Ordinal))
            {
                var g = ReadGoroutine(lines, ref i);
                if (afterSeparator)
                    blockGoroutine ??= g;
                else
                {
                    goroutines.Add(g);
                    if (pendingSignal is not null && blockGoroutine is null)
                        blockGoroutine = g;
                }
            }
            else if (RegisterLine(line) is { } reg)
            {
                registers[reg.Name] = reg.Value;
            }
        }

        FinishSignalBlock();
        return new GoTraceback(goroutines, crashing, threads, panic, signalLine);
    }

    private static GoTracebackGoroutine ReadGoroutine(string[] lines, ref int i)
    {
        int headerLine = i + 1;
        string header = lines[i];
        int open = header.IndexOf(" [", StringComparison.Ordinal);
        string status = header[(open + 2)..^2];
        var fields = Fields(header[..open]);
        long id = long.Parse(header["goroutine ".Length..].Split(' ')[0], CultureInfo.InvariantCulture);
        string state = status.Split(", ").First(p => !p.EndsWith(" minutes", StringComparison.Ordinal) && !p.EndsWith(" minute", StringComparison.Ordinal));
        var frames = new List<GoTracebackFrame>();
        string? createdBy = null;
        long createdIn = 0;
        while (i + 2 < lines.Length && lines[i + 1].Length > 0 && !lines[i + 1].StartsWith('\t') && lines[i + 2].StartsWith('\t'))
        {
            string fn = lines[i + 1], site = lines[i + 2][1..];
            i += 2;
            var (file, line, offset, fp, sp, pc) = Site(site);
            if (fn.StartsWith("created by ", StringComparison.Ordinal))
            {
                string rest = fn["created by ".Length..];
                int inG = rest.IndexOf(" in goroutine ", StringComparison.Ordinal);
                createdBy = inG < 0 ? rest : rest[..inG];
                createdIn = inG < 0 ? 0 : long.Parse(rest[(inG + " in goroutine ".Length)..], CultureInfo.InvariantCulture);
                break;
            }

            int paren = fn.LastIndexOf('(');
            frames.Add(new GoTracebackFrame(fn[..paren], fn[(paren + 1)..^1], file, line, offset, fp, sp, pc));
        }

        return new GoTracebackGoroutine(id, status, state,
            fields.TryGetValue("gp", out string? gp) ? Hex(gp) : null,
            fields.TryGetValue("m", out string? m) && m != "nil" ? int.Parse(m, CultureInfo.InvariantCulture) : null,
            fields.TryGetValue("mp", out string? mp) ? Hex(mp) : null,
            frames, createdBy, createdIn, headerLine);
    }

    /// <summary>"contoso.example/leaky/cores.go:208 +0x5c fp=0x… sp=0x… pc=0x…" (offset and fp/sp/pc optional).</summary>
    private static (string File, int Line, long Offset, ulong? Fp, ulong? Sp, ulong? Pc) Site(string site)
    {
        string[] parts = site.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        int colon = parts[0].LastIndexOf(':');
        string file = parts[0][..colon];
        int line = int.Parse(parts[0][(colon + 1)..], CultureInfo.InvariantCulture);
        long offset = parts.Length > 1 && parts[1].StartsWith("+0x", StringComparison.Ordinal) ? long.Parse(parts[1][3..], NumberStyles.HexNumber, CultureInfo.InvariantCulture) : 0;
        var f = Fields(site);
        return (file, line, offset, f.TryGetValue("fp", out string? fp) ? Hex(fp) : null, f.TryGetValue("sp", out string? sp) ? Hex(sp) : null, f.TryGetValue("pc", out string? pc) ? Hex(pc) : null);
    }

    private static Dictionary<string, string> Fields(string s)
    {
        var d = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (string token in s.Split(' ', StringSplitOptions.RemoveEmptyEntries))
        {
            int eq = token.IndexOf('=');
            if (eq > 0)
                d[token[..eq]] = token[(eq + 1)..];
        }

        return d;
    }

    private static (string Name, ulong Value)? RegisterLine(string line)
    {
        string[] parts = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        return parts.Length == 2 && parts[0].All(c => char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c)) && parts[1].StartsWith("0x", StringComparison.Ordinal)
            ? (parts[0], Hex(parts[1]))
            : null;
    }

    private static ulong Hex(string s) => ulong.Parse(s.StartsWith("0x", StringComparison.Ordinal) ? s[2..] : s, NumberStyles.HexNumber, CultureInfo.InvariantCulture);
}
