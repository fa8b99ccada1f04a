namespace Analysis.Go;

/// <summary>
/// Open Go core sessions reused between questions (see <see cref="SessionCache{TSession}"/>): one per core file and
/// executable, so a second question about the same core does not read it again.
/// </summary>
public sealed class GoCoreSessionCache(int implicitCapacity = 3) : SessionCache<GoCore>(implicitCapacity)
{
    private int _opens;

    /// <summary>How many times a core was read by this cache (each GoCore.Open it made).</summary>
    public int OpenCount => Volatile.Read(ref _opens);

    /// <summary>
    /// Returns the open session for this core and executable, or reads the core (GoCore.Open, reporting to
    /// <paramref name="progress"/>). Without
    /// <paramref name="executablePath"/> the executable the core names is used; sessions with another executable are
    /// distinct. A core or executable that changed on disk is read afresh.
    /// </summary>
    /// <exception cref="AnalysisException">The core or executable is missing or not what it should be (see <see cref="GoCore.Open(string, string?, IProgress{WorkProgress}?, CancellationToken)"/>).</exception>
    public GoCore GetOrOpen(string corePath, string? executablePath = null, bool keepOpen = false, IProgress<WorkProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        string? exe = string.IsNullOrEmpty(executablePath) ? null : Path.GetFullPath(executablePath);
        return GetOrOpen(corePath, OptionsKey(exe), p => InputFile.CheckExists(p, "Core", GoCore.Expected), p =>
        {
            Interlocked.Increment(ref _opens);
            return GoCore.Open(p, exe, progress, cancellationToken);
        }, keepOpen);
    }

    /// <summary>
    /// Whether the file is an ELF core (the magic 7F 'E' 'L' 'F' and e_type 4, ET_CORE, at offset 16), as opposed to a
    /// text goroutine dump. False for a missing or unreadable file: the text reader then says what is wrong.
    /// </summary>
    public static bool IsElfCore(string path)
    {
        try
        {
            using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, 1);
            Span<byte> header = stackalloc byte[18];
            int got = stream.ReadAtLeast(header, header.Length, throwOnEndOfStream: false);
            return Dumps.ElfFile.IsCoreHeader(header[..got]);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }

    /// <summary>The executable's full path, length and write time (a rebuilt executable is another session); "" when the core's own is used.</summary>
    private static string OptionsKey(string? exe)
    {
        if (exe is null)
            return "";
        if (!File.Exists(exe))
            return exe;
        var info = InputFile.Info(exe);
        return FormattableString.Invariant($"{exe}\n{info.Length}\n{info.LastWriteTimeUtc.Ticks}");
    }
}
