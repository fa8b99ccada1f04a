using System.Globalization;

namespace Analysis.Traces;

/// <summary>
/// A .nettrace file and, once read, everything it says (<see cref="TraceAnalysis"/>). The file is read once per
/// session; every later question is answered from memory. Thread-safe; dispose to drop the cached analysis (then
/// every question fails with SessionClosed; <see cref="Path"/> and <see cref="Length"/> stay readable).
/// </summary>
public sealed class TraceSession : IAnalysisSession
{
    private readonly CachedAnswer<TraceAnalysis> _analysis;
    private volatile bool _closed;

    private TraceSession(string path, long length)
    {
        _analysis = new(ThrowIfClosed);
        Path = path;
        Length = length;
    }

    /// <summary>Full path of the .nettrace file.</summary>
    public string Path { get; }

    /// <summary>Size of the file in bytes when the session was opened.</summary>
    public long Length { get; }

    /// <inheritdoc/>
    public bool IsClosed => _closed;

    /// <summary>Whether the file has been read.</summary>
    public bool IsRead
    {
        get
        {
            ThrowIfClosed();
            return _analysis.IsKnown;
        }
    }

    /// <summary>Checks the file and opens a session; reading happens on the first question.</summary>
    public static TraceSession Open(string path)
    {
        string full = System.IO.Path.GetFullPath(path);
        return new TraceSession(full, TraceFile.Validate(full));
    }

    /// <summary>Reads the trace on first use (one streaming pass); later calls return the same analysis.</summary>
    public TraceAnalysis GetAnalysis(IProgress<WorkProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ThrowIfClosed();
        return _analysis.Get((Path, progress), static (s, ct) => TraceAnalysis.Read(s.Path, s.progress, ct), cancellationToken);
    }

    /// <summary>"file.nettrace (size, pid N, D s, E events)", or "(size, not read yet)" before the first question.</summary>
    public override string ToString() =>
        string.Create(CultureInfo.InvariantCulture, $"{System.IO.Path.GetFileName(Path)} ({Bytes.Format(Length)}{(_analysis.ValueOrDefault is { } a ? $", pid {a.ProcessId}, {a.DurationMs / 1000:F1} s, {a.EventCount:N0} events" : ", not read yet")})");

    /// <summary>Drops the cached analysis; later questions fail with SessionClosed.</summary>
    public void Dispose()
    {
        _closed = true;
        _analysis.Forget();
    }

    private void ThrowIfClosed()
    {
        if (_closed)
            throw new AnalysisException(AnalysisErrorKind.SessionClosed, Path, $"The session for trace '{Path}' was closed. Import the trace again (Import-Trace).", new ObjectDisposedException(nameof(TraceSession)));
    }
}

/// <summary>Open trace sessions reused between questions.</summary>
public sealed class TraceSessionCache(int implicitCapacity = 3) : SessionCache<TraceSession>(implicitCapacity)
{
    /// <summary>The open session of this trace (the file unchanged since), or a new one; <paramref name="keepOpen"/> keeps it until closed instead of in the small recently-used set.</summary>
    public TraceSession GetOrOpen(string path, bool keepOpen = false) =>
        GetOrOpen(path, "", p => TraceFile.Validate(p), TraceSession.Open, keepOpen);
}
