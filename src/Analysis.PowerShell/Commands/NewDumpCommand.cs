using System.Management.Automation;
using Analysis.Dumps;

namespace Analysis.PowerShell.Commands;

/// <summary>Captures a dump of a running .NET process and returns the file.</summary>
/// <remarks>
/// <para>
/// Writes a dump of a live .NET process through its diagnostics channel (as dotnet-dump collect does) or with the
/// runtime's createdump program, and returns the file. The process is paused while its memory is written and then
/// runs on.
/// </para>
/// <para>
/// WithHeap, the usual choice, holds what every question of the dump cmdlets needs; Mini dumps answer thread
/// questions only, and Full dumps hold all process memory.
/// </para>
/// </remarks>
/// <example>
/// <code>New-Dump -ProcessId 4242 -Path ./hang.dmp | Get-DumpThreads | Where-Object IsDeadlocked</code>
/// <para>Dumps a process that stopped answering and lists the threads that wait for each other.</para>
/// </example>
/// <example>
/// <code>Get-Process -Id 4242 | New-Dump -Path ./threads-only.dmp -Kind Mini | Get-DumpThreads -State BlockedOnLock, Deadlocked</code>
/// <para>
/// A small dump without the GC heap, enough for thread questions; the process comes from Get-Process, whose Id binds
/// to -ProcessId.
/// </para>
/// </example>
[Cmdlet(VerbsCommon.New, "Dump", SupportsShouldProcess = true)]
[OutputType(typeof(FileInfo))]
public sealed class NewDumpCommand : AnalysisCmdlet
{
    /// <summary>Id of the .NET process to dump; binds from the Id of piped processes (Get-Process).</summary>
    [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true)]
    [Alias("Id", "Pid")]
    public int ProcessId { get; set; }

    /// <summary>Where to write the dump.</summary>
    [Parameter(Mandatory = true, Position = 1)]
    [ValidateNotNullOrEmpty]
    public string Path { get; set; } = "";

    /// <summary>How much of the process the dump holds.</summary>
    [Parameter]
    public DumpKind Kind { get; set; } = DumpKind.WithHeap;

    /// <summary>Which program writes the dump.</summary>
    [Parameter]
    public DumpCaptureTool Tool { get; set; } = DumpCaptureTool.DiagnosticsClient;

    /// <summary>Overwrite the file if it exists (without it, an existing file is an error and nothing is written).</summary>
    [Parameter]
    public SwitchParameter Force { get; set; }

    /// <inheritdoc/>
    protected override void ProcessRecord()
    {
        if (ConfirmOutputFile(Path, Force, $"Write a {Kind} dump of process {ProcessId}") is not { } target)
            return;
        try
        {
            RunWithProgress("Writing dump", (_, ct) =>
            {
                DumpCapture.Write(ProcessId, target, Kind, Tool, ct);
                return 0;
            });
            WriteFileItem(target);
        }
        catch (AnalysisException e)
        {
            WriteAnalysisError(e, "Dump", ProcessId);
        }
    }
}
