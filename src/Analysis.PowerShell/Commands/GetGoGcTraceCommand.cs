using System.Management.Automation;
using Analysis.Go;

namespace Analysis.PowerShell.Commands;

/// <summary>Reads a Go GODEBUG=gctrace=1 log: the GC cycles, or with -Summary the totals and anomalies.</summary>
/// <remarks>
/// <para>
/// Named Get-GcTrace before; that name is an alias. For the GCs of a .NET trace, see Get-TraceGc.
/// </para>
/// <para>
/// Parses 'gc N @Ts P%: a+b+c ms clock, … ms cpu, A-&gt;B-&gt;C MB, D MB goal, [S MB stacks, G MB globals,] N P
/// [(forced)]' lines, and the older five-phase and 'gc #N' forms. Pause is the stop-the-world phases. Other lines of
/// the log (program output, scavenger and pacer traces) are reported as skipped.
/// </para>
/// <para>
/// -Summary: cycles, forced cycles, total, mean, median and max pause, heap goal growth, peak live heap, and the
/// anomalies PauseSpike, Forced and GoalGrowth (Finding objects of severity Warning; GcNumbers are the cycles).
/// </para>
/// </remarks>
/// <example>
/// <code>Get-GoGcTrace ./stderr.log -Summary</code>
/// <para>The GC pauses and anomalies of a Go program, from its standard error.</para>
/// </example>
/// <example>
/// <code>Get-GoGcTrace ./stderr.log | Where-Object Forced</code>
/// <para>The cycles started by runtime.GC().</para>
/// </example>
[Cmdlet(VerbsCommon.Get, "GoGcTrace", DefaultParameterSetName = PathSet)]
[Alias("Get-GcTrace")]
[OutputType(typeof(GcCycle), typeof(GcTraceSummary))]
public sealed class GetGoGcTraceCommand : FileInputCmdlet
{
    /// <summary>Return the summary (GcTraceSummary) instead of the cycles.</summary>
    [Parameter]
    public SwitchParameter Summary { get; set; }

    /// <summary>A pause counts as a spike (PauseSpike) above this many times the median pause.</summary>
    [Parameter]
    [ValidateRange(1, double.MaxValue)]
    public double SpikeFactor { get; set; } = 10;

    /// <inheritdoc/>
    protected override string Artifact => "GcTrace";

    /// <inheritdoc/>
    protected override void ProcessFile(string path)
    {
        var trace = GcTrace.Load(path);
        GoCmdlets.ReportSkipped(this, trace.Skipped);
        if (Summary)
        {
            WriteResult(trace.Summarize(SpikeFactor));
            return;
        }

        foreach (var c in trace.Cycles)
            WriteResult(c);
    }
}
