using System.Management.Automation;
using Analysis.Traces;

namespace Analysis.PowerShell.Commands;

/// <summary>The functions with the most CPU samples, exclusive (default) or inclusive, like dotnet-trace report topN.</summary>
[Cmdlet(VerbsCommon.Get, "TraceCpuTop", DefaultParameterSetName = TraceSet)]
[OutputType(typeof(CpuFunction))]
public sealed class GetTraceCpuTopCommand : TraceCmdlet
{
    [Parameter]
    [ValidateRange(1, int.MaxValue)]
    public int Top { get; set; } = 20;

    /// <summary>Rank by inclusive samples (time in the function and what it calls).</summary>
    [Parameter]
    public SwitchParameter Inclusive { get; set; }

    /// <summary>Only these OS thread ids.</summary>
    [Parameter]
    public int[]? Thread { get; set; }

    /// <summary>Count waiting threads too (wall-clock), not only threads running managed code.</summary>
    [Parameter]
    public SwitchParameter AllSamples { get; set; }

    protected override void ProcessTrace(TraceSession session, TraceAnalysis analysis)
    {
        foreach (var row in analysis.GetCpuTop(Top, Inclusive, AllSamples ? SampleFilter.All : SampleFilter.Managed, Thread))
            WriteResult(row);
    }
}
