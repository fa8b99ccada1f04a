namespace Analysis.Testing;

/// <summary>What TraceTarget does between "go" and "DONE" (tests/TestTargets/TraceTarget/Program.cs). Keep both in step.</summary>
public static class TraceFacts
{
    public const int InducedGen2Count = 5;
    public const int ExceptionCount = 17;
    public const string ExceptionType = "Contoso.TraceTarget.InvoiceRejectedException";
    public const string ExceptionThrower = "Contoso.TraceTarget.Billing.Reject(int32)";
    public const int ContentionRounds = 6;
    public const double ContentionHoldMs = 60;
    public const string ContendedMethod = "Contoso.TraceTarget.Contention.WaitForLedger()";
    public const string HotMethod = "Contoso.TraceTarget.Hot.SpinPrimeSieve(int32)";
    public const int HotMilliseconds = 1500;

    /// <summary>Starts the target, starts tracing it, runs its workload ("go" … "DONE"), then stops tracing; returns what the target printed.</summary>
    public static IReadOnlyList<string> RunTraced(string mode, Action<int> startTracing, Action stopTracing, params string[] extra)
    {
        using var target = TargetProcess.Start("TraceTarget", TimeSpan.FromSeconds(120), [mode, .. extra]);
        startTracing(target.Id);
        try
        {
            target.Send("go");
            target.WaitForLine("DONE", TimeSpan.FromMinutes(5));
        }
        finally
        {
            stopTracing();
        }

        return target.Output;
    }

    /// <summary>The line TraceTarget prints per induced gen2 GC: "INDUCED-GC &lt;n&gt; &lt;UTC time read just before GC.Collect, ISO 8601&gt;".</summary>
    public const string InducedGcLinePrefix = "INDUCED-GC ";

    /// <summary>The wall times (UTC) TraceTarget logged just before each induced GC, in order, from its output.</summary>
    public static IReadOnlyList<DateTimeOffset> InducedGcTimes(IEnumerable<string> output) =>
        output.Where(l => l.StartsWith(InducedGcLinePrefix, StringComparison.Ordinal))
            .Select(l => l.Split(' '))
            .OrderBy(f => int.Parse(f[1], System.Globalization.CultureInfo.InvariantCulture))
            .Select(f => DateTimeOffset.Parse(f[2], System.Globalization.CultureInfo.InvariantCulture, System.Globalization.DateTimeStyles.AssumeUniversal | System.Globalization.DateTimeStyles.AdjustToUniversal))
            .ToArray();
}
