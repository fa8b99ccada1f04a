using System.Globalization;
using Analysis.Findings;

namespace Analysis.Go;

/// <summary>The findings of Go artifacts: goroutine dumps, heap profiles and execution traces (gctrace logs: <see cref="GcTraceSummary.Anomalies"/>).</summary>
public static class GoFindings
{
    /// <summary>
    /// In this order: each goroutine leak suspect of <see cref="GoroutineLeaks.Find"/> (critical), the panic the dump
    /// ends with (critical), the lines that could not be parsed (warning).
    /// </summary>
    public static IReadOnlyList<Finding> Goroutines(GoroutineDump dump)
    {
        ArgumentNullException.ThrowIfNull(dump);
        var findings = new List<Finding>();
        foreach (var leak in GoroutineLeaks.Find(dump))
        {
            findings.Add(new Finding(FindingSeverity.Critical, "goroutine leak suspect", leak.Description)
            {
                Title = $"Goroutine leak suspect: {leak.Description}.",
                Subject = leak.Site?.Function,
                Evidence = leak.Bucket.Frames.Take(8).Select(f => "at " + f.Function).ToArray(),
                Source = dump.Path,
            });
        }

        if (dump.PanicMessage is { } panic)
            findings.Add(new Finding(FindingSeverity.Critical, "go panic", panic) { Title = $"Go panic: {panic}", Source = dump.Path });
        if (dump.Skipped.Count > 0)
        {
            string summary = $"{dump.Skipped.Count} line(s) could not be parsed (first: {dump.Skipped[0]})";
            findings.Add(new Finding(FindingSeverity.Warning, "skipped lines", summary)
            {
                Title = $"Goroutine dump: {summary}.",
                Evidence = dump.Skipped.Take(5).Select(s => s.ToString()).ToArray(),
                Source = dump.Path,
            });
        }

        return findings;
    }

    /// <summary>
    /// The function with the most in-use bytes (inuse_space, else the default sample type) of <paramref name="heap"/>
    /// (info); with a <paramref name="baseline"/>, the function that grew most from it to <paramref name="heap"/> (warning).
    /// </summary>
    public static IReadOnlyList<Finding> HeapProfile(PprofProfile heap, PprofProfile? baseline = null)
    {
        ArgumentNullException.ThrowIfNull(heap);
        var profile = baseline is null ? heap : heap.Subtract(baseline);
        if (PprofQueries.Top(profile, 1, HeapSampleType(heap)) is not [var top])
            return [];
        if (baseline is null)
        {
            string most = $"most {HeapSampleType(heap)} in {top.Function} ({top.FlatText}, {top.FlatPercent:F1}%)";
            return [new Finding(FindingSeverity.Info, "heap profile", most) { Title = $"Heap profile: {most}.", Subject = top.Function, Source = heap.Path }];
        }

        string growth = $"{top.Function} grew {top.FlatText} ({top.FlatPercent:F1}% of the change)";
        return [new Finding(FindingSeverity.Warning, "heap growth", growth) { Title = $"Heap growth between the profiles: {growth}.", Subject = top.Function, Source = heap.Path }];
    }

    /// <summary>The sample type heap findings and reports rank by: inuse_space when the profile has it, else its default.</summary>
    public static string HeapSampleType(PprofProfile heap)
    {
        ArgumentNullException.ThrowIfNull(heap);
        return heap.SampleTypes.Any(t => t.Type == "inuse_space") ? "inuse_space" : heap.SampleTypes[heap.DefaultSampleIndex].Type;
    }

    /// <summary>Info: how many stop-the-world pauses an execution trace has, and the longest.</summary>
    public static IReadOnlyList<Finding> ExecutionTrace(GoExecutionTrace trace)
    {
        ArgumentNullException.ThrowIfNull(trace);
        if (trace.StopTheWorlds.Count == 0)
            return [];
        var longest = trace.StopTheWorlds.MaxBy(s => s.DurationMs)!;
        string summary = string.Create(CultureInfo.InvariantCulture, $"{trace.StopTheWorlds.Count} stop-the-world pauses, longest {longest.DurationMs:F3} ms ({longest.Kind})");
        return [new Finding(FindingSeverity.Info, "stop-the-world pauses", summary) { Title = $"Go execution trace: {summary}.", Source = trace.Path }];
    }
}
