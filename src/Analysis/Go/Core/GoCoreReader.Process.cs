using System.Buffers.Binary;
using System.Globalization;
using System.Text;

namespace Analysis.Go.Core;

/// <summary>The crash, the threads and the memory state; and finding the runtime's tables in a stripped binary.</summary>
internal sealed partial class GoCoreReader
{
    private static readonly Dictionary<int, string> s_signals = new()
    {
        [1] = "SIGHUP", [2] = "SIGINT", [3] = "SIGQUIT", [4] = "SIGILL", [5] = "SIGTRAP", [6] = "SIGABRT", [7] = "SIGBUS", [8] = "SIGFPE",
        [9] = "SIGKILL", [10] = "SIGUSR1", [11] = "SIGSEGV", [12] = "SIGUSR2", [13] = "SIGPIPE", [14] = "SIGALRM", [15] = "SIGTERM", [17] = "SIGCHLD", [18] = "SIGCONT", [19] = "SIGSTOP", [20] = "SIGTSTP", [31] = "SIGSYS",
    };

    internal static string SignalName(int signal) => s_signals.TryGetValue(signal, out string? name) ? name : string.Create(CultureInfo.InvariantCulture, $"signal {signal}");

    private GoCoreInfo BuildInfo(string version, Dictionary<ulong, ThreadState> threads, List<Goroutine> goroutines, ulong crashing, ThreadState? signalled)
    {
        var byAddress = goroutines.ToDictionary(g => g.Address);
        var threadList = threads.Values.OrderBy(t => _notes.Threads.IndexOf(t.Thread)).Select(t => new GoThread(
            t.Thread.Id, t.MId, t.CurG != 0 && byAddress.TryGetValue(t.CurG, out var g) ? g.Id : 0, t.Thread.Rip, _pcln.Find(t.Thread.Rip)?.Name)).ToList();

        string? faultSignal = null;
        ulong? faultAddress = null, faultPc = null;
        string? panicValue = null, panicType = null;
        long crashingId = 0;
        if (crashing != 0 && byAddress.TryGetValue(crashing, out var crashed))
        {
            crashingId = crashed.Id;
            uint sig = _mem.U32(crashing + _layout["g.sig"]);
            if (sig != 0)
            {
                faultSignal = SignalName((int)sig);
                faultAddress = _mem.U64(crashing + _layout["g.sigcode1"]);
                faultPc = _mem.U64(crashing + _layout["g.sigpc"]);
            }
        }

        // The panic: on the crashing goroutine, else on any goroutine (a panic raised while another thread wrote the core).
        foreach (ulong gp in new[] { crashing }.Concat(goroutines.Select(g => g.Address)))
        {
            ulong p = gp == 0 ? 0 : _mem.U64(gp + _layout["g._panic"]);
            if (p == 0)
                continue;
            (panicValue, panicType) = PanicValue(p + _layout["_panic.arg"]);
            if (crashingId == 0 && byAddress.TryGetValue(gp, out var panicking))
                crashingId = panicking.Id;
            break;
        }

        if (panicValue is null && FatalErrorMessage(crashing, signalled) is { } fatal)
            (panicValue, panicType) = (fatal, "fatal error");

        return new GoCoreInfo
        {
            Path = _core.Path,
            Executable = _exe.Path,
            GoVersion = version,
            ProcessId = _notes.ProcessId,
            CommandLine = _notes.CommandLine,
            Signal = SignalName(_notes.SignalNumber != 0 ? _notes.SignalNumber : _notes.Threads[0].CurrentSignal),
            FaultSignal = faultSignal,
            FaultAddress = faultAddress,
            FaultPc = faultPc,
            CrashingGoroutine = crashingId,
            CrashingThread = signalled?.Thread.Id ?? _notes.Threads[0].Id,
            PanicValue = panicValue,
            PanicType = panicType,
            Threads = [.. threadList],
            GoroutineCount = goroutines.Count,
            Memory = ReadMemoryState(),
            LayoutSource = _layout.Source,
            Warnings = [.. _warnings.Concat(_core.Problems).Concat(_exe.Problems).Distinct()],
        };
    }

    /// <summary>
    /// The panic value as the runtime printed it. Before printing, the runtime replaces an error or Stringer value by
    /// the string its method returned (preprintpanics), so a crashed process's panic holds a plain string for those.
    /// </summary>
    private (string? Value, string? Type) PanicValue(ulong eface)
    {
        ulong type = _mem.U64(eface), data = _mem.U64(eface + 8);
        if (type == 0)
            return ("nil", null);
        string typeName = TypeName(type) ?? "?";
        int kind = _mem.U8(type + _layout["Type.Kind_"]) & 0x1f;
        string? text = kind switch
        {
            24 => _mem.GoStringAt(data, 4096), // string
            1 => _mem.U8(data) != 0 ? "true" : "false",
            2 or 6 => ((long)_mem.U64(data)).ToString(CultureInfo.InvariantCulture), // int, int64
            3 => ((sbyte)_mem.U8(data)).ToString(CultureInfo.InvariantCulture),
            5 => ((int)_mem.U32(data)).ToString(CultureInfo.InvariantCulture),
            7 or 11 or 12 => _mem.U64(data).ToString(CultureInfo.InvariantCulture), // uint, uint64, uintptr
            10 => _mem.U32(data).ToString(CultureInfo.InvariantCulture),
            14 => BitConverter.Int64BitsToDouble((long)_mem.U64(data)).ToString("R", CultureInfo.InvariantCulture),
            _ => null,
        };
        if (text is null)
            return (string.Create(CultureInfo.InvariantCulture, $"({typeName}) 0x{data:x}"), typeName);
        // A named basic type prints as T(value), as printanycustomtype does: main.Code(7), main.Msg("x").
        bool named = typeName.Contains('.', StringComparison.Ordinal);
        return (named ? (kind == 24 ? $"{typeName}(\"{text}\")" : $"{typeName}({text})") : text, typeName);
    }

    /// <summary>
    /// The message of a fatal error (runtime.throw or runtime.fatal: "all goroutines are asleep - deadlock!", "concurrent
    /// map writes"). Both print it from a closure run on the system stack, so the closure (its code pointer, then the
    /// message's pointer and length) sits in throw's frame: look for it on the crashing thread's stack and the crashing
    /// goroutine's.
    /// </summary>
    private string? FatalErrorMessage(ulong crashingG, ThreadState? thread)
    {
        var closures = new HashSet<ulong>();
        foreach (string name in new[] { "runtime.throw.func1", "runtime.fatal.func1" })
        {
            if (Entry(name) is var e and not 0)
                closures.Add(e);
        }

        if (closures.Count == 0)
            return null;
        var ranges = new List<(ulong From, ulong To)> { (_notes.Threads[0].Rsp, _notes.Threads[0].Rsp + (256 << 10)) };
        if (thread is not null && thread.Thread != _notes.Threads[0])
            ranges.Add((thread.Thread.Rsp, thread.Thread.Rsp + (256 << 10)));
        foreach (ulong g in new[] { crashingG, thread?.G0 ?? 0, thread?.GSignal ?? 0 })
        {
            if (g != 0)
                ranges.Add((_mem.U64(g + _layout["g.stack"]), _mem.U64(g + _layout["g.stack"] + 8)));
        }

        var buffer = new byte[8 << 10];
        foreach (var (from, to) in ranges)
        {
            for (ulong at = from & ~7UL; at < to && to - from <= 1 << 20; at += (ulong)buffer.Length - 16)
            {
                int n = (int)Math.Min((ulong)buffer.Length, to - at);
                if (n < 24 || !_mem.TryRead(at, buffer.AsSpan(0, n)))
                    break;
                for (int i = 0; i + 24 <= n; i += 8)
                {
                    if (!closures.Contains(BinaryPrimitives.ReadUInt64LittleEndian(buffer.AsSpan(i))))
                        continue;
                    ulong p = BinaryPrimitives.ReadUInt64LittleEndian(buffer.AsSpan(i + 8)), len = BinaryPrimitives.ReadUInt64LittleEndian(buffer.AsSpan(i + 16));
                    if (len is > 0 and < 4096 && _mem.GoString(p, len, 4096) is { } message)
                        return message;
                }
            }
        }

        return null;
    }

    /// <summary>A runtime type's name (abi.Type.Str: an offset into the module's type names).</summary>
    private string? TypeName(ulong type)
    {
        if (_types == 0)
            return null;
        int str = (int)_mem.U32(type + _layout["Type.Str"]);
        byte tflag = _mem.U8(type + _layout["Type.TFlag"]);
        ulong at = _types + (ulong)(uint)str + 1;
        ulong len = 0;
        for (int shift = 0; shift < 21; shift += 7)
        {
            byte b = _mem.U8(at++);
            len |= (ulong)(b & 0x7f) << shift;
            if ((b & 0x80) == 0)
                break;
        }

        string? name = _mem.GoString(at, len, 256);
        return name is not null && (tflag & 2) != 0 && name.StartsWith('*') ? name[1..] : name;
    }

    private GoMemoryState? ReadMemoryState()
    {
        if (Sym("runtime.memstats") is not { } ms || Sym("runtime.gcController") is not { } gc)
        {
            _warnings.Add("the binary has no symbol table (-ldflags=-s), so runtime.memstats could not be found: no memory state");
            return null;
        }

        ulong m = ms.Value, c = gc.Value;
        uint numgc = _mem.U32(m + _layout["mstats.numgc"]);
        var (lastUnix, lastNano) = _lastGc ?? default;
        long init = Sym("runtime.runtimeInitTime") is { } it ? (long)_mem.U64(it.Value) : 0;
        DateTimeOffset? lastGc = numgc > 0 && lastUnix > 0 && lastUnix < 1UL << 62 ? DateTimeOffset.UnixEpoch.AddTicks((long)(lastUnix / 100)) : null;
        DateTimeOffset? start = lastGc is not null && init > 0 && lastNano >= init ? WallClock(init) : null;
        return new GoMemoryState
        {
            HeapLive = _mem.U64(c + _layout["gcControllerState.heapLive"]),
            HeapMarked = _mem.U64(c + _layout["gcControllerState.heapMarked"]),
            HeapGoal = _mem.U64(c + _layout["gcControllerState.gcPercentHeapGoal"]),
            HeapInUse = _mem.U64(c + _layout["gcControllerState.heapInUse"]),
            TotalAlloc = _mem.U64(c + _layout["gcControllerState.totalAlloc"]),
            TotalFree = _mem.U64(c + _layout["gcControllerState.totalFree"]),
            GcPercent = (int)_mem.U32(c + _layout["gcControllerState.gcPercent"]),
            MemoryLimit = (long)_mem.U64(c + _layout["gcControllerState.memoryLimit"]),
            NumGC = numgc,
            NumForcedGC = _mem.U32(m + _layout["mstats.numforcedgc"]),
            LastGC = lastGc,
            PauseTotal = TimeSpan.FromTicks((long)Math.Min(_mem.U64(m + _layout["mstats.pause_total_ns"]) / 100, (ulong)TimeSpan.MaxValue.Ticks)),
            GCCPUFraction = BitConverter.Int64BitsToDouble((long)_mem.U64(m + _layout["mstats.gc_cpu_fraction"])),
            ProcessStart = start,
            RuntimeInitNanotime = init,
            LastGCNanotime = lastNano,
        };
    }

    /// <summary>
    /// A stripped binary has no runtime.waitReasonStrings symbol: find the table by its content. Its second entry is
    /// "GC assist marking" (waitReasonGCAssistMarking follows waitReasonZero "" in every version read); the table is the
    /// array of string headers in the data segment whose entry 1 points at that text.
    /// </summary>
    private string[] FindWaitReasons()
    {
        if (_exe.Section(".rodata") is not { } rodata || _exe.SectionBytes(".rodata") is not { } text)
        {
            _warnings.Add("no wait reason table was found: wait reasons show as numbers");
            return [];
        }

        byte[] needle = "GC assist marking"u8.ToArray();
        foreach (string dataName in new[] { ".data", ".noptrdata" })
        {
            if (_exe.Section(dataName) is not { } ds || ds.Size > 64UL << 20)
                continue;
            var data = new byte[ds.Size];
            if (!_mem.TryRead(ds.Address + _bias, data))
                continue;
            for (int from = 0; (from = text.AsSpan(from).IndexOf(needle) is var k && k >= 0 ? from + k : -1) >= 0; from++)
            {
                ulong address = rodata.Address + _bias + (ulong)from;
                for (int i = 16; i + 16 <= data.Length; i += 8)
                {
                    if (BinaryPrimitives.ReadUInt64LittleEndian(data.AsSpan(i)) != address || BinaryPrimitives.ReadUInt64LittleEndian(data.AsSpan(i + 8)) != (ulong)needle.Length
                        || BinaryPrimitives.ReadUInt64LittleEndian(data.AsSpan(i - 8)) != 0)
                        continue;
                    var names = new List<string> { "" };
                    for (int e = i; e + 16 <= data.Length && names.Count < 256; e += 16)
                    {
                        ulong p = BinaryPrimitives.ReadUInt64LittleEndian(data.AsSpan(e)), n = BinaryPrimitives.ReadUInt64LittleEndian(data.AsSpan(e + 8));
                        ulong start = rodata.Address + _bias;
                        if (n == 0 || n > 128 || p < start || p + n > start + rodata.Size)
                            break;
                        names.Add(Encoding.UTF8.GetString(text, (int)(p - start), (int)n));
                    }

                    return [.. names];
                }
            }
        }

        _warnings.Add("no wait reason table was found: wait reasons show as numbers");
        return [];
    }

    /// <summary>
    /// A stripped binary has no runtime.allgs symbol: find the slice by its content. allgs[0] is the main goroutine
    /// (goid 1); a goroutine a thread is running is in it too. Scans the data segments for a slice header (pointer,
    /// length, capacity) that satisfies both.
    /// </summary>
    private (ulong, ulong) FindAllGs(Dictionary<ulong, ThreadState> threads)
    {
        var running = threads.Values.Select(t => t.CurG).Where(g => g != 0).ToHashSet();
        foreach (string name in new[] { ".bss", ".data", ".noptrbss" })
        {
            if (_exe.Section(name) is not { } s || s.Size > 64UL << 20)
                continue;
            var data = new byte[s.Size];
            if (!_mem.TryRead(s.Address + _bias, data))
                continue;
            for (int i = 0; i + 24 <= data.Length; i += 8)
            {
                ulong ptr = BinaryPrimitives.ReadUInt64LittleEndian(data.AsSpan(i));
                ulong len = BinaryPrimitives.ReadUInt64LittleEndian(data.AsSpan(i + 8));
                ulong cap = BinaryPrimitives.ReadUInt64LittleEndian(data.AsSpan(i + 16));
                if (len == 0 || len > cap || cap > MaxGoroutines || ptr == 0 || (ptr & 7) != 0 || !_mem.IsMapped(ptr))
                    continue;
                ulong g0 = _mem.U64(ptr);
                if (g0 == 0 || _mem.U64(g0 + _layout["g.goid"]) != 1)
                    continue;
                bool hasRunning = running.Count == 0;
                for (ulong k = 0; k < len && !hasRunning; k++)
                    hasRunning = running.Contains(_mem.U64(ptr + (8 * k)));
                if (hasRunning)
                {
                    _warnings.Add("the binary is stripped: the goroutine list was found by its content, not by the runtime.allgs symbol");
                    return (ptr, len);
                }
            }
        }

        throw new AnalysisException(AnalysisErrorKind.WrongFormat, _core.Path,
            $"The goroutine list (runtime.allgs) was not found in core '{_core.Path}': '{_exe.Path}' has no symbol table and no slice in its data segments looks like it. "
            + "Pass an unstripped build of the same program (built without -ldflags=-s) if you have one.");
    }
}
