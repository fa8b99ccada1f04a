namespace Analysis.Isolation;

/// <summary>How a worker is started: its memory ceiling, and the file and operation its errors name.</summary>
internal sealed record WorkerStart(string Path, string Operation, long MemoryLimitBytes)
{
    /// <summary>How long a cancelled request may take to stop before the worker is ended.</summary>
    public TimeSpan CancelGrace { get; init; } = TimeSpan.FromSeconds(3);

    /// <summary>Whether the worker serves the operations tests use to misbehave on purpose (worker.sleep, .crash, .allocate).</summary>
    public bool TestOperations { get; init; }

    /// <summary>How long the worker may take to start (a cold runtime on a loaded machine).</summary>
    public TimeSpan StartTimeout { get; init; } = TimeSpan.FromSeconds(60);
}
