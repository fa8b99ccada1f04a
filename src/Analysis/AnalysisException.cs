namespace Analysis;

/// <summary>What went wrong, as a stable identifier. Surfaces map it to their own error ids.</summary>
public enum AnalysisErrorKind
{
    /// <summary>The input file does not exist.</summary>
    FileNotFound,
    /// <summary>The path names a directory where a file was expected.</summary>
    PathIsDirectory,
    /// <summary>The file exists but has no content.</summary>
    FileEmpty,
    /// <summary>The file is not in the expected format (for dumps: not an ELF core, minidump or Mach-O core).</summary>
    WrongFormat,
    /// <summary>The file is shorter than its own headers say: it was cut off while being written or copied.</summary>
    Truncated,
    /// <summary>A dump of a process that has no .NET runtime loaded.</summary>
    NotDotNet,
    /// <summary>No data-access library (DAC) matching the dump's runtime could be found.</summary>
    DacNotFound,
    /// <summary>A DAC was found or given but could not be loaded for this dump.</summary>
    DacLoadFailed,
    /// <summary>The dump holds no GC heap memory (a mini/normal or triage dump).</summary>
    NoHeap,
    /// <summary>The file could not be read.</summary>
    ReadFailed,
    /// <summary>The session was closed before the question was asked.</summary>
    SessionClosed,
    /// <summary>No process with the given id exists, or it has no .NET diagnostics endpoint.</summary>
    ProcessNotFound,
    /// <summary>Capturing a dump or trace from a live process failed.</summary>
    CaptureFailed,
    /// <summary>
    /// A third-party engine (TraceEvent, ClrMD/DAC) failed in a way no managed code can catch: its worker process
    /// crashed (an access violation, an abort), stopped answering, or did not stop after cancellation. The worker was
    /// ended; the session that asked lives on. The message names the file, the operation and the exit code or signal.
    /// </summary>
    EngineFailed,
    /// <summary>
    /// Reading the input needed more memory than the ceiling set for it (a damaged size field, or an input far larger than
    /// the memory available); the worker doing it was ended. The message says the ceiling and how to raise it.
    /// </summary>
    MemoryLimitExceeded,
    /// <summary>
    /// An address given as an object's is none (not on the GC heap, inside another object, free space, or memory the dump
    /// lacks), or, for a layout question, is not in the GC heap: the message names it and where to take addresses from.
    /// </summary>
    NotAnObject,
}

/// <summary>
/// The one exception type of the library. The message names the file, says what was expected and what to do.
/// </summary>
public sealed class AnalysisException : Exception
{
    /// <summary>An error of kind <paramref name="kind"/> about <paramref name="path"/> (null when no file is involved); <paramref name="message"/> says what was expected and what to do.</summary>
    public AnalysisException(AnalysisErrorKind kind, string? path, string message, Exception? inner = null)
        : base(message, inner)
    {
        Kind = kind;
        Path = path;
    }

    /// <summary>What went wrong, as a category: the PowerShell error id and category derive from it.</summary>
    public AnalysisErrorKind Kind { get; }

    /// <summary>The input file the error is about, when there is one.</summary>
    public string? Path { get; }
}
