using System.Buffers.Binary;
using System.Globalization;
using System.Text;
using Analysis.Stacks;

namespace Analysis.Go.Core;

/// <summary>
/// Reads a Go program's core dump with its executable: the runtime's goroutines (runtime.allgs), each one's stack
/// unwound with the function table's frame sizes, the threads, the crash and the memory state. linux/amd64, Go 1.21+.
/// Internal; <see cref="GoCore"/> is the public face.
/// </summary>
internal sealed partial class GoCoreReader : IDisposable
{
    private const uint StatusRunning = 2, StatusSyscall = 3, StatusWaiting = 4, StatusDead = 6;
    private const int MaxFrames = 1000;
    private const int MaxGoroutines = 10_000_000;
    internal const string CoreExpected = "a core file of a Go program was expected (written by the kernel with ulimit -c unlimited, or by gcore)";
    internal const string ExecutableExpected = "the Go program's executable that wrote the core was expected";
    private static readonly string[] s_statusNames = ["idle", "runnable", "running", "syscall", "waiting", "moribund", "dead", "enqueue", "copystack", "preempted"];

    private readonly ElfImage _core;
    private readonly ElfImage _exe;
    private readonly List<string> _warnings = [];
    private readonly CoreNotes _notes;
    private ProcessMemory _mem = null!;
    private Pclntab _pcln = null!;
    private GoLayout _layout = null!;
    private ulong _gofunc;
    private ulong _types;
    private string[] _waitReasons = [];
    private Dictionary<string, ulong>? _entries;
    private ulong _bias;
    private (ulong Unix, long Nano)? _lastGc;
    private IProgress<WorkProgress>? _progress;
    private bool _executableGiven = true;

    private GoCoreReader(ElfImage core, ElfImage exe, CoreNotes notes)
    {
        _core = core;
        _exe = exe;
        _notes = notes;
    }

    public void Dispose()
    {
        _core.Dispose();
        _exe.Dispose();
    }

    /// <summary>Opens the core and its executable and reads everything; throws <see cref="AnalysisException"/> for what cannot be read at all.</summary>
    public static (GoCoreInfo Info, GoroutineDump Goroutines) Read(string corePath, string? executablePath, IProgress<WorkProgress>? progress, CancellationToken cancellationToken)
    {
        ElfImage core = ElfImage.Open(corePath, "Core", CoreExpected);
        ElfImage? exe = null;
        try
        {
            if (core.Type != ElfImage.TypeCore)
            {
                throw new AnalysisException(AnalysisErrorKind.WrongFormat, corePath, core.Type is ElfImage.TypeExecutable or ElfImage.TypeDynamic
                    ? $"'{corePath}' is an ELF executable or library, not a core dump. Pass the core as -Path and the program as -Executable."
                    : $"'{corePath}' is an ELF file of type {core.Type}, not a core dump; {CoreExpected}.");
            }

            if (core.Machine != ElfImage.MachineX86_64)
                throw new AnalysisException(AnalysisErrorKind.WrongFormat, corePath, $"Core '{corePath}' is for machine {core.Machine}; only linux/amd64 (x86-64) cores are read.");
            var notes = CoreNotes.Read(core);
            if (notes.Threads.Count == 0)
            {
                throw new AnalysisException(AnalysisErrorKind.Truncated, corePath,
                    $"Core '{corePath}' has no thread registers (no NT_PRSTATUS note){Problems(core)}: it is cut off or damaged. Capture it again.");
            }

            string exePath = executablePath ?? FindExecutable(corePath, notes);
            exe = ElfImage.Open(exePath, "Executable", ExecutableExpected);
            var reader = new GoCoreReader(core, exe, notes) { _executableGiven = executablePath is not null, _progress = progress };
            var result = reader.ReadAll(cancellationToken);
            exe = null;
            core = null!;
            reader.Dispose();
            return result;
        }
        catch (Exception e) when (e is not (AnalysisException or OperationCanceledException))
        {
            throw new AnalysisException(AnalysisErrorKind.WrongFormat, corePath, $"Core '{corePath}' could not be read: {e.Message}. It is damaged, or not a core of a Go program.", e);
        }
        finally
        {
            exe?.Dispose();
            core?.Dispose();
        }
    }

    private static string Problems(ElfImage image) => image.Problems.Count == 0 ? "" : " (" + string.Join("; ", image.Problems.Take(3)) + ")";

    private static string FindExecutable(string corePath, CoreNotes notes)
    {
        // The kernel lists mapped files in address order; the executable of a static Go binary is mapped first.
        string? named = notes.Files.OrderBy(f => f.Start).Select(f => f.Path).FirstOrDefault(p => p.StartsWith('/'));
        if (named is null)
        {
            throw new AnalysisException(AnalysisErrorKind.FileNotFound, corePath,
                $"Core '{corePath}' does not name its executable (no NT_FILE note). Pass the program's binary with -Executable.");
        }

        if (!File.Exists(named))
        {
            throw new AnalysisException(AnalysisErrorKind.FileNotFound, corePath,
                $"Core '{corePath}' was written by '{named}', which is not on this machine. Pass that program's binary (the same build) with -Executable.");
        }

        return named;
    }

    private (GoCoreInfo, GoroutineDump) ReadAll(CancellationToken ct)
    {
        string core = _core.Path, exe = _exe.Path;
        if (_exe.Type is not (ElfImage.TypeExecutable or ElfImage.TypeDynamic))
            throw new AnalysisException(AnalysisErrorKind.WrongFormat, exe, $"'{exe}' is not an executable (ELF type {_exe.Type}); {ExecutableExpected}.");
        // The function table: .gopclntab, or .data.rel.ro.gopclntab in a position-independent build.
        ElfSection? pclnSection = PclnSection();
        // (the executable the core itself names not being Go means the core is not a Go core: the error is about the core)
        byte[] pclnBytes = (pclnSection is null ? null : _exe.SectionBytes(pclnSection.Name)) ?? throw new AnalysisException(AnalysisErrorKind.WrongFormat, _executableGiven ? exe : core,
            $"'{exe}' is not a Go program (it has no .gopclntab section), so core '{core}' cannot be read as a Go process. "
            + (_executableGiven ? "Pass the Go program that wrote the core with -Executable." : "The core is of that program: only cores of Go programs are read."));
        long required = _core.Segments.Where(s => s.FileSize > 0).Select(s => (long)Math.Min(s.Offset + s.FileSize, long.MaxValue)).DefaultIfEmpty(0).Max();
        if (required > _core.Length)
            _warnings.Add(string.Create(CultureInfo.InvariantCulture, $"the core is truncated: {_core.Length:N0} of {required:N0} bytes; memory past that point is missing and goroutines whose stacks were there are incomplete"));

        _bias = LoadBias();
        _mem = new ProcessMemory(_core, _exe, _bias);
        // A position-independent build's table holds its text address as a relocation: read the relocated value the process had.
        ulong textStart = _bias == 0 ? 0 : _mem.U64(pclnSection!.Address + _bias + 24);
        _pcln = Pclntab.TryRead(pclnBytes, textStart, out string? problem)
            ?? throw new AnalysisException(AnalysisErrorKind.WrongFormat, exe, $"'{exe}': {problem}.");
        CheckSameProgram();
        string version = BuildInfoVersion() ?? "unknown";
        _layout = ChooseLayout(version);
        _lastGc = ReadLastGc();
        ReadModuleData();
        _waitReasons = ReadWaitReasons();
        ct.ThrowIfCancellationRequested();

        var threads = ReadThreads();
        var signalled = SignalledThread(threads);
        var (goroutines, crashing) = ReadGoroutines(threads, signalled, ct);
        var info = BuildInfo(version, threads, goroutines, crashing, signalled);
        string? panic = info.PanicValue is null ? null : info.PanicValue;
        var dump = new GoroutineDump(core, GoroutineDumpFormat.Traceback, goroutines, [], panic, null);
        return (info, dump);
    }

    /// <summary>The core must be of this executable: the Go build id note the kernel saved with the first page must match.</summary>
    private void CheckSameProgram()
    {
        ElfSection? note = _exe.Section(".note.go.buildid");
        var text = _exe.Segments.FirstOrDefault(s => s.IsLoad && (s.Flags & 1) != 0);
        ulong textAddress = (text?.VirtualAddress ?? 0) + _bias;
        bool coreHasText = text is not null && _core.Segments.Any(s => s.IsLoad && textAddress >= s.VirtualAddress && textAddress < s.VirtualAddress + Math.Max(s.MemorySize, s.FileSize));
        if (!coreHasText)
        {
            string maps = string.Join(", ", _notes.Files.Select(f => f.Path).Distinct().Take(4));
            throw new AnalysisException(AnalysisErrorKind.WrongFormat, _core.Path,
                $"Core '{_core.Path}' was not written by '{_exe.Path}': the process had nothing mapped where the program's code goes (0x{textAddress:x}). "
                + (maps.Length > 0 ? $"The core maps {maps}. " : "") + "Pass the executable that wrote the core with -Executable; a core of a non-Go program cannot be read.");
        }

        if (note is null)
        {
            _warnings.Add("the executable has no Go build id note, so the core could not be checked against it");
            return;
        }

        byte[] expected = new byte[note.Size];
        byte[] actual = new byte[note.Size];
        if (note.Size > 4096 || _exe.ReadAt((long)note.Offset, expected) != expected.Length)
            return;
        var coreOnly = new ProcessMemory(_core, null, 0);
        if (!coreOnly.TryRead(note.Address + _bias, actual))
        {
            _warnings.Add("the core does not hold the program's first page (coredump_filter without ELF headers), so it could not be checked against the executable's build id");
            return;
        }

        if (!actual.AsSpan().SequenceEqual(expected))
        {
            throw new AnalysisException(AnalysisErrorKind.WrongFormat, _exe.Path,
                $"Executable '{_exe.Path}' is not the build that wrote core '{_core.Path}': its Go build id is {GoBuildId(expected)}, the core's is {GoBuildId(actual)}. "
                + "Pass the exact binary the crashed process ran (same source, toolchain and flags) with -Executable.");
        }
    }

    private static string GoBuildId(byte[] note)
    {
        if (note.Length < 16)
            return "(none)";
        int nameSize = BinaryPrimitives.ReadInt32LittleEndian(note), descSize = BinaryPrimitives.ReadInt32LittleEndian(note.AsSpan(4));
        int start = 12 + ((nameSize + 3) & ~3);
        if (nameSize < 0 || descSize < 0 || start + descSize > note.Length)
            return "(unreadable)";
        string id = Encoding.ASCII.GetString(note, start, descSize);
        return $"'{(id.Length > 40 ? id[..40] + "…" : id)}'";
    }

    /// <summary>The Go version from .go.buildinfo (Go 1.18+ inline form), which survives stripping.</summary>
    private string? BuildInfoVersion()
    {
        byte[]? info = _exe.SectionBytes(".go.buildinfo");
        if (info is null || info.Length < 33 || info[0] != 0xff || !info.AsSpan(1, 13).SequenceEqual(" Go buildinf:"u8))
            return SymbolString("runtime.buildVersion");
        if ((info[15] & 2) == 0)
            return SymbolString("runtime.buildVersion");
        int pos = 32;
        ulong len = 0;
        for (int shift = 0; pos < info.Length && shift < 35; shift += 7)
        {
            byte b = info[pos++];
            len |= (ulong)(b & 0x7f) << shift;
            if ((b & 0x80) == 0)
                break;
        }

        return len is > 0 and < 64 && pos + (int)len <= info.Length ? Encoding.UTF8.GetString(info, pos, (int)len) : null;
    }

    private ElfSection? PclnSection() => _exe.Section(".gopclntab") ?? _exe.Section(".data.rel.ro.gopclntab");

    /// <summary>A symbol's run-time address (its link-time value plus the load bias of a position-independent executable) and size.</summary>
    private (ulong Value, ulong Size)? Sym(string name) => _exe.Symbol(name) is { } s ? (s.Value + _bias, s.Size) : null;

    /// <summary>
    /// Where a position-independent executable (-buildmode=pie) was loaded: the core's file list (NT_FILE) maps its
    /// first page at the bias plus its lowest segment's link-time address. 0 for ordinary (ET_EXEC) Go binaries.
    /// </summary>
    private ulong LoadBias()
    {
        if (_exe.Type != ElfImage.TypeDynamic)
            return 0;
        ulong lowest = _exe.Segments.Where(s => s.IsLoad).Select(s => s.VirtualAddress & ~0xfffUL).DefaultIfEmpty(0UL).Min();
        string name = Path.GetFileName(_exe.Path);
        var mapping = _notes.Files.Where(f => f.PageOffset == 0 && (f.Path == _exe.Path || Path.GetFileName(f.Path) == name)).OrderBy(f => f.Start).FirstOrDefault();
        if (mapping.Path is null)
        {
            _warnings.Add($"the executable is position-independent and the core's file list does not show where '{name}' was loaded");
            return 0;
        }

        return mapping.Start - lowest;
    }

    private string? SymbolString(string name) => Sym(name) is { } s ? _mem.GoStringAt(s.Value, 64) : null;

    private GoLayout ChooseLayout(string version)
    {
        GoLayout? layout = GoDwarfLayout.TryRead(_exe, out string? why);
        if (layout is not null)
            return layout;
        layout = GoLayout.FromTable(version);
        if (layout is not null)
        {
            if (why is not null && _exe.Section(".debug_info") is not null)
                _warnings.Add($"the runtime's struct layouts came from the built-in {GoLayout.MinorVersion(version)} table: {why}");
            return layout;
        }

        throw new AnalysisException(AnalysisErrorKind.WrongFormat, _exe.Path,
            $"'{_exe.Path}' was built by {version}, and it has no usable DWARF to read the runtime's layout from ({why ?? "stripped"}); without DWARF only "
            + $"{string.Join(", ", GoLayout.TableVersions)} are known. Rebuild without -ldflags=-w to read its cores.");
    }

    private void ReadModuleData()
    {
        ulong md = Sym("runtime.firstmoduledata")?.Value ?? FindModuleData();
        if (md == 0)
        {
            _warnings.Add("runtime.firstmoduledata was not found: inlined frames and type names are not shown");
            return;
        }

        _gofunc = _mem.U64(md + _layout["moduledata.gofunc"]);
        _types = _mem.U64(md + _layout["moduledata.types"]);
    }

    /// <summary>A stripped binary: moduledata is the data word that points at the pclntab (its first field, pcHeader).</summary>
    private ulong FindModuleData()
    {
        ulong pcHeader = PclnSection() is { } pcln ? pcln.Address + _bias : 0;
        foreach (string name in new[] { ".noptrdata", ".data" })
        {
            if (_exe.Section(name) is not { } s || pcHeader == 0)
                continue;
            byte[] data = new byte[Math.Min(s.Size, 64UL << 20)];
            if (!_mem.TryRead(s.Address + _bias, data))
                continue;
            for (int i = 0; i + 8 <= data.Length; i += 8)
            {
                if (BinaryPrimitives.ReadUInt64LittleEndian(data.AsSpan(i)) == pcHeader)
                    return s.Address + _bias + (ulong)i;
            }
        }

        return 0;
    }

    private string[] ReadWaitReasons()
    {
        if (Sym("runtime.waitReasonStrings") is { } sym && sym.Size is > 0 and < 16 * 1024)
        {
            int n = (int)(sym.Size / 16);
            var names = new string[n];
            for (int i = 0; i < n; i++)
                names[i] = _mem.GoStringAt(sym.Value + (ulong)(16 * i), 128) ?? "";
            return names;
        }

        return FindWaitReasons();
    }

    private ulong Entry(string function)
    {
        if (_entries is null)
        {
            _entries = new Dictionary<string, ulong>(StringComparer.Ordinal);
            foreach (var f in AllFunctions())
                _entries.TryAdd(f.Name, f.Entry);
        }

        return _entries.TryGetValue(function, out ulong entry) ? entry : 0;
    }

    private IEnumerable<GoFunc> AllFunctions()
    {
        ulong last = 0;
        for (int i = 0; i < _pcln.FunctionCount; i++)
        {
            // Walk by entry: Find(entry) of each function in table order.
            if (_pcln.FunctionAt(i) is { } f && f.Entry >= last)
            {
                last = f.Entry;
                yield return f;
            }
        }
    }

    private Dictionary<ulong, ThreadState> ReadThreads()
    {
        var byM = new Dictionary<ulong, ThreadState>();
        foreach (var t in _notes.Threads)
        {
            ulong g = t.FsBase != 0 ? _mem.U64(t.FsBase - 8) : 0;
            ulong m = g != 0 ? _mem.U64(g + _layout["g.m"]) : 0;
            if (m == 0 || _mem.U64(m + _layout["m.procid"]) != (ulong)t.Id)
            {
                // Go code keeps g in R14 (ABIInternal); try it when TLS does not lead to this thread's M.
                g = t.R14;
                m = g != 0 ? _mem.U64(g + _layout["g.m"]) : 0;
                if (m == 0 || _mem.U64(m + _layout["m.procid"]) != (ulong)t.Id)
                {
                    byM[ulong.MaxValue - (ulong)byM.Count] = new ThreadState(t, 0, 0, 0, 0, 0, -1);
                    continue;
                }
            }

            byM[m] = new ThreadState(t, g, m, _mem.U64(m + _layout["m.curg"]), _mem.U64(m + _layout["m.g0"]), _mem.U64(m + _layout["m.gsignal"]), (long)_mem.U64(m + _layout["m.id"]));
        }

        return byM;
    }

    private sealed record ThreadState(CoreThread Thread, ulong G, ulong M, ulong CurG, ulong G0, ulong GSignal, long MId);

    private (List<Goroutine>, ulong Crashing) ReadGoroutines(Dictionary<ulong, ThreadState> threads, ThreadState? signalled, CancellationToken ct)
    {
        var (array, count) = AllGs(threads);
        var list = new List<Goroutine>();
        ulong crashing = signalled?.CurG ?? 0;
        long now = EstimateNow();
        for (ulong i = 0; i < count; i++)
        {
            if ((i & 1023) == 0)
            {
                ct.ThrowIfCancellationRequested();
                _progress?.Report(new WorkProgress("Reading goroutines", "", (long)i, (long)count));
            }
            ulong gp = _mem.U64(array + (8 * i));
            if (gp == 0)
                continue;
            uint status = _mem.U32(gp + _layout["g.atomicstatus"]) & ~0x1000u;
            if (status == StatusDead)
                continue;
            list.Add(ReadGoroutine(gp, status, threads, gp == crashing, now));
        }

        // The runtime prints the crashing goroutine first.
        int at = list.FindIndex(g => g.Address == crashing);
        if (at > 0)
        {
            var first = list[at];
            list.RemoveAt(at);
            list.Insert(0, first);
        }

        return (list, crashing);
    }

    private (ulong Array, ulong Count) AllGs(Dictionary<ulong, ThreadState> threads)
    {
        if (Sym("runtime.allgs") is { } sym)
        {
            ulong array = _mem.U64(sym.Value);
            ulong len = _mem.U64(sym.Value + 8);
            if (len <= MaxGoroutines && array != 0)
                return (array, len);
            _warnings.Add(string.Create(CultureInfo.InvariantCulture, $"runtime.allgs is unreadable (length {len:N0})"));
            return (0, 0);
        }

        return FindAllGs(threads);
    }

    /// <summary>
    /// A monotonic nanotime on the wall clock, through the one moment the runtime records both (the end of the last
    /// GC: memstats.last_gc_unix and last_gc_nanotime); null before the first GC or without symbols.
    /// </summary>
    private DateTimeOffset? WallClock(long nanotime)
    {
        if (_lastGc is not { } lastGc)
            return null;
        var (unix, mono) = lastGc;
        if (unix == 0 || unix > 1UL << 62 || mono <= 0)
            return null;
        long delta = mono - nanotime;
        return DateTimeOffset.UnixEpoch.AddTicks((long)(unix / 100)).AddTicks(-delta / 100);
    }

    /// <summary>The end of the last GC on both clocks (memstats.last_gc_unix, last_gc_nanotime), read once; null without symbols.</summary>
    private (ulong Unix, long Nano)? ReadLastGc() => Sym("runtime.memstats") is { } ms
        ? (_mem.U64(ms.Value + _layout["mstats.last_gc_unix"]), (long)_mem.U64(ms.Value + _layout["mstats.last_gc_nanotime"]))
        : null;

    private long EstimateNow()
    {
        long now = Math.Max(0, _lastGc?.Nano ?? 0);
        if (Sym("runtime.sched") is { } sched)
            now = Math.Max(now, (long)_mem.U64(sched.Value + _layout["schedt.lastpoll"]));
        return now;
    }

    private Goroutine ReadGoroutine(ulong gp, uint status, Dictionary<ulong, ThreadState> threads, bool crashing, long now)
    {
        long id = (long)_mem.U64(gp + _layout["g.goid"]);
        byte reason = _mem.U8(gp + _layout["g.waitreason"]);
        string state = status == StatusWaiting
            ? (reason < _waitReasons.Length ? _waitReasons[reason] : "unknown wait reason")
            : status < s_statusNames.Length ? s_statusNames[status] : string.Create(CultureInfo.InvariantCulture, $"status {status}");
        long waitSince = (long)_mem.U64(gp + _layout["g.waitsince"]);
        int minutes = (status is StatusWaiting or StatusSyscall) && waitSince != 0 && now > waitSince ? (int)Math.Min(int.MaxValue, (now - waitSince) / 60_000_000_000L) : 0;
        ulong m = _mem.U64(gp + _layout["g.m"]);
        threads.TryGetValue(m, out ThreadState? thread);
        bool onThread = thread is not null && thread.CurG == gp;

        var frames = new List<StackFrameInfo>();
        bool elided = false;
        string? note = null;
        if (status == StatusSyscall && _mem.U64(gp + _layout["g.syscallsp"]) is var ssp and not 0)
        {
            elided = Unwind(_mem.U64(gp + _layout["g.syscallpc"]), ssp, false, frames);
        }
        else if (status == StatusRunning && onThread && InterruptedContext(thread!, gp) is { } ctx)
        {
            elided = Unwind(ctx.Pc, ctx.Sp, ctx.Trap, frames);
        }
        else if (_mem.U64(gp + _layout["g.sched"] + _layout["gobuf.sp"]) is var sp and not 0)
        {
            elided = Unwind(_mem.U64(gp + _layout["g.sched"] + _layout["gobuf.pc"]), sp, false, frames);
        }
        else
        {
            note = "stack unavailable";
        }

        if (crashing)
            DropFatalPanicFrames(frames);

        ulong gopc = _mem.U64(gp + _layout["g.gopc"]);
        StackFrameInfo? createdBy = null;
        if (id != 1 && _pcln.Find(gopc) is { } cf)
        {
            ulong tracepc = gopc > cf.Entry ? gopc - 1 : gopc;
            var (file, line) = cf.FileLine(tracepc);
            createdBy = new StackFrameInfo(PrintName(cf.Name), GoFunctions.PackageOf(cf.Name), FrameKind.Go) { File = file, Line = line, Offset = (long)(gopc - cf.Entry), InstructionPointer = gopc };
        }

        return new Goroutine
        {
            Id = id,
            State = state,
            WaitMinutes = minutes,
            WaitingSince = status is StatusWaiting or StatusSyscall && waitSince > 0 ? WallClock(waitSince) : null,
            LockedToThread = _mem.U64(gp + _layout["g.lockedm"]) != 0,
            Frames = frames.ToArray(),
            FramesElided = elided,
            CreatedBy = createdBy,
            CreatedByGoroutine = createdBy is null ? 0 : (long)_mem.U64(gp + _layout["g.parentGoid"]),
            ThreadId = onThread ? thread!.Thread.Id : 0,
            M = m != 0 && thread is not null ? thread.MId : -1,
            Address = gp,
            Note = note,
        };
    }

    /// <summary>
    /// The runtime prints a fatally panicking goroutine from fatalpanic's caller (it passes getcallerpc/sp to its
    /// traceback), while its saved state is inside systemstack: drop the frames up to fatalpanic/fatalthrow to match.
    /// </summary>
    private static void DropFatalPanicFrames(List<StackFrameInfo> frames)
    {
        int at = frames.FindIndex(f => f.Function is "runtime.fatalpanic" or "runtime.fatalthrow");
        if (at >= 0 && at < 8)
            frames.RemoveRange(0, at + 1);
    }

    /// <summary>
    /// The thread the fatal signal came to. Under GOTRACEBACK=crash the runtime relays SIGQUIT to every other thread so
    /// each prints its stack, and the last one may raise the final SIGABRT (Go 1.21, 1.22): the thread whose first
    /// (outermost) signal frame is not a SIGQUIT is the one that got the signal, or that panicked. Else the thread the
    /// kernel wrote first.
    /// </summary>
    private ThreadState? SignalledThread(Dictionary<ulong, ThreadState> threads)
    {
        ThreadState? first = null;
        foreach (var t in _notes.Threads)
        {
            var state = threads.Values.FirstOrDefault(s => s.Thread == t);
            first ??= state;
            if (state is null || state.GSignal == 0)
                continue;
            var (lo, hi) = (_mem.U64(state.GSignal + _layout["g.stack"]), _mem.U64(state.GSignal + _layout["g.stack"] + 8));
            if (t.Rsp < lo || t.Rsp >= hi)
                continue;
            var frames = SignalContexts(t.Rsp, hi).ToList();
            if (frames.Count > 0 && frames[^1].Signal is not (0 or 3))
                return state;
        }

        return first;
    }

    /// <summary>
    /// Where a goroutine running on a thread was when the core was written: the thread's registers when it was on the
    /// goroutine's stack; the context the kernel saved when it was in a signal handler (GOTRACEBACK=crash makes every
    /// thread print its stack in one); the goroutine's saved state when the thread had switched to its system stack.
    /// </summary>
    private (ulong Pc, ulong Sp, bool Trap)? InterruptedContext(ThreadState thread, ulong gp)
    {
        var (lo, hi) = (_mem.U64(gp + _layout["g.stack"]), _mem.U64(gp + _layout["g.stack"] + 8));
        var t = thread.Thread;
        if (t.Rsp >= lo && t.Rsp < hi)
            return (t.Rip, t.Rsp, true);
        // In a signal handler the thread is on its M's signal stack (g may not be switched to gsignal yet: sigfwdgo runs first).
        ulong gsignal = thread.GSignal;
        var (slo, shi) = gsignal == 0 ? (0UL, 0UL) : (_mem.U64(gsignal + _layout["g.stack"]), _mem.U64(gsignal + _layout["g.stack"] + 8));
        if (t.Rsp >= slo && t.Rsp < shi)
        {
            // Signals can nest on the signal stack (the runtime re-raises the fatal one): take the frame that interrupted this goroutine.
            foreach (var sig in SignalContexts(t.Rsp, shi))
            {
                if (sig.Sp >= lo && sig.Sp < hi)
                    return (sig.Pc, sig.Sp, true);
            }
        }

        ulong sp = _mem.U64(gp + _layout["g.sched"] + _layout["gobuf.sp"]);
        return sp != 0 ? (_mem.U64(gp + _layout["g.sched"] + _layout["gobuf.pc"]), sp, false) : null;
    }

    /// <summary>The registers the kernel saved for each signal delivered on this stack, innermost first: the ucontext after runtime.sigreturn__sigaction's address.</summary>
    private IEnumerable<(ulong Pc, ulong Sp, int Signal)> SignalContexts(ulong sp, ulong hi)
    {
        ulong restorer = Entry("runtime.sigreturn__sigaction");
        if (restorer == 0)
            restorer = Entry("runtime.sigreturn");
        if (restorer == 0 || hi <= sp || hi - sp > 1 << 20)
            yield break;
        var stack = new byte[hi - sp];
        if (!_mem.TryRead(sp, stack))
            yield break;
        for (int i = 0; i + 8 <= stack.Length; i += 8)
        {
            if (BinaryPrimitives.ReadUInt64LittleEndian(stack.AsSpan(i)) != restorer)
                continue;
            // rt_sigframe: pretcode, then ucontext (uc_flags, uc_link, uc_stack[24], uc_mcontext: r8…r15, rdi, rsi, rbp, rbx, rdx, rax, rcx, rsp, rip).
            ulong mcontext = sp + (ulong)i + 8 + 40;
            // After the ucontext (flags, link, stack, mcontext[256], sigmask: 304 bytes) comes the siginfo, si_signo first.
            yield return (_mem.U64(mcontext + (16 * 8)), _mem.U64(mcontext + (15 * 8)), (int)_mem.U32(sp + (ulong)i + 8 + 304));
        }
    }

    /// <summary>Unwinds from (pc, sp) with the function table's frame sizes, expanding inlined calls; true when cut at <see cref="MaxFrames"/>.</summary>
    private bool Unwind(ulong pc, ulong sp, bool trap, List<StackFrameInfo> frames)
    {
        for (int n = 0; n < MaxFrames; n++)
        {
            if (_pcln.Find(pc) is not { } f || f.SpDelta(pc) is not { } delta || delta < 0)
            {
                if (pc != 0)
                    frames.Add(new StackFrameInfo(string.Create(CultureInfo.InvariantCulture, $"0x{pc:x}"), null, FrameKind.Native) { InstructionPointer = pc, StackPointer = sp });
                return false;
            }

            ulong symPc = trap || pc == f.Entry ? pc : pc - 1;
            AddFrames(f, pc, symPc, sp, frames);
            if (f.IsTopFrame || f.WritesSp)
                return false;
            ulong fp = sp + (ulong)delta + 8;
            if (!_mem.TryReadU64(fp - 8, out ulong lr) || lr == 0)
                return false;
            trap = f.Name is "runtime.sigpanic" or "runtime.asyncPreempt";
            pc = lr;
            sp = fp;
        }

        return true;
    }

    private void AddFrames(GoFunc f, ulong pc, ulong symPc, ulong sp, List<StackFrameInfo> frames)
    {
        ulong tracepc = symPc;
        if (_gofunc != 0 && f.Funcdata(Pclntab.FuncdataInlTree) is { } inlOff)
        {
            ulong tree = _gofunc + inlOff;
            for (int depth = 0; depth < 100 && f.Pcdata(Pclntab.PcdataInlTreeIndex, tracepc) is { } ix && ix >= 0; depth++)
            {
                ulong entry = tree + ((ulong)ix * 16);
                int nameOff = (int)_mem.U32(entry + 4);
                int parentPc = (int)_mem.U32(entry + 8);
                string name = f.NameAt(nameOff);
                var (ifile, iline) = f.FileLine(tracepc);
                frames.Add(new StackFrameInfo(PrintName(name), GoFunctions.PackageOf(name), FrameKind.Go) { File = ifile, Line = iline, Inlined = true, Arguments = "...", InstructionPointer = pc, StackPointer = sp });
                tracepc = f.Entry + (ulong)(uint)parentPc;
            }
        }

        var (file, line) = f.FileLine(tracepc);
        frames.Add(new StackFrameInfo(PrintName(f.Name), GoFunctions.PackageOf(f.Name), FrameKind.Go) { File = file, Line = line, Offset = (long)(pc - f.Entry), InstructionPointer = pc, StackPointer = sp });
    }

    /// <summary>The runtime's funcNameForPrint: type arguments of generic functions print as "...".</summary>
    private static string PrintName(string name)
    {
        if (name == "runtime.gopanic")
            return "panic"; // as the runtime's printFuncName does
        int open = name.IndexOf('[', StringComparison.Ordinal);
        if (open < 0)
            return name;
        var sb = new StringBuilder();
        int depth = 0;
        foreach (char c in name)
        {
            if (c == '[')
            {
                if (depth++ == 0)
                    sb.Append("[...");
            }
            else if (c == ']')
            {
                if (--depth == 0)
                    sb.Append(']');
            }
            else if (depth == 0)
            {
                sb.Append(c);
            }
        }

        return sb.ToString();
    }
}
