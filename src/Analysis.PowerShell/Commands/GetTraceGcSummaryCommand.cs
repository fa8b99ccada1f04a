using System.Management.Automation;
using Analysis.Traces;

namespace Analysis.PowerShell.Commands;

/// <summary>Summarizes the GCs of a trace and flags anomalies.</summary>
/// <remarks>
/// <para>
/// Counts per generation, induced and background GCs, total, mean and max pause, the share of time paused, the
/// allocation rate, the peak heap size and the GCs over the pause threshold.
/// </para>
/// <para>
/// Anomalies are Finding objects (Severity, Kind, Summary, GcNumbers): LongPause and HighPauseShare (paused 10% of the
/// time or more) are Critical, InducedGen2 and Gen2Storm (at least 3 gen2 GCs within a second) Warning.
/// </para>
/// </remarks>
/// <example>
/// <code>Get-TraceGcSummary ./app.nettrace | ForEach-Object Anomalies</code>
/// <para>What looks wrong with the GCs.</para>
/// </example>
/// <example>
/// <code>
/// $over = (Get-TraceGcSummary ./app.nettrace -PauseThresholdMs 0.5).GcsOverThreshold
/// Get-TraceGc ./app.nettrace | Where-Object Number -in $over
/// </code>
/// <para>The GCs that paused the process longer than half a millisecond, in full.</para>
/// </example>
[Cmdlet(VerbsCommon.Get, "TraceGcSummary", DefaultParameterSetName = TraceSet)]
[OutputType(typeof(GcSummary))]
public sealed class GetTraceGcSummaryCommand : TraceCmdlet
{
    /// <summary>Pauses longer than this many milliseconds are listed (GcsOverThreshold) and flagged (LongPause).</summary>
    [Parameter]
    [ValidateRange(0, double.MaxValue)]
    [Alias("PauseThresholdMSec")] // its name before the units were one (Ms)
    public double PauseThresholdMs { get; set; } = 50;

    /// <inheritdoc/>
    protected override void ProcessTrace(TraceSession session, TraceAnalysis analysis) =>
        WriteResult(analysis.GetGcSummary(PauseThresholdMs));
}
