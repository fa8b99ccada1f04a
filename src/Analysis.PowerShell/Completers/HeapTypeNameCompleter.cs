using System.Collections;
using System.Globalization;
using System.Management.Automation;
using System.Management.Automation.Language;

namespace Analysis.PowerShell.Completers;

/// <summary>
/// -TypeName of Get-HeapTop, Get-GcRoot and Compare-Heap: the type names on the dump's GC heap, largest total size
/// first, from the session's cached heap statistics (the walk the command itself needs).
/// </summary>
public sealed class HeapTypeNameCompleter : IArgumentCompleter
{
    /// <inheritdoc/>
    public IEnumerable<CompletionResult> CompleteArgument(string commandName, string parameterName, string wordToComplete, CommandAst commandAst, IDictionary fakeBoundParameters) =>
        Completion.Run(wordToComplete, commandAst, fakeBoundParameters, (word, inputs) => word.Complete(
            CompletionSources.Dumps(inputs).SelectMany(d => CompletionSources.Open(() => d.GetHeapStatistics())?.Types ?? []),
            t => t.TypeName,
            t => string.Create(CultureInfo.InvariantCulture, $"{t.Count:N0} objects, {Bytes.Format(t.TotalSize)}")));
}
