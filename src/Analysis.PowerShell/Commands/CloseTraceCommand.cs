using System.Management.Automation;
using Analysis.Traces;

namespace Analysis.PowerShell.Commands;

/// <summary>Forgets imported traces and the memory their analyses hold.</summary>
[Cmdlet(VerbsCommon.Close, "Trace", DefaultParameterSetName = "Trace")]
[OutputType(typeof(void))]
public sealed class CloseTraceCommand : AnalysisCmdlet
{
    [Parameter(Mandatory = true, Position = 0, ParameterSetName = "Trace", ValueFromPipeline = true)]
    public TraceSession[] Trace { get; set; } = [];

    [Parameter(Mandatory = true, ParameterSetName = "All")]
    public SwitchParameter All { get; set; }

    protected override void ProcessRecord()
    {
        if (All)
        {
            RunspaceSessions.Current.Traces.CloseAll();
            return;
        }

        foreach (var session in Trace)
            RunspaceSessions.Current.Traces.Close(session);
    }
}
