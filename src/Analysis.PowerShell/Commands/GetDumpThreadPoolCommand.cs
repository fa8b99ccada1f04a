using System.Management.Automation;
using Analysis.Dumps;

namespace Analysis.PowerShell.Commands;

/// <summary>Shows the thread pool of a dump: busy and idle workers, what the busy ones run, queued work items, timers and starvation.</summary>
/// <remarks>
/// <para>
/// Returns one ThreadPoolReport: MinWorkers, MaxWorkers, ActiveWorkers and IdleWorkers (from the runtime), BusyWorkers
/// (workers inside a work item, grouped by the application frame they run and the wait they are in), Queued (work
/// items in the global, high- and low-priority and worker-local queues, grouped: the work item type, 'Task running
/// &lt;method&gt;', 'work item &lt;method&gt;', 'continuation of &lt;async method&gt;'), Timers (grouped by callback and
/// period) and IsStarved.
/// </para>
/// <para>The pool counts as starved when work is queued and no worker is idle, the pool being at its limit or every worker busy.</para>
/// </remarks>
/// <example>
/// <code>Get-DumpThreadPool ./app.dmp</code>
/// <para>Worker counts, what blocks the busy workers, and how much work waits behind them.</para>
/// </example>
/// <example>
/// <code>(Get-DumpThreadPool ./app.dmp).Queued | ForEach-Object { '{0,6} {1}' -f $_.Count, $_.Description }</code>
/// <para>The queued work by kind.</para>
/// </example>
[Cmdlet(VerbsCommon.Get, "DumpThreadPool", DefaultParameterSetName = DumpSet)]
[OutputType(typeof(ThreadPoolReport))]
public sealed class GetDumpThreadPoolCommand : DumpCmdlet
{
    /// <inheritdoc/>
    protected override void ProcessDump(DumpSession session)
    {
        var report = RunWithProgress("Reading the thread pool", (_, ct) => session.GetThreadPool(ct));
        foreach (string warning in report.Warnings)
            WriteWarning(warning);
        WriteResult(report);
    }
}
