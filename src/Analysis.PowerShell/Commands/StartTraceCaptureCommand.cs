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

    /// <summary>Overwrite the file if it exists (without it, an existing file is an error and nothing is written).</summary>
    [Parameter]
    public SwitchParameter Force { get; set; }

    protected override void ProcessRecord()
    {
        if (ConfirmOutputFile(OutFile, Force, $"Trace process {ProcessId} ({Profile})") is not { } target)
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
