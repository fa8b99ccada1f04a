using System.Collections;
using System.Management.Automation;
using System.Management.Automation.Language;
using Analysis.Dumps;

namespace Analysis.PowerShell.Completers;

/// <summary>-SymbolServer of the dump cmdlets: Microsoft's public symbol server, so no one has to type its address.</summary>
public sealed class SymbolServerCompleter : IArgumentCompleter
{
    /// <inheritdoc/>
    public IEnumerable<CompletionResult> CompleteArgument(string commandName, string parameterName, string wordToComplete, CommandAst commandAst, IDictionary fakeBoundParameters)
    {
        string word = wordToComplete.Trim('\'', '"');
        if (DumpOpenOptions.MicrosoftSymbolServer.StartsWith(word, StringComparison.OrdinalIgnoreCase))
        {
            yield return new CompletionResult($"'{DumpOpenOptions.MicrosoftSymbolServer}'", DumpOpenOptions.MicrosoftSymbolServer, CompletionResultType.ParameterValue,
                "Microsoft's public symbol server: the runtime's and the framework's files");
        }
    }
}
