using System.Management.Automation;
using Analysis.Go;

namespace Analysis.PowerShell.Commands;

/// <summary>Lists the heaviest sampled stacks of a profile, like go tool pprof -traces.</summary>
/// <remarks>
/// <para>Samples merged by stack and labels, heaviest first, with their frames and labels.</para>
/// </remarks>
/// <example>
/// <code>Get-PprofTraces ./goroutine.pb.gz -Label handler=orders</code>
/// <para>The goroutine stacks labelled handler=orders.</para>
/// </example>
/// <example>
/// <code>Get-PprofTraces ./block.pb.gz -Top 3</code>
/// <para>The three stacks that spent the longest blocked (channel operations, select, locks).</para>
/// </example>
[Cmdlet(VerbsCommon.Get, "PprofTraces", DefaultParameterSetName = ProfileSet)]
[OutputType(typeof(PprofTrace))]
public sealed class GetPprofTracesCommand : PprofCmdlet
{
    /// <summary>How many stacks to return.</summary>
    [Parameter]
    [ValidateRange(1, int.MaxValue)]
    public int Top { get; set; } = 20;

    /// <inheritdoc/>
    protected override void Process(PprofProfile profile)
    {
        foreach (var t in PprofQueries.Traces(profile, Top, SampleIndex, Label))
            WriteResult(t);
    }
}
