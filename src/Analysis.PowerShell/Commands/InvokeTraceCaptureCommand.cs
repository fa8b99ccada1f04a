using System.Management.Automation;
using Analysis.Traces;

namespace Analysis.PowerShell.Commands;

/// <summary>Traces a running .NET process for a given time and returns the .nettrace file.</summary>
/// <remarks>
/// <para>
/// Like Start-TraceCapture followed by Stop-TraceCapture after -Duration, with progress. Ctrl+C ends the capture
/// early; the file is still complete.
/// </para>
/// </remarks>
/// <example>
/// <code>Invoke-TraceCapture -ProcessId 4242 -OutFile ./gc.nettrace -Duration 00:00:30 -Profile Gc | Get-TraceGcSummary</code>
/// <para>Traces the GC for 30 seconds and summarizes the pauses.</para>
/// </example>
/// <example>
/// <code>Invoke-TraceCapture 4242 ./cpu.nettrace -Duration 00:00:20 -Profile Cpu | Export-TraceStacks -OutFile ./cpu.speedscope.json</code>
/// <para>A flame graph of 20 seconds of CPU, to open in speedscope.</para>
/// </example>
[Cmdlet(VerbsLifecycle.Invoke, "TraceCapture", SupportsShouldProcess = true)]
[OutputType(typeof(FileInfo))]
public sealed class InvokeTraceCaptureCommand : AnalysisCmdlet
{
    /// <summary>Id of the .NET process to trace; binds from the Id of piped processes (Get-Process).</summary>
    [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true)]
    [Alias("Id", "Pid")]
    public int ProcessId { get; set; }

    /// <summary>The .nettrace file to write. Not overwritten without -Force.</summary>
    [Parameter(Mandatory = true, Position = 1)]
    [ValidateNotNullOrEmpty]
    public string OutFile { get; set; } = "";

    /// <summary>How long to trace, e.g. 00:00:30.</summary>
    [Parameter(Mandatory = true)]
    public TimeSpan Duration { get; set; }

    /// <summary>Which events to record; combine them with commas, e.g. Gc, Cpu.</summary>
    [Parameter]
    public TraceProfile Profile { get; set; } = TraceProfile.All;

    /// <summary>Overwrite the file if it exists (without it, an existing file is an error and nothing is written).</summary>
    [Parameter]
    public SwitchParameter Force { get; set; }

    /// <inheritdoc/>
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
