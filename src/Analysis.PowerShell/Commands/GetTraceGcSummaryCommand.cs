using System.Management.Automation;
using Analysis.Traces;

namespace Analysis.PowerShell.Commands;

/// <summary>GC totals for a trace (counts per generation, pauses, % time paused, allocation rate, peak heap) and anomalies.</summary>
[Cmdlet(VerbsCommon.Get, "TraceGcSummary", DefaultParameterSetName = TraceSet)]
[OutputType(typeof(GcSummary))]
public sealed class GetTraceGcSummaryCommand : TraceCmdlet
{
    /// <summary>Pauses longer than this are listed and flagged (default 50 ms).</summary>
    [Parameter]
    [ValidateRange(0, double.MaxValue)]
    public double PauseThresholdMSec { get; set; } = 50;

    protected override void ProcessTrace(TraceSession session, TraceAnalysis analysis) =>
        WriteResult(analysis.GetGcSummary(PauseThresholdMSec));
}
