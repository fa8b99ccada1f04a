using System.Management.Automation;
using Analysis.Dumps;

namespace Analysis.PowerShell.Commands;

/// <summary>
/// Async state in a dump: incomplete async calls grouped by method with what they await, who awaits them and which
/// threads block on them (stuck awaits, sync over async); -Detailed lists every state machine.
/// </summary>
[Cmdlet(VerbsCommon.Get, "DumpTasks", DefaultParameterSetName = DumpSet)]
[OutputType(typeof(StuckAwaitGroup), typeof(AsyncStateMachine), typeof(SyncOverAsyncWait))]
public sealed class GetDumpTasksCommand : DumpCmdlet
{
    /// <summary>One object per async state machine instead of groups.</summary>
    [Parameter]
    public SwitchParameter Detailed { get; set; }

    /// <summary>With -Detailed: include state machines that have completed but are still referenced.</summary>
    [Parameter]
    public SwitchParameter IncludeCompleted { get; set; }

    /// <summary>Threads blocked synchronously on a task (.Result, .Wait(), GetAwaiter().GetResult()).</summary>
    [Parameter]
    public SwitchParameter SyncOverAsync { get; set; }

    /// <summary>Only async methods whose full name matches this wildcard.</summary>
    [Parameter]
    [SupportsWildcards]
    [ArgumentCompleter(typeof(Completers.AsyncMethodCompleter))]
    public string? Method { get; set; }

    protected override void ProcessDump(DumpSession session)
    {
        var report = RunWithProgress("Reading async state machines", (progress, ct) => session.GetAsyncState(progress, ct));
        foreach (string warning in session.GraphWarnings)
            WriteWarning(warning);
        var filter = Method is null ? null : new Wildcard(Method);
        if (SyncOverAsync)
        {
            foreach (var wait in report.SyncWaits)
                WriteResult(wait);
            return;
        }

        if (Detailed)
        {
            foreach (var machine in report.StateMachines.Where(m => (IncludeCompleted || !m.IsCompleted) && (filter is null || filter.IsMatch(m.Method))))
                WriteResult(machine);
            return;
        }

        foreach (var group in report.Groups.Where(g => filter is null || filter.IsMatch(g.Method)))
            WriteResult(group);
    }
}
