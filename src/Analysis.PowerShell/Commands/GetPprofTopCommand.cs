using System.Management.Automation;
using Analysis.Go;

namespace Analysis.PowerShell.Commands;

/// <summary>The functions with the largest values in a profile, like go tool pprof -top.</summary>
[Cmdlet(VerbsCommon.Get, "PprofTop", DefaultParameterSetName = ProfileSet)]
[OutputType(typeof(PprofTopRow))]
public sealed class GetPprofTopCommand : PprofCmdlet
{
    [Parameter]
    [ValidateRange(1, int.MaxValue)]
    public int Top { get; set; } = 20;

    /// <summary>Rank by cumulative value (the function and everything it calls) instead of flat.</summary>
    [Parameter]
    public SwitchParameter Cumulative { get; set; }

    protected override void Process(PprofProfile profile)
    {
        foreach (var row in PprofQueries.Top(profile, Top, SampleIndex, Cumulative, Label))
            WriteResult(row);
    }
}
