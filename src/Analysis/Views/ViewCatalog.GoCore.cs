using System.Globalization;
using Analysis.Go;
using static Analysis.Views.ViewColumn;

namespace Analysis.Views;

// The views of the Go core results (issue 15): the session, the process's state, its threads and memory.
public static partial class ViewCatalog
{
    private static IEnumerable<View> GoCoreViews()
    {
        yield return new View(typeof(GoCore), ViewKind.Table,
        [
            Computed<GoCore>("Go", c => c.IsClosed ? "(closed)" : c.Info.GoVersion) with { Width = 9 },
            Computed<GoCore>("Goroutines", c => c.IsClosed ? null : c.Info.GoroutineCount) with { Format = "N0", Width = 10, Alignment = Right },
            Computed<GoCore>("Signal", c => c.IsClosed ? null : c.Info.FaultSignal ?? c.Info.Signal) with { Width = 8 },
            Computed<GoCore>("Crashed", c => c.IsClosed || c.Info.CrashingGoroutine == 0 ? null : c.Info.CrashingGoroutine) with { Width = 7, Alignment = Right },
            Of(nameof(GoCore.Path)),
            Of(nameof(GoCore.ExecutablePath)) with { Wide = true },
        ]);
        yield return new View(typeof(GoCoreInfo), ViewKind.List,
        [
            Of(nameof(GoCoreInfo.GoVersion)),
            Of(nameof(GoCoreInfo.ProcessId)),
            Of(nameof(GoCoreInfo.Signal)),
            Computed<GoCoreInfo>("Fault", FaultText),
            Computed<GoCoreInfo>(nameof(GoCoreInfo.CrashingGoroutine), i => i.CrashingGoroutine == 0 ? null : i.CrashingGoroutine),
            Of(nameof(GoCoreInfo.CrashingThread)),
            Computed<GoCoreInfo>("Panic", i => i.PanicValue is null ? null : i.PanicType is null ? i.PanicValue : $"{i.PanicValue} ({i.PanicType})"),
            Of("Goroutines", nameof(GoCoreInfo.GoroutineCount)) with { Format = "N0" },
            Computed<GoCoreInfo>(nameof(GoCoreInfo.Threads), i => i.Threads.Count),
            Computed<GoCoreInfo>(nameof(GoCoreInfo.Memory), i => i.Memory?.ToString()),
            Computed<GoCoreInfo>(nameof(GoCoreInfo.Warnings), i => i.Warnings.Count),
            Of(nameof(GoCoreInfo.Path)),
            Of(nameof(GoCoreInfo.Executable)),
        ]);
        yield return new View(typeof(GoThread), ViewKind.Table,
        [
            Of(nameof(GoThread.Id)) with { Width = 8, Alignment = Right },
            Computed<GoThread>(nameof(GoThread.M), t => t.M < 0 ? null : t.M) with { Width = 5, Alignment = Right },
            Computed<GoThread>(nameof(GoThread.Goroutine), t => t.Goroutine == 0 ? null : t.Goroutine) with { Width = 9, Alignment = Right },
            Computed<GoThread>(nameof(GoThread.Pc), t => Hex(t.Pc)) with { Width = 18 },
            Of(nameof(GoThread.Function)),
        ]);
        yield return new View(typeof(GoMemoryState), ViewKind.List,
        [
            Computed<GoMemoryState>(nameof(GoMemoryState.HeapLive), m => ByteCount(m.HeapLive)),
            Computed<GoMemoryState>(nameof(GoMemoryState.HeapMarked), m => ByteCount(m.HeapMarked)),
            Computed<GoMemoryState>(nameof(GoMemoryState.HeapInUse), m => ByteCount(m.HeapInUse)),
            Computed<GoMemoryState>(nameof(GoMemoryState.HeapGoal), m => ByteCount(m.HeapGoal)),
            Computed<GoMemoryState>(nameof(GoMemoryState.TotalAlloc), m => ByteCount(m.TotalAlloc)),
            Of(nameof(GoMemoryState.NumGC)),
            Of(nameof(GoMemoryState.NumForcedGC)),
            Computed<GoMemoryState>("GOGC", m => m.GcPercent < 0 ? "off" : m.GcPercent.ToString(CultureInfo.InvariantCulture)),
            Computed<GoMemoryState>(nameof(GoMemoryState.MemoryLimit), m => m.MemoryLimit is <= 0 or long.MaxValue ? "none" : Bytes.Format(m.MemoryLimit)),
            Computed<GoMemoryState>(nameof(GoMemoryState.LastGC), m => m.LastGC?.ToString("u", CultureInfo.InvariantCulture)),
            Computed<GoMemoryState>(nameof(GoMemoryState.PauseTotal), m => string.Create(CultureInfo.InvariantCulture, $"{m.PauseTotal.TotalMilliseconds:N1} ms")),
            Computed<GoMemoryState>(nameof(GoMemoryState.GCCPUFraction), m => string.Create(CultureInfo.InvariantCulture, $"{m.GCCPUFraction:P2}")),
            Computed<GoMemoryState>(nameof(GoMemoryState.ProcessStart), m => m.ProcessStart?.ToString("u", CultureInfo.InvariantCulture)),
        ]);
    }

    /// <summary>"SIGSEGV at 0x0 (pc 0x4a1b2c)", or null when the runtime recorded no fault.</summary>
    private static string? FaultText(GoCoreInfo info) => info.FaultSignal is null ? null
        : string.Create(CultureInfo.InvariantCulture, $"{info.FaultSignal}{(info.FaultAddress is { } a ? $" at 0x{a:x}" : "")}{(info.FaultPc is { } pc ? $" (pc 0x{pc:x})" : "")}");

    private static string ByteCount(ulong bytes) => Bytes.Format((long)Math.Min(bytes, long.MaxValue));
}
