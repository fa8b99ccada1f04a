using System.Management.Automation;
using Analysis.Go;

namespace Analysis.PowerShell.Commands;

/// <summary>Closes Go core sessions and frees the goroutines and state they hold.</summary>
/// <remarks>
/// <para>
/// Closes sessions returned by Open-GoCore, or with -All every core session of this PowerShell session, including
/// those the -Path forms of Get-Goroutines, Find-GoroutineLeak, Group-Stacks and Get-GoCoreInfo opened by themselves
/// (the last three are kept for the next question).
/// </para>
/// <para>A closed session answers no more questions (SessionClosed). Goroutines already returned stay usable.</para>
/// </remarks>
/// <example>
/// <code>
/// $core = Open-GoCore ./crash.core -Executable ./leaky
/// ($core | Get-GoCoreInfo).PanicValue
/// $core | Close-GoCore
/// </code>
/// <para>Asks one question of a core, then frees it.</para>
/// </example>
/// <example>
/// <code>
/// Get-Goroutines ./hang.core -Executable ./leaky | Measure-Object
/// Close-GoCore -All
/// </code>
/// <para>A core given by path is kept for the next question; Close-GoCore -All frees every core read so far.</para>
/// </example>
[Cmdlet(VerbsCommon.Close, "GoCore", DefaultParameterSetName = "Session")]
[OutputType(typeof(void))]
public sealed class CloseGoCoreCommand : AnalysisCmdlet
{
    /// <summary>The sessions to close (from Open-GoCore); binds from the pipeline.</summary>
    [Parameter(Mandatory = true, Position = 0, ParameterSetName = "Session", ValueFromPipeline = true)]
    public GoCore[] Session { get; set; } = [];

    /// <summary>Close every core session, including those opened by the -Path forms of the Go cmdlets.</summary>
    [Parameter(Mandatory = true, ParameterSetName = "All")]
    public SwitchParameter All { get; set; }

    /// <inheritdoc/>
    protected override void ProcessRecord()
    {
        if (All)
        {
            RunspaceSessions.Current.GoCores.CloseAll();
            return;
        }

        foreach (var session in Session)
            RunspaceSessions.Current.GoCores.Close(session);
    }
}
