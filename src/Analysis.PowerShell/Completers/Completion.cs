using System.Collections;
using System.Management.Automation;
using System.Management.Automation.Language;

namespace Analysis.PowerShell.Completers;

/// <summary>
/// What every completer of ours does around its question: find the artifacts of the command line
/// (<see cref="CommandLineInputs"/>), ask them for names, return those matching the word, quoted. Never throws and never
/// writes: a line whose input cannot be read completes nothing (and PowerShell then offers nothing, not file names).
/// </summary>
internal static class Completion
{
    public static IEnumerable<CompletionResult> Run(string? wordToComplete, CommandAst? commandAst, IDictionary? fakeBoundParameters,
        Func<CompletionWord, CommandLineInputs, List<CompletionResult>> complete)
    {
        try
        {
            return complete(CompletionWord.Parse(wordToComplete), CommandLineInputs.Find(commandAst, fakeBoundParameters));
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            return [];
        }
    }
}
