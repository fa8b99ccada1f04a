using System.Globalization;
using Analysis.Go.Core;

namespace Analysis.Go;

/// <summary>
/// A Go program's core dump read with its executable (linux/amd64, Go 1.21 and later): the goroutines with their
/// stacks, as <see cref="GoroutineDump"/> (the same objects as a text goroutine dump gives, so grouping, leak finding,
/// charts and reports work on both), and <see cref="Info"/>: the Go version, the crash, the threads and the runtime's
/// memory state. Read completely when opened; the files are closed again before <see cref="Open(string, string?, CancellationToken)"/> returns.
/// </summary>
public sealed class GoCore : IAnalysisSession
{
    private readonly GoroutineDump _goroutines;
    private readonly GoCoreInfo _info;
    private volatile bool _closed;

    private GoCore(GoCoreInfo info, GoroutineDump goroutines)
    {
        _info = info;
        _goroutines = goroutines;
    }

    /// <summary>What to pass: a core file and the executable that wrote it.</summary>
    public const string Expected = GoCoreReader.CoreExpected;

    /// <summary>Full path of the core file.</summary>
    public string Path => _info.Path;

    /// <summary>Full path of the executable read with the core.</summary>
    public string ExecutablePath => _info.Executable;

    /// <inheritdoc/>
    public bool IsClosed => _closed;

    /// <summary>The process as a whole: version, crash, threads, memory state, warnings.</summary>
    public GoCoreInfo Info => Check(_info);

    /// <summary>The goroutines that were not dead, the crashing one first (as the runtime prints them).</summary>
    public GoroutineDump Goroutines => Check(_goroutines);

    /// <summary>
    /// Reads a core and its executable. Without <paramref name="executablePath"/>, the executable the core names is
    /// used when it is on this machine. Read-only; no network.
    /// </summary>
    /// <exception cref="AnalysisException">A file is missing, not an ELF core or Go executable, the executable is not the build that wrote the core, or the core is too damaged to find the goroutines.</exception>
    public static GoCore Open(string corePath, string? executablePath = null, CancellationToken cancellationToken = default) =>
        Open(corePath, executablePath, null, cancellationToken);

    /// <summary>As <see cref="Open(string, string?, CancellationToken)"/>, reporting goroutines read of the runtime's count.</summary>
    public static GoCore Open(string corePath, string? executablePath, IProgress<WorkProgress>? progress, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(corePath);
        var (info, goroutines) = GoCoreReader.Read(System.IO.Path.GetFullPath(corePath), executablePath is null ? null : System.IO.Path.GetFullPath(executablePath), progress, cancellationToken);
        return new GoCore(info, goroutines);
    }

    private T Check<T>(T value) => _closed
        ? throw new AnalysisException(AnalysisErrorKind.SessionClosed, Path, $"The session for core '{Path}' was closed. Open the core again (Open-GoCore).", new ObjectDisposedException(nameof(GoCore)))
        : value;

    /// <summary>Closes the session; its questions then fail with SessionClosed.</summary>
    public void Dispose() => _closed = true;

    /// <summary>"core (go1.23.5, 31 goroutines, SIGSEGV in goroutine 18)".</summary>
    public override string ToString() =>
        string.Create(CultureInfo.InvariantCulture, $"{System.IO.Path.GetFileName(Path)} ({_info.GoVersion}, {_info.GoroutineCount} goroutines, {_info.FaultSignal ?? _info.Signal}{(_info.CrashingGoroutine > 0 ? $" in goroutine {_info.CrashingGoroutine}" : "")})");
}
