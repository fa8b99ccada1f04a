using System.Globalization;
using Analysis.Findings;

namespace Analysis.Traces;

/// <summary>Totals over GCs and the anomalies worth flagging.</summary>
internal static class GcAnalyzer
{
    /// <summary>Gen2 GCs this close together (ms) count as a storm when there are at least <see cref="StormCount"/>.</summary>
    public const double StormWindowMs = 1000;
    public const int StormCount = 3;
    public const double HighPausedPercent = 10;

    public static GcSummary Summarize(IReadOnlyList<GcEvent> gcs, double durationMs, double totalAllocatedMB, double threshold)
    {
        double totalPause = gcs.Sum(g => g.PauseMs);
        var over = gcs.Where(g => g.PauseMs > threshold).Select(g => g.Number).ToArray();
        var anomalies = new List<Finding>();

        if (over.Length > 0)
        {
            double max = gcs.Max(g => g.PauseMs);
            anomalies.Add(Anomaly(FindingSeverity.Critical, "LongPause",
                string.Create(CultureInfo.InvariantCulture, $"{over.Length} GC pause(s) over {threshold:0.###} ms (longest {max:F1} ms, GC #{gcs.First(g => g.PauseMs == max).Number})"), over));
        }

        var inducedGen2 = gcs.Where(g => g.IsInduced && g.Generation == 2).Select(g => g.Number).ToArray();
        if (inducedGen2.Length > 0)
        {
            anomalies.Add(Anomaly(FindingSeverity.Warning, "InducedGen2",
                string.Create(CultureInfo.InvariantCulture, $"{inducedGen2.Length} induced gen2 GC(s): something calls GC.Collect() (or GC.Collect(2)); full blocking collections on request are rarely needed"), inducedGen2));
        }

        var gen2 = gcs.Where(g => g.Generation == 2).ToArray();
        var inStorm = new SortedSet<int>();
        for (int i = 0; i + StormCount - 1 < gen2.Length; i++)
        {
            if (gen2[i + StormCount - 1].StartMs - gen2[i].StartMs <= StormWindowMs)
            {
                for (int j = i; j < i + StormCount; j++)
                    inStorm.Add(gen2[j].Number);
            }
        }

        if (inStorm.Count > 0)
        {
            anomalies.Add(Anomaly(FindingSeverity.Warning, "Gen2Storm",
                string.Create(CultureInfo.InvariantCulture, $"{inStorm.Count} gen2 GCs came at least {StormCount} within {StormWindowMs / 1000:F0} s of each other"), inStorm.ToArray()));
        }

        double percent = durationMs > 0 ? totalPause * 100 / durationMs : 0;
        if (percent >= HighPausedPercent)
        {
            anomalies.Add(Anomaly(FindingSeverity.Critical, "HighPauseShare",
                string.Create(CultureInfo.InvariantCulture, $"the process was paused for GC {percent:F1}% of the traced time"), gcs.Select(g => g.Number).ToArray()));
        }

        return new GcSummary
        {
            Count = gcs.Count,
            Gen0Count = gcs.Count(g => g.Generation == 0),
            Gen1Count = gcs.Count(g => g.Generation == 1),
            Gen2Count = gen2.Length,
            InducedCount = gcs.Count(g => g.IsInduced),
            InducedGen2Count = inducedGen2.Length,
            BackgroundCount = gcs.Count(g => g.Type == "Background"),
            TotalPauseMs = totalPause,
            MeanPauseMs = gcs.Count == 0 ? 0 : totalPause / gcs.Count,
            MaxPauseMs = gcs.Count == 0 ? 0 : gcs.Max(g => g.PauseMs),
            PercentTimePaused = percent,
            TotalAllocatedMB = totalAllocatedMB,
            AllocationRateMBPerSec = durationMs > 0 ? totalAllocatedMB / (durationMs / 1000) : 0,
            PeakHeapSizeMB = gcs.Count == 0 ? 0 : gcs.Max(g => Math.Max(g.HeapSizeBeforeMB, g.HeapSizeAfterMB)),
            TraceDurationMs = durationMs,
            PauseThresholdMs = threshold,
            GcsOverThreshold = over,
            Anomalies = anomalies,
        };
    }

    /// <summary>A GC finding: long pauses and a high paused share hurt now (critical); induced gen2s and storms are warnings.</summary>
    private static Finding Anomaly(FindingSeverity severity, string kind, string description, int[] gcNumbers) =>
        new(severity, kind, description) { Title = $"GC: {description}.", GcNumbers = gcNumbers };
}
