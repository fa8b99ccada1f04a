using System.Management.Automation;
using Analysis.Reporting;
using Analysis.Timelines;

namespace Analysis.PowerShell.Commands;

/// <summary>
/// Writes the timeline of an incident's artifacts as one self-contained offline HTML page: how each clock was placed,
/// the chart (lanes on one wall-clock axis), the anchors, the warnings and the events.
/// </summary>
/// <remarks>
/// <para>
/// Reads the artifacts as Get-Timeline does (any mix of gctrace logs, Go execution traces, pprof profiles, goroutine
/// dumps, Go cores, .nettrace files and .NET dumps; the kind of each told from its content) and joins them on one time
/// axis. The page starts with a summary: how many events, which clocks were anchored to the wall clock and how
/// (exact, derived, given with -StartTime), which stayed on a relative axis. Then the chart: heap sizes, GC cycles as
/// bands (forced and automatic apart) with stop-the-world pauses, GC CPU, goroutines or threads, profile and trace
/// windows, snapshots; hover shows each event's details. Then the anchors, the warnings and the events (the first
/// -MaxEvents). plotly.js is embedded once, so the file opens offline. Returns the file.
/// </para>
/// </remarks>
/// <example>
/// <code>Export-Timeline ./stderr.log, ./trace.out, ./heap-1.pb.gz, ./heap-2.pb.gz, ./cpu.pb.gz -OutFile ./timeline.html</code>
/// <para>The three graphs of one Go incident on one wall-clock axis: the heap profiles place the gctrace, the trace's GCs match the gctrace's.</para>
/// </example>
/// <example>
/// <code>Export-Timeline ./app.nettrace, ./app.dmp -OutFile ./dotnet-timeline.html -Title 'Checkout stalls'</code>
/// <para>A .NET trace (its header's sync time places it) and a dump taken during the incident.</para>
/// </example>
/// <example>
/// <code>Export-Timeline ./stderr.log -StartTime '2024-05-01T12:00:00Z' -OutFile ./gc-timeline.html -Force</code>
/// <para>A gctrace alone has no wall-clock time: -StartTime gives the process's start; -Force overwrites the page.</para>
/// </example>
[Cmdlet(VerbsData.Export, "Timeline", DefaultParameterSetName = PathSet, SupportsShouldProcess = true)]
[OutputType(typeof(FileInfo))]
public sealed class ExportTimelineCommand : TimelineCmdlet
{
    private string? _target;

    /// <summary>The HTML page to write: one self-contained file (plotly.js embedded once) that opens offline. Not overwritten without -Force.</summary>
    [Parameter(Mandatory = true)]
    [ValidateNotNullOrEmpty]
    public string OutFile { get; set; } = "";

    /// <summary>The page's title, e.g. the ticket's number and subject.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string Title { get; set; } = "Timeline";

    /// <summary>Events listed in the page's table (the chart draws them all).</summary>
    [Parameter]
    [ValidateRange(0, 1_000_000)]
    public int MaxEvents { get; set; } = TimelineReport.DefaultMaxEvents;

    /// <summary>Overwrite the file if it exists (without it, an existing file is an error and nothing is written).</summary>
    [Parameter]
    public SwitchParameter Force { get; set; }

    /// <summary>Decides first whether the page may be written (-Force, -WhatIf), so nothing is read in vain.</summary>
    protected override void BeginProcessing()
    {
        base.BeginProcessing();
        _target = ConfirmOutputFile(OutFile, Force, "Write timeline");
    }

    /// <inheritdoc/>
    protected override void ProcessRecord()
    {
        if (_target is not null)
            base.ProcessRecord();
    }

    /// <summary>Joins what was read into one timeline, writes its warnings, the page, and the page's file.</summary>
    protected override void EndProcessing()
    {
        if (_target is { } target && BuildTimeline() is { } timeline)
        {
            TimelineReport.Build(timeline, Title, MaxEvents).Save(target);
            WriteFileItem(target);
        }

        base.EndProcessing();
    }
}
