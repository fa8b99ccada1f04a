using System.Management.Automation;
using Analysis.Traces;

namespace Analysis.PowerShell.Commands;

/// <summary>Traces a running .NET process for a given time and returns the .nettrace file.</summary>
[Cmdlet(VerbsLifecycle.Invoke, "TraceCapture", SupportsShouldProcess = true)]
[OutputType(typeof(FileInfo))]
public sealed class InvokeTraceCaptureCommand : AnalysisCmdlet
{
    [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true)]
    [Alias("Id", "Pid")]
    public int ProcessId { get; set; }

    [Parameter(Mandatory = true, Position = 1)]
    [ValidateNotNullOrEmpty]
    public string OutFile { get; set; } = "";

    [Parameter(Mandatory = true)]
    public TimeSpan Duration { get; set; }

    [Parameter]
    public TraceProfile Profile { get; set; } = TraceProfile.All;

    /// <summary>Overwrite the file if it exists (without it, an existing file is an error and nothing is written).</summary>
    [Parameter]
    public SwitchParameter Force { get; set; }

    protected override void ProcessRecord()
    {
        if (ConfirmOutputFile(OutFile, Force, $"Trace process {ProcessId} for {Duration} ({Profile})") is not { } target)
            return;
        try
        {
            RunWithProgress("Tracing", (progress, ct) => TraceRecording.Collect(ProcessId, target, Duration, Profile, progress, ct));
            WriteFileItem(target);
        }
        catch (AnalysisException e)
        {
            WriteAnalysisError(e, "Trace", ProcessId);
        }
    }
}
