using System.Management.Automation;
using Analysis.Traces;

namespace Analysis.PowerShell.Commands;

/// <summary>Lists sampled stacks in folded form with their sample counts.</summary>
/// <remarks>
/// <para>
/// Each FoldedStack is 'root;…;leaf' (Module!Function frames) with its sample count, largest first: the input of
/// flame-graph tools. Export-TraceStacks writes them to a file.
/// </para>
/// </remarks>
/// <example>
/// <code>Get-TraceStacks ./app.nettrace | Where-Object Stack -like '*Contoso*'</code>
/// <para>The stacks through the application's code.</para>
/// </example>
/// <example>
/// <code>Get-TraceStacks ./app.nettrace -PerThread | Select-Object -First 5</code>
/// <para>The five heaviest stacks, each starting with its thread.</para>
/// </example>
[Cmdlet(VerbsCommon.Get, "TraceStacks", DefaultParameterSetName = TraceSet)]
[OutputType(typeof(FoldedStack))]
public sealed class GetTraceStacksCommand : TraceCmdlet
{
    /// <summary>Only these OS thread ids.</summary>
    [Parameter]
    public int[]? Thread { get; set; }

    /// <summary>
    /// Count all samples (wall-clock, waiting threads included); by default only samples of threads running managed
    /// code (CPU).
    /// </summary>
    [Parameter]
    public SwitchParameter AllSamples { get; set; }

    /// <summary>Start each stack with its thread ("thread 1234;…").</summary>
    [Parameter]
    public SwitchParameter PerThread { get; set; }

    /// <inheritdoc/>
    protected override void ProcessTrace(TraceSession session, TraceAnalysis analysis)
    {
        foreach (var stack in analysis.GetFoldedStacks(AllSamples ? SampleFilter.All : SampleFilter.Managed, Thread, PerThread))
            WriteResult(stack);
    }
}
