using System.Collections;
using System.Globalization;
using System.Management.Automation;
using System.Management.Automation.Language;
using Analysis.Go;

namespace Analysis.PowerShell.Completers;

/// <summary>
/// -Function of Get-PprofPeek: the profile's functions, heaviest cumulative value first in the line's -SampleIndex
/// (or the profile's default when that names none).
/// </summary>
public sealed class PprofFunctionCompleter : IArgumentCompleter
{
    /// <inheritdoc/>
    public IEnumerable<CompletionResult> CompleteArgument(string commandName, string parameterName, string wordToComplete, CommandAst commandAst, IDictionary fakeBoundParameters) =>
        Completion.Run(wordToComplete, commandAst, fakeBoundParameters, (word, inputs) => word.Complete(
            CompletionSources.Profiles(inputs).SelectMany(p => ByCumulative(p, inputs.BoundString("SampleIndex"))),
            r => r.Function,
            r => string.Create(CultureInfo.InvariantCulture, $"{r.SampleType}: cum {r.CumText} ({r.CumPercent}%), flat {r.FlatText} ({r.FlatPercent}%)")));

    private static IReadOnlyList<PprofTopRow> ByCumulative(PprofProfile profile, string? sampleIndex) =>
        CompletionSources.Open(() => PprofQueries.Top(profile, int.MaxValue, sampleIndex, byCum: true))
        ?? CompletionSources.Open(() => PprofQueries.Top(profile, int.MaxValue, byCum: true))
        ?? [];
}
