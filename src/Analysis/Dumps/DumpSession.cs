using System.Globalization;
using Microsoft.Diagnostics.Runtime;

namespace Analysis.Dumps;

/// <summary>
/// An open dump: owns the ClrMD DataTarget and ClrRuntime, and caches what it has computed (threads, heap
/// statistics) so a second question does not walk again. Thread-safe; dispose to release the file.
/// </summary>
public sealed class DumpSession : IAnalysisSession
{
    private readonly DataTarget _target;
    private readonly ClrRuntime _runtime;
    private readonly SemaphoreSlim _threadsGate = new(1, 1);
    private readonly SemaphoreSlim _heapGate = new(1, 1);
    private readonly Lazy<bool> _hasHeap;
    private IReadOnlyList<DumpThread>? _threads;
    private HeapStatistics? _heap;
    private volatile bool _disposed;

    private DumpSession(string path, DumpFormat format, DataTarget target, ClrRuntime runtime, string runtimeVersion, string dacPath)
    {
        Path = path;
        Format = format;
        _target = target;
        _runtime = runtime;
        RuntimeVersion = runtimeVersion;
        DacPath = dacPath;
        _hasHeap = new Lazy<bool>(ProbeHeap);
    }

    /// <summary>Full path of the dump file.</summary>
    public string Path { get; }

    public DumpFormat Format { get; }

    /// <summary>The .NET runtime version the dump was taken from, e.g. "10.0.12".</summary>
    public string RuntimeVersion { get; }

    /// <summary>The DAC used to read the runtime's data structures.</summary>
    public string DacPath { get; }

    /// <summary>The process id recorded in the dump.</summary>
    public int ProcessId => _target.DataReader.ProcessId;

    /// <summary>Whether the dump contains GC heap memory (full and with-heap dumps do, mini/triage dumps don't).</summary>
    public bool HasHeap => _hasHeap.Value;

    /// <summary>Whether heap statistics have been computed and cached.</summary>
    public bool IsHeapCached => _heap is not null;

    public bool IsClosed => _disposed;

    /// <summary>The underlying ClrMD runtime, for questions this library does not answer yet.</summary>
    public ClrRuntime Runtime
    {
        get
        {
            ThrowIfClosed();
            return _runtime;
        }
    }

    /// <summary>Opens a dump read-only, locates the matching DAC and creates the runtime.</summary>
    /// <exception cref="AnalysisException">The file is missing, not a dump, truncated, not .NET, or no DAC matches.</exception>
    public static DumpSession Open(string path, DumpOpenOptions? options = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        options ??= new DumpOpenOptions();
        string fullPath = System.IO.Path.GetFullPath(path);
        DumpFormat format = DumpFile.Validate(fullPath);

        DataTarget target;
        try
        {
            target = DataTarget.LoadDump(fullPath);
        }
        catch (Exception e) when (e is InvalidDataException or IOException or ClrDiagnosticsException or NotSupportedException or InvalidOperationException or ArgumentException)
        {
            throw new AnalysisException(AnalysisErrorKind.WrongFormat, fullPath,
                $"Dump file '{fullPath}' could not be read as a {format} dump: {e.Message}. It may be corrupted: capture it again.", e);
        }

        try
        {
            ClrInfo? info = target.ClrVersions.FirstOrDefault(c => c.Flavor == ClrFlavor.Core) ?? target.ClrVersions.FirstOrDefault();
            if (info is null)
            {
                throw new AnalysisException(AnalysisErrorKind.NotDotNet, fullPath,
                    $"Dump '{fullPath}' is a dump of a process without a .NET runtime (no coreclr module is loaded in it); there are no managed threads or heap to analyze. " +
                    "Check that you dumped the right process (dotnet-dump ps lists .NET processes).");
            }

            string version = DacLocator.RuntimeVersion(info, target);
            string dac = DacLocator.Locate(fullPath, info, target, options);
            ClrRuntime runtime;
            try
            {
                runtime = info.CreateRuntime(dac, ignoreMismatch: true);
            }
            catch (Exception e) when (e is not AnalysisException and not OutOfMemoryException)
            {
                throw new AnalysisException(AnalysisErrorKind.DacLoadFailed, fullPath,
                    $"The DAC '{dac}' could not be loaded for dump '{fullPath}' (runtime {version}): {e.Message}. Pass -DacPath with the {DacLocator.DacFileName} of exactly that runtime build.", e);
            }

            return new DumpSession(fullPath, format, target, runtime, version, dac);
        }
        catch
        {
            target.Dispose();
            throw;
        }
    }

    /// <summary>All managed threads with names, states, stacks, exceptions, locks and deadlock cycles. Computed once.</summary>
    public IReadOnlyList<DumpThread> GetThreads(CancellationToken cancellationToken = default)
    {
        ThrowIfClosed();
        if (_threads is { } cached)
            return cached;
        _threadsGate.Wait(cancellationToken);
        try
        {
            ThrowIfClosed();
            return _threads ??= ThreadAnalyzer.Analyze(_runtime, HasHeap, cancellationToken);
        }
        catch (Exception e) when (IsEngineFailure(e))
        {
            throw ReadFailure("reading threads", e);
        }
        finally
        {
            _threadsGate.Release();
        }
    }

    /// <summary>
    /// Per-type object counts and sizes over the whole GC heap (<c>dumpheap -stat</c>), from one walk that is cached:
    /// later calls return at once. Cancelling leaves nothing cached.
    /// </summary>
    /// <exception cref="AnalysisException">The dump has no heap memory (NoHeap).</exception>
    public HeapStatistics GetHeapStatistics(IProgress<WorkProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ThrowIfClosed();
        if (_heap is { } cached)
            return cached;
        _heapGate.Wait(cancellationToken);
        try
        {
            ThrowIfClosed();
            if (_heap is { } again)
                return again;
            if (!HasHeap)
            {
                throw new AnalysisException(AnalysisErrorKind.NoHeap, Path,
                    $"Dump '{Path}' has no GC heap memory (it is a mini/normal or triage dump), so heap questions cannot be answered; threads and stacks still work. " +
                    "Capture with heap: createdump --withheap (or -u for full), dotnet-dump collect --type Heap, or DiagnosticsClient.WriteDump(DumpType.WithHeap, …).");
            }

            return _heap = HeapWalker.Walk(_runtime, progress, cancellationToken);
        }
        catch (Exception e) when (IsEngineFailure(e))
        {
            throw ReadFailure("walking the heap", e);
        }
        finally
        {
            _heapGate.Release();
        }
    }

    /// <summary>Top types by size or count, optionally filtered by a type-name wildcard. Walks the heap on first use.</summary>
    public IReadOnlyList<HeapTypeStat> GetHeapTop(int top = 20, HeapSortBy sortBy = HeapSortBy.Size, string? typeNamePattern = null,
        IProgress<WorkProgress>? progress = null, CancellationToken cancellationToken = default) =>
        GetHeapStatistics(progress, cancellationToken).Top(top, sortBy, typeNamePattern);

    public override string ToString() =>
        string.Create(CultureInfo.InvariantCulture, $"{System.IO.Path.GetFileName(Path)} (pid {ProcessId}, .NET {RuntimeVersion}, {(HasHeap ? "with heap" : "no heap")})");

    public void Dispose()
    {
        if (_disposed)
            return;
        // Wait for running questions so the runtime is not pulled from under them.
        _threadsGate.Wait();
        _heapGate.Wait();
        try
        {
            _disposed = true;
            _runtime.Dispose();
            _target.Dispose();
        }
        finally
        {
            _heapGate.Release();
            _threadsGate.Release();
        }
    }

    private bool ProbeHeap()
    {
        // A heap is present when the first object of some non-empty segment is readable.
        Span<byte> probe = stackalloc byte[8];
        foreach (var segment in _runtime.Heap.Segments)
        {
            if (segment.ObjectRange.Length > 0 && _target.DataReader.Read(segment.FirstObjectAddress, probe) == probe.Length)
                return true;
        }

        return false;
    }

    private void ThrowIfClosed()
    {
        if (_disposed)
            throw new AnalysisException(AnalysisErrorKind.SessionClosed, Path, $"The session for dump '{Path}' was closed. Open the dump again (Open-Dump).");
    }

    private static bool IsEngineFailure(Exception e) =>
        e is InvalidOperationException or IOException or ClrDiagnosticsException or InvalidDataException && e is not OperationCanceledException;

    private AnalysisException ReadFailure(string what, Exception e) =>
        new(AnalysisErrorKind.ReadFailed, Path, $"Failed while {what} in dump '{Path}': {e.Message}. The dump may be damaged.", e);
}
