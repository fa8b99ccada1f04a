using Microsoft.Diagnostics.Tracing;

namespace Analysis.Traces;

/// <summary>The trace's place on the wall clock, and lean event lists for timelines (no stacks resolved).</summary>
public sealed partial class TraceAnalysis
{
    /// <summary>
    /// The wall-clock time (UTC) of the trace's start, the zero of every time in milliseconds it reports: the sync time
    /// in the .nettrace header (the runtime reads the system time and its timestamp counter together when the session
    /// starts; the header keeps the system time to the millisecond). Null when the header's time is damaged or no event
    /// was read.
    /// </summary>
    public DateTimeOffset? StartTimeUtc { get; }

    /// <summary>
    /// TraceEvent's session start is the header's sync time (its timestamp is the zero of TimeStampRelativeMSec), made
    /// local; back to UTC it is the header's value exactly.
    /// </summary>
    private static DateTimeOffset? SessionStart(TraceEventSource source)
    {
        try
        {
            var start = source.SessionStartTime.ToUniversalTime();
            return start.Year <= 1601 ? null : new DateTimeOffset(start, TimeSpan.Zero);
        }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException or NullReferenceException)
        {
            return null;
        }
    }

    /// <summary>Exceptions in time order without their stacks: (ms from the trace start, thread, type, message).</summary>
    internal IEnumerable<(double TimeMs, int Thread, string Type, string? Message)> EnumerateExceptionTimes()
    {
        for (int i = 0; i < _exceptions.Count; i++)
        {
            var e = _exceptions[i];
            yield return (e.TimeMs, e.Thread, _strings[e.Type], _messages.Get(e.Message));
        }
    }

    /// <summary>Lock waits in time order without their stacks: (ms from the trace start, thread, duration in ms, native).</summary>
    internal IEnumerable<(double TimeMs, int Thread, double DurationMs, bool Native)> EnumerateContentionTimes()
    {
        foreach (var c in _contention)
            yield return (c.TimeMs, c.Thread, c.DurationMs, c.Native);
    }
}
