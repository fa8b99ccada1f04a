using System.Management.Automation;
using Analysis.Go;

namespace Analysis.PowerShell.Commands;

/// <summary>Tells what a Go core dump says about the process: version, crash, threads and memory state.</summary>
/// <remarks>
/// <para>
/// Reads a Go program's core dump with its executable (-Executable; or an Open-GoCore session as -Core or from the
/// pipeline) and returns a GoCoreInfo: the Go version, the process id and command line, the signal the core was written
/// for and the fault that started the crash (FaultSignal, FaultAddress, FaultPc), the goroutine and thread that crashed,
/// the panic value and its type, the OS threads (Threads: each one's M, goroutine and function), the goroutine count,
/// and the runtime's memory state (Memory: heap live, marked, in use and goal, GC count, the last GC's wall time, GC CPU
/// fraction, the process's start time) with the warnings of what could not be read.
/// </para>
/// </remarks>
/// <example>
/// <code>Get-GoCoreInfo ./crash.core -Executable ./leaky</code>
/// <para>Why the process died: the signal, the panic value and the goroutine that panicked.</para>
/// </example>
/// <example>
/// <code>(Get-GoCoreInfo ./segv.core -Executable ./leaky).Threads | Where-Object Goroutine -gt 0</code>
/// <para>The OS threads that were running a goroutine when the core was written.</para>
/// </example>
/// <example>
/// <code>(Open-GoCore ./hang.core -Executable ./leaky | Get-GoCoreInfo).Memory</code>
/// <para>The runtime's heap and GC state when the process was stopped.</para>
/// </example>
[Cmdlet(VerbsCommon.Get, "GoCoreInfo", DefaultParameterSetName = CoreSet)]
[OutputType(typeof(GoCoreInfo))]
public sealed class GetGoCoreInfoCommand : GoCoreQueryCmdlet
{
    /// <inheritdoc/>
    protected override string Artifact => GoCmdlets.CoreArtifact;

    /// <inheritdoc/>
    protected override bool ReadsTextDumps => false;

    /// <inheritdoc/>
    protected override void AnswerCore(GoCore core) => WriteResult(core.Info);
}
