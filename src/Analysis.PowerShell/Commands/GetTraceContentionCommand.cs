using System.Management.Automation;
using Analysis.Traces;

namespace Analysis.PowerShell.Commands;

/// <summary>Lists the waits for locks during a trace.</summary>
/// <remarks>
/// <para>
/// One ContentionEvent per wait: time, thread, duration, lock kind, the owning thread when the runtime reports it, and
/// the stack where the thread waited.
/// </para>
/// </remarks>
/// <example>
/// <code>Get-TraceContention ./app.nettrace -MinDurationMs 10</code>
/// <para>The lock waits of 10 ms or more.</para>
/// </example>
/// <example>
/// <code>Get-TraceContention ./app.nettrace | Measure-Object DurationMs -Sum -Maximum</code>
/// <para>How many waits, how long in all and the longest.</para>
/// </example>
[Cmdlet(VerbsCommon.Get, "TraceContention", DefaultParameterSetName = TraceSet)]
[OutputType(typeof(ContentionEvent))]
public sealed class GetTraceContentionCommand : TraceCmdlet
{
    /// <summary>Only waits at least this many milliseconds long.</summary>
    [Parameter]
    [ValidateRange(0, double.MaxValue)]
    [Alias("MinDurationMSec")] // its name before the units were one (Ms)
    public double MinDurationMs { get; set; }

    /// <inheritdoc/>
    protected override void ProcessTrace(TraceSession session, TraceAnalysis analysis)
    {
        foreach (var c in analysis.EnumerateContention())
        {
            if (c.DurationMs >= MinDurationMs)
                WriteResult(c);
        }
    }
}
