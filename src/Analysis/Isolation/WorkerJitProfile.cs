using System.Runtime;
using Analysis.Dumps;

namespace Analysis.Isolation;

/// <summary>
/// The list of methods a dump worker had to compile, kept in the cache folder (<c>jit/</c> beside the object-graph
/// indexes) and compiled again by the next dump worker on a spare core, from its first dump or while it waits for
/// one, before the questions need them (the runtime's multicore JIT, <see cref="ProfileOptimization"/>). The engine's code that cannot be compiled ahead
/// (generic code over the framework's types, ClrMD's interop stubs, the framework's LINQ) is otherwise compiled on the
/// thread that answers during the first questions: on the bench's dump, ~170 methods and ~20 ms of a first triage.
/// <para>
/// The runtime checks the modules the list names and skips what no longer matches; a damaged file is ignored. One file
/// per build of the module (named by Analysis.dll's MVID), replaced whole (recorded under a name of this process, then
/// renamed) by each dump worker that ends cleanly after opening a dump; a worker that crashed or was killed, or opened
/// none, leaves it as it was. ANALYSIS_JIT_PROFILE=off keeps no list and compiles none ahead.
/// </para>
/// <para>
/// A worker started ahead for dumps that reads a trace instead stops compiling the list, beside the read, and keeps
/// none. Traces have no list: one of the trace reader's methods gained nothing (measured in pwsh on the bench's 7 MB
/// trace, 10 runs each: a first Import-Trace 195 ms with one replayed from the moment of the read, 187 ms without; a
/// second, in a new worker replaying it from its start, 73 ms against 75). The dumps' list must stop: replayed on
/// beside the read, it made a first Import-Trace 317 ms (176 with no list). Stopped, a replay started with the worker
/// still cost a first Import-Trace right after Import-Module (a script) 12–20 ms: 181 ms against 161 with no list,
/// 168 with the replay started by the first dump instead (12 runs each, 141 in process); that start made a first
/// Open-Dump in a script 8 ms slower (84 ms against 76). So the replay starts with the first dump, or once the worker
/// has waited <see cref="IdleDelay"/> without one: a script's first command comes sooner (the worker starts during
/// Import-Module), a command typed at the prompt later, when the list is compiled already. Stopping it writes the
/// recording under the runtime's lock that the read's compiles take too: it stops on another thread.
/// </para>
/// </summary>
internal sealed class WorkerJitProfile
{
    /// <summary>The user's switch: <c>off</c> (or <c>0</c>) keeps no list and replays none.</summary>
    internal const string SwitchVariable = "ANALYSIS_JIT_PROFILE";

    /// <summary>Set by the session (to 1) for a worker it starts for dumps.</summary>
    internal const string WorkerVariable = "ANALYSIS_WORKER_JIT_PROFILE";

    /// <summary>How long the worker waits for its first dump before it compiles the list anyway (see the remarks above).</summary>
    internal static readonly TimeSpan IdleDelay = TimeSpan.FromMilliseconds(500);

    /// <summary>A recording left by a worker that was killed before it could rename it goes after this long.</summary>
    private static readonly TimeSpan LeftoverAge = TimeSpan.FromDays(1);

    /// <summary>The lists of other builds of the module go when unused for this long.</summary>
    private static readonly TimeSpan OtherBuildAge = TimeSpan.FromDays(7);

    private readonly object _gate = new();
    private readonly string _directory;
    private readonly string _recording;
    private Timer? _idle;
    private bool _playing;
    private bool _opened;
    private bool _other;
    private bool _ended;

    private WorkerJitProfile(string directory)
    {
        _directory = directory;
        _recording = $"worker-{BuildKey()}.{Environment.ProcessId}.jitprofile";
    }

    /// <summary>Whether dump workers keep and replay the list (not when the user set ANALYSIS_JIT_PROFILE=off or 0).</summary>
    public static bool Enabled => Environment.GetEnvironmentVariable(SwitchVariable)?.Trim().ToLowerInvariant() is not ("off" or "0" or "false" or "no");

    /// <summary>Where the list is: <c>jit/</c> in the object-graph index cache's default folder (ANALYSIS_CACHE_DIR, …).</summary>
    public static string DefaultDirectory() => Path.Combine(HeapGraphCache.DefaultDirectory(), "jit");

    /// <summary>The list of this build of the module in <paramref name="directory"/>.</summary>
    public static string FileIn(string directory) => Path.Combine(directory, $"dump-{BuildKey()}.jitprofile");

    /// <summary>
    /// In the worker, first thing, when the session started it for dumps (ANALYSIS_WORKER_JIT_PROFILE=1): compiles the
    /// list in the background and records a new one, from its first dump or once it has waited <see cref="IdleDelay"/>.
    /// Null (nothing done) otherwise, when the user turned it off, or when the folder cannot be made.
    /// </summary>
    public static WorkerJitProfile? Start()
    {
        if (!Enabled || Environment.GetEnvironmentVariable(WorkerVariable) != "1")
            return null;
        try
        {
            string directory = DefaultDirectory();
            Directory.CreateDirectory(directory);
            var profile = new WorkerJitProfile(directory);
            ProfileOptimization.SetProfileRoot(directory);
            profile._idle = new Timer(static p => ((WorkerJitProfile)p!).Play(), profile, IdleDelay, Timeout.InfiniteTimeSpan);
            return profile;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
        {
            return null; // the worker compiles as it goes, as without a list
        }
    }

    /// <summary>Replays the list from a copy under this process's name, which records the new list; once.</summary>
    private void Play()
    {
        lock (_gate)
        {
            if (_playing || _ended)
                return;
            _playing = true;
            _idle?.Dispose();
            string list = FileIn(_directory), recording = Path.Combine(_directory, _recording);
            try
            {
                // a machine's first dump worker: the list the build recorded (shipped beside Analysis.dll)
                string? from = File.Exists(list) ? list : Shipped() is { } shipped && File.Exists(shipped) ? shipped : null;
                if (from is not null)
                    File.Copy(from, recording, overwrite: true);
                else
                    File.Delete(recording);
                ProfileOptimization.StartProfile(_recording);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // compiled as it goes, as without a list
            }
        }
    }

    /// <summary>
    /// <paramref name="operations"/>, with <paramref name="openDump"/> marking this worker as one that read a dump (its
    /// recording becomes the list when it ends) and <paramref name="others"/> (reading a trace) ending the replay and
    /// the recording, on another thread.
    /// </summary>
    public IReadOnlyDictionary<string, WorkerOperation> Watch(IReadOnlyDictionary<string, WorkerOperation> operations, string openDump, params string[] others)
    {
        var watched = new Dictionary<string, WorkerOperation>(operations, StringComparer.Ordinal);
        if (operations.TryGetValue(openDump, out var open))
        {
            watched[openDump] = (arguments, result, progress, cancellationToken) =>
            {
                Volatile.Write(ref _opened, true);
                Play();
                open(arguments, result, progress, cancellationToken);
            };
        }

        foreach (string name in others)
        {
            if (operations.TryGetValue(name, out var other))
            {
                watched[name] = (arguments, result, progress, cancellationToken) =>
                {
                    Volatile.Write(ref _other, true);
                    _ = Task.Run(() => End(keep: false));
                    other(arguments, result, progress, cancellationToken);
                };
            }
        }

        return watched;
    }

    /// <summary>When the worker ends cleanly: its recording becomes the list if it opened a dump and read no trace (a rename: a worker starting meanwhile reads the old list or the new one, whole).</summary>
    public void Finish() => End(keep: Volatile.Read(ref _opened) && !Volatile.Read(ref _other));

    private void End(bool keep)
    {
        lock (_gate)
        {
            if (_ended)
                return;
            _ended = true;
            _idle?.Dispose();
            if (!_playing)
                return;
            string recording = Path.Combine(_directory, _recording);
            try
            {
                ProfileOptimization.StartProfile(null); // ends the replay, writes the recording
                if (keep && File.Exists(recording) && new FileInfo(recording).Length > 0)
                {
                    File.Move(recording, FileIn(_directory), overwrite: true);
                    RemoveOld(); // as the folder gains a list, not on the worker's way to its first answer
                }
                else
                {
                    File.Delete(recording);
                }
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // the folder went away (a test's scratch folder) or is read-only now: the list stays as it was
            }
        }
    }

    /// <summary>Removes recordings left by killed workers, and other builds' lists unused for a week (when a list is written).</summary>
    private void RemoveOld()
    {
        var now = DateTime.UtcNow;
        string ours = Path.GetFileName(FileIn(_directory));
        foreach (var file in new DirectoryInfo(_directory).EnumerateFiles("*.jitprofile"))
        {
            try
            {
                bool recording = file.Name.StartsWith("worker-", StringComparison.Ordinal);
                if (recording ? now - file.LastWriteTimeUtc > LeftoverAge : file.Name != ours && now - file.LastWriteTimeUtc > OtherBuildAge)
                    file.Delete();
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // another worker removed or replaced it
            }
        }
    }

    /// <summary>The name of the list the build ships beside Analysis.dll (see <see cref="Shipped"/>).</summary>
    internal const string ShippedName = "dump.jitprofile";

    /// <summary>
    /// The list the build recorded (build.fsx: a worker answering a session's first questions about a dump of the
    /// demo's target), beside Analysis.dll in the module and the notebook package: compiled ahead by a dump worker when
    /// the cache folder has no list yet, a machine's first session, which otherwise compiled every such method on the
    /// answering thread (the bench's "first session" column, before the build shipped a list). Null when Analysis.dll has no folder (loaded from bytes).
    /// </summary>
    internal static string? Shipped() =>
        Path.GetDirectoryName(typeof(WorkerJitProfile).Assembly.Location) is { Length: > 0 } folder ? Path.Combine(folder, ShippedName) : null;

    /// <summary>This build of the module: another build's list names methods that may no longer be there.</summary>
    private static string BuildKey() => typeof(WorkerJitProfile).Assembly.ManifestModule.ModuleVersionId.ToString("N")[..12];
}
