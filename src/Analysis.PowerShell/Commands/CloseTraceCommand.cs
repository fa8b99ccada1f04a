using System.Management.Automation;
using Analysis.Traces;

namespace Analysis.PowerShell.Commands;

/// <summary>Forgets imported traces and the memory their analyses hold.</summary>
/// <remarks>
/// <para>
/// Closes sessions returned by Import-Trace, or with -All every trace session of this PowerShell session, including
/// those the -Path forms of the trace cmdlets read by themselves.
/// </para>
/// </remarks>
/// <example>
/// <code>
/// $t = Import-Trace ./app.nettrace
/// $t | Get-TraceGc -Induced
/// $t | Close-Trace
/// </code>
/// <para>Asks one question of a trace, then frees what reading it took.</para>
/// </example>
/// <example>
/// <code>
/// Get-TraceCpuTop ./app.nettrace -Top 3
/// Close-Trace -All
/// </code>
/// <para>A trace given by path is kept for the next question; Close-Trace -All frees every trace read so far.</para>
/// </example>
[Cmdlet(VerbsCommon.Close, "Trace", DefaultParameterSetName = "Trace")]
[OutputType(typeof(void))]
public sealed class CloseTraceCommand : AnalysisCmdlet
{
    /// <summary>The sessions to close (from Import-Trace); binds from the pipeline.</summary>
    [Parameter(Mandatory = true, Position = 0, ParameterSetName = "Trace", ValueFromPipeline = true)]
    public TraceSession[] Trace { get; set; } = [];

    /// <summary>Close every trace session, including those read by the -Path forms of the trace cmdlets.</summary>
    [Parameter(Mandatory = true, ParameterSetName = "All")]
    public SwitchParameter All { get; set; }

    /// <inheritdoc/>
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
