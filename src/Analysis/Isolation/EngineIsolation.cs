using System.Globalization;

namespace Analysis;

/// <summary>Where third-party engine work runs: TraceEvent's reading pass, ClrMD and the DAC reading a dump.</summary>
public enum EngineIsolation
{
    /// <summary>
    /// The environment's choice (ANALYSIS_ENGINE_ISOLATION = worker, own or inprocess), else <see cref="Worker"/> when the
    /// worker ships beside Analysis.dll, else <see cref="InProcess"/> with a warning on the result.
    /// </summary>
    Default,
    /// <summary>
    /// In a worker process: a crash, a runaway allocation or a hang of the engine ends the worker and becomes an
    /// <see cref="AnalysisException"/> (EngineFailed, MemoryLimitExceeded); this process lives on. The dumps open in this
    /// process share one warm worker (<see cref="Isolation.SharedWorker"/>): when a question about one of them ends it,
    /// the others open their dump again in a new worker on their next question, keeping the answers they had.
    /// </summary>
    Worker,
    /// <summary>In this process: no process start, but an engine fault such as an access violation ends this process.</summary>
    InProcess,
    /// <summary>
    /// As <see cref="Worker"/>, but a dump is read in a worker process of its own, which nothing else it reads can end
    /// (ANALYSIS_ENGINE_ISOLATION=own). Costs a process start per dump, and a dump opened beside another pays a cold
    /// engine: its first questions are several times slower. For a trace, the same as <see cref="Worker"/>.
    /// </summary>
    OwnWorker,
}

/// <summary>How the isolation setting and the worker's memory ceiling are decided.</summary>
internal static class EngineIsolationPolicy
{
    public const string IsolationVariable = "ANALYSIS_ENGINE_ISOLATION";
    public const string MemoryVariable = "ANALYSIS_ENGINE_MEMORY_MB";

    /// <summary>The setting with <see cref="EngineIsolation.Default"/> resolved from the environment (Worker when unset).</summary>
    public static EngineIsolation Resolve(EngineIsolation requested)
    {
        if (requested != EngineIsolation.Default)
            return requested;
        return Environment.GetEnvironmentVariable(IsolationVariable)?.Trim().ToUpperInvariant() switch
        {
            "INPROCESS" or "IN-PROCESS" or "NONE" or "0" => EngineIsolation.InProcess,
            "OWN" or "OWNWORKER" or "OWN-WORKER" => EngineIsolation.OwnWorker,
            _ => EngineIsolation.Worker,
        };
    }

    /// <summary>
    /// The worker host for reading <paramref name="path"/>, or null to read in this process: asked for (or set in the
    /// environment), or because no worker ships here, which <paramref name="inProcessWarning"/> then says. A worker asked
    /// for explicitly that cannot run is an AnalysisException (EngineFailed).
    /// </summary>
    /// <param name="requested">The caller's choice.</param>
    /// <param name="path">The file, for the messages.</param>
    /// <param name="what">"trace" or "dump", for the messages.</param>
    /// <param name="engine">What could crash, for the warning: "TraceEvent", "the DAC".</param>
    /// <param name="inProcessWarning">Set when the file is read in this process only because no worker is available.</param>
    public static Isolation.WorkerHost? HostFor(EngineIsolation requested, string path, string what, string engine, out string? inProcessWarning)
    {
        inProcessWarning = null;
        if (Resolve(requested) == EngineIsolation.InProcess)
            return null;
        if (Isolation.WorkerHost.Find(out string? whyNot) is { } host)
            return host;
        if (requested is EngineIsolation.Worker or EngineIsolation.OwnWorker)
        {
            throw new AnalysisException(AnalysisErrorKind.EngineFailed, path,
                $"{char.ToUpperInvariant(what[0])}{what[1..]} '{path}' cannot be read in a worker process: {whyNot}. Reinstall the module or package, or read it in this process (EngineIsolation.InProcess).");
        }

        inProcessWarning = $"The {what} is read in this process, not in a worker ({whyNot}): a crash of {engine} on a damaged file would end this session.";
        return null;
    }

    /// <summary>
    /// The worker's GC heap ceiling for an input of <paramref name="inputLength"/> bytes: ANALYSIS_ENGINE_MEMORY_MB when
    /// set, else 1 GB + 16 × the input (reading a trace takes a few times its size), at most three quarters of the memory
    /// this machine (or container) has.
    /// </summary>
    public static long MemoryLimit(long inputLength, long? requested = null)
    {
        if (requested is > 0)
            return requested.Value;
        if (long.TryParse(Environment.GetEnvironmentVariable(MemoryVariable), NumberStyles.Integer, CultureInfo.InvariantCulture, out long mb) && mb > 0)
            return mb << 20;
        long available = GC.GetGCMemoryInfo().TotalAvailableMemoryBytes;
        long wanted = (1L << 30) + (16 * Math.Min(inputLength, 1L << 36));
        return available > 0 ? Math.Min(wanted, available / 4 * 3) : wanted;
    }
}
