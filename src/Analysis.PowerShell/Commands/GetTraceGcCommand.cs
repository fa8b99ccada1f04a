using System.Management.Automation;
using Analysis.Traces;

namespace Analysis.PowerShell.Commands;

/// <summary>One row per garbage collection: generation, type, reason, pause, heap sizes (PerfView GCStats).</summary>
[Cmdlet(VerbsCommon.Get, "TraceGc", DefaultParameterSetName = TraceSet)]
[OutputType(typeof(GcEvent))]
public sealed class GetTraceGcCommand : TraceCmdlet
{
    /// <summary>Only GCs of these generations.</summary>
    [Parameter]
    [ValidateRange(0, 2)]
    public int[]? Generation { get; set; }

    /// <summary>Only GCs that paused the process at least this long.</summary>
    [Parameter]
    [ValidateRange(0, double.MaxValue)]
    public double MinPauseMSec { get; set; }

    /// <summary>Only induced GCs (GC.Collect and the like).</summary>
    [Parameter]
    public SwitchParameter Induced { get; set; }

    protected override void ProcessTrace(TraceSession session, TraceAnalysis analysis)
    {
        IEnumerable<GcEvent> rows = analysis.Gcs;
        if (Generation is { Length: > 0 } generations)
            rows = rows.Where(g => generations.Contains(g.Generation));
        if (MinPauseMSec > 0)
            rows = rows.Where(g => g.PauseMSec >= MinPauseMSec);
        if (Induced)
            rows = rows.Where(g => g.IsInduced);
        foreach (var gc in rows)
            WriteResult(gc);
    }
}
