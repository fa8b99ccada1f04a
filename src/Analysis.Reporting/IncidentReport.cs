using System.Globalization;
using Analysis.Dumps;
using Analysis.Findings;
using Analysis.Go;
using Analysis.Stacks;
using Analysis.Traces;

namespace Analysis.Reporting;

/// <summary>What an incident report covers; any subset.</summary>
public sealed record IncidentInputs
{
    /// <summary>The page's title. Default "Incident report".</summary>
    public string Title { get; init; } = "Incident report";

    /// <summary>An open dump: triage, deadlocks, threads, async calls, thread pool, finalizer queue, heap top and what retains it (these walk the heap once; cached in the session).</summary>
    public DumpSession? Dump { get; init; }

    /// <summary>A read .NET trace: GC pauses, CPU top, exceptions, lock contention.</summary>
    public TraceAnalysis? Trace { get; init; }

    /// <summary>A Go goroutine dump: goroutines grouped by stack.</summary>
    public GoroutineDump? Goroutines { get; init; }

    /// <summary>A Go heap profile: top allocation sites (the growth from <see cref="BaselineHeapProfile"/> when that is set).</summary>
    public PprofProfile? HeapProfile { get; init; }

    /// <summary>An earlier heap profile: the report shows the growth from it to <see cref="HeapProfile"/>.</summary>
    public PprofProfile? BaselineHeapProfile { get; init; }

    /// <summary>A Go gctrace log: GC cycle summary and chart.</summary>
    public GcTrace? GoGcTrace { get; init; }

    /// <summary>A Go execution trace: its summary and findings.</summary>
    public GoExecutionTrace? GoTrace { get; init; }

    /// <summary>Rows per table (top N). Default 10.</summary>
    public int Top { get; init; } = 10;

    /// <summary>The artifacts' events on one time axis (TimelineBuilder over the same files): a Timeline section (chart and anchors) when two or more artifacts share the axis.</summary>
    public Analysis.Timelines.Timeline? Timeline { get; init; }
}

/// <summary>
/// One page for a ticket: a summary of the analyzers' findings (as they found them, artifact by artifact), then a section
/// per artifact with tables and charts.
/// </summary>
public static partial class IncidentReport
{
    /// <summary>Builds the report from whichever inputs are set: a findings summary first, then one section per artifact. Cost is that of the analyses it runs (a dump's heap walk the largest).</summary>
    public static HtmlReport Build(IncidentInputs inputs, IProgress<WorkProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        var report = new HtmlReport(inputs.Title);
        var findings = new List<Finding>();
        var sections = new List<Action>();

        if (inputs.Dump is { } dump)
            DumpSection(dump, inputs.Top, report, findings, sections, progress, cancellationToken);
        if (inputs.Trace is { } trace)
            TraceSection(trace, inputs.Top, report, findings, sections);
        if (inputs.Goroutines is { } goroutines)
            GoroutineSection(goroutines, inputs.Top, report, findings, sections);
        if (inputs.HeapProfile is { } heap)
            HeapProfileSection(heap, inputs.BaselineHeapProfile, inputs.Top, report, findings, sections);
        if (inputs.GoGcTrace is { } gctrace)
            GoGcSection(gctrace, report, findings, sections);
        if (inputs.GoTrace is { } goTrace)
            GoTraceSection(goTrace, report, findings, sections);
        if (inputs.Timeline is { } timeline)
            TimelineSection(timeline, report, sections);

        report.Heading("Summary").Findings(findings);
        foreach (var section in sections)
            section();
        return report;
    }

    private static void DumpSection(DumpSession dump, int top, HtmlReport report, List<Finding> findings, List<Action> sections,
        IProgress<WorkProgress>? progress, CancellationToken cancellationToken)
    {
        var threads = dump.GetThreads(cancellationToken);
        var cycles = threads.Where(t => t.Deadlock is not null).Select(t => t.Deadlock!).Distinct().ToList();
        // The triage's findings lead: deadlocks, starvation, blocked finalizer, sync over async, exceptions, leak suspects, stuck awaits.
        var triage = DumpTriage.Run(dump, null, progress, cancellationToken);
        findings.AddRange(triage);

        HeapStatistics? heap = null;
        AsyncReport? async = null;
        ThreadPoolReport? pool = null;
        FinalizerReport? finalizer = null;
        if (dump.HasHeap)
        {
            heap = dump.GetHeapStatistics(progress, cancellationToken);
            async = dump.GetAsyncState(progress, cancellationToken);
            pool = dump.GetThreadPool(cancellationToken);
            finalizer = dump.GetFinalizer(cancellationToken);
        }

        sections.Add(() =>
        {
            report.Heading($"Dump: {Path.GetFileName(dump.Path)}")
                .Paragraph($"Process {dump.ProcessId}, .NET {dump.RuntimeVersion}, {threads.Count} managed threads.");
            foreach (var cycle in cycles)
            {
                report.Heading("Deadlock", 3).Paragraph(cycle.Description).Chart(Charts.DeadlockCycle(cycle));
            }

            report.Heading("Triage", 3).Table(triage);
            report.Heading("Threads", 3).Chart(Charts.ThreadStates(threads)).Table(threads);
            if (async is { Groups.Count: > 0 })
                report.Heading("Async calls not completed", 3).Table(async.Groups.Take(top));

            if (pool is not null)
            {
                report.Heading("Thread pool", 3)
                    .Paragraph(pool.ToString())
                    .Table(pool.BusyWorkers, ("Workers", g => g.Count), ("Running", g => g.Frame), ("Waiting in", g => g.WaitingIn))
                    .Table(pool.Queued.Take(top), ("Queued", q => q.Count), ("Work item", q => q.Description), ("Queue", q => q.Queue));
            }

            if (finalizer is not null)
            {
                report.Heading("Finalizer", 3).Paragraph(finalizer.ToString())
                    .Table(finalizer.Ready.Take(top), ("Waiting for finalization", r => r.Count), ("Type", r => r.TypeName));
            }

            if (heap is not null)
            {
                var rows = heap.Top(top);
                report.Heading("Heap", 3)
                    .Paragraph($"{heap.TotalCount:N0} live objects, {Bytes.Format(heap.TotalSize)}; free space {Bytes.Format(heap.FreeSize)}.")
                    .Chart(Charts.HeapTop(rows))
                    .Table(rows)
                    .Chart(Charts.HeapByNamespace(heap.Top(200)));
                var retainedRows = dump.GetRetainedByType(top, null, null, cancellationToken);
                report.Heading("What keeps memory alive", 3)
                    .Paragraph("Retained size: the bytes that would be freed if a type's objects were no longer referenced (dominator tree of the object graph).")
                    .Chart(Charts.RetainedTop(retainedRows))
                    .Table(retainedRows);
            }
        });
    }

    private static void TraceSection(TraceAnalysis trace, int top, HtmlReport report, List<Finding> findings, List<Action> sections)
    {
        findings.AddRange(TraceFindings.Find(trace));
        var gc = trace.GetGcSummary();
        var cpu = trace.GetCpuTop(top);
        var exceptionGroups = trace.EnumerateExceptions().GroupBy(e => e.Type).OrderByDescending(g => g.Count()).ToList();

        sections.Add(() =>
        {
            report.Heading("Trace")
                .Paragraph($"Process {trace.ProcessId}, runtime {trace.RuntimeVersion}, {trace.DurationMs / 1000:F1} s, {trace.EventCount:N0} events.")
                .Heading("Garbage collection", 3).Paragraph(gc.ToString());
            if (trace.Gcs.Count > 0)
                report.Chart(Charts.GcPauses(trace.Gcs));
            report.Table(trace.Gcs.OrderByDescending(g => g.PauseMs).Take(top));
            report.Heading("CPU", 3).Table(cpu);
            if (trace.SampleCount > 0)
                report.Chart(Charts.FlameGraph(trace.GetFoldedStacks()));
            if (exceptionGroups.Count > 0)
            {
                report.Heading("Exceptions", 3).Table(exceptionGroups,
                    ("Type", g => g.Key), ("Count", g => g.Count()), ("First message", g => g.First().Message), ("Thrown in", g => g.First().ThrownIn?.Function));
            }

            var waits = trace.EnumerateContention().OrderByDescending(c => c.DurationMs).Take(top).ToList();
            if (waits.Count > 0)
            {
                report.Heading("Lock contention", 3).Table(waits);
            }
        });
    }

    private static void GoroutineSection(GoroutineDump dump, int top, HtmlReport report, List<Finding> findings, List<Action> sections)
    {
        findings.AddRange(GoFindings.Goroutines(dump));
        var buckets = StackGrouper.Group(dump.Goroutines);
        sections.Add(() =>
        {
            report.Heading($"Goroutines: {Path.GetFileName(dump.Path)}")
                .Paragraph($"{dump.Total:N0} goroutines in {buckets.Count:N0} distinct stacks.")
                .Chart(Charts.StackBuckets(buckets, top))
                .Table(buckets.Take(top));
        });
    }

    private static void HeapProfileSection(PprofProfile heap, PprofProfile? baseline, int top, HtmlReport report, List<Finding> findings, List<Action> sections)
    {
        findings.AddRange(GoFindings.HeapProfile(heap, baseline));
        var profile = baseline is null ? heap : heap.Subtract(baseline);
        var rows = PprofQueries.Top(profile, top, GoFindings.HeapSampleType(heap));

        sections.Add(() =>
        {
            report.Heading(baseline is null ? $"Heap profile: {Path.GetFileName(heap.Path)}" : $"Heap growth: {Path.GetFileName(baseline.Path)} → {Path.GetFileName(heap.Path)}")
                .Chart(Charts.PprofTop(rows))
                .Table(rows);
        });
    }

    private static void GoGcSection(GcTrace trace, HtmlReport report, List<Finding> findings, List<Action> sections)
    {
        var summary = trace.Summarize();
        findings.AddRange(summary.Anomalies);
        sections.Add(() => report.Heading("Go GC (gctrace)").Paragraph(summary.ToString()).Chart(Charts.GoGcCycles(trace.Cycles)));
    }

    private static void GoTraceSection(GoExecutionTrace trace, HtmlReport report, List<Finding> findings, List<Action> sections)
    {
        findings.AddRange(GoFindings.ExecutionTrace(trace));
        sections.Add(() =>
        {
            report.Heading("Go execution trace").Paragraph(trace.ToString())
                .Table(trace.StopTheWorlds)
                .Table(trace.BlockReasons);
        });
    }
}
