using System.Management.Automation;
using Analysis.Traces;

namespace Analysis.PowerShell.Commands;

/// <summary>Stops a capture from Start-TraceCapture (the runtime writes its rundown) and returns the finished file.</summary>
[Cmdlet(VerbsLifecycle.Stop, "TraceCapture")]
[OutputType(typeof(FileInfo))]
public sealed class StopTraceCaptureCommand : AnalysisCmdlet
{
    [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true)]
    public TraceRecording? Recording { get; set; }

    protected override void ProcessRecord()
    {
        if (Recording is null)
            return;
        try
        {
            RunWithProgress("Stopping trace", (_, _) =>
            {
                Recording.Dispose();
                return 0;
            });
            WriteFileItem(Recording.Path);
        }
        catch (AnalysisException e)
        {
            WriteAnalysisError(e, "Trace", Recording.Path);
        }
    }
}
