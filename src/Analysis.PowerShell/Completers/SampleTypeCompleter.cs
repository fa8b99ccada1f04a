using System.Collections;
using System.Globalization;
using System.Management.Automation;
using System.Management.Automation.Language;

namespace Analysis.PowerShell.Completers;

/// <summary>-SampleIndex of the pprof cmdlets: the sample types the profile declares, in its order, with their units.</summary>
public sealed class SampleTypeCompleter : IArgumentCompleter
{
    /// <inheritdoc/>
    public IEnumerable<CompletionResult> CompleteArgument(string commandName, string parameterName, string wordToComplete, CommandAst commandAst, IDictionary fakeBoundParameters) =>
        Completion.Run(wordToComplete, commandAst, fakeBoundParameters, (word, inputs) => word.Complete(
            CompletionSources.Profiles(inputs).SelectMany(p => p.SampleTypes.Select((t, i) => (t.Type, t.Unit, IsDefault: i == p.DefaultSampleIndex))),
            t => t.Type,
            t => string.Create(CultureInfo.InvariantCulture, $"{t.Type} ({t.Unit}){(t.IsDefault ? ", the default" : "")}")));
}
