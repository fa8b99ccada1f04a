using System.Collections;
using System.Globalization;
using System.Management.Automation;
using System.Management.Automation.Language;

namespace Analysis.PowerShell.Completers;

/// <summary>
/// -Type of Get-TraceExceptions: the exception types thrown in the trace, most thrown first, escaped for the
/// parameter's wildcard (reads the trace once per session, as the command does).
/// </summary>
public sealed class ExceptionTypeCompleter : IArgumentCompleter
{
    /// <inheritdoc/>
    public IEnumerable<CompletionResult> CompleteArgument(string commandName, string parameterName, string wordToComplete, CommandAst commandAst, IDictionary fakeBoundParameters) =>
        Completion.Run(wordToComplete, commandAst, fakeBoundParameters, (word, inputs) => word.Complete(
            CompletionSources.Traces(inputs).SelectMany(t => CompletionSources.Open(() => t.GetAnalysis())?.CountExceptionsByType() ?? []),
            e => e.Type,
            e => string.Create(CultureInfo.InvariantCulture, $"{e.Count:N0} thrown"),
            escapeWildcards: true));
}
