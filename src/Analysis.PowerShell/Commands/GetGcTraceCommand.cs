using System.Management.Automation;
using Analysis.Go;

namespace Analysis.PowerShell.Commands;

/// <summary>Reads a GODEBUG=gctrace=1 log: one row per GC cycle, or with -Summary the totals and anomalies.</summary>
[Cmdlet(VerbsCommon.Get, "GcTrace")]
[OutputType(typeof(GcCycle), typeof(GcTraceSummary))]
public sealed class GetGcTraceCommand : FileInputCmdlet
{
    [Parameter]
    public SwitchParameter Summary { get; set; }

    /// <summary>A pause counts as a spike above this many times the median (default 10).</summary>
    [Parameter]
    [ValidateRange(1, double.MaxValue)]
    public double SpikeFactor { get; set; } = 10;

    protected override string Artifact => "GcTrace";

    protected override void ProcessFile(string path)
    {
        var trace = GcTrace.Load(path);
        GoCmdlets.ReportSkipped(this, trace.Skipped);
        if (Summary)
        {
            WriteResult(trace.Summarize(SpikeFactor));
            return;
        }

        foreach (var c in trace.Cycles)
            WriteResult(c);
    }
}
