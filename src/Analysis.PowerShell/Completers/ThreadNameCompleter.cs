using System.Collections;
using System.Globalization;
using System.Management.Automation;
using System.Management.Automation.Language;
using Analysis.Dumps;

namespace Analysis.PowerShell.Completers;

/// <summary>
/// -Name of Get-DumpThreads: the names of the dump's managed threads, escaped for the parameter's wildcard (threads
/// are read once per session, as the command does).
/// </summary>
public sealed class ThreadNameCompleter : IArgumentCompleter
{
    /// <inheritdoc/>
    public IEnumerable<CompletionResult> CompleteArgument(string commandName, string parameterName, string wordToComplete, CommandAst commandAst, IDictionary fakeBoundParameters) =>
        Completion.Run(wordToComplete, commandAst, fakeBoundParameters, (word, inputs) => word.Complete(
            CompletionSources.Dumps(inputs).SelectMany(d => (CompletionSources.Open(() => d.GetThreads()) ?? [])
                .Where(t => !string.IsNullOrEmpty(t.Name))
                .GroupBy(t => t.Name!, StringComparer.Ordinal)),
            g => g.Key,
            Describe,
            escapeWildcards: true));

    private static string Describe(IGrouping<string, DumpThread> threads) => threads.Count() == 1
        ? string.Create(CultureInfo.InvariantCulture, $"thread {threads.First().ManagedThreadId}, {threads.First().State}")
        : string.Create(CultureInfo.InvariantCulture, $"{threads.Count()} threads: {string.Join(", ", threads.GroupBy(t => t.State).Select(s => $"{s.Count()} {s.Key}"))}");
}
