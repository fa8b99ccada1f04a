using System.Management.Automation;
using Analysis.Dumps;
using Analysis.Go;
using Analysis.Reporting;
using Analysis.Traces;

namespace Analysis.PowerShell.Commands;

/// <summary>Writes one self-contained offline HTML page for a ticket: findings, tables and charts for the artifacts given.</summary>
/// <remarks>
/// <para>
/// Builds a report from any of: a dump (-Dump session or -DumpPath), a .NET trace (-Trace session or -TracePath), a
/// goroutine dump, a heap profile (with -BaselineHeapProfile for the growth between two), a gctrace log, a Go execution
/// trace.
/// </para>
/// <para>
/// The page starts with a summary of findings (the dump's triage: deadlocks with their cycles, starvation, exceptions
/// in flight, leak suspects; GC anomalies, hot functions, exceptions thrown, goroutine leak suspects, heap growth, Go
/// GC anomalies), then a section per artifact with tables and Plotly charts (deadlock graph, thread states, heap by
/// type and namespace, GC pauses, flame graph, stack buckets, pprof top), then, when two or more of the artifacts can
/// be placed on the wall clock, a Timeline section: their events on one axis (as Export-Timeline draws them) and the
/// anchors that placed them. plotly.js is embedded once, so the file opens offline. Returns the file.
/// </para>
/// </remarks>
/// <example>
/// <code>Export-IncidentReport ./INC-1234.html -DumpPath ./app.dmp -TracePath ./app.nettrace -Title 'INC-1234 checkout stalls'</code>
/// <para>One page with the dump's deadlocks, heap and exceptions and the trace's GC and CPU.</para>
/// </example>
/// <example>
/// <code>Export-IncidentReport ./go.html -GoroutineDump ./goroutines.txt -BaselineHeapProfile ./heap-1.pb.gz -HeapProfile ./heap-2.pb.gz -GcTrace ./stderr.log</code>
/// <para>The goroutine leaks, heap growth and GC of a Go service.</para>
/// </example>
/// <example>
/// <code>Open-Dump ./app.dmp | Export-IncidentReport ./hang.html -Title 'Checkout hang' -Top 5</code>
/// <para>A session piped in binds to -Dump; tables show five rows each.</para>
/// </example>
[Cmdlet(VerbsData.Export, "IncidentReport", SupportsShouldProcess = true)]
[OutputType(typeof(FileInfo))]
public sealed class ExportIncidentReportCommand : AnalysisCmdlet
{
    /// <summary>The HTML page to write: one self-contained file (plotly.js embedded once) that opens offline. Not overwritten without -Force.</summary>
    [Parameter(Mandatory = true, Position = 0)]
    [ValidateNotNullOrEmpty]
    public string OutFile { get; set; } = "";

    /// <summary>A dump session from Open-Dump to report on (binds from the pipeline); or give -DumpPath.</summary>
    [Parameter(ValueFromPipeline = true)]
    public DumpSession? Dump { get; set; }

    /// <summary>A .NET dump file (instead of a session with -Dump).</summary>
    [Parameter]
    public string? DumpPath { get; set; }

    /// <summary>A trace session from Import-Trace to report on; or give -TracePath.</summary>
    [Parameter]
    public TraceSession? Trace { get; set; }

    /// <summary>A .nettrace file (instead of a session with -Trace).</summary>
    [Parameter]
    public string? TracePath { get; set; }

    /// <summary>A Go goroutine dump (debug=2, debug=1 or panic output), or a Go core dump (read with the executable it names, or through the session Open-GoCore opened for it).</summary>
    [Parameter]
    public string? GoroutineDump { get; set; }

    /// <summary>A pprof heap profile.</summary>
    [Parameter]
    public string? HeapProfile { get; set; }

    /// <summary>An earlier heap profile: the report shows what grew from it to -HeapProfile.</summary>
    [Parameter]
    [Alias("BaseHeapProfile")] // its name before "the earlier one" was -Baseline everywhere
    public string? BaselineHeapProfile { get; set; }

    /// <summary>A GODEBUG=gctrace=1 log (a Go program's standard error).</summary>
    [Parameter]
    public string? GcTrace { get; set; }

    /// <summary>A Go execution trace (runtime/trace, Go 1.22 and later).</summary>
    [Parameter]
    public string? GoTrace { get; set; }

    /// <summary>The page title, e.g. the ticket's number and subject.</summary>
    [Parameter]
    public string Title { get; set; } = "Incident report";

    /// <summary>Rows per table.</summary>
    [Parameter]
    [ValidateRange(1, 1000)]
    public int Top { get; set; } = 10;

    /// <summary>Overwrite the file if it exists (without it, an existing file is an error and nothing is written).</summary>
    [Parameter]
    public SwitchParameter Force { get; set; }

    /// <inheritdoc/>
    protected override void ProcessRecord()
    {
        if (Dump is null && DumpPath is null && Trace is null && TracePath is null && GoroutineDump is null && HeapProfile is null && GcTrace is null && GoTrace is null)
        {
            WriteError(new ErrorRecord(new ArgumentException("Give at least one artifact: -Dump/-DumpPath, -Trace/-TracePath, -GoroutineDump, -HeapProfile, -GcTrace or -GoTrace."),
                "NothingToReport", ErrorCategory.InvalidArgument, null));
            return;
        }

        if (ConfirmOutputFile(OutFile, Force, "Write incident report") is not { } target)
            return;
        string artifact = "Dump";
        try
        {
            var sessions = RunspaceSessions.Current;
            var dump = Dump ?? (DumpPath is null ? null : sessions.Dumps.GetOrOpen(ResolveFilePath(DumpPath), cancellationToken: CancellationToken));
            artifact = "Trace";
            var traceSession = Trace ?? (TracePath is null ? null : sessions.Traces.GetOrOpen(ResolveFilePath(TracePath)));
            var trace = traceSession is null ? null : RunWithProgress("Reading trace", (p, ct) => traceSession.GetAnalysis(p, ct));
            artifact = "GoroutineDump";
            string? goroutinePath = GoroutineDump is null ? null : ResolveFilePath(GoroutineDump);
            if (goroutinePath is not null && GoCoreSessionCache.IsElfCore(goroutinePath))
                artifact = GoCmdlets.CoreArtifact; // a core: read with the executable it names, or the session open for it
            var goCore = goroutinePath is not null && artifact == GoCmdlets.CoreArtifact
                ? sessions.GoCores.FindOpen(goroutinePath) ?? RunWithProgress("Reading Go core", (p, ct) => sessions.GoCores.GetOrOpen(goroutinePath, progress: p, cancellationToken: ct))
                : null;
            var goroutines = goroutinePath is null ? null : goCore is not null
                ? goCore.Goroutines
                : RunWithProgress("Reading goroutine dump", (p, ct) => GoroutineDumpParser.ParseFile(goroutinePath, p, ct));
            artifact = "Profile";
            var heap = HeapProfile is null ? null : PprofProfile.Load(ResolveFilePath(HeapProfile));
            var baseline = BaselineHeapProfile is null ? null : PprofProfile.Load(ResolveFilePath(BaselineHeapProfile));
            artifact = "GcTrace";
            var gctrace = GcTrace is null ? null : Analysis.Go.GcTrace.Load(ResolveFilePath(GcTrace));
            artifact = "GoTrace";
            var goTrace = GoTrace is null ? null : GoExecutionTrace.Load(ResolveFilePath(GoTrace));
            artifact = "Dump";
            var timeline = ReadTimeline(dump?.Path, traceSession?.Path, trace, goroutinePath, goCore);
            var inputs = new IncidentInputs
            {
                Title = Title, Dump = dump, Trace = trace, Goroutines = goroutines, HeapProfile = heap, BaselineHeapProfile = baseline,
                GoGcTrace = gctrace, GoTrace = goTrace, Top = Top, Timeline = timeline,
            };
            var report = RunWithProgress("Building the report", (p, ct) => IncidentReport.Build(inputs, p, ct));
            report.Save(target);
            WriteFileItem(target);
        }
        catch (AnalysisException e)
        {
            WriteAnalysisError(e, artifact, e.Path);
        }
    }

    /// <summary>
    /// The artifacts given, on one time axis (the Timeline section): each file read as Get-Timeline reads it (the trace
    /// already analysed and the core already read are reused). An artifact the timeline cannot read is left out of it
    /// with a warning; the report does not depend on it.
    /// </summary>
    private Analysis.Timelines.Timeline? ReadTimeline(string? dumpPath, string? tracePath, TraceAnalysis? trace, string? goroutinePath, GoCore? goCore)
    {
        var sources = new List<Analysis.Timelines.TimelineSource>();
        void Add(string file, Func<Analysis.Timelines.TimelineSource> read)
        {
            try
            {
                sources.Add(read());
            }
            catch (AnalysisException e)
            {
                WriteWarning($"{file} is left out of the report's timeline: {e.Message}");
            }
        }

        if (trace is not null && tracePath is not null)
            Add(tracePath, () => Analysis.Timelines.DotNetTimelineSources.FromTrace(trace, tracePath));
        if (goCore is not null)
            Add(goCore.Path, () => Analysis.Timelines.GoTimelineSources.FromGoCore(goCore));
        string?[] files = [dumpPath, goCore is null ? goroutinePath : null, BaselineHeapProfile is null ? null : ResolveFilePath(BaselineHeapProfile),
            HeapProfile is null ? null : ResolveFilePath(HeapProfile), GcTrace is null ? null : ResolveFilePath(GcTrace), GoTrace is null ? null : ResolveFilePath(GoTrace)];
        foreach (string file in files.OfType<string>().Distinct(StringComparer.Ordinal))
            Add(file, () => RunWithProgress($"Timeline: reading {System.IO.Path.GetFileName(file)}", (p, ct) => Analysis.Timelines.TimelineSources.FromFile(file, null, p, ct)));

        return sources.Count == 0 ? null : Analysis.Timelines.TimelineBuilder.Build(sources);
    }
}
