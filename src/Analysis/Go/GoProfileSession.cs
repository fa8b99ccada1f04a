using System.Globalization;

namespace Analysis.Go;

/// <summary>
/// A pprof profile file (heap, allocs, cpu, block, mutex, goroutine) opened once and asked many times, like a dump or
/// a trace session: the file is read and decoded on the first question (<see cref="GetProfile"/>), every later question
/// gets the same <see cref="PprofProfile"/>. Thread-safe; dispose to drop the decoded profile (then every question
/// fails with SessionClosed; <see cref="FileSession{TAnswer}.Path"/> and <see cref="FileSession{TAnswer}.Length"/> stay readable).
/// </summary>
public sealed class GoProfileSession : FileSession<PprofProfile>
{
    private int _reads;

    private GoProfileSession(string path, long length)
        : base(path, length, $"The session for profile '{path}' was closed. Open the profile again (Open-GoProfile).")
    {
    }

    /// <summary>How many times the file was read and decoded (once, unless a read failed or was cancelled).</summary>
    internal int ReadCount => Volatile.Read(ref _reads);

    /// <summary>Checks that the file exists and is not empty, and opens a session; reading happens on the first question.</summary>
    /// <exception cref="AnalysisException">The file is missing, a directory or empty.</exception>
    public static GoProfileSession Open(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        string full = System.IO.Path.GetFullPath(path);
        return new GoProfileSession(full, Validate(full));
    }

    /// <summary>Checks the file at the door; returns its length or throws <see cref="AnalysisException"/>.</summary>
    internal static long Validate(string path) => InputFile.CheckExists(path, "Profile", PprofProfile.Expected);

    /// <summary>
    /// The profile, read on first use (<see cref="PprofProfile.Load"/>); later calls return the same object. A read that
    /// fails or is cancelled keeps nothing: the next call reads again.
    /// </summary>
    /// <exception cref="AnalysisException">The file is not a profile, is truncated, or the session was closed.</exception>
    public PprofProfile GetProfile(CancellationToken cancellationToken = default) =>
        Answer(this, static (session, ct) =>
        {
            ct.ThrowIfCancellationRequested();
            Interlocked.Increment(ref session._reads);
            return PprofProfile.Load(session.Path);
        }, cancellationToken);

    /// <summary>"file (size, sample types, N samples)", or "(size, not read yet)" before the first question.</summary>
    public override string ToString() =>
        string.Create(CultureInfo.InvariantCulture, $"{System.IO.Path.GetFileName(Path)} ({Bytes.Format(Length)}{(AnswerIfRead is { } p ? $", {p.SampleTypeNames}, {p.SampleCount:N0} samples" : ", not read yet")})");
}

/// <summary>Open profile sessions reused between questions (see <see cref="SessionCache{TSession}"/>).</summary>
public sealed class GoProfileSessionCache(int implicitCapacity = 3) : SessionCache<GoProfileSession>(implicitCapacity)
{
    /// <summary>Returns the open session for this profile file, or opens one.</summary>
    public GoProfileSession GetOrOpen(string path, bool keepOpen = false) =>
        GetOrOpen(path, "", p => GoProfileSession.Validate(p), GoProfileSession.Open, keepOpen);
}
