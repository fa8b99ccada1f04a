using System.Management.Automation;
using Analysis.Traces;

namespace Analysis.PowerShell.Commands;

/// <summary>Waits for locks during the trace: when, which thread, how long, and where.</summary>
[Cmdlet(VerbsCommon.Get, "TraceContention", DefaultParameterSetName = TraceSet)]
[OutputType(typeof(ContentionEvent))]
public sealed class GetTraceContentionCommand : TraceCmdlet
{
    /// <summary>Only waits at least this long.</summary>
    [Parameter]
    [ValidateRange(0, double.MaxValue)]
    public double MinDurationMSec { get; set; }

    protected override void ProcessTrace(TraceSession session, TraceAnalysis analysis)
    {
        foreach (var c in analysis.EnumerateContention())
        {
            if (c.DurationMSec >= MinDurationMSec)
                WriteResult(c);
        }
    }
}
