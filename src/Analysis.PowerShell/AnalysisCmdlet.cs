using System.Collections.Concurrent;
using System.Management.Automation;

namespace Analysis.PowerShell;

/// <summary>
/// Base of every cmdlet: cancellation wired to Ctrl+C (StopProcessing), long work run off the pipeline thread
/// with its progress written from the pipeline thread, and library errors turned into ErrorRecords.
/// </summary>
public abstract class AnalysisCmdlet : PSCmdlet, IDisposable
{
    private readonly CancellationTokenSource _stop = new();

    protected CancellationToken CancellationToken => _stop.Token;

    protected override void StopProcessing() => _stop.Cancel();

    /// <summary>
    /// Runs <paramref name="work"/> on a worker thread while this (pipeline) thread writes its progress records.
    /// Ctrl+C cancels the work and stops the pipeline.
    /// </summary>
    protected T RunWithProgress<T>(string activity, Func<IProgress<WorkProgress>, CancellationToken, T> work)
    {
        using var updates = new BlockingCollection<WorkProgress>(boundedCapacity: 256);
        var sink = new QueueProgress(updates);
        var task = Task.Run(() =>
        {
            try
            {
                return work(sink, _stop.Token);
            }
            finally
            {
                updates.CompleteAdding();
            }
        });

        const int activityId = 1;
        bool wrote = false;
        foreach (var p in updates.GetConsumingEnumerable())
        {
            WriteProgress(new ProgressRecord(activityId, p.Activity.Length > 0 ? p.Activity : activity, string.IsNullOrEmpty(p.Status) ? "working" : p.Status) { PercentComplete = p.Percent });
            wrote = true;
        }

        if (wrote)
            WriteProgress(new ProgressRecord(activityId, activity, "Done") { RecordType = ProgressRecordType.Completed });

        try
        {
            return task.GetAwaiter().GetResult();
        }
        catch (OperationCanceledException) when (_stop.IsCancellationRequested)
        {
            throw new PipelineStoppedException();
        }
    }

    /// <summary>Resolves a PowerShell path (relative to the current location, provider-qualified or not) to a file-system path.</summary>
    protected string ResolveFilePath(string path) => GetUnresolvedProviderPathFromPSPath(path);

    /// <summary>A dump given as a session (Open-Dump), a path or a FileInfo; opened or reused in this runspace.</summary>
    /// <exception cref="PSArgumentException">The value is none of those.</exception>
    protected Dumps.DumpSession DumpArgument(object value, string parameter) => (value is PSObject pso ? pso.BaseObject : value) switch
    {
        Dumps.DumpSession s => s,
        string p => RunspaceSessions.Current.Dumps.GetOrOpen(ResolveFilePath(p)),
        FileInfo f => RunspaceSessions.Current.Dumps.GetOrOpen(f.FullName),
        var other => throw new PSArgumentException($"-{parameter} takes a dump session (Open-Dump) or a dump path, not {other?.GetType().Name}."),
    };

    /// <summary>Writes a non-terminating error for a library failure; the id names the artifact ("Dump" → DumpNotFound).</summary>
    protected void WriteAnalysisError(AnalysisException e, string artifact, object? target)
    {
        var (id, category) = ErrorIds.For(e.Kind, artifact);
        var record = new ErrorRecord(e, id, category, target ?? e.Path);
        WriteError(record);
    }

    public void Dispose()
    {
        _stop.Dispose();
        GC.SuppressFinalize(this);
    }

    private sealed class QueueProgress(BlockingCollection<WorkProgress> queue) : IProgress<WorkProgress>
    {
        public void Report(WorkProgress value) => queue.TryAdd(value); // drop updates rather than stall the work
    }
}
