namespace Analysis.Tests;

/// <summary>Reports on the caller's thread (Progress&lt;T&gt; posts to the thread pool, too late for a test that acts on a report).</summary>
internal sealed class SyncProgress(Action<WorkProgress> report) : IProgress<WorkProgress>
{
    public void Report(WorkProgress value) => report(value);
}
