using System.Management.Automation;
using Analysis.Go;

namespace Analysis.PowerShell.Commands;

/// <summary>The heaviest sampled stacks with their values and labels, like go tool pprof -traces.</summary>
[Cmdlet(VerbsCommon.Get, "PprofTraces", DefaultParameterSetName = ProfileSet)]
[OutputType(typeof(PprofTrace))]
public sealed class GetPprofTracesCommand : PprofCmdlet
{
    [Parameter]
    [ValidateRange(1, int.MaxValue)]
    public int Top { get; set; } = 20;

    protected override void Process(PprofProfile profile)
    {
        foreach (var t in PprofQueries.Traces(profile, Top, SampleIndex, Label))
            WriteResult(t);
    }
}
