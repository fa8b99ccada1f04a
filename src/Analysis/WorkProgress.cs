namespace Analysis;

/// <summary>Progress of a long operation: <see cref="Done"/> of <see cref="Total"/> units (bytes, objects, events).</summary>
public readonly record struct WorkProgress(string Activity, string Status, long Done, long Total)
{
    /// <summary>0–100, or -1 when the total is unknown.</summary>
    public int Percent => Total <= 0 ? -1 : (int)Math.Clamp(Done * 100 / Total, 0, 100);
}
