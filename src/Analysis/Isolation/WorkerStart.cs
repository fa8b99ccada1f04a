namespace Analysis.Isolation;

/// <summary>How a worker is started: its memory ceiling, and the file and operation its errors name.</summary>
internal sealed record WorkerStart(string Path, string Operation, long MemoryLimitBytes)
{
    /// <summary>How long a cancelled request may take to stop before the worker is ended.</summary>
    public TimeSpan CancelGrace { get; init; } = TimeSpan.FromSeconds(3);

    /// <summary>Whether the worker serves the operations tests use to misbehave on purpose (worker.sleep, .crash, .allocate).</summary>
    public bool TestOperations { get; init; }

    /// <summary>
    /// Whether the worker compiles the dump engine while it waits for its first request (the <see cref="SharedWorker"/>, which
    /// waits for a file anyway), so the first questions about a dump do not pay the JIT.
    /// </summary>
    public bool CompileDumpEngine { get; init; }

    /// <summary>The environment variable that tells the worker process to (<see cref="CompileDumpEngine"/>).</summary>
    internal const string CompileDumpEngineVariable = "ANALYSIS_WORKER_COMPILE_DUMP_ENGINE";

    /// <summary>
    /// Whether the worker is started for dumps: it compiles the methods the last dump worker compiled in the background,
    /// from its first dump or once it has waited for one a moment, and keeps its own list for the next
    /// (<see cref="WorkerJitProfile"/>).
    /// </summary>
    public bool DumpJitProfile { get; init; }

    /// <summary>How long the worker may take to start (a cold runtime on a loaded machine).</summary>
    public TimeSpan StartTimeout { get; init; } = TimeSpan.FromSeconds(60);
}
