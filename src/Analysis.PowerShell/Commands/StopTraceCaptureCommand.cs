using System.Management.Automation;
using Analysis.Traces;

namespace Analysis.PowerShell.Commands;

/// <summary>Stops a capture started with Start-TraceCapture and returns the finished trace file.</summary>
/// <remarks>
/// <para>
/// Stops the EventPipe session, waits for the runtime's rundown (the method names the stacks need) and closes the
/// file. Pipe the file to Import-Trace or straight to the Get-Trace* cmdlets.
/// </para>
/// </remarks>
/// <example>
/// <code>
/// $r = Start-TraceCapture -ProcessId 4242 -OutFile ./stall.nettrace -Profile Contention
/// Start-Sleep -Seconds 20
/// $r | Stop-TraceCapture
/// </code>
/// <para>Records lock contention for a while, then stops and returns the file.</para>
/// </example>
[Cmdlet(VerbsLifecycle.Stop, "TraceCapture")]
[OutputType(typeof(FileInfo))]
public sealed class StopTraceCaptureCommand : AnalysisCmdlet
{
    /// <summary>The capture to stop, as Start-TraceCapture returned it; binds from the pipeline.</summary>
    [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true)]
    public TraceRecording? Recording { get; set; }

    /// <inheritdoc/>
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
