using System.Management.Automation;
using Analysis.Traces;

namespace Analysis.PowerShell.Commands;

/// <summary>Lists the functions with the most CPU samples, exclusive or inclusive, like dotnet-trace report topN.</summary>
/// <remarks>
/// <para>
/// Counts SampleProfiler samples per function. By default only samples of threads running managed code count (the
/// sampler is wall-clock: waiting threads are sampled too); -AllSamples counts them all.
/// </para>
/// <para>
/// Exclusive counts the function at the top of the stack; -Inclusive ranks by the time in the function and everything
/// it calls. Functions without a method name (native code, or a trace without rundown) appear as '[native or
/// unresolved code]'.
/// </para>
/// </remarks>
/// <example>
/// <code>Get-TraceCpuTop ./app.nettrace -Top 10</code>
/// <para>Where the CPU went.</para>
/// </example>
/// <example>
/// <code>
/// $t = Import-Trace ./app.nettrace
/// $waiter = ($t | Get-TraceContention | Select-Object -First 1).ThreadId
/// $t | Get-TraceCpuTop -Inclusive -Thread $waiter
/// </code>
/// <para>What the first thread that waited for a lock did the rest of the time, by inclusive samples.</para>
/// </example>
/// <example>
/// <code>Get-TraceCpuTop ./app.nettrace -AllSamples -Top 5</code>
/// <para>Wall-clock: where the threads were, waiting included.</para>
/// </example>
[Cmdlet(VerbsCommon.Get, "TraceCpuTop", DefaultParameterSetName = TraceSet)]
[OutputType(typeof(CpuFunction))]
public sealed class GetTraceCpuTopCommand : TraceCmdlet
{
    /// <summary>How many functions to return.</summary>
    [Parameter]
    [ValidateRange(1, int.MaxValue)]
    public int Top { get; set; } = 20;

    /// <summary>Rank by inclusive samples (time in the function and what it calls).</summary>
    [Parameter]
    public SwitchParameter Inclusive { get; set; }

    /// <summary>Only these OS thread ids.</summary>
    [Parameter]
    public int[]? Thread { get; set; }

    /// <summary>
    /// Count all samples (wall-clock, waiting threads included), as dotnet-trace report does; by default only samples
    /// of threads running managed code (CPU).
    /// </summary>
    [Parameter]
    public SwitchParameter AllSamples { get; set; }

    /// <inheritdoc/>
    protected override void ProcessTrace(TraceSession session, TraceAnalysis analysis)
    {
        foreach (var row in analysis.GetCpuTop(Top, Inclusive, AllSamples ? SampleFilter.All : SampleFilter.Managed, Thread))
            WriteResult(row);
    }
}
