using System.Globalization;

namespace Analysis.Go;

/// <summary>
/// What a Go core dump says about the process as a whole: the Go version, the crash (signal, faulting address, the
/// goroutine and thread that crashed, the panic value), its threads, and the runtime's memory state.
/// </summary>
public sealed record GoCoreInfo
{
    /// <summary>Full path of the core file.</summary>
    public string Path { get; init; } = "";

    /// <summary>Full path of the executable read with it.</summary>
    public string Executable { get; init; } = "";

    /// <summary>The Go version that built the executable ("go1.23.5").</summary>
    public string GoVersion { get; init; } = "";

    /// <summary>The process id when the core was written.</summary>
    public int ProcessId { get; init; }

    /// <summary>The command line the core records (the kernel keeps its first 80 bytes).</summary>
    public string? CommandLine { get; init; }

    /// <summary>The signal the kernel wrote the core for ("SIGABRT": the runtime raises it after its traceback under GOTRACEBACK=crash).</summary>
    public string Signal { get; init; } = "";

    /// <summary>
    /// The fault that started the crash when the runtime recorded one on the crashing goroutine ("SIGSEGV" for a nil
    /// dereference turned into a panic); null when the crash was a plain panic or an external signal.
    /// </summary>
    public string? FaultSignal { get; init; }

    /// <summary>The faulting address of <see cref="FaultSignal"/> (sigcode1), when there is one.</summary>
    public ulong? FaultAddress { get; init; }

    /// <summary>The pc of the faulting instruction (sigpc), when there is a fault.</summary>
    public ulong? FaultPc { get; init; }

    /// <summary>The goroutine that panicked or was running on the crashing thread; 0 when none (an external signal on an idle thread).</summary>
    public long CrashingGoroutine { get; init; }

    /// <summary>
    /// The OS thread (LWP id) the fatal signal came to: the one whose first signal is not the runtime's SIGQUIT relay to
    /// the other threads (under GOTRACEBACK=crash each thread prints its stack in a SIGQUIT handler); else the thread the
    /// kernel wrote first.
    /// </summary>
    public int CrashingThread { get; init; }

    /// <summary>
    /// The panic value as the runtime prints it ("order 42: payment declined", "runtime error: …"), when a goroutine was
    /// panicking; for a fatal error (runtime.throw, runtime.fatal) its message ("all goroutines are asleep - deadlock!").
    /// </summary>
    public string? PanicValue { get; init; }

    /// <summary>
    /// The panic value's Go type ("string": the runtime turns an error or Stringer into the string it printed; "int",
    /// "main.Code"…), or "fatal error" for a fatal error's message.
    /// </summary>
    public string? PanicType { get; init; }

    /// <summary>The process's OS threads, with the goroutine each was running.</summary>
    public ItemList<GoThread> Threads { get; init; } = [];

    /// <summary>Goroutines that are not dead.</summary>
    public int GoroutineCount { get; init; }

    /// <summary>The runtime's memory and GC state; null when the binary has no symbols to find it (-s).</summary>
    public GoMemoryState? Memory { get; init; }

    /// <summary>Where the runtime's struct layouts came from: "DWARF" or the built-in table (a stripped binary).</summary>
    public string LayoutSource { get; init; } = "";

    /// <summary>What could not be read or checked; the rest of the answer stands.</summary>
    public ItemList<string> Warnings { get; init; } = [];

    /// <summary>"go1.23.5 pid 1234: SIGSEGV at 0x0 in goroutine 18 (panic: …), 31 goroutines".</summary>
    public override string ToString()
    {
        string fault = FaultSignal is null ? Signal : string.Create(CultureInfo.InvariantCulture, $"{FaultSignal} at 0x{FaultAddress:x}");
        string where = CrashingGoroutine > 0 ? string.Create(CultureInfo.InvariantCulture, $" in goroutine {CrashingGoroutine}") : "";
        string panic = PanicValue is null ? "" : $" ({(PanicType == "fatal error" ? "fatal error" : "panic")}: {PanicValue})";
        return string.Create(CultureInfo.InvariantCulture, $"{GoVersion} pid {ProcessId}: {fault}{where}{panic}, {GoroutineCount} goroutines");
    }
}

/// <summary>One OS thread of a Go process (an M) in a core.</summary>
/// <param name="Id">The thread id (LWP) the kernel recorded.</param>
/// <param name="M">The runtime's M id, -1 when the thread's M could not be found.</param>
/// <param name="Goroutine">The goroutine the M was running (m.curg), 0 when none.</param>
/// <param name="Pc">The thread's instruction pointer when the core was written.</param>
/// <param name="Function">The Go function at <paramref name="Pc"/>, or null outside Go code.</param>
public sealed record GoThread(int Id, long M, long Goroutine, ulong Pc, string? Function)
{
    /// <summary>"thread 1234 (m 0) goroutine 1 at runtime.raise".</summary>
    public override string ToString() =>
        string.Create(CultureInfo.InvariantCulture, $"thread {Id} (m {M}){(Goroutine > 0 ? $" goroutine {Goroutine}" : "")} at {Function ?? $"0x{Pc:x}"}");
}

/// <summary>The Go runtime's memory and GC state in a core (runtime.memstats and the GC controller).</summary>
public sealed record GoMemoryState
{
    /// <summary>Bytes in live and not yet swept heap objects (gcController.heapLive, ≈ HeapAlloc).</summary>
    public ulong HeapLive { get; init; }

    /// <summary>Bytes marked live by the last GC (gcController.heapMarked).</summary>
    public ulong HeapMarked { get; init; }

    /// <summary>The heap size the GC aims to finish the next cycle at (gcController.gcPercentHeapGoal).</summary>
    public ulong HeapGoal { get; init; }

    /// <summary>Bytes in in-use heap spans (gcController.heapInUse, HeapInuse).</summary>
    public ulong HeapInUse { get; init; }

    /// <summary>Bytes allocated since start (gcController.totalAlloc).</summary>
    public ulong TotalAlloc { get; init; }

    /// <summary>Bytes freed since start (gcController.totalFree).</summary>
    public ulong TotalFree { get; init; }

    /// <summary>GOGC (gcController.gcPercent), -1 when off.</summary>
    public int GcPercent { get; init; }

    /// <summary>GOMEMLIMIT in bytes (gcController.memoryLimit).</summary>
    public long MemoryLimit { get; init; }

    /// <summary>Completed GC cycles (memstats.numgc).</summary>
    public uint NumGC { get; init; }

    /// <summary>GC cycles forced by runtime.GC or debug.FreeOSMemory (memstats.numforcedgc).</summary>
    public uint NumForcedGC { get; init; }

    /// <summary>Wall-clock end of the last GC (memstats.last_gc_unix), null before the first.</summary>
    public DateTimeOffset? LastGC { get; init; }

    /// <summary>Total stop-the-world pause time (memstats.pause_total_ns).</summary>
    public TimeSpan PauseTotal { get; init; }

    /// <summary>Fraction of CPU time used by the GC since start (memstats.gc_cpu_fraction).</summary>
    public double GCCPUFraction { get; init; }

    /// <summary>
    /// Wall-clock time the runtime started (runtime.runtimeInitTime, placed on the wall clock through the last GC's wall
    /// and monotonic times); null before the first GC, which is the only moment the runtime records both clocks.
    /// </summary>
    public DateTimeOffset? ProcessStart { get; init; }

    /// <summary>Monotonic nanotime of the runtime's start (runtime.runtimeInitTime).</summary>
    public long RuntimeInitNanotime { get; init; }

    /// <summary>Monotonic nanotime of the last GC's end (memstats.last_gc_nanotime).</summary>
    public long LastGCNanotime { get; init; }

    /// <summary>"heap live 12 MB, goal 16 MB, 7 GCs".</summary>
    public override string ToString() =>
        string.Create(CultureInfo.InvariantCulture, $"heap live {Bytes.Format((long)Math.Min(HeapLive, long.MaxValue))}, goal {Bytes.Format((long)Math.Min(HeapGoal, long.MaxValue))}, {NumGC} GCs");
}
