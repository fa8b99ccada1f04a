using System.Management.Automation;
using Analysis.Traces;

namespace Analysis.PowerShell.Commands;

/// <summary>Sampled stacks in folded form ("root;…;leaf") with counts, largest first — the input of flame graphs.</summary>
[Cmdlet(VerbsCommon.Get, "TraceStacks", DefaultParameterSetName = TraceSet)]
[OutputType(typeof(FoldedStack))]
public sealed class GetTraceStacksCommand : TraceCmdlet
{
    [Parameter]
    public int[]? Thread { get; set; }

    [Parameter]
    public SwitchParameter AllSamples { get; set; }

    /// <summary>Start each stack with its thread ("thread 1234;…").</summary>
    [Parameter]
    public SwitchParameter PerThread { get; set; }

    protected override void ProcessTrace(TraceSession session, TraceAnalysis analysis)
    {
        foreach (var stack in analysis.GetFoldedStacks(AllSamples ? SampleFilter.All : SampleFilter.Managed, Thread, PerThread))
            WriteResult(stack);
    }
}
