using System.Management.Automation;
using Analysis.Go;

namespace Analysis.PowerShell.Commands;

/// <summary>Finds goroutine leaks: many goroutines blocked for minutes on a channel, select or lock.</summary>
/// <remarks>
/// <para>
/// Groups the dump (arguments ignored) and returns the buckets of at least -MinGoroutines goroutines in a blocking
/// state (chan receive or send, select, sync.Mutex, RWMutex, Cond or WaitGroup, semacquire, IO wait) for at least
/// -MinWaitMinutes, largest first, with the site where they wait and the function that created them.
/// </para>
/// <para>For debug=1 dumps, which have no states, the state is inferred from the top frames.</para>
/// <para>
/// A Go core dump is read with its executable (-Executable, or an Open-GoCore session as -Core or from the pipeline),
/// as Get-Goroutines reads it; its wait times come from the runtime's own record of when each goroutine blocked.
/// </para>
/// </remarks>
/// <example>
/// <code>Find-GoroutineLeak ./goroutines.txt</code>
/// <para>The leak suspects, with where they block and who created them.</para>
/// </example>
/// <example>
/// <code>Find-GoroutineLeak ./goroutines-debug1.txt -MinGoroutines 50</code>
/// <para>The same question of a debug=1 dump (counts per stack, no states), only buckets of 50 goroutines or more.</para>
/// </example>
/// <example>
/// <code>Find-GoroutineLeak ./many.core -Executable ./leaky -MinWaitMinutes 0</code>
/// <para>The leak suspects of a process's core dump, however long they have waited.</para>
/// </example>
[Cmdlet(VerbsCommon.Find, "GoroutineLeak", DefaultParameterSetName = CoreSet)]
[OutputType(typeof(LeakSuspect))]
public sealed class FindGoroutineLeakCommand : GoCoreQueryCmdlet
{
    /// <summary>The smallest bucket to report.</summary>
    [Parameter]
    [ValidateRange(1, int.MaxValue)]
    public int MinGoroutines { get; set; } = 10;

    /// <summary>The shortest wait to report, in minutes (debug=1 dumps have no wait times).</summary>
    [Parameter]
    [ValidateRange(0, int.MaxValue)]
    public int MinWaitMinutes { get; set; } = 1;

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
        foreach (var s in GoroutineLeaks.Find(dump, MinGoroutines, MinWaitMinutes))
            WriteResult(s);
    }
}
