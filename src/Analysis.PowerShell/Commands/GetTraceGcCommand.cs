using System.Management.Automation;
using Analysis.Traces;

namespace Analysis.PowerShell.Commands;

/// <summary>Lists every garbage collection in a trace: generation, type, reason, pause, heap sizes.</summary>
/// <remarks>
/// <para>
/// One GcEvent per completed GC, as PerfView's GCStats shows them: Number, Generation, Type (Blocking, Background,
/// Foreground), Reason (AllocSmall, Induced …), StartMs, PauseMs, SuspendMs, the heap size before and after,
/// promoted bytes, the allocation since the previous GC and the size of each generation after it.
/// </para>
/// </remarks>
/// <example>
/// <code>Get-TraceGc ./app.nettrace -Generation 2</code>
/// <para>Every gen2 collection.</para>
/// </example>
/// <example>
/// <code>Get-TraceGc ./app.nettrace | Sort-Object PauseMs -Descending | Select-Object -First 5</code>
/// <para>The five longest pauses.</para>
/// </example>
/// <example>
/// <code>Get-TraceGc ./app.nettrace -Induced</code>
/// <para>The collections something asked for (GC.Collect and the like) rather than the runtime.</para>
/// </example>
[Cmdlet(VerbsCommon.Get, "TraceGc", DefaultParameterSetName = TraceSet)]
[OutputType(typeof(GcEvent))]
public sealed class GetTraceGcCommand : TraceCmdlet
{
    /// <summary>Only GCs of these generations (0, 1, 2).</summary>
    [Parameter]
    [ValidateRange(0, 2)]
    public int[]? Generation { get; set; }

    /// <summary>Only GCs that paused the process at least this long.</summary>
    [Parameter]
    [ValidateRange(0, double.MaxValue)]
    [Alias("MinPauseMSec")] // its name before the units were one (Ms)
    public double MinPauseMs { get; set; }

    /// <summary>Only induced GCs (GC.Collect and the like).</summary>
    [Parameter]
    public SwitchParameter Induced { get; set; }

    /// <inheritdoc/>
    protected override void ProcessTrace(TraceSession session, TraceAnalysis analysis)
    {
        IEnumerable<GcEvent> rows = analysis.Gcs;
        if (Generation is { Length: > 0 } generations)
            rows = rows.Where(g => generations.Contains(g.Generation));
        if (MinPauseMs > 0)
            rows = rows.Where(g => g.PauseMs >= MinPauseMs);
        if (Induced)
            rows = rows.Where(g => g.IsInduced);
        foreach (var gc in rows)
            WriteResult(gc);
    }
}
