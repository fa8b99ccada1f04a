using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;

namespace Analysis.Fuzz;

/// <summary>
/// The parent side of one worker process (`Analysis.Fuzz worker &lt;path&gt;`): writes each case to a file (in /dev/shm
/// when there is one), hands the worker its path, and watches it: a case that answers after the path's timeout is a
/// hang, one that makes the worker's resident set grow past 64 × its size + 256 MB (or the GC heap hit its hard limit)
/// is a memory blow-up, and a worker that dies took the case with it. After any of these the worker is restarted.
/// </summary>
public sealed class FuzzWorker : IDisposable
{
    private readonly string _path;
    private readonly string _dll;
    private readonly string _dir;
    private readonly string _caseFile;
    private readonly TimeSpan _timeout;
    private readonly long _maxCaseBytes;
    private readonly bool _coverage;
    private Process? _process;
    private BlockingCollection<string>? _lines;
    private Queue<string> _stderr = new();
    private bool _warm;
    private int _casesSinceStart;

    /// <param name="path">The input path (pprof, goroutine, …).</param>
    /// <param name="maxCaseBytes">The largest case it will be given: sets the GC heap hard limit of the worker.</param>
    /// <param name="dll">Analysis.Fuzz.dll; by default the running one.</param>
    /// <param name="coverage">The dll is a copy whose Analysis.dll sharpfuzz instrumented: report new edge coverage per case.</param>
    public FuzzWorker(string path, long maxCaseBytes, string? dll = null, TimeSpan? timeout = null, bool coverage = false)
    {
        _coverage = coverage;
        _path = path;
        _dll = dll ?? DefaultDll;
        _timeout = timeout ?? FuzzTargets.Timeout(path);
        _maxCaseBytes = maxCaseBytes;
        string shm = Directory.Exists("/dev/shm") && maxCaseBytes <= 64 << 20 ? "/dev/shm" : Path.GetTempPath();
        _dir = Path.Combine(shm, $"analysis-fuzz-{Environment.ProcessId}-{path}-{Guid.NewGuid().ToString("N")[..12]}");
        Directory.CreateDirectory(_dir);
        _caseFile = Path.Combine(_dir, "case" + FuzzTargets.Extension(path));
    }

    /// <summary>Workers that had to be replaced after a hang, a memory blow-up or a death.</summary>
    public int Restarts { get; private set; }

    /// <summary>
    /// The worker program: this assembly when it can run on its own (its runtimeconfig beside it), else the harness's build
    /// output (a test project that references it gets the dll without the runtimeconfig).
    /// </summary>
    public static string DefaultDll
    {
        get
        {
            string self = typeof(FuzzWorker).Assembly.Location;
            if (File.Exists(Path.ChangeExtension(self, ".runtimeconfig.json")))
                return self;
            string built = Path.Combine(Analysis.Testing.RepoPaths.Root, "artifacts", "bin", "Analysis.Fuzz", Analysis.Testing.RepoPaths.Configuration, "Analysis.Fuzz.dll");
            return File.Exists(built) ? built : throw new FileNotFoundException($"The fuzz worker is not built: {built}. Build tests/Analysis.Fuzz first.", built);
        }
    }

    /// <summary>The memory a case of <paramref name="length"/> bytes may add: 64 × its size + 256 MB (dumps: the file is mapped, 2 × + 1 GB).</summary>
    public long Ceiling(long length) => FuzzTargets.HasWholeFileInputs(_path) ? (2 * length) + (1L << 30) : (64 * length) + (256L << 20);

    public Outcome Run(byte[] data)
    {
        if (_process is null || _process.HasExited || _casesSinceStart >= 100_000)
            Start(); // also a fresh process now and then: what one case leaks does not pile up
        LastNewCoverage = 0;
        File.WriteAllBytes(_caseFile, data);
        long startRss = Rss(_process!);
        long ceiling = Ceiling(data.Length);
        try
        {
            _process!.StandardInput.WriteLine(_caseFile);
            _process.StandardInput.Flush();
        }
        catch (IOException)
        {
            return Died();
        }

        _casesSinceStart++;
        var clock = Stopwatch.StartNew();
        var limit = _warm ? _timeout : _timeout * 3;
        while (true)
        {
            if (_lines!.TryTake(out string? line, 20))
            {
                if (line is null)
                    return Died();
                if (!line.StartsWith(Worker.Prefix, StringComparison.Ordinal))
                    continue;
                _warm = true;
                return Parse(line);
            }

            if (_process.HasExited)
            {
                // the answer may still be in the pipe
                if (_lines.TryTake(out string? last, 200) && last is not null && last.StartsWith(Worker.Prefix, StringComparison.Ordinal))
                    return Parse(last);

                return Died();
            }

            long grown = Rss(_process) - startRss;
            if (grown > ceiling)
            {
                Restarts++;
                Kill();
                return new Outcome(OutcomeKind.Memory, "memory", string.Create(CultureInfo.InvariantCulture, $"resident set grew by {grown >> 20:N0} MB on a {data.Length:N0}-byte case (ceiling {ceiling >> 20:N0} MB)"));
            }

            if (clock.Elapsed > limit)
            {
                Restarts++;
                Kill();
                return new Outcome(OutcomeKind.Hang, "hang", string.Create(CultureInfo.InvariantCulture, $"no answer in {limit.TotalSeconds:F0} s"));
            }
        }
    }

    /// <summary>New coverage of the last case (0 without instrumentation).</summary>
    public int LastNewCoverage { get; private set; }

    private Outcome Parse(string line)
    {
        var parts = line[Worker.Prefix.Length..].Split('\t', 4);
        var kind = parts.Length > 1 && Enum.TryParse<OutcomeKind>(parts[1], out var k) ? k : OutcomeKind.Other;
        LastNewCoverage = parts.Length > 2 && int.TryParse(parts[2], NumberStyles.None, CultureInfo.InvariantCulture, out int n) ? n : 0;
        return new Outcome(kind, parts[0], parts.Length > 3 ? parts[3] : "");
    }

    private Outcome Died()
    {
        Restarts++;
        var p = _process!;
        p.WaitForExit(2000);
        int code = p.HasExited ? p.ExitCode : -1;
        // a process killed by a signal exits with 128 + the signal number
        string how = code switch
        {
            134 => "SIGABRT",
            137 => "SIGKILL",
            139 => "SIGSEGV",
            135 => "SIGBUS",
            136 => "SIGFPE",
            _ => $"exit{code}",
        };
        string[] err;
        lock (_stderr)
            err = _stderr.ToArray();
        Kill();
        // from the runtime's last words on: "Fatal error.", "Stack overflow.", "Unhandled exception."
        int last = Array.FindLastIndex(err, l => l.StartsWith("Fatal error", StringComparison.Ordinal) || l.StartsWith("Stack overflow", StringComparison.Ordinal) || l.StartsWith("Unhandled exception", StringComparison.Ordinal));
        err = err[Math.Max(0, last)..];
        return new Outcome(OutcomeKind.Killed, "killed:" + how + Cause(err), Outcome.OneLine(string.Join(" | ", err.Take(8))));
    }

    /// <summary>How many worker processes were started: a new one has not seen any coverage yet.</summary>
    public int Generation { get; private set; }

    /// <summary>
    /// What the runtime printed when it failed fast: "Stack overflow." or "Fatal error." with the exception, then the
    /// frames: ":StackOverflow@Parser.Line", ":AccessViolationException@TraceEventRawReaders.ReadInt64".
    /// </summary>
    internal static string Cause(IReadOnlyList<string> stderr)
    {
        string? what = null;
        string? frame = null;
        for (int i = 0; i < stderr.Count; i++)
        {
            string line = stderr[i].Trim();
            if (line.StartsWith("Unhandled exception. ", StringComparison.Ordinal))
                line = line["Unhandled exception. ".Length..];
            if (what is null && line.StartsWith("Stack overflow", StringComparison.Ordinal))
                what = "StackOverflow";
            else if (what is null && line.StartsWith("System.", StringComparison.Ordinal) && line.Contains("Exception", StringComparison.Ordinal))
                what = line[..line.IndexOfAny([':', ' '])].Split('.')[^1];
            else if (what is not null && frame is null && line.StartsWith("at ", StringComparison.Ordinal))
            {
                // "at Namespace.Type.Method(args)": keep Type.Method
                string method = line[3..];
                int paren = method.IndexOf('(', StringComparison.Ordinal);
                if (paren > 0)
                    method = method[..paren];
                var parts = method.Split('.');
                frame = parts.Length >= 2 ? $"{parts[^2].Split('+')[^1]}.{parts[^1]}" : method;
            }
        }

        return what is null ? "" : $":{what}{(frame is null ? "" : "@" + frame)}";
    }

    private void Start()
    {
        Kill();
        Generation++;
        var psi = new ProcessStartInfo("dotnet")
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        psi.ArgumentList.Add(_dll);
        psi.ArgumentList.Add("worker");
        psi.ArgumentList.Add(_path);
        long heapLimit = Ceiling(_maxCaseBytes) + (128L << 20);
        psi.Environment["DOTNET_GCHeapHardLimit"] = heapLimit.ToString("x", CultureInfo.InvariantCulture);
        psi.Environment["DOTNET_gcServer"] = "0";
        // frames inlined away would change where an exception seems to come from, and so its class
        psi.Environment["DOTNET_JitNoInline"] = "1";
        psi.Environment["DOTNET_DbgEnableMiniDump"] = "0";
        psi.Environment["DOTNET_EnableCrashReport"] = "0";
        psi.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        psi.Environment["ANALYSIS_CACHE_DIR"] = Path.Combine(_dir, "cache");
        if (_coverage)
            psi.Environment["ANALYSIS_FUZZ_COVERAGE"] = "1";
        var process = Process.Start(psi) ?? throw new InvalidOperationException("dotnet did not start");
        var lines = new BlockingCollection<string>();
        var stderr = new Queue<string>();
        process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is null)
                lines.CompleteAdding();
            else if (!lines.IsAddingCompleted)
                lines.Add(e.Data);
        };
        process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is null)
                return;
            lock (stderr)
            {
                // the head says what failed (a fatal error's exception and innermost frames): keep the first lines
                if (stderr.Count < 200)
                    stderr.Enqueue(e.Data);
            }
        };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        _process = process;
        _lines = lines;
        _stderr = stderr;
        _warm = false;
        _casesSinceStart = 0;
        // wait for "ready"
        if (!lines.TryTake(out string? ready, TimeSpan.FromSeconds(60)) || ready != Worker.Prefix + "ready")
            throw new InvalidOperationException($"fuzz worker for {_path} did not start: {ready} {string.Join(" | ", stderr)}");
    }

    private void Kill()
    {
        if (_process is null)
            return;
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
                _process.WaitForExit(5000);
            }
        }
        catch (InvalidOperationException)
        {
        }

        _process.Dispose();
        _process = null;
    }

    /// <summary>Resident set of a process in bytes (Linux /proc; elsewhere the working set).</summary>
    private static long Rss(Process p)
    {
        try
        {
            string status = $"/proc/{p.Id}/status";
            if (File.Exists(status))
            {
                foreach (string line in File.ReadLines(status))
                {
                    if (line.StartsWith("VmRSS:", StringComparison.Ordinal))
                        return long.Parse(line.AsSpan(6).Trim().TrimEnd("kB").Trim(), CultureInfo.InvariantCulture) * 1024;
                }
            }

            p.Refresh();
            return p.WorkingSet64;
        }
        catch (Exception e) when (e is IOException or InvalidOperationException or FormatException)
        {
            return 0;
        }
    }

    public void Dispose()
    {
        if (_process is { HasExited: false })
        {
            try
            {
                _process.StandardInput.Close();
                if (!_process.WaitForExit(2000))
                    Kill();
            }
            catch (IOException)
            {
                Kill();
            }
        }

        Kill();
        try
        {
            Directory.Delete(_dir, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
