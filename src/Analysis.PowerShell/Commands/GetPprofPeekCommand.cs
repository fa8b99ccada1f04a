using System.Management.Automation;
using Analysis.Go;

namespace Analysis.PowerShell.Commands;

/// <summary>Shows the callers and callees of functions in a profile, like go tool pprof -peek.</summary>
/// <remarks>
/// <para>
/// For each function matching -Function: its callers, its own (self) value and its callees, with the value flowing
/// through each edge.
/// </para>
/// </remarks>
/// <example>
/// <code>Get-PprofPeek ./heap-2.pb.gz -Function '*orders.remember'</code>
/// <para>Who allocates through orders.remember, and how much.</para>
/// </example>
/// <example>
/// <code>Get-PprofPeek ./cpu.pb.gz -Function 'crypto/sha256.Sum256' | Where-Object Relation -eq 'caller'</code>
/// <para>Where the hashing CPU time comes from.</para>
/// </example>
[Cmdlet(VerbsCommon.Get, "PprofPeek", DefaultParameterSetName = ProfileSet)]
[OutputType(typeof(PprofPeekRow))]
public sealed class GetPprofPeekCommand : PprofCmdlet
{
    /// <summary>Functions to look at (wildcard, e.g. '*orders.remember').</summary>
    [Parameter(Mandatory = true)]
    [SupportsWildcards]
    [ArgumentCompleter(typeof(Completers.PprofFunctionCompleter))]
    public string Function { get; set; } = "";

    /// <inheritdoc/>
    protected override void Process(PprofProfile profile)
    {
        foreach (var row in PprofQueries.Peek(profile, Function, SampleIndex, Label))
            WriteResult(row);
    }
}
