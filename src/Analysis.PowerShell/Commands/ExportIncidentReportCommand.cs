using System.Management.Automation;
using Analysis.Dumps;
using Analysis.Go;
using Analysis.Reporting;
using Analysis.Traces;

namespace Analysis.PowerShell.Commands;

/// <summary>
/// Writes one self-contained offline HTML page for a ticket: a summary of findings (deadlocks, exceptions, top heap
/// types, GC anomalies, goroutine leaks, heap growth), then tables and charts per artifact given.
/// </summary>
[Cmdlet(VerbsData.Export, "IncidentReport", SupportsShouldProcess = true)]
[OutputType(typeof(FileInfo))]
public sealed class ExportIncidentReportCommand : AnalysisCmdlet
{
    [Parameter(Mandatory = true, Position = 0)]
    [ValidateNotNullOrEmpty]
    public string OutFile { get; set; } = "";

    [Parameter(ValueFromPipeline = true)]
    public DumpSession? Dump { get; set; }

    [Parameter]
    public string? DumpPath { get; set; }

    [Parameter]
    public TraceSession? Trace { get; set; }

    [Parameter]
    public string? TracePath { get; set; }

    [Parameter]
    public string? GoroutineDump { get; set; }

    [Parameter]
    public string? HeapProfile { get; set; }

    /// <summary>An earlier heap profile: the report shows what grew from it to -HeapProfile.</summary>
    [Parameter]
    public string? BaseHeapProfile { get; set; }

    [Parameter]
    public string? GcTrace { get; set; }

    [Parameter]
    public string? GoTrace { get; set; }

    [Parameter]
    public string Title { get; set; } = "Incident report";

    [Parameter]
    [ValidateRange(1, 1000)]
    public int Top { get; set; } = 10;

    /// <summary>Overwrite the file if it exists (without it, an existing file is an error and nothing is written).</summary>
    [Parameter]
    public SwitchParameter Force { get; set; }

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
            var dump = Dump ?? (DumpPath is null ? null : sessions.Dumps.GetOrOpen(ResolveFilePath(DumpPath)));
            artifact = "Trace";
            var traceSession = Trace ?? (TracePath is null ? null : sessions.Traces.GetOrOpen(ResolveFilePath(TracePath)));
            var trace = traceSession is null ? null : RunWithProgress("Reading trace", (p, ct) => traceSession.GetAnalysis(p, ct));
            artifact = "GoroutineDump";
            var goroutines = GoroutineDump is null ? null : RunWithProgress("Reading goroutine dump", (p, ct) => GoroutineDumpParser.ParseFile(ResolveFilePath(GoroutineDump), p, ct));
            artifact = "Profile";
            var heap = HeapProfile is null ? null : PprofProfile.Load(ResolveFilePath(HeapProfile));
            var baseline = BaseHeapProfile is null ? null : PprofProfile.Load(ResolveFilePath(BaseHeapProfile));
            artifact = "GcTrace";
            var gctrace = GcTrace is null ? null : Analysis.Go.GcTrace.Load(ResolveFilePath(GcTrace));
            artifact = "GoTrace";
            var goTrace = GoTrace is null ? null : GoExecutionTrace.Load(ResolveFilePath(GoTrace));
            artifact = "Dump";
            var inputs = new IncidentInputs
            {
                Title = Title, Dump = dump, Trace = trace, Goroutines = goroutines, HeapProfile = heap, BaseHeapProfile = baseline,
                GoGcTrace = gctrace, GoTrace = goTrace, Top = Top,
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
}
