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

    protected override void ProcessRecord()
    {
        string target = ResolveFilePath(OutFile);
        if (!ShouldProcess(target, $"Trace process {ProcessId} for {Duration} ({Profile})"))
            return;
        try
        {
            RunWithProgress("Tracing", (progress, ct) => TraceRecording.Collect(ProcessId, target, Duration, Profile, progress, ct));
            WriteObject(new FileInfo(target));
        }
        catch (AnalysisException e)
        {
            WriteAnalysisError(e, "Trace", ProcessId);
        }
    }
}
