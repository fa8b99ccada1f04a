namespace Analysis;

/// <summary>Progress of a long operation: <see cref="Done"/> of <see cref="Total"/> units (bytes, objects, events).</summary>
/// <param name="Activity">What is being done, e.g. "Walking the heap"; empty for the caller's own activity name.</param>
/// <param name="Status">The current step in words; empty when none.</param>
/// <param name="Done">Units done so far.</param>
/// <param name="Total">Units in all; 0 or less when unknown.</param>
public readonly record struct WorkProgress(string Activity, string Status, long Done, long Total)
{
    /// <summary>0–100, or -1 when the total is unknown.</summary>
    public int Percent => Total <= 0 ? -1 : (int)Math.Clamp(Done * 100 / Total, 0, 100);
}
