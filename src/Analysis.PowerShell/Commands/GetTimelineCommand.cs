using System.Management.Automation;
using Analysis.Timelines;

namespace Analysis.PowerShell.Commands;

/// <summary>
/// Puts the artifacts of one incident on one time axis: GC cycles, stop-the-world pauses, heap sizes, goroutine counts,
/// profile and trace windows, dumps, each at its wall-clock time when it can be placed.
/// </summary>
/// <remarks>
/// <para>
/// Reads any mix of gctrace logs (GODEBUG=gctrace=1 stderr, with or without container or journald timestamps), Go
/// execution traces, pprof profiles, goroutine dumps, Go cores, .nettrace files and .NET dumps; the kind of each file is
/// told from its content.
/// Each artifact has its own clock (runtime start, trace start, wall clock); anchors relate them: exact (a Go core's
/// memstats, a Go 1.25 execution trace's clock snapshot, a .nettrace's sync time, a minidump's header), derived (a trace's GC gaps matched to a gctrace's cycles; heap profiles matched to the forced GCs
/// before them; a gctrace line's timestamp prefix; a goroutine dump by its goroutine ids against an execution trace of the
/// same process) or given (-StartTime). Each clock is placed on the wall clock along
/// the chain with the smallest uncertainty.
/// </para>
/// <para>
/// Writes TimelineEvent objects (Time, Kind, Category, Duration, Value, Source, Detail), anchored ones in time order,
/// then the others by clock and offset; with -Anchors, the TimelineAnchor objects used instead. A clock that cannot be
/// placed is written as a warning that says why and what to add.
/// </para>
/// </remarks>
/// <example>
/// <code>Get-Timeline ./stderr.log, ./trace.out, ./heap-1.pb.gz, ./heap-2.pb.gz, ./cpu.pb.gz | Where-Object Kind -in 'GC', 'CPU profile', 'Trace'</code>
/// <para>The GC cycles of the gctrace and the trace, the CPU profile's window and the trace's, on the wall clock: the heap profiles place the gctrace, the trace's GCs match the gctrace's.</para>
/// </example>
/// <example>
/// <code>Get-Timeline ./stderr.log, ./trace.out, ./heap-1.pb.gz, ./heap-2.pb.gz -Anchors</code>
/// <para>How each clock was placed: which GCs matched, with what residual and uncertainty.</para>
/// </example>
/// <example>
/// <code>Get-Timeline ./stderr.log -StartTime '2024-05-01T12:00:00Z' | Where-Object Kind -eq 'Pause'</code>
/// <para>A gctrace alone has no wall-clock time: -StartTime gives the process's start. (An execution trace of Go 1.22–1.24 has none either and is placed through a gctrace's GCs; a Go 1.25 trace places itself, and the gctrace with it.)</para>
/// </example>
[Cmdlet(VerbsCommon.Get, "Timeline", DefaultParameterSetName = PathSet)]
[OutputType(typeof(TimelineEvent), typeof(TimelineAnchor))]
public sealed class GetTimelineCommand : TimelineCmdlet
{
    /// <summary>Write the anchors used (TimelineAnchor) instead of the events.</summary>
    [Parameter]
    public SwitchParameter Anchors { get; set; }

    /// <summary>Joins what was read into one timeline and writes its events (or anchors) and warnings.</summary>
    protected override void EndProcessing()
    {
        if (BuildTimeline() is { } timeline)
        {
            if (Anchors)
            {
                foreach (var a in timeline.Anchors)
                    WriteObject(a);
            }
            else
            {
                foreach (var e in timeline.Events)
                    WriteObject(e);
            }
        }

        base.EndProcessing();
    }
}
