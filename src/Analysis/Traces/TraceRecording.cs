using System.Diagnostics.Tracing;
using Microsoft.Diagnostics.NETCore.Client;

namespace Analysis.Traces;

/// <summary>Which events a capture asks the runtime for.</summary>
[Flags]
public enum TraceProfile
{
    /// <summary>GC events at verbose level (collections, pauses, heap sizes, allocation ticks).</summary>
    Gc = 1,
    /// <summary>Managed CPU samples (SampleProfiler) with method names from rundown.</summary>
    Cpu = 2,
    /// <summary>Exceptions thrown, with stacks.</summary>
    Exceptions = 4,
    /// <summary>Lock contention, with stacks and durations.</summary>
    Contention = 8,
    /// <summary>Everything above.</summary>
    All = Gc | Cpu | Exceptions | Contention,
}

/// <summary>
/// An EventPipe session writing a .nettrace file from a live .NET process. Start it, let the process work, then
/// <see cref="Stop"/>: the runtime writes rundown (method names) and the file is complete.
/// </summary>
public sealed class TraceRecording : IDisposable
{
    internal const string RuntimeProvider = "Microsoft-Windows-DotNETRuntime";
    internal const string SampleProfilerProvider = "Microsoft-DotNETCore-SampleProfiler";

    private const long GcKeyword = 0x1;
    private const long LoaderKeyword = 0x8;
    private const long JitKeyword = 0x10;
    private const long ContentionKeyword = 0x4000;
    private const long ExceptionKeyword = 0x8000;
    private const long StackKeyword = 0x40000000;

    private readonly EventPipeSession _session;
    private readonly FileStream _file;
    private readonly Task _copy;
    private bool _stopped;

    private TraceRecording(int processId, string path, TraceProfile profile, EventPipeSession session, FileStream file)
    {
        ProcessId = processId;
        Path = path;
        Profile = profile;
        _session = session;
        _file = file;
        _copy = session.EventStream.CopyToAsync(file);
    }

    /// <summary>The traced process's id.</summary>
    public int ProcessId { get; }

    /// <summary>Full path of the .nettrace file being written.</summary>
    public string Path { get; }

    /// <summary>The event groups the capture asks the runtime for.</summary>
    public TraceProfile Profile { get; }

    /// <summary>Bytes written to the file so far.</summary>
    public long BytesWritten => _file.CanSeek ? SafeLength() : 0;

    /// <summary>The EventPipe providers a profile enables.</summary>
    public static IReadOnlyList<EventPipeProvider> Providers(TraceProfile profile)
    {
        long keywords = LoaderKeyword | JitKeyword | StackKeyword;
        if (profile.HasFlag(TraceProfile.Gc))
            keywords |= GcKeyword;
        if (profile.HasFlag(TraceProfile.Exceptions))
            keywords |= ExceptionKeyword;
        if (profile.HasFlag(TraceProfile.Contention))
            keywords |= ContentionKeyword;
        var providers = new List<EventPipeProvider>
        {
            new(RuntimeProvider, profile.HasFlag(TraceProfile.Gc) ? EventLevel.Verbose : EventLevel.Informational, keywords),
        };
        if (profile.HasFlag(TraceProfile.Cpu))
            providers.Add(new EventPipeProvider(SampleProfilerProvider, EventLevel.Informational));
        return providers;
    }

    /// <summary>Starts tracing process <paramref name="processId"/> into <paramref name="path"/>.</summary>
    /// <exception cref="AnalysisException">The process is gone, not .NET, or has diagnostics disabled.</exception>
    public static TraceRecording Start(int processId, string path, TraceProfile profile = TraceProfile.All)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        string full = System.IO.Path.GetFullPath(path);
        if (System.IO.Path.GetDirectoryName(full) is { } dir)
            Directory.CreateDirectory(dir);
        EnsureProcessExists(processId);

        EventPipeSession session;
        try
        {
            session = new DiagnosticsClient(processId).StartEventPipeSession(
                new EventPipeSessionConfiguration(Providers(profile), circularBufferSizeMB: 256, requestRundown: true));
        }
        catch (ServerNotAvailableException e)
        {
            throw new AnalysisException(AnalysisErrorKind.ProcessNotFound, null,
                $"Process {processId} has no .NET diagnostics endpoint: it is not a .NET process, runs as another user, or was started with DOTNET_EnableDiagnostics=0 (tracing needs it enabled). ({e.Message})", e);
        }
        catch (DiagnosticsClientException e)
        {
            throw new AnalysisException(AnalysisErrorKind.CaptureFailed, full, $"The runtime of process {processId} refused the trace session: {e.Message}", e);
        }

        var file = new FileStream(full, FileMode.Create, FileAccess.ReadWrite, FileShare.Read);
        return new TraceRecording(processId, full, profile, session, file);
    }

    /// <summary>Traces a process for a fixed time, reporting progress; returns the file's length.</summary>
    public static long Collect(int processId, string path, TimeSpan duration, TraceProfile profile = TraceProfile.All,
        IProgress<WorkProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        using var recording = Start(processId, path, profile);
        var end = DateTime.UtcNow + duration;
        try
        {
            while (DateTime.UtcNow < end && !recording._copy.IsCompleted)
            {
                cancellationToken.WaitHandle.WaitOne(TimeSpan.FromMilliseconds(Math.Min(250, Math.Max(1, (end - DateTime.UtcNow).TotalMilliseconds))));
                if (cancellationToken.IsCancellationRequested)
                    break;
                long done = (long)(duration - (end - DateTime.UtcNow)).TotalMilliseconds;
                progress?.Report(new WorkProgress("Tracing", $"process {processId}: {Bytes.Format(recording.BytesWritten)} written", Math.Min(done, (long)duration.TotalMilliseconds), (long)duration.TotalMilliseconds));
            }
        }
        finally
        {
            // Even when cancelled, stop properly so the file is complete (rundown written).
            recording.Stop();
        }

        cancellationToken.ThrowIfCancellationRequested();
        return new FileInfo(recording.Path).Length;
    }

    /// <summary>Stops the session, waits for rundown and closes the file. Safe to call twice.</summary>
    public void Stop(TimeSpan? rundownTimeout = null)
    {
        if (_stopped)
            return;
        _stopped = true;
        try
        {
            _session.Stop();
        }
        catch (Exception e) when (e is ServerNotAvailableException or DiagnosticsClientException or IOException or TimeoutException)
        {
            // The process went away: the stream ends by itself and the file keeps what was written.
        }

        if (!_copy.Wait(rundownTimeout ?? TimeSpan.FromMinutes(2)))
            throw new AnalysisException(AnalysisErrorKind.CaptureFailed, Path, $"Process {ProcessId} did not finish writing its trace rundown within the timeout; '{Path}' may be incomplete.");
        _file.Flush();
        _file.Dispose();
    }

    /// <summary>Stops the session (<see cref="Stop"/>) and closes the file.</summary>
    public void Dispose()
    {
        try
        {
            Stop();
        }
        finally
        {
            _session.Dispose();
            _file.Dispose();
        }
    }

    private long SafeLength()
    {
        try
        {
            return _file.Length;
        }
        catch (ObjectDisposedException)
        {
            return new FileInfo(Path).Length;
        }
    }

    private static void EnsureProcessExists(int processId)
    {
        try
        {
            using var p = System.Diagnostics.Process.GetProcessById(processId);
            if (!p.HasExited)
                return;
        }
        catch (ArgumentException)
        {
        }

        throw new AnalysisException(AnalysisErrorKind.ProcessNotFound, null, $"No process with id {processId} is running.");
    }
}
