using System.Management.Automation;
using Analysis.Go;

namespace Analysis.PowerShell.Commands;

/// <summary>Reads a GODEBUG=gctrace=1 log: one row per GC cycle, or with -Summary the totals and anomalies.</summary>
[Cmdlet(VerbsCommon.Get, "GcTrace")]
[OutputType(typeof(GcCycle), typeof(GcTraceSummary))]
public sealed class GetGcTraceCommand : AnalysisCmdlet
{
    [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
    [Alias("PSPath", "FullName")]
    [ValidateNotNullOrEmpty]
    public string Path { get; set; } = "";

    [Parameter]
    public SwitchParameter Summary { get; set; }

    /// <summary>A pause counts as a spike above this many times the median (default 10).</summary>
    [Parameter]
    [ValidateRange(1, double.MaxValue)]
    public double SpikeFactor { get; set; } = 10;

    protected override void ProcessRecord()
    {
        try
        {
            var trace = GcTrace.Load(ResolveFilePath(Path));
            GoCmdlets.ReportSkipped(this, trace.Skipped);
            if (Summary)
            {
                WriteObject(trace.Summarize(SpikeFactor));
                return;
            }

            foreach (var c in trace.Cycles)
                WriteObject(c);
        }
        catch (AnalysisException e)
        {
            WriteAnalysisError(e, "GcTrace", Path);
        }
    }
}
