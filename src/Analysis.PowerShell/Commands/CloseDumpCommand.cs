using System.Management.Automation;
using Analysis.Dumps;

namespace Analysis.PowerShell.Commands;

/// <summary>Closes dump sessions and releases their files.</summary>
/// <remarks>
/// <para>
/// Closes sessions returned by Open-Dump, or with -All every dump session of this PowerShell session, including those
/// the -Path forms of the dump cmdlets open by themselves (the last three are kept open for the next question).
/// </para>
/// <para>A closed session answers no more questions; the memory it holds (heap statistics, object-graph index) is freed.</para>
/// </remarks>
/// <example>
/// <code>
/// $d = Open-Dump ./app.dmp
/// $d | Get-DumpTriage -SkipHeap
/// $d | Close-Dump
/// </code>
/// <para>Triage with a session of its own, then releases the dump file and what the session has read.</para>
/// </example>
/// <example>
/// <code>
/// Get-HeapTop ./before.dmp -Top 3
/// Get-HeapTop ./after.dmp -Top 3
/// Close-Dump -All
/// </code>
/// <para>Dumps given by path stay open for the next question; Close-Dump -All releases them, e.g. before the files are moved.</para>
/// </example>
[Cmdlet(VerbsCommon.Close, "Dump", DefaultParameterSetName = "Dump")]
[OutputType(typeof(void))]
public sealed class CloseDumpCommand : AnalysisCmdlet
{
    /// <summary>The sessions to close (from Open-Dump); binds from the pipeline.</summary>
    [Parameter(Mandatory = true, Position = 0, ParameterSetName = "Dump", ValueFromPipeline = true)]
    public DumpSession[] Dump { get; set; } = [];

    /// <summary>Close every open dump session, including those opened by the -Path forms of the dump cmdlets.</summary>
    [Parameter(Mandatory = true, ParameterSetName = "All")]
    public SwitchParameter All { get; set; }

    /// <inheritdoc/>
    protected override void ProcessRecord()
    {
        if (All)
        {
            RunspaceSessions.Current.Dumps.CloseAll();
            return;
        }

        foreach (var session in Dump)
            RunspaceSessions.Current.Dumps.Close(session);
    }
}
