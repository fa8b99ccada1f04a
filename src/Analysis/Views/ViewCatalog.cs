using System.Collections;
using System.Collections.Concurrent;
using System.Globalization;
using System.Reflection;
using System.Runtime.CompilerServices;
using Analysis.Dumps;
using Analysis.Findings;
using Analysis.Go;
using Analysis.Stacks;
using Analysis.Traces;
using static Analysis.Views.ViewColumn;

namespace Analysis.Views;

/// <summary>
/// The one definition of the columns shown for each result type. The module's format.ps1xml is generated from it at
/// build time (module/tools/ViewGen); notebook tables (Display), report tables and the notebook kernels draw from it.
/// The core's result types are here; a library with result types of its own registers their views when it loads.
/// </summary>
public static partial class ViewCatalog
{
    private const CellAlignment Right = CellAlignment.Right;

    private static readonly ConcurrentDictionary<Type, View> s_views = new();
    private static readonly ConcurrentDictionary<Type, View> s_automatic = new();
    private static readonly List<View> s_order = [];
    private static readonly ConcurrentDictionary<Module, bool> s_initialized = new();

    static ViewCatalog()
    {
        foreach (var view in CoreViews())
            Register(view);
    }

    /// <summary>Every registered view, in the order they were registered (the core's first).</summary>
    public static IReadOnlyList<View> Views
    {
        get
        {
            lock (s_order)
                return [.. s_order];
        }
    }

    /// <summary>Adds the view of a result type defined outside the core (a library calls this when it loads); one per type.</summary>
    public static void Register(View view)
    {
        ArgumentNullException.ThrowIfNull(view);
        lock (s_order)
        {
            if (!s_views.TryAdd(view.Type, view))
                throw new ArgumentException($"The catalog has a view of {view.Type.FullName} already.", nameof(view));
            s_order.Add(view);
        }
    }

    /// <summary>The catalog's view of <paramref name="type"/>, or null.</summary>
    public static View? Find(Type type)
    {
        ArgumentNullException.ThrowIfNull(type);
        if (s_views.TryGetValue(type, out var view))
            return view;
        // a library registers its views when its code first runs; a type looked up before that (by reflection) runs it now
        if (type.Assembly != typeof(ViewCatalog).Assembly && s_initialized.TryAdd(type.Module, true))
        {
            RuntimeHelpers.RunModuleConstructor(type.Module.ModuleHandle);
            return s_views.GetValueOrDefault(type);
        }

        return null;
    }

    /// <summary>
    /// The catalog's view of <paramref name="type"/>, else a table of its public scalar properties (collections show
    /// as counts; dictionaries are left out).
    /// </summary>
    public static View For(Type type) => Find(type) ?? AllProperties(type);

    /// <summary>A table of every public scalar property of <paramref name="type"/> (collections as counts, no dictionaries).</summary>
    public static View AllProperties(Type type) => s_automatic.GetOrAdd(type, Automatic);

    /// <summary>
    /// What a terminal shows in the column <paramref name="header"/> for <paramref name="row"/> (the format.ps1xml
    /// script blocks call this): the column's text, then the columns drawn under it.
    /// </summary>
    public static string Cell(object row, string header)
    {
        ArgumentNullException.ThrowIfNull(row);
        if (Find(row.GetType()) is { } view)
            return view.TerminalText(row, view.Column(header));
        // a result of another copy of our core (a host that loaded two): that copy's catalog knows its types
        var other = row.GetType().Assembly.GetType(typeof(ViewCatalog).FullName!);
        if (other is not null && other != typeof(ViewCatalog))
            return (string)other.GetMethod(nameof(Cell), [typeof(object), typeof(string)])!.Invoke(null, [row, header])!;
        throw new ArgumentException($"No view of {row.GetType().FullName} in the catalog.", nameof(row));
    }

    private static View Automatic(Type type)
    {
        var columns = type.GetProperties(BindingFlags.Public | BindingFlags.Instance)
            .Where(p => p.GetIndexParameters().Length == 0 && p.DeclaringType != typeof(object))
            .Where(p => p.PropertyType == typeof(string) || !typeof(IDictionary).IsAssignableFrom(p.PropertyType))
            .Select(p => (Nullable.GetUnderlyingType(p.PropertyType) ?? p.PropertyType) switch
            {
                var t when t == typeof(double) || t == typeof(float) || t == typeof(decimal) => Of(p.Name) with { Format = "N2", Alignment = Right },
                var t when t == typeof(int) || t == typeof(long) || t == typeof(uint) || t == typeof(ulong) => Of(p.Name) with { Format = "N0", Alignment = Right },
                var t when t != typeof(string) && typeof(IEnumerable).IsAssignableFrom(t) =>
                    Computed<object>(p.Name, row => p.GetValue(row) is IEnumerable e ? string.Create(CultureInfo.InvariantCulture, $"{e.Cast<object>().Count():N0} items") : null),
                _ => Of(p.Name),
            });
        return new View(type, ViewKind.Table, [.. columns]);
    }

    private static string? Function(StackFrameInfo? frame) => frame?.Function;

    /// <summary>A function name without its parameter list (managed frames carry one).</summary>
    private static string? WithoutArguments(string? function) =>
        function is not null && function.IndexOf('(', StringComparison.Ordinal) is > 0 and int i ? function[..i] : function;

    /// <summary>A managed frame without its parameter list, and its source line compactly when the PDB gave one: "Type.Method (File.cs:42)".</summary>
    private static string? Where(StackFrameInfo? frame) =>
        frame is null ? null : frame.File is { Length: > 0 } file
            ? string.Create(CultureInfo.InvariantCulture, $"{WithoutArguments(frame.Function)} ({Path.GetFileName(file.Replace('\\', '/'))}:{frame.Line})")
            : WithoutArguments(frame.Function);

    private static IEnumerable<View> CoreViews()
    {
        // ---- dumps
        yield return new View(typeof(DumpThread), ViewKind.Table,
        [
            Of("Id", nameof(DumpThread.ManagedThreadId)) with { Width = 4, Alignment = Right },
            Of(nameof(DumpThread.OSThreadId)) with { Alignment = Right, Wide = true },
            Of(nameof(DumpThread.Name)) with { Width = 16 },
            Of(nameof(DumpThread.State)) with { Width = 13 },
            Computed<DumpThread>("BlockedOn", t => t.BlockedOn?.ShortTypeName) with { Width = 12 },
            Of("Owner", nameof(DumpThread.LockOwnerThreadId)) with { Width = 5, Alignment = Right },
            // the first frame of the thread's own code: past the runtime's plumbing (waits, lock helpers), without the arguments
            Computed<DumpThread>("Where", t => Where(t.Frames.FirstOrDefault(f => f.Kind == FrameKind.Managed && !t.IsWaitFrame(f)) ?? t.TopFrame)),
            Computed<DumpThread>(nameof(DumpThread.Exception), t => t.Exception?.Type) with { Under = "exception" },
        ]);
        yield return new View(typeof(HeapTypeStat), ViewKind.Table,
        [
            Of(nameof(HeapTypeStat.Count)) with { Format = "N0", Width = 11, Alignment = Right },
            Of(nameof(HeapTypeStat.TotalSize)) with { Format = "N0", Width = 15, Alignment = Right },
            Of(nameof(HeapTypeStat.AverageSize)) with { Format = "N0", Width = 11, Alignment = Right },
            Of(nameof(HeapTypeStat.TypeName)),
        ]);
        yield return new View(typeof(HeapTypeDiff), ViewKind.Table,
        [
            Of(nameof(HeapTypeDiff.CountDelta)) with { Format = "+#,0;-#,0;0", Width = 11, Alignment = Right },
            Of(nameof(HeapTypeDiff.SizeDelta)) with { Format = "+#,0;-#,0;0", Width = 15, Alignment = Right },
            Of(nameof(HeapTypeDiff.Count)) with { Format = "N0", Width = 11, Alignment = Right },
            Of(nameof(HeapTypeDiff.TotalSize)) with { Format = "N0", Alignment = Right, Wide = true },
            Of(nameof(HeapTypeDiff.BaselineCount)) with { Format = "N0", Alignment = Right, Wide = true },
            Of(nameof(HeapTypeDiff.BaselineSize)) with { Format = "N0", Alignment = Right, Wide = true },
            Of(nameof(HeapTypeDiff.TypeName)),
        ]);
        yield return new View(typeof(RetainedTypeStat), ViewKind.Table,
        [
            Of(nameof(RetainedTypeStat.Count)) with { Format = "N0", Width = 11, Alignment = Right },
            Of(nameof(RetainedTypeStat.ShallowSize)) with { Format = "N0", Width = 15, Alignment = Right },
            Of(nameof(RetainedTypeStat.RetainedSize)) with { Format = "N0", Width = 15, Alignment = Right },
            Of(nameof(RetainedTypeStat.TypeName)),
        ]);
        yield return new View(typeof(GcRootPath), ViewKind.Table,
        [
            Of(nameof(GcRootPath.Count)) with { Format = "N0", Width = 9, Alignment = Right },
            Of(nameof(GcRootPath.RootKind)) with { Width = 17 },
            Of(nameof(GcRootPath.Tier)) with { Width = 17 },
            Of(nameof(GcRootPath.Path)),
        ]);
        yield return new View(typeof(StuckAwaitGroup), ViewKind.Table,
        [
            Of(nameof(StuckAwaitGroup.Count)) with { Format = "N0", Width = 6, Alignment = Right },
            Of(nameof(StuckAwaitGroup.Chain)),
            Of(nameof(StuckAwaitGroup.Awaiting)) with { Under = "awaits" },
            Computed<StuckAwaitGroup>("Blocks", g => string.Join("\n", g.BlockedThreads.Select(b => b.ThreadLabel + " in " + b.BlockingFrame))) with { Under = "blocks" },
        ]);
        yield return new View(typeof(AsyncStateMachine), ViewKind.Table,
        [
            Computed<AsyncStateMachine>(nameof(AsyncStateMachine.Address), m => string.Create(CultureInfo.InvariantCulture, $"0x{m.Address:x}")) with { Width = 14 },
            Of(nameof(AsyncStateMachine.State)) with { Width = 5, Alignment = Right },
            Of(nameof(AsyncStateMachine.Status)) with { Width = 20 },
            Of(nameof(AsyncStateMachine.Method)),
            Of(nameof(AsyncStateMachine.Awaiting)) with { Under = "awaits" },
        ]);
        yield return new View(typeof(SyncOverAsyncWait), ViewKind.Table,
        [
            Of("Id", nameof(SyncOverAsyncWait.ManagedThreadId)) with { Width = 4, Alignment = Right },
            Of("Thread", nameof(SyncOverAsyncWait.ThreadName)) with { Width = 16 },
            Of(nameof(SyncOverAsyncWait.BlockingFrame)),
            Of(nameof(SyncOverAsyncWait.Task)) with { Under = "on" },
        ]);
        yield return new View(typeof(Finding), ViewKind.Table,
        [
            Of(nameof(Finding.Severity)) with { Width = 8 },
            Of(nameof(Finding.Kind)) with { Width = 22 },
            Of(nameof(Finding.Summary)),
            Computed<Finding>(nameof(Finding.Evidence), f => string.Join("\n", f.Evidence)) with { Wide = true },
        ]);
        yield return new View(typeof(ThreadPoolReport), ViewKind.List,
        [
            Of(nameof(ThreadPoolReport.MinWorkers)),
            Of(nameof(ThreadPoolReport.MaxWorkers)),
            Of(nameof(ThreadPoolReport.ActiveWorkers)),
            Of(nameof(ThreadPoolReport.IdleWorkers)),
            Of(nameof(ThreadPoolReport.BusyWorkerCount)),
            Computed<ThreadPoolReport>(nameof(ThreadPoolReport.BusyWorkers), p => Lines(p.BusyWorkers)),
            Of(nameof(ThreadPoolReport.QueuedCount)),
            Computed<ThreadPoolReport>(nameof(ThreadPoolReport.Queued), p => Lines(p.Queued)),
            Of(nameof(ThreadPoolReport.TimerCount)),
            Computed<ThreadPoolReport>(nameof(ThreadPoolReport.Timers), p => Lines(p.Timers)),
            Of(nameof(ThreadPoolReport.IsStarved)),
        ]);
        yield return new View(typeof(FinalizerReport), ViewKind.List,
        [
            Of(nameof(FinalizerReport.ThreadId)),
            Of(nameof(FinalizerReport.Finalizing)),
            Of(nameof(FinalizerReport.WaitingIn)),
            Of(nameof(FinalizerReport.IsBlocked)),
            Of(nameof(FinalizerReport.ReadyCount)),
            Computed<FinalizerReport>(nameof(FinalizerReport.Ready), f => string.Join("\n", f.Ready.Select(r => string.Create(CultureInfo.InvariantCulture, $"{r.Count:N0} {r.TypeName}")))),
            Of(nameof(FinalizerReport.RegisteredCount)),
        ]);
        yield return new View(typeof(DumpSession), ViewKind.Table,
        [
            Of(nameof(DumpSession.ProcessId)) with { Width = 9, Alignment = Right },
            Of("Runtime", nameof(DumpSession.RuntimeVersion)) with { Width = 10 },
            Of(nameof(DumpSession.HasHeap)) with { Width = 7 },
            Of(nameof(DumpSession.Format)) with { Width = 8 },
            Of(nameof(DumpSession.Path)),
        ]);

        // ---- .NET traces
        yield return new View(typeof(GcEvent), ViewKind.Table,
        [
            Of("GC", nameof(GcEvent.Number)) with { Width = 5, Alignment = Right },
            Of("Gen", nameof(GcEvent.Generation)) with { Width = 3, Alignment = Right },
            Of(nameof(GcEvent.Type)) with { Width = 10 },
            Of(nameof(GcEvent.StartMs)) with { Format = "N1", Width = 11, Alignment = Right },
            Of(nameof(GcEvent.PauseMs)) with { Format = "N2", Width = 9, Alignment = Right },
            Of("BeforeMB", nameof(GcEvent.HeapSizeBeforeMB)) with { Format = "N1", Width = 8, Alignment = Right },
            Of("AfterMB", nameof(GcEvent.HeapSizeAfterMB)) with { Format = "N1", Width = 8, Alignment = Right },
            Of(nameof(GcEvent.PromotedMB)) with { Format = "N1", Alignment = Right, Wide = true },
            Of(nameof(GcEvent.Reason)),
        ]) { Wrap = false };
        yield return new View(typeof(GcSummary), ViewKind.List,
        [
            Computed<GcSummary>("GCs", s => string.Create(CultureInfo.InvariantCulture, $"{s.Count} (gen0 {s.Gen0Count}, gen1 {s.Gen1Count}, gen2 {s.Gen2Count}; {s.InducedCount} induced, {s.BackgroundCount} background)")),
            Of(nameof(GcSummary.TotalPauseMs)) with { Format = "N1" },
            Of(nameof(GcSummary.MeanPauseMs)) with { Format = "N2" },
            Of(nameof(GcSummary.MaxPauseMs)) with { Format = "N2" },
            Of(nameof(GcSummary.PercentTimePaused)) with { Format = "N2" },
            Of(nameof(GcSummary.AllocationRateMBPerSec)) with { Format = "N1" },
            Of(nameof(GcSummary.PeakHeapSizeMB)) with { Format = "N1" },
            Of(nameof(GcSummary.TraceDurationMs)) with { Format = "N0" },
            Computed<GcSummary>(nameof(GcSummary.Anomalies), s => string.Join("\n", s.Anomalies.Select(a => a.Kind + ": " + a.Summary))),
        ]);
        yield return new View(typeof(CpuFunction), ViewKind.Table,
        [
            Of("Excl%", nameof(CpuFunction.ExclusivePercent)) with { Format = "N2", Width = 6, Alignment = Right },
            Of("Incl%", nameof(CpuFunction.InclusivePercent)) with { Format = "N2", Width = 6, Alignment = Right },
            Of("Samples", nameof(CpuFunction.ExclusiveSamples)) with { Width = 8, Alignment = Right },
            Of(nameof(CpuFunction.InclusiveSamples)) with { Alignment = Right, Wide = true },
            Of(nameof(CpuFunction.Module)) with { Wide = true },
            Of(nameof(CpuFunction.Function)),
        ]);
        yield return new View(typeof(FoldedStack), ViewKind.Table,
        [
            Of(nameof(FoldedStack.Samples)) with { Width = 8, Alignment = Right },
            // innermost first, as frames read everywhere else
            Computed<FoldedStack>(nameof(FoldedStack.Stack), s => string.Join(" <- ", s.Stack.Split(';').Reverse())),
        ]) { Wrap = false };
        yield return new View(typeof(TraceException), ViewKind.Table,
        [
            Of(nameof(TraceException.TimeMs)) with { Format = "N1", Width = 10, Alignment = Right },
            Of("Thread", nameof(TraceException.ThreadId)) with { Width = 6, Alignment = Right },
            Computed<TraceException>("Exception", e => string.IsNullOrEmpty(e.Message) ? e.Type : e.Type + ": " + e.Message),
            Computed<TraceException>(nameof(TraceException.ThrownIn), e => Function(e.ThrownIn)) with { Wide = true },
        ]);
        yield return new View(typeof(ContentionEvent), ViewKind.Table,
        [
            Of(nameof(ContentionEvent.TimeMs)) with { Format = "N1", Width = 10, Alignment = Right },
            Of("Thread", nameof(ContentionEvent.ThreadId)) with { Width = 6, Alignment = Right },
            Of("WaitMs", nameof(ContentionEvent.DurationMs)) with { Format = "N2", Width = 9, Alignment = Right },
            Of(nameof(ContentionEvent.LockKind)) with { Wide = true },
            Of(nameof(ContentionEvent.OwnerThreadId)) with { Alignment = Right, Wide = true },
            // the first managed frame that is not the lock's own code
            Computed<ContentionEvent>("Where", c => c.Stack.FirstOrDefault(f => f.Kind == FrameKind.Managed && !f.Function.StartsWith("System.Threading.", StringComparison.Ordinal))?.Function),
        ]);
        yield return new View(typeof(TraceSession), ViewKind.Table,
        [
            Of("Read", nameof(TraceSession.IsRead)) with { Width = 5 },
            Computed<TraceSession>("Size", s => Bytes.Format(s.Length)) with { Width = 10, Alignment = Right },
            Of(nameof(TraceSession.Path)),
        ]);
        yield return new View(typeof(TraceRecording), ViewKind.Table,
        [
            Of(nameof(TraceRecording.ProcessId)) with { Width = 9, Alignment = Right },
            Of(nameof(TraceRecording.Profile)) with { Width = 16 },
            Computed<TraceRecording>("Written", r => Bytes.Format(r.BytesWritten)) with { Width = 10, Alignment = Right },
            Of(nameof(TraceRecording.Path)),
        ]);

        // ---- Go and stacks
        yield return new View(typeof(Goroutine), ViewKind.Table,
        [
            Of(nameof(Goroutine.Id)) with { Width = 7, Alignment = Right },
            Of(nameof(Goroutine.Count)) with { Width = 5, Alignment = Right },
            Of(nameof(Goroutine.State)) with { Width = 15 },
            Of("Min", nameof(Goroutine.WaitMinutes)) with { Width = 4, Alignment = Right },
            Computed<Goroutine>("Thread", g => g.ThreadId == 0 ? null : g.ThreadId) with { Alignment = Right, Wide = true }, // cores only: the OS thread running it
            Computed<Goroutine>(nameof(Goroutine.TopFrame), g => Function(g.TopFrame)),
            Computed<Goroutine>(nameof(Goroutine.CreatedBy), g => Function(g.CreatedBy)) with { Under = "created by" },
        ]);
        yield return new View(typeof(StackBucket), ViewKind.Table,
        [
            Of(nameof(StackBucket.Count)) with { Width = 6, Alignment = Right },
            Of(nameof(StackBucket.Runtime)) with { Width = 7 },
            Of(nameof(StackBucket.State)) with { Width = 15 },
            Computed<StackBucket>("Min", b => b.MaxWaitMinutes == 0 ? null : b.MinWaitMinutes == b.MaxWaitMinutes ? b.MaxWaitMinutes.ToString(CultureInfo.InvariantCulture) : string.Create(CultureInfo.InvariantCulture, $"{b.MinWaitMinutes}-{b.MaxWaitMinutes}")) with { Width = 5, Alignment = Right },
            Computed<StackBucket>(nameof(StackBucket.TopFrame), b => b.TopFrame is { Kind: FrameKind.Managed } f ? WithoutArguments(f.Function) : Function(b.TopFrame)),
            Computed<StackBucket>(nameof(StackBucket.CreatedBy), b => Function(b.CreatedBy)) with { Under = "created by" },
        ]);
        yield return new View(typeof(LeakSuspect), ViewKind.Table,
        [
            Of(nameof(LeakSuspect.Count)) with { Width = 6, Alignment = Right },
            Of(nameof(LeakSuspect.State)) with { Width = 15 },
            Of("Min", nameof(LeakSuspect.WaitMinutes)) with { Width = 4, Alignment = Right },
            Computed<LeakSuspect>(nameof(LeakSuspect.Site), l => Function(l.Site)),
            Computed<LeakSuspect>(nameof(LeakSuspect.CreatedBy), l => Function(l.CreatedBy)) with { Under = "created by" },
        ]);
        yield return new View(typeof(GoProfileSession), ViewKind.Table,
        [
            Of("Read", nameof(GoProfileSession.IsRead)) with { Width = 5 },
            Computed<GoProfileSession>("Size", s => Bytes.Format(s.Length)) with { Width = 10, Alignment = Right },
            Of(nameof(GoProfileSession.Path)),
        ]);
        yield return new View(typeof(PprofProfile), ViewKind.Table,
        [
            Of("Samples", nameof(PprofProfile.SampleCount)) with { Width = 8, Alignment = Right },
            Computed<PprofProfile>(nameof(PprofProfile.Time), p => p.Time is { } t ? t.UtcDateTime.ToString("u", CultureInfo.InvariantCulture) : null) with { Width = 20 },
            Of("SampleTypes", nameof(PprofProfile.SampleTypeNames)),
            Of(nameof(PprofProfile.Path)),
        ]);
        yield return new View(typeof(PprofTopRow), ViewKind.Table,
        [
            Of("Flat", nameof(PprofTopRow.FlatText)) with { Width = 10, Alignment = Right },
            Of("Flat%", nameof(PprofTopRow.FlatPercent)) with { Format = "N2", Width = 7, Alignment = Right },
            Of("Cum", nameof(PprofTopRow.CumText)) with { Width = 10, Alignment = Right },
            Of("Cum%", nameof(PprofTopRow.CumPercent)) with { Format = "N2", Width = 7, Alignment = Right },
            Of("Sum%", nameof(PprofTopRow.SumPercent)) with { Format = "N2", Alignment = Right, Wide = true },
            Of(nameof(PprofTopRow.Function)),
        ]);
        yield return new View(typeof(PprofPeekRow), ViewKind.Table,
        [
            Computed<PprofPeekRow>(nameof(PprofPeekRow.Value), r => PprofValues.Format(r.Value, r.Unit)) with { Width = 10, Alignment = Right },
            Of(nameof(PprofPeekRow.Percent)) with { Format = "N2", Width = 7, Alignment = Right },
            Of(nameof(PprofPeekRow.Relation)) with { Width = 8 },
            Of(nameof(PprofPeekRow.Other)),
        ]) { GroupBy = nameof(PprofPeekRow.Function) };
        yield return new View(typeof(PprofTrace), ViewKind.Table,
        [
            Computed<PprofTrace>(nameof(PprofTrace.Value), t => PprofValues.Format(t.Value, t.Unit)) with { Width = 10, Alignment = Right },
            Computed<PprofTrace>("Stack", t => string.Join(" <- ", t.Frames.Select(f => f.Function))),
        ]) { Wrap = false };
        yield return new View(typeof(GcCycle), ViewKind.Table,
        [
            Of("GC", nameof(GcCycle.Number)) with { Width = 5, Alignment = Right },
            Of("AtSec", nameof(GcCycle.AtSeconds)) with { Format = "N3", Width = 9, Alignment = Right },
            Of(nameof(GcCycle.PauseMs)) with { Format = "N3", Width = 9, Alignment = Right },
            Of("Start", nameof(GcCycle.HeapStartMB)) with { Width = 6, Alignment = Right },
            Of("End", nameof(GcCycle.HeapEndMB)) with { Width = 6, Alignment = Right },
            Of("Live", nameof(GcCycle.HeapLiveMB)) with { Width = 6, Alignment = Right },
            Of("Goal", nameof(GcCycle.HeapGoalMB)) with { Width = 6, Alignment = Right },
            Of("P", nameof(GcCycle.Procs)) with { Width = 3, Alignment = Right },
            Of(nameof(GcCycle.Forced)) with { Width = 6 },
        ]) { Wrap = false };
        yield return new View(typeof(GcTraceSummary), ViewKind.Table,
        [
            Of(nameof(GcTraceSummary.Cycles)) with { Width = 6, Alignment = Right },
            Of(nameof(GcTraceSummary.Forced)) with { Width = 6, Alignment = Right },
            Of("PauseMs", nameof(GcTraceSummary.TotalPauseMs)) with { Format = "N3", Width = 9, Alignment = Right },
            Of("MaxMs", nameof(GcTraceSummary.MaxPauseMs)) with { Format = "N3", Width = 8, Alignment = Right },
            Of("MedianMs", nameof(GcTraceSummary.MedianPauseMs)) with { Format = "N3", Width = 9, Alignment = Right },
            Computed<GcTraceSummary>("GoalMB", s => string.Create(CultureInfo.InvariantCulture, $"{s.FirstGoalMB}->{s.LastGoalMB}")) with { Width = 10 },
            Computed<GcTraceSummary>(nameof(GcTraceSummary.Anomalies), s => string.Join(", ", s.Anomalies.Select(a => a.Kind))),
        ]) { Wrap = false };
        yield return new View(typeof(GoExecutionTrace), ViewKind.Table,
        [
            Of("Go", nameof(GoExecutionTrace.GoVersion)) with { Width = 5 },
            Of("Ms", nameof(GoExecutionTrace.DurationMs)) with { Format = "N1", Width = 9, Alignment = Right },
            Of("Procs", nameof(GoExecutionTrace.Gomaxprocs)) with { Width = 5, Alignment = Right },
            Of(nameof(GoExecutionTrace.Goroutines)) with { Width = 10, Alignment = Right },
            Computed<GoExecutionTrace>("GCs", t => t.Gcs.Count) with { Width = 4, Alignment = Right },
            Computed<GoExecutionTrace>("STW", t => t.StopTheWorlds.Count) with { Width = 4, Alignment = Right },
            Of(nameof(GoExecutionTrace.Path)),
        ]);
        yield return new View(typeof(GoTraceGc), ViewKind.Table,
        [
            Of("Seq", nameof(GoTraceGc.Sequence)) with { Width = 5, Alignment = Right },
            Of(nameof(GoTraceGc.StartMs)) with { Format = "N3", Width = 10, Alignment = Right },
            Of("Ms", nameof(GoTraceGc.DurationMs)) with { Format = "N3", Width = 9, Alignment = Right },
            Of("StwMs", nameof(GoTraceGc.StopTheWorldMs)) with { Format = "N3", Width = 9, Alignment = Right },
        ]) { Wrap = false };
        yield return new View(typeof(GoTraceStopTheWorld), ViewKind.Table,
        [
            Of(nameof(GoTraceStopTheWorld.StartMs)) with { Format = "N3", Width = 10, Alignment = Right },
            Of("Ms", nameof(GoTraceStopTheWorld.DurationMs)) with { Format = "N3", Width = 9, Alignment = Right },
            Of(nameof(GoTraceStopTheWorld.Kind)),
        ]) { Wrap = false };
        yield return new View(typeof(GoBlockReason), ViewKind.Table,
        [
            Of(nameof(GoBlockReason.Count)) with { Width = 8, Alignment = Right },
            Of("BlockedMs", nameof(GoBlockReason.TotalBlockedMs)) with { Format = "N3", Width = 12, Alignment = Right },
            Of(nameof(GoBlockReason.Reason)),
        ]) { Wrap = false };
        yield return new View(typeof(GoStateSample), ViewKind.Table,
        [
            Of(nameof(GoStateSample.TimeMs)) with { Format = "N3", Width = 10, Alignment = Right },
            Of(nameof(GoStateSample.Running)) with { Width = 8, Alignment = Right },
            Of(nameof(GoStateSample.Runnable)) with { Width = 8, Alignment = Right },
            Of(nameof(GoStateSample.Waiting)) with { Width = 8, Alignment = Right },
            Of(nameof(GoStateSample.Syscall)) with { Width = 8, Alignment = Right },
        ]) { Wrap = false };

        // ---- sizes, heap layout and handles (issue 14): ViewCatalog.Sizes.cs
        foreach (var view in SizeViews())
            yield return view;

        // ---- objects and collections (issue 14)
        yield return new View(typeof(DumpObject), ViewKind.List,
        [
            Of(nameof(DumpObject.TypeName)),
            Computed<DumpObject>(nameof(DumpObject.Address), o => Hex(o.Address)),
            Computed<DumpObject>(nameof(DumpObject.Size), o => string.Create(CultureInfo.InvariantCulture, $"{o.Size:N0} B")),
            Of(nameof(DumpObject.Generation)),
            Of(nameof(DumpObject.Length)) with { Format = "N0" },
            Computed<DumpObject>(nameof(DumpObject.Value), o => o.Value is null ? null : o.Value is string s && !o.IsArray ? DisplayText.Quote(s, o.IsTruncated, o.Length) : o.IsTruncated ? DisplayText.Scalar(o.Value) + " …" : DisplayText.Scalar(o.Value)),
            Computed<DumpObject>(nameof(DumpObject.Fields), o => FieldTable(o.Fields)),
            Computed<DumpObject>(nameof(DumpObject.Elements), o => o.Elements.Count == 0 ? null : string.Join("\n", o.Elements.Select(e => e.ToString()))),
            Computed<DumpObject>(nameof(DumpObject.Warnings), o => string.Join("\n", o.Warnings)),
        ]);
        yield return new View(typeof(DumpField), ViewKind.Table,
        [
            Of(nameof(DumpField.Offset)) with { Format = "x", Width = 6, Alignment = Right },
            Of(nameof(DumpField.Name)) with { Width = 20 },
            Computed<DumpField>("Type", f => ShortTypeName(f.TypeName)) with { Width = 20 },
            Computed<DumpField>(nameof(DumpField.Value), f => f.Text),
        ]);
        yield return new View(typeof(DumpElement), ViewKind.Table,
        [
            Of(nameof(DumpElement.Index)) with { Format = "N0", Width = 9, Alignment = Right },
            Computed<DumpElement>(nameof(DumpElement.Value), e => e.Text),
        ]);
        yield return new View(typeof(DumpCollection), ViewKind.List,
        [
            Of(nameof(DumpCollection.TypeName)),
            Computed<DumpCollection>(nameof(DumpCollection.Address), c => Hex(c.Address)),
            Of(nameof(DumpCollection.Kind)),
            Of(nameof(DumpCollection.Count)) with { Format = "N0" },
            Computed<DumpCollection>(nameof(DumpCollection.Entries), c => string.Join("\n", c.Entries.Select(e => e.ToString()))),
            Computed<DumpCollection>(nameof(DumpCollection.Warnings), c => string.Join("\n", c.Warnings)),
        ]);
        yield return new View(typeof(DumpEntry), ViewKind.Table,
        [
            Of(nameof(DumpEntry.Index)) with { Format = "N0", Width = 7, Alignment = Right },
            Computed<DumpEntry>(nameof(DumpEntry.Key), e => e.Key?.Text) with { Width = 30 },
            Computed<DumpEntry>(nameof(DumpEntry.Value), e => e.Value.Text),
        ]);

        // ---- object listing (Get-HeapObject)
        yield return new View(typeof(HeapObject), ViewKind.Table,
        [
            Computed<HeapObject>(nameof(HeapObject.Address), o => Hex(o.Address)) with { Width = 14 },
            Of(nameof(HeapObject.Size)) with { Format = "N0", Width = 11, Alignment = Right },
            Of("Gen", nameof(HeapObject.Generation)) with { Width = 6 },
            Of(nameof(HeapObject.SegmentKind)) with { Wide = true },
            Of(nameof(HeapObject.TypeName)),
        ]) { Wrap = false };

        // ---- Go core dumps (issue 15): ViewCatalog.GoCore.cs
        foreach (var view in GoCoreViews())
            yield return view;

        // ---- the timeline (issue 16): ViewCatalog.Timeline.cs
        foreach (var view in TimelineViews())
            yield return view;
    }

    private static string Hex(ulong address) => string.Create(CultureInfo.InvariantCulture, $"0x{address:x}");

    /// <summary>A type name without its namespace (the generic arguments kept): List&lt;System.String&gt;, Money, Int32; a Nullable as C# writes it: Int32?, GeoPoint?.</summary>
    private static string ShortTypeName(string name)
    {
        const string nullable = "System.Nullable<";
        if (name.StartsWith(nullable, StringComparison.Ordinal) && name.EndsWith('>'))
            return ShortTypeName(name[nullable.Length..^1]) + "?";
        int generic = name.IndexOf('<', StringComparison.Ordinal);
        int dot = name.LastIndexOf('.', generic < 0 ? name.Length - 1 : generic);
        return dot < 0 ? name : name[(dot + 1)..];
    }

    /// <summary>Fields as an aligned table in one text: a header line, then Name, Type and Value per field; a struct's fields indented under it.</summary>
    private static string? FieldTable(IReadOnlyList<DumpField> fields)
    {
        if (fields.Count == 0)
            return null;
        var rows = new List<(string Name, string Type, string Value)>();
        void Add(IEnumerable<DumpField> level, string indent)
        {
            foreach (var f in level)
            {
                rows.Add((indent + f.Name, ShortTypeName(f.TypeName), f.Kind == DumpValueKind.Struct ? "" : f.Text));
                if (f.Kind == DumpValueKind.Struct)
                    Add(f.Fields, indent + "  ");
            }
        }

        Add(fields, "");
        int name = Math.Max(4, rows.Max(r => r.Name.Length));
        int type = Math.Min(24, Math.Max(4, rows.Max(r => r.Type.Length)));
        return string.Join("\n", rows.Select(r => (r.Name.PadRight(name) + " " + (r.Type.Length > type ? r.Type[..(type - 1)] + "…" : r.Type).PadRight(type) + " " + r.Value).TrimEnd())
            .Prepend(("Name".PadRight(name) + " " + "Type".PadRight(type) + " Value")));
    }

    private static string Lines<T>(IEnumerable<T> items) => string.Join("\n", items.Select(i => i?.ToString()));
}
