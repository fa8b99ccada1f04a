using System.Management.Automation;
using Analysis.Go;

namespace Analysis.PowerShell.Commands;

/// <summary>Reads a Go program's core dump once and returns a session that later commands reuse.</summary>
/// <remarks>
/// <para>
/// Reads an ELF core of a Go process (linux/amd64, Go 1.21 and later) with the executable that wrote it: every
/// goroutine's stack, the threads, the crash and the runtime's memory state, and keeps them for this PowerShell
/// session. Get-Goroutines, Find-GoroutineLeak, Group-Stacks and Get-GoCoreInfo given the session (-Core, or from the
/// pipeline), or the same core by path, answer from it without reading the core again. Close-GoCore releases it.
/// </para>
/// <para>
/// Code and read-only data come from the executable (the kernel leaves them out of the core), so the executable must be
/// the very build that ran: without -Executable, the one the core names is used if it is on this machine. A missing
/// executable (GoExecutableNotFound), another build (WrongGoExecutable) and a file that is not a Go core (NotAGoCore)
/// are errors here, not at the first question. What could not be read is written as warnings.
/// </para>
/// </remarks>
/// <example>
/// <code>
/// $core = Open-GoCore ./crash.core -Executable ./leaky
/// $core | Get-GoCoreInfo
/// $core | Get-Goroutines | Group-Stacks
/// </code>
/// <para>Reads a crashed process's core once and asks it two questions: what crashed, and where the goroutines were.</para>
/// </example>
/// <example>
/// <code>
/// Open-GoCore ./many.core -Executable ./leaky | Out-Null
/// Find-GoroutineLeak ./many.core -MinWaitMinutes 0
/// </code>
/// <para>A question that names the core by path uses the session opened for it (with its executable); the core is read once.</para>
/// </example>
[Cmdlet(VerbsCommon.Open, "GoCore", DefaultParameterSetName = PathSet)]
[OutputType(typeof(GoCore))]
public sealed class OpenGoCoreCommand : GoCoreCmdlet
{
    /// <inheritdoc/>
    protected override string Artifact => GoCmdlets.CoreArtifact;

    /// <inheritdoc/>
    protected override void ProcessFile(string path)
    {
        if (OpenCore(path, keepOpen: true) is { } core)
            WriteObject(core);
    }
}
