using System.Management.Automation;
using Analysis.Traces;

namespace Analysis.PowerShell.Commands;

/// <summary>Starts tracing a running .NET process over EventPipe; Stop-TraceCapture ends it.</summary>
/// <remarks>
/// <para>
/// Opens an EventPipe session on a live .NET process and streams its events to a .nettrace file until
/// Stop-TraceCapture. The profile chooses the events: Gc (collections, pauses, heap sizes, allocation ticks), Cpu
/// (managed samples), Exceptions, Contention, or All. Stacks are recorded with the events, and the runtime writes its
/// method rundown when the capture stops, so method names resolve.
/// </para>
/// <para>Fails with ProcessNotFound when the process is gone or runs with DOTNET_EnableDiagnostics=0.</para>
/// </remarks>
/// <example>
/// <code>
/// $r = Start-TraceCapture -ProcessId 4242 -OutFile ./slow-checkout.nettrace -Profile Cpu
/// Start-Sleep -Seconds 30   # reproduce the slow request meanwhile
/// $r | Stop-TraceCapture | Get-TraceCpuTop -Top 10
/// </code>
/// <para>Records CPU samples while the problem is reproduced, then shows where the time went.</para>
/// </example>
/// <example>
/// <code>
/// $r = Get-Process -Id 4242 | Start-TraceCapture -OutFile ./incident.nettrace
/// Start-Sleep -Seconds 60
/// $t = $r | Stop-TraceCapture | Import-Trace
/// $t | Get-TraceGcSummary
/// $t | Get-TraceExceptions | Group-Object Type | Sort-Object Count -Descending
/// </code>
/// <para>A minute of everything, then the GC summary and the exceptions thrown meanwhile, most frequent first.</para>
/// </example>
[Cmdlet(VerbsLifecycle.Start, "TraceCapture", SupportsShouldProcess = true)]
[OutputType(typeof(TraceRecording))]
public sealed class StartTraceCaptureCommand : AnalysisCmdlet
{
    /// <summary>Id of the .NET process to trace; binds from the Id of piped processes (Get-Process).</summary>
    [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true)]
    [Alias("Id", "Pid")]
    public int ProcessId { get; set; }

    /// <summary>The .nettrace file to write while the capture runs. Not overwritten without -Force.</summary>
    [Parameter(Mandatory = true, Position = 1)]
    [ValidateNotNullOrEmpty]
    public string OutFile { get; set; } = "";

    /// <summary>Which events to record; combine them with commas, e.g. Gc, Cpu.</summary>
    [Parameter]
    public TraceProfile Profile { get; set; } = TraceProfile.All;

    /// <summary>Overwrite the file if it exists (without it, an existing file is an error and nothing is written).</summary>
    [Parameter]
    public SwitchParameter Force { get; set; }

    /// <inheritdoc/>
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
