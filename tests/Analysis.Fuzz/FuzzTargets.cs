using System.Globalization;
using System.Text;
using Analysis.Dumps;
using Analysis.Go;
using Analysis.Stacks;
using Analysis.Traces;

namespace Analysis.Fuzz;

/// <summary>
/// The input paths under fuzz, each a target that opens a file with the public API and then asks the questions a
/// user asks of the result, so a crash in a query is found as well as one in the parser.
/// </summary>
public static partial class FuzzTargets
{
    /// <summary>The paths, in the order campaigns run them.</summary>
    public static readonly string[] Paths = ["pprof", "goroutine", "gctrace", "gotrace", "nettrace", "dump", "dumpheader", "timeline", "gocore"];

    /// <summary>The paths whose inputs are small and whose whole campaign runs in this repository's seconds (the smokes).</summary>
    public static readonly string[] GoPaths = ["pprof", "goroutine", "gctrace", "gotrace", "timeline"];

    public static bool IsKnown(string path) => Array.IndexOf(Paths, path) >= 0;

    /// <summary>
    /// Paths whose inputs are whole dumps or cores (tens to hundreds of MB): their findings are neither minimized nor
    /// committed, no committed finding is a seed, and a case's memory ceiling follows the input's size more closely.
    /// </summary>
    public static bool HasWholeFileInputs(string path) => path is "dump" or "gocore";

    /// <summary>The file extension a case gets (some readers look at it).</summary>
    public static string Extension(string path) => path switch
    {
        "pprof" => ".pb.gz",
        "goroutine" => ".txt",
        "gctrace" => ".log",
        "gotrace" => ".out",
        "nettrace" => ".nettrace",
        "timeline" => ".txt",
        "gocore" => ".core",
        _ => ".dmp",
    };

    /// <summary>How long one case may take before it counts as a hang (the first case of a worker gets three times this: JIT).</summary>
    public static TimeSpan Timeout(string path) => path switch
    {
        "nettrace" => TimeSpan.FromSeconds(30),
        "dump" => TimeSpan.FromSeconds(90),
        "dumpheader" => TimeSpan.FromSeconds(15),
        _ => TimeSpan.FromSeconds(10), // a Go case takes milliseconds; 10 s leaves room for a loaded CI machine
    };

    /// <summary>Runs one case: opens <paramref name="file"/> as <paramref name="path"/> input and asks the questions.</summary>
    public static void Run(string path, string file)
    {
        switch (path)
        {
            case "pprof":
                Pprof(file);
                break;
            case "goroutine":
                Goroutines(file);
                break;
            case "gctrace":
                GcTraceLog(file);
                break;
            case "gotrace":
                GoTrace(file);
                break;
            case "nettrace":
                NetTrace(file);
                break;
            case "dump" or "dumpheader":
                // hand-made headers fuzz our own checks and ClrMD's parsing of them, in this process (a worker per case would
                // be most of the time); whole dumps go through the worker as users' sessions do, unless coverage is measured
                Dump(file, path == "dumpheader" || Coverage.Enabled ? EngineIsolation.InProcess : EngineIsolation.Default);
                break;
            case "timeline":
                TimelineCase(file);
                break;
            case "gocore":
                GoCoreCase(file);
                break;
            default:
                throw new ArgumentException($"unknown fuzz path '{path}'; known: {string.Join(", ", Paths)}", nameof(path));
        }
    }

    private static void Touch(object? value) => _ = value?.ToString();

    private static void Pprof(string file)
    {
        var profile = PprofProfile.Load(file);
        Touch(profile);
        Touch(profile.Time);
        Touch(profile.PeriodType);
        for (int i = 0; i < profile.SampleTypes.Count; i++)
        {
            string type = profile.SampleTypes[i].Type;
            foreach (var row in PprofQueries.Top(profile, 10, i.ToString(CultureInfo.InvariantCulture)))
                Touch(row);
            foreach (var row in PprofQueries.Top(profile, 10, type, byCum: true))
                Touch(row);
            Touch(PprofQueries.Total(profile, type));
        }

        foreach (var row in PprofQueries.Peek(profile, "*"))
            Touch(row);
        var traces = PprofQueries.Traces(profile, 100);
        foreach (var trace in traces)
            Touch(trace);
        string? label = traces.SelectMany(t => t.Labels).Select(l => $"{l.Key}=*").FirstOrDefault(l => l.Length > 2 && l[0] != '=');
        if (label is not null)
            Touch(PprofQueries.Total(profile, null, label));

        // the diff against itself (everything cancels) and against nothing in common (the frames remap)
        var diff = profile.Subtract(profile);
        foreach (var row in PprofQueries.Top(diff, 10))
            Touch(row);
        Touch(PprofQueries.Total(diff));
    }

    private static void Goroutines(string file)
    {
        var dump = GoroutineDumpParser.ParseFile(file);
        Touch(dump.Total);
        foreach (var g in dump.Goroutines.Take(1000))
        {
            Touch(g);
            Touch(g.TopFrame);
        }

        foreach (var s in dump.Skipped.Take(100))
            Touch(s);
        foreach (var similarity in Enum.GetValues<StackSimilarity>())
        {
            foreach (var b in StackGrouper.Group(dump.Goroutines, similarity))
                Touch(b);
        }

        foreach (var leak in GoroutineLeaks.Find(dump, 1, 0))
            Touch(leak);
        foreach (var leak in GoroutineLeaks.Find(dump))
            Touch(leak);
        var (buckets, summary) = GoroutineDumpParser.GroupFile(file);
        foreach (var b in buckets)
            Touch(b);
        Touch(summary.Total);
    }

    private static void GcTraceLog(string file)
    {
        var trace = GcTrace.Load(file);
        foreach (var c in trace.Cycles.Take(1000))
            Touch(c);
        foreach (var s in trace.Skipped.Take(100))
            Touch(s);
        var summary = trace.Summarize();
        Touch(summary);
        foreach (var a in summary.Anomalies)
            Touch(a);
    }

    private static void GoTrace(string file)
    {
        var trace = GoExecutionTrace.Load(file);
        Touch(trace);
        foreach (var gc in trace.Gcs)
            Touch(gc);
        foreach (var stw in trace.StopTheWorlds)
            Touch(stw);
        foreach (var reason in trace.BlockReasons)
            Touch(reason);
        foreach (var sample in trace.StatesOverTime)
            Touch(sample);
        Touch(string.Join(";", trace.Warnings));
        Touch(trace.DurationMs);
    }

    private static void NetTrace(string file)
    {
        // Without coverage: what users run, TraceEvent's pass in the product's worker process (a crash of the engine is
        // one EngineFailed). With coverage: the pass in this process, where the instrumented code's edges are counted
        // (the worker would load the instrumented Analysis.dll without a coverage map); an engine crash then kills this
        // worker and is reported as a kill of the engine, which the product's worker contains.
        var analysis = TraceAnalysis.Read(file, Coverage.Enabled ? new TraceReadOptions { Isolation = EngineIsolation.InProcess } : TraceReadOptions.Default);
        Touch(analysis.RuntimeVersion);
        Touch(string.Join(";", analysis.Warnings));
        Touch(analysis.GetGcSummary());
        foreach (var gc in analysis.Gcs.Take(1000))
            Touch(gc);
        foreach (var filter in Enum.GetValues<SampleFilter>())
        {
            foreach (var f in analysis.GetCpuTop(10, inclusive: false, filter))
                Touch(f);
            foreach (var f in analysis.GetCpuTop(10, inclusive: true, filter))
                Touch(f);
            foreach (var s in analysis.GetFoldedStacks(filter).Take(1000))
                Touch(s);
            Touch(analysis.CountSamples(filter));
        }

        Touch(analysis.SampleCount);
        Touch(analysis.SampledThreads.Count);
        foreach (var e in analysis.EnumerateExceptions().Take(1000))
            Touch(e);
        foreach (var e in analysis.CountExceptionsByType())
            Touch(e);
        foreach (var c in analysis.EnumerateContention().Take(1000))
            Touch(c);
        using (var folded = new MemoryStream())
            StackExport.WriteFolded(analysis, folded);
        using (var speedscope = new MemoryStream())
            StackExport.WriteSpeedscope(analysis, speedscope, SampleFilter.Managed, null, "fuzz");
    }

    private static void Dump(string file, EngineIsolation isolation)
    {
        // every case in a new worker: the last case's, kept warm after its close, would carry what that dump did to it
        Analysis.Isolation.SharedWorker.Drop();
        Touch(DumpFile.Validate(file));
        using var session = DumpSession.Open(file, new DumpOpenOptions { NoCache = true, Isolation = isolation });
        Touch(session);
        Touch(session.RuntimeVersion);
        foreach (var t in session.GetThreads())
            Touch(t);
        if (!session.HasHeap)
            return;
        Touch(session.GetHeapStatistics());
        foreach (var row in session.GetHeapTop(10))
            Touch(row);
        var roots = session.FindRootPaths("*Order*", 3);
        Touch(roots);
        foreach (var p in roots.Paths)
            Touch(p);
        Touch(session.GetThreadPool());
        Touch(session.GetFinalizer());
        Touch(session.GetAsyncState());
        // the SOS-depth questions (issue 14): the GC's layout, handles, out-of-memory records, retained sizes, one
        // object inspected and measured, where its address lies, the heap listed object by object, the triage
        Touch(session.GetGcHeap());
        foreach (var h in session.GetHandles().Take(100))
            Touch(h);
        Touch(session.GetHandleLeaks());
        Touch(session.GetOutOfMemory());
        foreach (var r in session.GetRetainedByType(10))
            Touch(r);
        if (roots.Paths.FirstOrDefault()?.Addresses.LastOrDefault() is { } address and not 0)
        {
            Touch(session.InspectObject(address, depth: 1));
            Touch(session.MeasureObject(address, retained: true));
            Touch(session.FindGcAddress(address));
            Touch(session.FindShortestRootPath(address));
            foreach (var p in session.FindAllRootPaths(address, 3))
                Touch(p);
        }

        foreach (var o in session.EnumerateObjects().Take(1000))
            Touch(o);
        foreach (var f in DumpTriage.Run(session))
            Touch(f);
        Touch(string.Join(";", session.GraphWarnings));
    }

    /// <summary>Text of a small input for messages: printable ASCII, the rest as \xNN.</summary>
    public static string Preview(byte[] data, int max = 60)
    {
        var sb = new StringBuilder();
        foreach (byte b in data.AsSpan(0, Math.Min(max, data.Length)))
            sb.Append(b is >= 0x20 and < 0x7f ? ((char)b).ToString() : $"\\x{b:x2}");
        return data.Length > max ? sb.Append('…').ToString() : sb.ToString();
    }
}
