namespace Analysis.Dumps;

/// <summary>How to open a dump.</summary>
public sealed record DumpOpenOptions
{
    /// <summary>
    /// The data-access library (libmscordaccore.so / mscordaccore.dll) to use. It must come from the same runtime
    /// build as the dump. When null, it is looked up next to matching runtimes on this machine.
    /// </summary>
    public string? DacPath { get; init; }

    /// <summary>
    /// .NET installation roots (folders holding <c>shared/Microsoft.NETCore.App</c>) searched for a matching DAC.
    /// When null: DOTNET_ROOT, the running runtime's root, the usual install folders, and the runtime folder
    /// recorded in the dump if it exists here. When set, only these roots are searched.
    /// </summary>
    public IReadOnlyList<string>? RuntimeSearchRoots { get; init; }

    /// <summary>
    /// Folder for the object-graph index (root paths, retained sizes), one file per dump content, so a dump opened
    /// again skips the heap pass. Null: ANALYSIS_CACHE_DIR, else $XDG_CACHE_HOME/analysis, else ~/.cache/analysis
    /// (LocalApplicationData\analysis on Windows). Never the dump's own folder unless you pass it here. In the default
    /// folder only heaps of 64 MB or more are cached (smaller ones index faster than the dump is identified); a folder
    /// given here is always used.
    /// </summary>
    public string? CacheDirectory { get; init; }

    /// <summary>Do not read or write the on-disk index (it is still kept in memory for the session).</summary>
    public bool NoCache { get; init; }

    /// <summary>Microsoft's public symbol server, which holds the runtime's and the framework's own files.</summary>
    public const string MicrosoftSymbolServer = "https://msdl.microsoft.com/download/symbols";

    /// <summary>
    /// Local folders holding module files (assemblies, native libraries) the dump refers to but that are not at their
    /// recorded paths on this machine: the files themselves, or a symbol store (name/index/name). Searched before any
    /// server.
    /// </summary>
    public IReadOnlyList<string>? SymbolPaths { get; init; }

    /// <summary>
    /// Symbol servers to download missing module files from (for example <see cref="MicrosoftSymbolServer"/>). Null or
    /// empty (the default): no server is asked and nothing leaves this machine; a module file that is neither at its
    /// recorded path nor in <see cref="SymbolPaths"/> is reported in <see cref="DumpSession.Warnings"/>. A server named
    /// here may use plain HTTP or a private address.
    /// </summary>
    public IReadOnlyList<string>? SymbolServers { get; init; }

    /// <summary>
    /// Where ClrMD and the DAC read the dump. <see cref="EngineIsolation.Default"/>: ANALYSIS_ENGINE_ISOLATION, else a
    /// worker process, so that a damaged dump crashing the DAC ends the worker (an <see cref="AnalysisException"/>, and the
    /// next question starts a new one), not this session.
    /// </summary>
    public EngineIsolation Isolation { get; init; }

    /// <summary>The worker's GC heap ceiling in bytes. Null: ANALYSIS_ENGINE_MEMORY_MB, else 1 GB + 16 × the dump's size, at most three quarters of this machine's memory.</summary>
    public long? MemoryLimitBytes { get; init; }

    /// <summary>Folder where downloaded module files are kept. Null: "symbols" under the index cache folder (see <see cref="CacheDirectory"/>).</summary>
    public string? SymbolCacheDirectory { get; init; }
}
