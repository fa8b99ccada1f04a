using Analysis.Testing;

namespace Analysis.Pwsh.Tests;

/// <summary>A cell of an exported CSV: in the row whose <see cref="RowColumn"/> is <see cref="RowValue"/> (any row when null), <see cref="Column"/> contains <see cref="Text"/>.</summary>
public sealed record CsvCell(string Column, string Text, string? RowColumn = null, string? RowValue = null);

/// <summary>
/// One kind of object the module's commands emit (every result type and session), the command that makes it in
/// <see cref="DemoFiles.Folder"/>, and what its serialized and formatted forms must show. "{scratch}" in a command is
/// a folder of the test's own; "{pid}" the id of a running TraceTarget (<see cref="NeedsTraceTarget"/>).
/// </summary>
public sealed record ResultType(string Key, string TypeName, string Command)
{
    /// <summary>Properties the JSON objects and the CSV header must have (the documented ones, those views and README use).</summary>
    public string[] Properties { get; init; } = [];

    /// <summary>Properties that must not be there: removed duplicates, Go-only members, ClrMD objects, huge graphs.</summary>
    public string[] NotProperties { get; init; } = [];

    /// <summary>List-valued columns of the CSV and text they must contain.</summary>
    public CsvCell[] CsvCells { get; init; } = [];

    /// <summary>A value the table view must show whole at 80 and 120 columns, and the column (label) it is in ("{demo}", "{scratch}": those folders).</summary>
    public (string Column, string Text)? Known { get; init; }

    /// <summary>The command starts a trace capture of a TraceTarget process; the script stops it at the end.</summary>
    public bool NeedsTraceTarget { get; init; }

    /// <summary>The command reads the Go core fixtures (./crash.core, ./leaky): skipped when they cannot be made here.</summary>
    public bool NeedsGoCores { get; init; }

    /// <summary>Runs after the checks (stops what the command started).</summary>
    public string Cleanup { get; init; } = "";

    public override string ToString() => Key;
}

public static class ResultTypes
{
    /// <summary>A function of the Go fixture program (tests/TestTargets/go/leaky/orders): where 100 goroutines wait on a channel.</summary>
    public const string GoLeakSite = "contoso.example/leaky/orders.(*Server).waitForReply";

    /// <summary>The function holding most of heap-2.pb.gz (tests/testdata/go/MANIFEST pprof.heap-2.inuse_space.top).</summary>
    public static string PprofTop => GoManifest("pprof.heap-2.inuse_space.top");

    public static readonly IReadOnlyList<ResultType> All =
    [
        new("DumpThread", "Analysis.Dumps.DumpThread", "Get-DumpThreads ./app.dmp")
        {
            Properties = ["ManagedThreadId", "OSThreadId", "Name", "State", "Frames", "TopFrame", "Exception", "BlockedOn", "LockOwnerThreadId", "HeldLocks", "IsDeadlocked", "Deadlock", "Id"],
            NotProperties = ["Count", "WaitMinutes", "CreatedBy", "DeadlockDescription"],
            CsvCells =
            [
                new("Frames", "System.Threading.Monitor.Enter", "Name", "worker-a"),
                new("Frames", "DumpTarget.Deadlock.", "Name", "worker-a"),
                new("BlockedOn", TargetFacts.AccountLockType, "Name", "worker-a"),
                new("HeldLocks", TargetFacts.AccountLockType, "Name", "worker-a"),
                new("Deadlock", "holds AccountLock#1", "Name", "worker-a"),
            ],
            Known = ("Name", TargetFacts.SyncOverAsyncThread),
        },
        new("HeapTypeStat", "Analysis.Dumps.HeapTypeStat", "Get-HeapTop ./app.dmp -Top 5")
        {
            Properties = ["TypeName", "Count", "TotalSize", "MethodTables", "AverageSize"],
            NotProperties = ["Size"],
            CsvCells = [new("MethodTables", "0x", "TypeName", TargetFacts.LeakedOrderType)],
            Known = ("TypeName", TargetFacts.LeakedOrderType),
        },
        new("HeapTypeDiff", "Analysis.Dumps.HeapTypeDiff", "Get-HeapTop ./after.dmp -Baseline ./before.dmp -Top 5")
        {
            Properties = ["TypeName", "Count", "TotalSize", "BaselineCount", "BaselineSize", "CountDelta", "SizeDelta"],
            Known = ("TypeName", "Contoso.Orders.CachedReport"),
        },
        new("RetainedTypeStat", "Analysis.Dumps.RetainedTypeStat", "Get-HeapTop ./app.dmp -Retained -TypeName 'Contoso.*' -Top 5")
        {
            Properties = ["TypeName", "Count", "ShallowSize", "RetainedSize"],
            Known = ("TypeName", TargetFacts.LeakedOrderType),
        },
        new("GcRootPath", "Analysis.Dumps.GcRootPath", $"Get-GcRoot ./app.dmp -TypeName '{TargetFacts.SessionType}'")
        {
            Properties = ["RootKind", "Root", "Hops", "Count", "Addresses", "Target", "TargetType", "Path"],
            CsvCells = [new("Hops", TargetFacts.SessionType), new("Addresses", "0x")],
            Known = ("Path", TargetFacts.SessionRegistryStatic),
        },
        new("StuckAwaitGroup", "Analysis.Dumps.StuckAwaitGroup", "Get-DumpTasks ./app.dmp")
        {
            Properties = ["Method", "Count", "Awaiting", "AwaitedBy", "BlockedThreads", "Addresses", "Chain"],
            CsvCells =
            [
                new("AwaitedBy", TargetFacts.CheckoutMethod, "Method", TargetFacts.ConfirmationMethod),
                new("Addresses", "0x", "Method", TargetFacts.CheckoutMethod),
                new("BlockedThreads", TargetFacts.SyncOverAsyncThread, "Method", TargetFacts.LoadReportMethod),
            ],
            Known = ("Chain", TargetFacts.ConfirmationMethod),
        },
        new("AsyncStateMachine", "Analysis.Dumps.AsyncStateMachine", "Get-DumpTasks ./app.dmp -Detailed")
        {
            Properties = ["Address", "Method", "StateMachineType", "State", "Status", "Awaiting", "Continuations", "AwaitedBy"],
            CsvCells = [new("AwaitedBy", TargetFacts.CheckoutMethod, "Method", TargetFacts.ConfirmationMethod)],
            Known = ("Method", TargetFacts.ConfirmationMethod),
        },
        new("SyncOverAsyncWait", "Analysis.Dumps.SyncOverAsyncWait", "Get-DumpTasks ./app.dmp -SyncOverAsync")
        {
            Properties = ["ManagedThreadId", "ThreadName", "BlockingFrame", "WaitFrame", "TaskAddress", "Task", "ThreadLabel"],
            Known = ("BlockingFrame", TargetFacts.SyncOverAsyncFrame),
        },
        new("Finding", "Analysis.Findings.Finding", "Get-DumpTriage ./app.dmp")
        {
            Properties = ["Severity", "Kind", "Summary", "Evidence", "ThreadIds"],
            CsvCells = [new("Evidence", "worker-a (thread", "Kind", "deadlock"), new("ThreadIds", ", ", "Kind", "deadlock")],
            Known = ("Summary", TargetFacts.LeakedOrderType),
        },
        new("ThreadPoolReport", "Analysis.Dumps.ThreadPoolReport", "Get-DumpThreadPool ./app.dmp")
        {
            Properties = ["MinWorkers", "MaxWorkers", "ActiveWorkers", "IdleWorkers", "BusyWorkers", "BusyWorkerCount", "Queued", "QueuedCount", "Timers", "TimerCount", "IsStarved"],
            CsvCells = [new("BusyWorkers", TargetFacts.ReportJobFrame), new("Queued", TargetFacts.ExportJobType), new("Timers", TargetFacts.HeartbeatCallback)],
        },
        new("FinalizerReport", "Analysis.Dumps.FinalizerReport", "Get-DumpFinalizer ./app.dmp")
        {
            Properties = ["ThreadId", "Frames", "Finalizing", "WaitingIn", "IsBlocked", "ReadyCount", "Ready", "RegisteredCount"],
            CsvCells = [new("Frames", TargetFacts.BlockingFinalizerType), new("Ready", TargetFacts.PendingFileType)],
        },
        new("DumpSession", "Analysis.Dumps.DumpSession", "Open-Dump ./app.dmp")
        {
            Properties = ["Path", "Format", "RuntimeVersion", "DacPath", "ProcessId", "HasHeap", "IsClosed", "GraphWarnings"],
            NotProperties = ["Runtime"],
            Known = ("Path", "{demo}/app.dmp"),
        },
        new("DumpSession (closed)", "Analysis.Dumps.DumpSession", "$s = Open-Dump ./app.dmp; $null = Get-DumpThreads $s; Close-Dump $s; $s")
        {
            Properties = ["Path", "ProcessId", "HasHeap", "IsClosed"],
            NotProperties = ["Runtime"],
            CsvCells = [new("IsClosed", "True")],
        },
        new("GcEvent", "Analysis.Traces.GcEvent", "Get-TraceGc ./app.nettrace")
        {
            Properties = ["Number", "Generation", "Type", "Reason", "StartMs", "PauseMs", "HeapSizeBeforeMB", "HeapSizeAfterMB", "GenerationSizesAfterMB"],
            CsvCells = [new("GenerationSizesAfterMB", ", ")],
            Known = ("Reason", "Induced"),
        },
        new("GcSummary", "Analysis.Traces.GcSummary", "Get-TraceGcSummary ./app.nettrace")
        {
            Properties = ["Count", "Gen2Count", "InducedCount", "TotalPauseMs", "MaxPauseMs", "PercentTimePaused", "Anomalies", "GcsOverThreshold"],
            CsvCells = [new("Anomalies", "InducedGen2: ")],
        },
        new("CpuFunction", "Analysis.Traces.CpuFunction", "Get-TraceCpuTop ./app.nettrace -Top 5")
        {
            Properties = ["Function", "Module", "ExclusiveSamples", "InclusiveSamples", "ExclusivePercent", "InclusivePercent"],
            Known = ("Function", TraceFacts.HotMethod),
        },
        new("FoldedStack", "Analysis.Traces.FoldedStack", "Get-TraceStacks ./app.nettrace")
        {
            Properties = ["Stack", "Samples"],
            Known = ("Stack", TraceFacts.HotMethod),
        },
        new("TraceException", "Analysis.Traces.TraceException", "Get-TraceExceptions ./app.nettrace")
        {
            Properties = ["TimeMs", "ThreadId", "Type", "Message", "HResult", "Stack", "ThrownIn"],
            CsvCells = [new("Stack", TraceFacts.ExceptionThrower)],
            Known = ("Exception", TraceFacts.ExceptionType),
        },
        new("ContentionEvent", "Analysis.Traces.ContentionEvent", "Get-TraceContention ./app.nettrace")
        {
            Properties = ["TimeMs", "ThreadId", "DurationMs", "LockKind", "Stack", "OwnerThreadId", "LockAddress"],
            CsvCells = [new("Stack", TraceFacts.ContendedMethod)],
            Known = ("Where", TraceFacts.ContendedMethod),
        },
        new("TraceSession", "Analysis.Traces.TraceSession", "Import-Trace ./app.nettrace")
        {
            Properties = ["Path", "Length", "IsClosed", "IsRead"],
            Known = ("Path", "{demo}/app.nettrace"),
        },
        new("TraceRecording", "Analysis.Traces.TraceRecording", "$rec = Start-TraceCapture -ProcessId {pid} -OutFile '{scratch}/recording.nettrace'; Start-Sleep -Milliseconds 500; $rec")
        {
            Properties = ["ProcessId", "Path", "Profile", "BytesWritten"],
            NeedsTraceTarget = true,
            Cleanup = "$null = $rec | Stop-TraceCapture",
            Known = ("Path", "{scratch}/recording.nettrace"),
        },
        new("Goroutine", "Analysis.Go.Goroutine", "Get-Goroutines ./goroutines.txt")
        {
            Properties = ["Runtime", "Id", "State", "Count", "WaitMinutes", "Frames", "CreatedBy", "Labels", "TopFrame"],
            CsvCells = [new("Frames", GoLeakSite)],
            Known = ("TopFrame", GoLeakSite),
        },
        new("StackBucket", "Analysis.Stacks.StackBucket", "Group-Stacks -Path ./goroutines.txt")
        {
            Properties = ["Runtime", "State", "Count", "Frames", "Ids", "MinWaitMinutes", "MaxWaitMinutes", "CreatedBy", "TopFrame"],
            CsvCells = [new("Frames", GoLeakSite, "Count", "100"), new("Ids", ", ", "Count", "100")],
            Known = ("TopFrame", GoLeakSite),
        },
        new("StackBucket (.NET threads)", "Analysis.Stacks.StackBucket", "Get-DumpThreads ./app.dmp | Group-Stacks")
        {
            Properties = ["Runtime", "State", "Count", "Frames", "Ids", "TopFrame"],
            CsvCells = [new("Frames", "DumpTarget.Deadlock.", "State", "Deadlocked")],
            Known = ("TopFrame", TargetFacts.ReportJobFrame),
        },
        new("LeakSuspect", "Analysis.Go.LeakSuspect", "Find-GoroutineLeak ./goroutines.txt")
        {
            Properties = ["Bucket", "Description", "Count", "State", "WaitMinutes", "Site", "CreatedBy"],
            CsvCells = [new("Bucket", "chan receive", "Count", "100")],
            Known = ("Site", GoLeakSite),
        },
        new("GoProfileSession", "Analysis.Go.GoProfileSession", "Open-GoProfile ./heap-2.pb.gz")
        {
            Properties = ["Path", "Length", "IsClosed", "IsRead"],
            Known = ("Path", "{demo}/heap-2.pb.gz"),
        },
        new("PprofProfile", "Analysis.Go.PprofProfile", "Import-Pprof ./heap-2.pb.gz")
        {
            Properties = ["Path", "SampleTypes", "DefaultSampleIndex", "SampleCount", "Time", "PeriodType", "SampleTypeNames"],
            CsvCells = [new("SampleTypes", "inuse_space (bytes)")],
            Known = ("Path", "{demo}/heap-2.pb.gz"),
        },
        new("PprofTopRow", "Analysis.Go.PprofTopRow", "Get-PprofTop ./heap-2.pb.gz -Top 3")
        {
            Properties = ["Function", "Flat", "FlatPercent", "SumPercent", "Cum", "CumPercent", "SampleType", "Unit", "FlatText", "CumText"],
            Known = ("Function", PprofTop),
        },
        new("PprofPeekRow", "Analysis.Go.PprofPeekRow", $"Get-PprofPeek ./heap-2.pb.gz -Function '*{PprofTop.Split('/')[^1]}'")
        {
            Properties = ["Function", "Relation", "Other", "Value", "Percent", "Unit"],
            Known = ("Other", PprofTop),
        },
        new("PprofTrace", "Analysis.Go.PprofTrace", "Get-PprofTraces ./heap-2.pb.gz -Top 3")
        {
            Properties = ["Value", "Unit", "Frames", "Labels"],
            CsvCells = [new("Frames", PprofTop + " <- ")],
            Known = ("Stack", PprofTop),
        },
        new("GcCycle", "Analysis.Go.GcCycle", "Get-GoGcTrace ./stderr.log")
        {
            Properties = ["Number", "AtSeconds", "PauseMs", "HeapStartMB", "HeapEndMB", "HeapLiveMB", "HeapGoalMB", "Procs", "Forced", "ClockPhasesMs"],
            CsvCells = [new("ClockPhasesMs", ", ")],
        },
        new("GcTraceSummary", "Analysis.Go.GcTraceSummary", "Get-GoGcTrace ./stderr.log -Summary")
        {
            Properties = ["Cycles", "Forced", "TotalPauseMs", "MaxPauseMs", "MedianPauseMs", "FirstGoalMB", "LastGoalMB", "Anomalies"],
            CsvCells = [new("Anomalies", "Forced")],
            Known = ("Anomalies", "Forced"),
        },
        new("GoExecutionTrace", "Analysis.Go.GoExecutionTrace", "Get-GoTrace ./trace.out")
        {
            Properties = ["Path", "GoVersion", "Gomaxprocs", "DurationMs", "Goroutines", "Gcs", "StopTheWorlds", "BlockReasons", "StatesOverTime"],
            CsvCells = [new("StopTheWorlds", "GC mark termination"), new("Gcs", "stop-the-world")],
            Known = ("Path", "{demo}/trace.out"),
        },
        new("GoTraceGc", "Analysis.Go.GoTraceGc", "Get-GoTrace ./trace.out -View Gcs")
        {
            Properties = ["Sequence", "StartMs", "DurationMs", "StopTheWorldMs"],
        },
        new("GoTraceStopTheWorld", "Analysis.Go.GoTraceStopTheWorld", "Get-GoTrace ./trace.out -View StopTheWorld")
        {
            Properties = ["Kind", "StartMs", "DurationMs"],
            Known = ("Kind", "GC mark termination"),
        },
        new("GoBlockReason", "Analysis.Go.GoBlockReason", "Get-GoTrace ./trace.out -View Blocking")
        {
            Properties = ["Reason", "Count", "TotalBlockedMs"],
            Known = ("Reason", "GC background sweeper wait"),
        },
        new("GoStateSample", "Analysis.Go.GoStateSample", "Get-GoTrace ./trace.out -View States -Steps 5")
        {
            Properties = ["TimeMs", "Running", "Runnable", "Waiting", "Syscall"],
        },
        new("NotebookRunResult", "Analysis.Notebooks.NotebookRunResult", "Invoke-Notebook '{scratch}/investigation.dib'")
        {
            Properties = ["Path", "OutNotebook", "OutFile", "Succeeded", "FailedCellIndex", "Failure", "CodeCellsRun", "CodeCells", "Elapsed", "Warnings"],
            NotProperties = ["Notebook"],
            CsvCells = [new("Succeeded", "True")],
            Known = ("Path", "{scratch}/investigation.dib"),
        },
        // sizes, heap layout and handles (issue 14)
        new("ObjectSize", "Analysis.Dumps.ObjectSize", "$d = Open-Dump ./app.dmp; Get-DumpHandles $d -Kind Strong -TypeName '" + TargetFacts.ShippingLabelType + "' -List | Measure-DumpObject -Dump $d -Retained")
        {
            Properties = ["Address", "TypeName", "Size", "ReachableBytes", "ReachableCount", "RetainedBytes", "RetainedCount", "FromGraphIndex"],
            CsvCells = [new("TypeName", TargetFacts.ShippingLabelType)],
        },
        new("GcGenerationStat", "Analysis.Dumps.GcGenerationStat", "Get-GcHeap ./app.dmp")
        {
            Properties = ["Heap", "Generation", "SegmentCount", "Committed", "Allocated", "ObjectCount", "ObjectBytes", "FreeCount", "FreeBytes", "Fragmentation"],
            Known = ("Generation", "Pinned"),
        },
        new("GcSegmentStat", "Analysis.Dumps.GcSegmentStat", "Get-GcHeap ./app.dmp -Segment")
        {
            Properties = ["Heap", "Generation", "Kind", "Start", "End", "Committed", "Allocated", "ObjectCount", "ObjectBytes", "FreeBytes"],
            Known = ("Generation", "Large"),
        },
        new("GcAddressInfo", "Analysis.Dumps.GcAddressInfo", "Get-DumpHandles ./app.dmp -Kind Strong -List | Get-GcHeap ./app.dmp")
        {
            Properties = ["Address", "Heap", "Generation", "SegmentKind", "SegmentStart", "SegmentEnd", "IsPastAllocated"],
        },
        new("HandleGroup", "Analysis.Dumps.HandleGroup", "Get-DumpHandles ./app.dmp")
        {
            Properties = ["Kind", "TypeName", "Count", "TotalSize", "PinnedEphemeral"],
            Known = ("TypeName", TargetFacts.ShippingLabelType),
        },
        new("DumpHandle", "Analysis.Dumps.DumpHandle", "Get-DumpHandles ./app.dmp -List")
        {
            Properties = ["HandleAddress", "Kind", "Address", "TypeName", "Size", "Generation", "DependentAddress", "DependentType", "ReferenceCount", "IsPinning", "PinsEphemeral"],
            Known = ("TypeName", TargetFacts.ShippingLabelType),
        },

        // ---- objects and collections (issue 14)
        new("DumpObject", "Analysis.Dumps.DumpObject", $"Get-GcRoot ./app.dmp -TypeName '{TargetFacts.InspectedOrderType}' | Get-DumpObject ./app.dmp")
        {
            Properties = ["Address", "TypeName", "MethodTable", "Size", "Generation", "IsArray", "Length", "ElementTypeName", "Value", "IsTruncated", "Fields", "Elements", "FirstIndex", "Warnings"],
            CsvCells = [new("Fields", "Id=4242"), new("Fields", "Customer=\"Ada Lovelace\"")],
        },
        new("DumpField", "Analysis.Dumps.DumpField", $"@(Get-GcRoot ./app.dmp -TypeName '{TargetFacts.InspectedOrderType}' | Get-DumpObject ./app.dmp)[0].Fields")
        {
            Properties = ["Name", "Offset", "Kind", "TypeName", "Value", "Address", "ObjectTypeName", "Length", "IsTruncated", "Fields", "Target", "Problem", "Text"],
            CsvCells = [new("Value", "Ada Lovelace", "Name", "Customer"), new("Fields", "Currency=\"EUR\"", "Name", "Price")],
            Known = ("Name", "Quantities"),
        },
        new("DumpElement", "Analysis.Dumps.DumpElement", $"$o = @(Get-GcRoot ./app.dmp -TypeName '{TargetFacts.InspectedOrderType}' | Get-DumpObject ./app.dmp)[0]; (Get-DumpObject ./app.dmp -Address $o.Field('Tags').Address).Elements")
        {
            Properties = ["Index", "Kind", "TypeName", "Value", "Address", "Text"],
            CsvCells = [new("Value", "fragile", "Index", "1")],
            Known = ("Value", "\"urgent\""),
        },
        new("DumpCollection", "Analysis.Dumps.DumpCollection", "Get-GcRoot ./app.dmp -TypeName 'System.Collections.Generic.Dictionary<System.String, System.Int32>' | Get-DumpCollection ./app.dmp")
        {
            Properties = ["Address", "TypeName", "Kind", "Count", "Entries", "Warnings"],
            CsvCells = [new("Entries", "[\"apple\"] = 3"), new("Kind", "Dictionary")],
        },
        new("DumpEntry", "Analysis.Dumps.DumpEntry", "(Get-GcRoot ./app.dmp -TypeName 'System.Collections.Generic.Dictionary<System.String, System.Int32>' | Get-DumpCollection ./app.dmp).Entries")
        {
            Properties = ["Index", "Key", "Value"],
            Known = ("Key", "\"apple\""),
        },
        new("HeapObject", "Analysis.Dumps.HeapObject", $"Get-HeapObject ./app.dmp -TypeName '{TargetFacts.ShippingLabelType}'")
        {
            Properties = ["Address", "MethodTable", "TypeName", "Size", "Generation", "SegmentKind"],
            Known = ("TypeName", TargetFacts.ShippingLabelType),
        },

        // ---- Go core dumps (issue 15)
        new("GoCore", "Analysis.Go.GoCore", "Open-GoCore ./crash.core -Executable ./leaky")
        {
            Properties = ["Path", "ExecutablePath", "IsClosed", "Info", "Goroutines"],
            NeedsGoCores = true,
            Known = ("Path", "{demo}/crash.core"),
        },
        new("GoCoreInfo", "Analysis.Go.GoCoreInfo", "Get-GoCoreInfo ./crash.core -Executable ./leaky")
        {
            Properties = ["Path", "Executable", "GoVersion", "ProcessId", "CommandLine", "Signal", "FaultSignal", "FaultAddress", "FaultPc", "CrashingGoroutine", "CrashingThread",
                "PanicValue", "PanicType", "Threads", "GoroutineCount", "Memory", "LayoutSource", "Warnings"],
            CsvCells = [new("PanicValue", "order 42: payment declined"), new("Threads", "thread ")],
            NeedsGoCores = true,
        },
        new("GoThread", "Analysis.Go.GoThread", "(Get-GoCoreInfo ./crash.core -Executable ./leaky).Threads")
        {
            Properties = ["Id", "M", "Goroutine", "Pc", "Function"],
            NeedsGoCores = true,
        },
        new("GoMemoryState", "Analysis.Go.GoMemoryState", "(Get-GoCoreInfo ./crash.core -Executable ./leaky).Memory")
        {
            Properties = ["HeapLive", "HeapMarked", "HeapGoal", "HeapInUse", "TotalAlloc", "TotalFree", "GcPercent", "MemoryLimit", "NumGC", "NumForcedGC", "LastGC", "PauseTotal",
                "GCCPUFraction", "ProcessStart"],
            NeedsGoCores = true,
        },

        // ---- the timeline (issue 16)
        new("TimelineEvent", "Analysis.Timelines.TimelineEvent", "Get-Timeline ./stderr.log, ./trace.out, ./heap-1.pb.gz, ./heap-2.pb.gz, ./cpu.pb.gz")
        {
            Properties = ["Time", "Offset", "Clock", "Source", "Kind", "Duration", "Value", "Unit", "Category", "Detail"],
            Known = ("Source", "stderr.log"),
        },
        new("TimelineAnchor", "Analysis.Timelines.TimelineAnchor", "Get-Timeline ./stderr.log, ./trace.out, ./heap-1.pb.gz, ./heap-2.pb.gz -Anchors")
        {
            Properties = ["From", "To", "Shift", "Uncertainty", "Quality", "Source", "How"],
        },
    ];

    public static ResultType Get(string key) => All.Single(t => t.Key == key);

    /// <summary>A notebook for the NotebookRunResult entry: one pwsh cell with output.</summary>
    public static void WriteNotebook(string scratch) =>
        File.WriteAllText(Path.Combine(scratch, "investigation.dib"), "#!pwsh\nGet-Goroutines '" + DemoFiles.File("goroutines.txt") + "' | Group-Stacks\n");

    /// <summary>The command with its placeholders filled.</summary>
    public static string CommandFor(ResultType type, string scratch, int? pid) =>
        type.Command.Replace("{scratch}", scratch, StringComparison.Ordinal).Replace("{pid}", pid?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "0", StringComparison.Ordinal);

    /// <summary>The known value with its placeholders filled.</summary>
    public static string KnownFor(ResultType type, string scratch) =>
        type.Known!.Value.Text.Replace("{scratch}", scratch, StringComparison.Ordinal).Replace("{demo}", DemoFiles.Folder, StringComparison.Ordinal);

    private static string GoManifest(string key)
    {
        foreach (string line in File.ReadLines(Path.Combine(RepoPaths.Root, "tests", "testdata", "go", "MANIFEST")))
        {
            if (line.StartsWith(key + "=", StringComparison.Ordinal))
                return line[(key.Length + 1)..];
        }

        throw new KeyNotFoundException($"tests/testdata/go/MANIFEST has no '{key}'");
    }
}
