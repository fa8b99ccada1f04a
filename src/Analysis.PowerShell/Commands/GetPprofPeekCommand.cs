using System.Management.Automation;
using Analysis.Go;

namespace Analysis.PowerShell.Commands;

/// <summary>Callers and callees of matching functions with their values, like go tool pprof -peek.</summary>
[Cmdlet(VerbsCommon.Get, "PprofPeek", DefaultParameterSetName = ProfileSet)]
[OutputType(typeof(PprofPeekRow))]
public sealed class GetPprofPeekCommand : PprofCmdlet
{
    /// <summary>Functions to look at (wildcard, e.g. '*orders.remember').</summary>
    [Parameter(Mandatory = true)]
    [SupportsWildcards]
    [ArgumentCompleter(typeof(Completers.PprofFunctionCompleter))]
    public string Function { get; set; } = "";

    protected override void Process(PprofProfile profile)
    {
        foreach (var row in PprofQueries.Peek(profile, Function, SampleIndex, Label))
            WriteResult(row);
    }
}
