using System.Collections;
using System.Globalization;
using System.Management.Automation;
using System.Management.Automation.Language;
using Analysis.Dumps;

namespace Analysis.PowerShell.Completers;

/// <summary>
/// -Method of Get-DumpTasks: the async methods of the dump's state machines, the stuck groups first. Only when the
/// session has indexed the object graph already (Get-DumpTasks, Get-GcRoot, Get-HeapTop -Retained or Get-DumpTriage
/// ran): indexing it is a heap pass that Tab must not start.
/// </summary>
public sealed class AsyncMethodCompleter : IArgumentCompleter
{
    /// <inheritdoc/>
    public IEnumerable<CompletionResult> CompleteArgument(string commandName, string parameterName, string wordToComplete, CommandAst commandAst, IDictionary fakeBoundParameters) =>
        Completion.Run(wordToComplete, commandAst, fakeBoundParameters, (word, inputs) => word.Complete(
            CompletionSources.Dumps(inputs).Where(d => d.IsGraphIndexed).SelectMany(Methods),
            m => m.Method,
            m => m.ToolTip));

    private static IEnumerable<(string Method, string ToolTip)> Methods(DumpSession session)
    {
        var report = CompletionSources.Open(() => session.GetAsyncState());
        if (report is null)
            return [];
        var stuck = report.Groups.Select(g => (g.Method,
            string.Create(CultureInfo.InvariantCulture, $"{g.Count:N0} not completed{(g.Awaiting is { } a ? ", awaiting " + a : "")}")));
        var all = report.StateMachines.GroupBy(m => m.Method, StringComparer.Ordinal).Select(m => (m.Key,
            string.Create(CultureInfo.InvariantCulture, $"{m.Count():N0} state machines, {m.Count(x => x.IsCompleted):N0} completed")));
        return stuck.Concat(all);
    }
}
