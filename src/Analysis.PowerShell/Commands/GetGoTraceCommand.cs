using System.Management.Automation;
using Analysis.Go;

namespace Analysis.PowerShell.Commands;

/// <summary>What a Go execution trace shows.</summary>
public enum GoTraceView
{
    /// <summary>The trace object: span, GOMAXPROCS, goroutines, GCs and pauses.</summary>
    Summary,
    /// <summary>One row per GC with its stop-the-world time.</summary>
    Gcs,
    /// <summary>Every stop-the-world pause and its reason.</summary>
    StopTheWorld,
    /// <summary>Why goroutines blocked, how often and for how long.</summary>
    Blocking,
    /// <summary>Goroutines per state over time.</summary>
    States,
}

/// <summary>Reads a Go execution trace (runtime/trace, Go 1.22 and later).</summary>
/// <remarks>
/// <para>
/// Decodes the trace formats of Go 1.22 to 1.25 with our own reader (Go 1.24 writes the 1.23 format; a Go 1.25 trace
/// also gives each generation's clock snapshot, the trace clock against the monotonic and wall clocks, in the summary's
/// ClockSnapshots). -View Summary returns the trace: span,
/// GOMAXPROCS, goroutines, GCs and stop-the-world pauses; Gcs: each GC with its duration and stop-the-world time;
/// StopTheWorld: every pause and its reason; Blocking: why goroutines blocked, how often and for how long; States:
/// goroutines per state over time.
/// </para>
/// <para>Traces of Go 1.21 and older, and of Go 1.26 and later, are rejected with a message naming their version.</para>
/// </remarks>
/// <example>
/// <code>Get-GoTrace ./trace.out</code>
/// <para>The summary: span, GOMAXPROCS, goroutines, GCs and pauses.</para>
/// </example>
/// <example>
/// <code>Get-GoTrace ./trace.out -View StopTheWorld</code>
/// <para>Every stop-the-world pause.</para>
/// </example>
/// <example>
/// <code>Get-GoTrace ./trace.out -View Blocking</code>
/// <para>What the goroutines waited for.</para>
/// </example>
[Cmdlet(VerbsCommon.Get, "GoTrace", DefaultParameterSetName = PathSet)]
[OutputType(typeof(GoExecutionTrace), typeof(GoTraceGc), typeof(GoTraceStopTheWorld), typeof(GoBlockReason), typeof(GoStateSample))]
public sealed class GetGoTraceCommand : FileInputCmdlet
{
    /// <summary>What to return.</summary>
    [Parameter]
    public GoTraceView View { get; set; } = GoTraceView.Summary;

    /// <summary>The number of time steps for -View States.</summary>
    [Parameter]
    [ValidateRange(1, 100_000)]
    public int Steps { get; set; } = 100;

    /// <inheritdoc/>
    protected override string Artifact => "GoTrace";

    /// <inheritdoc/>
    protected override void ProcessFile(string path)
    {
        var trace = RunWithProgress("Reading Go trace", (_, ct) => GoExecutionTrace.Load(path, Steps, ct));
        foreach (string w in trace.Warnings)
            WriteWarning(w);
        if (View == GoTraceView.Summary)
        {
            WriteObject(trace); // the trace object itself carries its Path
            return;
        }

        IEnumerable<object> rows = View switch
        {
            GoTraceView.Gcs => trace.Gcs,
            GoTraceView.StopTheWorld => trace.StopTheWorlds,
            GoTraceView.Blocking => trace.BlockReasons,
            _ => trace.StatesOverTime,
        };
        foreach (var row in rows)
            WriteResult(row);
    }
}
