using System.Management.Automation;
using Analysis.Go;

namespace Analysis.PowerShell.Commands;

/// <summary>Reads a Go goroutine dump, or a Go program's core dump, and returns its goroutines.</summary>
/// <remarks>
/// <para>
/// Parses pprof goroutine debug=2 text, panic and SIGQUIT output (the header forms of Go 1.19 to 1.23: wait reasons,
/// minutes, 'locked to thread', gp= and m= fields, 'created by X in goroutine N', inlined (...) frames, elided frames)
/// and debug=1 aggregated records (counts, '# labels:').
/// </para>
/// <para>
/// A core file (an ELF core written by the kernel with ulimit -c unlimited, by kill -ABRT under GOTRACEBACK=crash, or
/// by gcore; linux/amd64, Go 1.21 and later) is read with the executable that wrote it (-Executable; without it the
/// one the core names, if it is on this machine), through this PowerShell session's core sessions: a core opened with
/// Open-GoCore, or asked about before, is not read again. Its goroutines are the same objects as a text dump's, with
/// the OS thread running each (ThreadId, M); what could not be read is written as warnings.
/// </para>
/// <para>
/// Each Goroutine has Id, State, WaitMinutes, LockedToThread, Frames (function, file, line, arguments), TopFrame (the
/// first frame outside the runtime's waiting code), CreatedBy, Labels and Count. Lines that cannot be placed are
/// reported as a warning (each one with -Verbose); parsing continues at the next goroutine.
/// </para>
/// </remarks>
/// <example>
/// <code>Get-Goroutines ./goroutines.txt -State 'chan*' -MinWaitMinutes 1</code>
/// <para>The goroutines stuck on a channel for a minute or more.</para>
/// </example>
/// <example>
/// <code>Get-Goroutines ./goroutines.txt | Group-Stacks</code>
/// <para>The dump as buckets of identical stacks.</para>
/// </example>
/// <example>
/// <code>Get-Goroutines ./panic.txt | Select-Object -First 1 -ExpandProperty Frames</code>
/// <para>The stack of the goroutine that panicked: a panic's output starts with it.</para>
/// </example>
/// <example>
/// <code>Get-Goroutines ./hang.core -Executable ./leaky -State 'sync.Mutex*'</code>
/// <para>The goroutines of a hung process's core (kill -ABRT under GOTRACEBACK=crash) waiting for a mutex.</para>
/// </example>
/// <example>
/// <code>Open-GoCore ./crash.core -Executable ./leaky | Get-Goroutines | Select-Object -First 1 -ExpandProperty Frames</code>
/// <para>The stack of the goroutine that crashed: a core lists it first, as the runtime's traceback does.</para>
/// </example>
[Cmdlet(VerbsCommon.Get, "Goroutines", DefaultParameterSetName = CoreSet)]
[OutputType(typeof(Goroutine))]
public sealed class GetGoroutinesCommand : GoCoreQueryCmdlet
{
    /// <summary>Only goroutines whose state (wait reason) matches this wildcard, e.g. 'chan*' or 'sync.Mutex*'.</summary>
    [Parameter]
    [SupportsWildcards]
    public string? State { get; set; }

    /// <summary>Only goroutines waiting at least this many minutes.</summary>
    [Parameter]
    [ValidateRange(0, int.MaxValue)]
    public int MinWaitMinutes { get; set; }

    /// <inheritdoc/>
    protected override string Artifact => "GoroutineDump";

    /// <inheritdoc/>
    protected override string InputNoun => "goroutine dump or core";

    /// <inheritdoc/>
    protected override void AnswerTextDump(string path)
    {
        var dump = RunWithProgress("Reading goroutine dump", (progress, ct) => GoroutineDumpParser.ParseFile(path, progress, ct));
        GoCmdlets.ReportSkipped(this, dump.Skipped);
        Write(dump);
    }

    /// <inheritdoc/>
    protected override void AnswerCore(GoCore core) => Write(core.Goroutines);

    private void Write(GoroutineDump dump)
    {
        var pattern = State is null ? null : new WildcardPattern(State, WildcardOptions.IgnoreCase);
        foreach (var g in dump.Goroutines)
        {
            if ((pattern is null || pattern.IsMatch(g.State)) && g.WaitMinutes >= MinWaitMinutes)
                WriteResult(g);
        }
    }
}
