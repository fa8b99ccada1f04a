using System.Collections.Concurrent;
using System.Collections.ObjectModel;
using System.Management.Automation;
using System.Reflection;

namespace Analysis.PowerShell;

/// <summary>
/// Base of every cmdlet: cancellation wired to Ctrl+C (StopProcessing), long work run off the pipeline thread
/// with its progress written from the pipeline thread, library errors turned into ErrorRecords, result rows that
/// say which file they came from (<see cref="WriteResult"/>), and the PowerShell conventions for files written
/// (<see cref="ConfirmOutputFile"/>, <see cref="WriteFileItem"/>).
/// </summary>
public abstract class AnalysisCmdlet : PSCmdlet, IDisposable
{
    /// <summary>The note property every result row from a file carries.</summary>
    public const string SourceProperty = "Source";

    /// <summary>Appended to a row's type name when one invocation read several inputs: the views group such rows by Source.</summary>
    public const string SourcesViewSuffix = "#Sources";

    /// <summary>Rows of the first input held back, when more inputs may follow through the pipeline, to learn whether to show sources.</summary>
    private const int HoldLimit = 10_000;

    private static readonly MethodInfo s_clone = typeof(object).GetMethod("MemberwiseClone", BindingFlags.Instance | BindingFlags.NonPublic)!;
    private readonly CancellationTokenSource _stop = new();
    private readonly List<object> _held = new();
    private string? _firstSource;
    private bool _severalSources;
    private bool _holding = true;

    /// <summary>Cancelled by Ctrl+C (<see cref="StopProcessing"/>); pass it to every library call.</summary>
    protected CancellationToken CancellationToken => _stop.Token;

    /// <summary>Ctrl+C or a stopped pipeline: cancels <see cref="CancellationToken"/>.</summary>
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

    /// <summary>The file the rows written next come from (set by the input bases before each input is answered).</summary>
    protected string? CurrentSource { get; set; }

    /// <summary>Tells the row writer that this invocation reads several inputs (known up front: -Path with several matches).</summary>
    protected void ExpectSeveralSources() => _severalSources = true;

    /// <summary>
    /// Writes a result row carrying <see cref="SourceProperty"/> (the file it came from). When this invocation reads
    /// several inputs the rows are marked for the views that group by source; with one input the source stays out of
    /// the default view. Rows of the first input that arrived through the pipeline are held (up to a bound) until a
    /// second input or the end shows which case this is.
    /// </summary>
    protected void WriteResult(object row)
    {
        string? source = CurrentSource;
        if (source is null)
        {
            WriteObject(row);
            return;
        }

        _firstSource ??= source;
        if (!_severalSources && !string.Equals(source, _firstSource, StringComparison.Ordinal))
            _severalSources = true;
        if (_severalSources)
        {
            FlushHeld();
            WriteObject(Mark(row, source, grouped: true));
            return;
        }

        var single = Mark(row, source, grouped: false);
        if (_holding && MyInvocation.ExpectingInput && _held.Count < HoldLimit)
        {
            _held.Add(single);
            return;
        }

        FlushHeld();
        _holding = false;
        WriteObject(single);
    }

    /// <summary>Writes the rows still held back from the first input, then ends.</summary>
    protected override void EndProcessing()
    {
        FlushHeld();
        base.EndProcessing();
    }

    private void FlushHeld()
    {
        if (_held.Count == 0)
            return;
        foreach (object row in _held)
            WriteObject(_severalSources ? Mark(((PSObject)row).BaseObject, _firstSource!, grouped: true) : row);
        _held.Clear();
    }

    /// <summary>
    /// The row with its source attached. PowerShell keeps note properties and type names per object, so a row that is
    /// shared (a session's cached statistics) is copied before it is marked for another source or for grouping.
    /// </summary>
    private static PSObject Mark(object row, string source, bool grouped)
    {
        var pso = PSObject.AsPSObject(row);
        var existing = pso.Properties[SourceProperty];
        if (existing is not null && existing is not PSNoteProperty)
            return pso; // the type has a Source of its own
        if (grouped || (existing is not null && !Equals(existing.Value, source)))
            pso = new PSObject(s_clone.Invoke(row, null)!);
        if (pso.Properties[SourceProperty] is null)
            pso.Properties.Add(new PSNoteProperty(SourceProperty, source));
        if (grouped)
            pso.TypeNames.Insert(0, row.GetType().FullName + SourcesViewSuffix);
        return pso;
    }

    /// <summary>
    /// The files named by -Path (wildcards expanded by the provider, PowerShell's convention) or -LiteralPath (taken as
    /// written). A wildcard that matches nothing, or a non-file-system path, is reported as an error for that path and
    /// skipped; a plain path is returned even if it does not exist, so the library's own check names the problem.
    /// </summary>
    protected List<string> ResolveInputFiles(string[] paths, bool literal, string artifact)
    {
        var files = new List<string>();
        foreach (string path in paths)
        {
            if (literal || !WildcardPattern.ContainsWildcardCharacters(path))
            {
                string resolved = literal ? SessionState.Path.GetUnresolvedProviderPathFromPSPath(path) : ResolveFilePath(path);
                files.Add(resolved);
                continue;
            }

            Collection<string> matches;
            ProviderInfo provider;
            try
            {
                matches = GetResolvedProviderPathFromPSPath(path, out provider);
            }
            catch (ItemNotFoundException)
            {
                matches = [];
                provider = SessionState.Path.CurrentFileSystemLocation.Provider;
            }

            if (provider.ImplementingType != typeof(Microsoft.PowerShell.Commands.FileSystemProvider))
            {
                WriteError(new ErrorRecord(new PSArgumentException($"'{path}' is not a file-system path ({provider.Name} provider)."), "NotAFileSystemPath", ErrorCategory.InvalidArgument, path));
                continue;
            }

            var found = matches.Where(File.Exists).ToList();
            if (found.Count == 0)
            {
                WriteError(new ErrorRecord(new ItemNotFoundException($"No {artifact.ToLowerInvariant()} file matches '{path}'. Check the pattern, or use -LiteralPath for a name that contains [ ] * ?."),
                    $"{artifact}NotFound", ErrorCategory.ObjectNotFound, path));
                continue;
            }

            files.AddRange(found);
        }

        if (files.Count > 1)
            ExpectSeveralSources();
        return files;
    }

    /// <summary>
    /// The PowerShell convention for a file a cmdlet writes: resolved against the current location, an existing file
    /// refused unless <paramref name="force"/> (error FileExists), then ShouldProcess. Null when nothing may be written.
    /// </summary>
    protected string? ConfirmOutputFile(string path, bool force, string action)
    {
        string target = ResolveFilePath(path);
        if (Directory.Exists(target))
        {
            WriteError(new ErrorRecord(new IOException($"'{target}' is a directory; give a file name."), "PathIsDirectory", ErrorCategory.InvalidArgument, target));
            return null;
        }

        if (File.Exists(target) && !force)
        {
            WriteError(new ErrorRecord(new IOException($"'{target}' already exists. Use -Force to overwrite it."), "FileExists", ErrorCategory.ResourceExists, target)
            {
                ErrorDetails = new ErrorDetails($"'{target}' already exists. Use -Force to overwrite it.") { RecommendedAction = "Add -Force, or choose another file name." },
            });
            return null;
        }

        return ShouldProcess(target, action) ? target : null;
    }

    /// <summary>Writes the file as Get-Item would return it (with the provider's properties, so it displays like pwsh's own).</summary>
    protected void WriteFileItem(string path)
    {
        var items = InvokeProvider.Item.Get(WildcardPattern.Escape(path));
        if (items.Count > 0)
            WriteObject(items[0]);
        else
            WriteObject(new FileInfo(path));
    }

    /// <summary>A dump given as a session (Open-Dump), a path or a FileInfo; opened or reused in this runspace.</summary>
    /// <exception cref="PSArgumentException">The value is none of those.</exception>
    protected Dumps.DumpSession DumpArgument(object value, string parameter) => (value is PSObject pso ? pso.BaseObject : value) switch
    {
        Dumps.DumpSession s => s,
        string p => RunspaceSessions.Current.Dumps.GetOrOpen(ResolveFilePath(p), cancellationToken: CancellationToken),
        FileInfo f => RunspaceSessions.Current.Dumps.GetOrOpen(f.FullName, cancellationToken: CancellationToken),
        var other => throw new PSArgumentException($"-{parameter} takes a dump session (Open-Dump) or a dump path, not {other?.GetType().Name}."),
    };

    /// <summary>Writes a non-terminating error for a library failure; the id names the artifact ("Dump" → DumpNotFound).</summary>
    protected void WriteAnalysisError(AnalysisException e, string artifact, object? target)
    {
        var (id, category) = ErrorIds.For(e.Kind, artifact);
        var record = new ErrorRecord(e, id, category, target ?? e.Path);
        WriteError(record);
    }

    /// <summary>Releases the cancellation source.</summary>
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
