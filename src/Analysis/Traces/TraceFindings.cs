using Analysis.Findings;

namespace Analysis.Traces;

/// <summary>The findings of a .NET trace: its GC anomalies, where the CPU went, the exceptions thrown, what the trace could not tell.</summary>
public static class TraceFindings
{
    /// <summary>
    /// In this order: the GC anomalies of <see cref="TraceAnalysis.GetGcSummary"/> (critical for long pauses and a high
    /// paused share, else warnings); the function with the most exclusive managed samples (info); the exception types
    /// thrown, most frequent first (warning); each warning of the trace's reader (warning).
    /// </summary>
    public static IReadOnlyList<Finding> Find(TraceAnalysis trace, double pauseThresholdMs = 50)
    {
        ArgumentNullException.ThrowIfNull(trace);
        return [.. trace.GetGcSummary(pauseThresholdMs).Anomalies, .. MostCpu(trace), .. ExceptionsThrown(trace), .. DataWarnings(trace)];
    }

    /// <summary>Info: the function with the most exclusive managed samples.</summary>
    public static IEnumerable<Finding> MostCpu(TraceAnalysis trace)
    {
        if (trace.GetCpuTop(1) is not [var top])
            yield break;
        string summary = $"{top.Function} ({top.ExclusivePercent:F1}% of managed samples)";
        yield return new Finding(FindingSeverity.Info, "most CPU", summary) { Title = $"Most CPU: {summary}.", Subject = top.Function };
    }

    /// <summary>Warning: the exception types thrown during the trace, most frequent first (the first three in the summary).</summary>
    public static IEnumerable<Finding> ExceptionsThrown(TraceAnalysis trace)
    {
        var groups = trace.EnumerateExceptions().GroupBy(e => e.Type).OrderByDescending(g => g.Count()).ToList();
        if (groups.Count == 0)
            yield break;
        string summary = string.Join("; ", groups.Take(3).Select(g => $"{g.Count():N0} × {g.Key}"));
        yield return new Finding(FindingSeverity.Warning, "exceptions thrown", summary)
        {
            Title = $"Exceptions thrown: {summary}.",
            Subject = groups[0].Key,
            Evidence = groups.Select(g => $"{g.Count():N0} × {g.Key}: {g.First().Message}").ToArray(),
        };
    }

    /// <summary>Warning: each thing the trace's reader could not read or had to assume (lost events, a failed GC analysis, …).</summary>
    public static IEnumerable<Finding> DataWarnings(TraceAnalysis trace) =>
        trace.Warnings.Select(w => new Finding(FindingSeverity.Warning, "trace data", w) { Title = $"Trace data: {w}" });
}
