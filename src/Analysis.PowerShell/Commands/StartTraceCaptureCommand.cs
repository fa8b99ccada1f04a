using System.Management.Automation;
using Analysis.Traces;

namespace Analysis.PowerShell.Commands;

/// <summary>Starts tracing a running .NET process; stop it with Stop-TraceCapture.</summary>
[Cmdlet(VerbsLifecycle.Start, "TraceCapture", SupportsShouldProcess = true)]
[OutputType(typeof(TraceRecording))]
public sealed class StartTraceCaptureCommand : AnalysisCmdlet
{
    [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true)]
    [Alias("Id", "Pid")]
    public int ProcessId { get; set; }

    [Parameter(Mandatory = true, Position = 1)]
    [ValidateNotNullOrEmpty]
    public string OutFile { get; set; } = "";

    [Parameter]
    public TraceProfile Profile { get; set; } = TraceProfile.All;

    protected override void ProcessRecord()
    {
        string target = ResolveFilePath(OutFile);
        if (!ShouldProcess(target, $"Trace process {ProcessId} ({Profile})"))
            return;
        try
        {
            WriteObject(TraceRecording.Start(ProcessId, target, Profile));
        }
        catch (AnalysisException e)
        {
            WriteAnalysisError(e, "Trace", ProcessId);
        }
    }
}
