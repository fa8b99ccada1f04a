using System.Management.Automation;
using Analysis.Go;

namespace Analysis.PowerShell.Commands;

/// <summary>Closes Go profile sessions and frees the profiles they hold.</summary>
/// <remarks>
/// <para>
/// Closes sessions returned by Open-GoProfile, or with -All every profile session of this PowerShell session,
/// including those the -Path forms of the pprof cmdlets and Import-Pprof opened by themselves (the last three are
/// kept for the next question).
/// </para>
/// <para>A closed session answers no more questions. Profiles already returned by Import-Pprof stay usable.</para>
/// </remarks>
/// <example>
/// <code>
/// $p = Open-GoProfile ./heap-2.pb.gz
/// $p | Get-PprofTop -Top 3
/// $p | Close-GoProfile
/// </code>
/// <para>Asks one question of a profile, then frees it.</para>
/// </example>
/// <example>
/// <code>
/// Get-PprofTop ./cpu.pb.gz -Top 3
/// Close-GoProfile -All
/// </code>
/// <para>A profile given by path is kept for the next question; Close-GoProfile -All frees every profile read so far.</para>
/// </example>
[Cmdlet(VerbsCommon.Close, "GoProfile", DefaultParameterSetName = "Session")]
[OutputType(typeof(void))]
public sealed class CloseGoProfileCommand : AnalysisCmdlet
{
    /// <summary>The sessions to close (from Open-GoProfile); binds from the pipeline.</summary>
    [Parameter(Mandatory = true, Position = 0, ParameterSetName = "Session", ValueFromPipeline = true)]
    public GoProfileSession[] Session { get; set; } = [];

    /// <summary>Close every profile session, including those opened by the -Path forms of the pprof cmdlets.</summary>
    [Parameter(Mandatory = true, ParameterSetName = "All")]
    public SwitchParameter All { get; set; }

    /// <inheritdoc/>
    protected override void ProcessRecord()
    {
        if (All)
        {
            RunspaceSessions.Current.GoProfiles.CloseAll();
            return;
        }

        foreach (var session in Session)
            RunspaceSessions.Current.GoProfiles.Close(session);
    }
}
