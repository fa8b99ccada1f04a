using System.Globalization;

namespace Analysis;

/// <summary>Where third-party engine work (TraceEvent's reading pass) runs.</summary>
public enum EngineIsolation
{
    /// <summary>
    /// The environment's choice (ANALYSIS_ENGINE_ISOLATION = worker or inprocess), else <see cref="Worker"/> when the
    /// worker ships beside Analysis.dll, else <see cref="InProcess"/> with a warning on the result.
    /// </summary>
    Default,
    /// <summary>
    /// In a worker process: a crash, a runaway allocation or a hang of the engine ends the worker and becomes an
    /// <see cref="AnalysisException"/> (EngineFailed, MemoryLimitExceeded); this process lives on.
    /// </summary>
    Worker,
    /// <summary>In this process: no process start, but an engine fault such as an access violation ends this process.</summary>
    InProcess,
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
            _ => EngineIsolation.Worker,
        };
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
