using System.Globalization;

namespace Analysis.Traces;

/// <summary>
/// A .nettrace file and, once read, everything it says (<see cref="TraceAnalysis"/>). The file is read once per
/// session; every later question is answered from memory. Thread-safe; dispose to drop the cached analysis (then
/// every question fails with SessionClosed; <see cref="FileSession{TAnswer}.Path"/> and <see cref="FileSession{TAnswer}.Length"/> stay readable).
/// </summary>
public sealed class TraceSession : FileSession<TraceAnalysis>
{
    private TraceSession(string path, long length)
        : base(path, length, $"The session for trace '{path}' was closed. Import the trace again (Import-Trace).")
    {
    }

    /// <summary>Checks the file and opens a session; reading happens on the first question.</summary>
    public static TraceSession Open(string path)
    {
        string full = System.IO.Path.GetFullPath(path);
        return new TraceSession(full, TraceFile.Validate(full));
    }

    /// <summary>Reads the trace on first use (one streaming pass); later calls return the same analysis.</summary>
    public TraceAnalysis GetAnalysis(IProgress<WorkProgress>? progress = null, CancellationToken cancellationToken = default) =>
        Answer((Path, progress), static (s, ct) => TraceAnalysis.Read(s.Path, s.progress, ct), cancellationToken);

    /// <summary>"file.nettrace (size, pid N, D s, E events)", or "(size, not read yet)" before the first question.</summary>
    public override string ToString() =>
        string.Create(CultureInfo.InvariantCulture, $"{System.IO.Path.GetFileName(Path)} ({Bytes.Format(Length)}{(AnswerIfRead is { } a ? $", pid {a.ProcessId}, {a.DurationMs / 1000:F1} s, {a.EventCount:N0} events" : ", not read yet")})");
}

/// <summary>Open trace sessions reused between questions.</summary>
public sealed class TraceSessionCache(int implicitCapacity = 3) : SessionCache<TraceSession>(implicitCapacity)
{
    /// <summary>The open session of this trace (the file unchanged since), or a new one; <paramref name="keepOpen"/> keeps it until closed instead of in the small recently-used set.</summary>
    public TraceSession GetOrOpen(string path, bool keepOpen = false) =>
        GetOrOpen(path, "", p => TraceFile.Validate(p), TraceSession.Open, keepOpen);
}
