using System.Management.Automation;
using Analysis.Dumps;

namespace Analysis.PowerShell.Commands;

/// <summary>Lists async work in a dump: incomplete async calls by method, what they await, who awaits them and which threads block on them.</summary>
/// <remarks>
/// <para>
/// Finds every async state machine on the heap (the runtime's AsyncStateMachineBox objects: struct state machines of
/// optimized code and class ones of debug code), reads its state and current awaiter, and follows continuations to
/// build the chains of async methods awaiting each other.
/// </para>
/// <para>
/// By default returns one StuckAwaitGroup per async method with incomplete calls: Count, Awaiting (another async
/// method, Task.Delay, a Task completed only by a TaskCompletionSource …), AwaitedBy (the callers' chain) and
/// BlockedThreads (threads blocked synchronously on one of these tasks: sync over async). -Detailed returns one
/// AsyncStateMachine per call; -SyncOverAsync the threads blocked in Task.Wait, .Result or GetResult() with the task
/// they wait for.
/// </para>
/// </remarks>
/// <example>
/// <code>Get-DumpTasks ./app.dmp</code>
/// <para>
/// Incomplete async calls by method, e.g. 7 × Contoso.Async.PaymentClient.WaitForConfirmationAsync ←
/// Contoso.Async.CheckoutFlow.RunAsync awaiting Task&lt;Boolean&gt; (not completed …).
/// </para>
/// </example>
/// <example>
/// <code>Get-DumpTasks ./app.dmp -SyncOverAsync</code>
/// <para>The threads blocked in .Result, .Wait() or GetResult(), and the async method they wait for.</para>
/// </example>
/// <example>
/// <code>Get-DumpTasks ./app.dmp -Detailed -Method '*Checkout*' | Where-Object State -ge 0</code>
/// <para>Every suspended checkout call with the await it is at.</para>
/// </example>
[Cmdlet(VerbsCommon.Get, "DumpTasks", DefaultParameterSetName = DumpSet)]
[OutputType(typeof(StuckAwaitGroup), typeof(AsyncStateMachine), typeof(SyncOverAsyncWait))]
public sealed class GetDumpTasksCommand : DumpCmdlet
{
    /// <summary>
    /// One AsyncStateMachine per async call instead of groups (Address, Method, State, Status, Awaiting, Continuations,
    /// AwaitedBy).
    /// </summary>
    [Parameter]
    public SwitchParameter Detailed { get; set; }

    /// <summary>With -Detailed: include state machines that have completed but are still referenced.</summary>
    [Parameter]
    public SwitchParameter IncludeCompleted { get; set; }

    /// <summary>Return the threads blocked synchronously on a task (.Result, .Wait(), GetAwaiter().GetResult()) instead.</summary>
    [Parameter]
    public SwitchParameter SyncOverAsync { get; set; }

    /// <summary>Only async methods whose full name matches this wildcard.</summary>
    [Parameter]
    [SupportsWildcards]
    [ArgumentCompleter(typeof(Completers.AsyncMethodCompleter))]
    public string? Method { get; set; }

    /// <inheritdoc/>
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
