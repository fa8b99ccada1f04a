using System.Diagnostics;
using System.Text;
using System.Text.Json;
using Analysis.Testing;

namespace Analysis.Pwsh.Tests;

/// <summary>
/// Real pwsh 7.6.9 — the PowerShell dotnet tool of the repository's tool manifest, started as <c>dotnet pwsh
/// -NoProfile</c> — with the built module imported. <see cref="Run"/> sends scripts to one long-lived process (like
/// an interactive session: variables persist); <see cref="RunProcess"/> runs a script in a process of its own, for
/// what only a process can show (exit codes, signals, crashes).
/// </summary>
public sealed class RealPwsh : IDisposable
{
    private static readonly Lazy<string?> s_unavailable = new(Restore);
    private readonly Process _process;
    private readonly StringBuilder _host = new();
    private readonly object _gate = new();
    private readonly string _scratch;
    private readonly SemaphoreSlim _done = new(0);
    private int _requests;

    public RealPwsh(int width = 120, string? workingDirectory = null)
    {
        if (s_unavailable.Value is { } why)
            throw new InvalidOperationException(why);
        _scratch = RepoPaths.NewScratchDirectory("analysis-pwsh-requests");
        var psi = Start(["-File", ServerScript, "-Manifest", RepoPaths.ModuleManifest, "-Width", width.ToString(System.Globalization.CultureInfo.InvariantCulture)], workingDirectory);
        psi.RedirectStandardInput = true;
        _process = Process.Start(psi) ?? throw new InvalidOperationException("dotnet pwsh did not start");
        var ready = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is null)
            {
                ready.TrySetException(new InvalidOperationException("pwsh exited before it was ready: " + HostOutput));
                Done();
                return;
            }

            if (e.Data == "##ready")
                ready.TrySetResult();
            else if (e.Data == "##done")
                Done();
            else
                lock (_gate)
                    _host.AppendLine(e.Data);
        };
        _process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is not null)
                lock (_gate)
                    _host.AppendLine(e.Data);
        };
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
        if (!ready.Task.Wait(TimeSpan.FromMinutes(2)))
            throw new TimeoutException("pwsh did not import the module within 2 minutes: " + HostOutput);
        ready.Task.GetAwaiter().GetResult();
    }

    /// <summary>Why real pwsh cannot run here (the tool could not be restored), or null when it can.</summary>
    public static string? Unavailable => s_unavailable.Value;

    /// <summary>What the process wrote outside the result records (Write-Host, native stderr) since the last call.</summary>
    public string HostOutput
    {
        get
        {
            lock (_gate)
            {
                string text = _host.ToString();
                _host.Clear();
                return text;
            }
        }
    }

    public int ProcessId => _process.Id;

    public bool HasExited => _process.HasExited;

    public sealed record ErrorInfo(string Id, string Category, string Message, string Type)
    {
        public override string ToString() => $"{Id} ({Category}): {Message}";
    }

    public sealed record Result(IReadOnlyList<string> Output, IReadOnlyList<ErrorInfo> Errors, IReadOnlyList<string> Warnings, IReadOnlyList<string> Verbose)
    {
        /// <summary>The error ids, in order ("DumpNotFound,Analysis.PowerShell.Commands.GetHeapTopCommand" → "DumpNotFound").</summary>
        public IEnumerable<string> ErrorIds => Errors.Select(e => e.Id.Split(',')[0]);

        public string Text => string.Join("\n", Output);
    }

    /// <summary>Runs a script in the long-lived session; variables are set first. Fails the test if pwsh dies or hangs.</summary>
    public Result Run(string script, IReadOnlyDictionary<string, object?>? variables = null, TimeSpan? timeout = null)
    {
        var prelude = new StringBuilder();
        foreach (var (name, value) in variables ?? new Dictionary<string, object?>())
            prelude.Append('$').Append(name).Append(" = ").Append(Literal(value)).Append('\n');
        int n = Interlocked.Increment(ref _requests);
        string request = Path.Combine(_scratch, $"request-{n}.json");
        string response = Path.Combine(_scratch, $"response-{n}.json");
        File.WriteAllText(request, JsonSerializer.Serialize(new { Script = prelude + script, Response = response }));
        _process.StandardInput.WriteLine(request);
        _process.StandardInput.Flush();
        var limit = timeout ?? TimeSpan.FromMinutes(3);
        if (!_done.Wait(limit))
            throw new TimeoutException($"pwsh did not finish within {limit}: {script}\n{HostOutput}");
        if (!File.Exists(response))
        {
            _process.WaitForExit(5000);
            throw new InvalidOperationException($"pwsh died (exit {(_process.HasExited ? _process.ExitCode : -1)}) running: {script}\n{HostOutput}");
        }

        using var doc = JsonDocument.Parse(File.ReadAllText(response));
        var root = doc.RootElement;
        static List<string> Strings(JsonElement e) => e.ValueKind == JsonValueKind.Array ? e.EnumerateArray().Select(x => x.ValueKind == JsonValueKind.String ? x.GetString() ?? "" : x.ToString()).ToList() : [];
        var errors = root.GetProperty("Errors") is { ValueKind: JsonValueKind.Array } arr
            ? arr.EnumerateArray().Select(e => new ErrorInfo(Str(e, "Id"), Str(e, "Category"), Str(e, "Message"), Str(e, "Type"))).ToList()
            : [];
        return new Result(Strings(root.GetProperty("Output")), errors, Strings(root.GetProperty("Warnings")), Strings(root.GetProperty("Verbose")));

        static string Str(JsonElement e, string name) => e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() ?? "" : "";
    }

    /// <summary>The outcome of a pwsh process of its own.</summary>
    public sealed record ProcessResult(int ExitCode, string Stdout, string Stderr, bool TimedOut);

    /// <summary>
    /// Runs <paramref name="script"/> in a new <c>dotnet pwsh -NoProfile -NonInteractive</c> process with the module
    /// imported (unless <paramref name="importModule"/> is false); <paramref name="whileRunning"/> gets the process once it printed <paramref name="signalLine"/> (if given).
    /// </summary>
    public static ProcessResult RunProcess(string script, TimeSpan timeout, string? workingDirectory = null, string? signalLine = null, Action<Process>? whileRunning = null, bool importModule = true)
    {
        if (s_unavailable.Value is { } why)
            throw new InvalidOperationException(why);
        string file = Path.Combine(RepoPaths.NewScratchDirectory("analysis-pwsh-script"), "script.ps1");
        string import = importModule ? $"Import-Module '{RepoPaths.ModuleManifest}' -ErrorAction Stop\n" : "";
        File.WriteAllText(file, $"$PSStyle.OutputRendering = 'PlainText'\n{import}{script}\n");
        var psi = Start(["-NonInteractive", "-File", file], workingDirectory);
        using var process = Process.Start(psi) ?? throw new InvalidOperationException("dotnet pwsh did not start");
        var stdout = new StringBuilder();
        var stderr = new StringBuilder();
        var signalled = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is null)
                return;
            lock (stdout)
                stdout.AppendLine(e.Data);
            if (signalLine is not null && e.Data.Contains(signalLine, StringComparison.Ordinal))
                signalled.TrySetResult();
        };
        process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is not null)
                lock (stderr)
                    stderr.AppendLine(e.Data);
        };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        if (signalLine is not null && whileRunning is not null)
        {
            if (Task.WaitAny([signalled.Task, process.WaitForExitAsync()], timeout) == 0)
                whileRunning(process);
        }

        bool exited = process.WaitForExit((int)timeout.TotalMilliseconds);
        if (!exited)
            process.Kill(entireProcessTree: true);
        process.WaitForExit();
        lock (stdout)
            lock (stderr)
                return new ProcessResult(exited ? process.ExitCode : -1, stdout.ToString(), stderr.ToString(), !exited);
    }

    /// <summary>A PowerShell literal for a test value (strings single-quoted, numbers and booleans as is).</summary>
    public static string Literal(object? value) => value switch
    {
        null => "$null",
        bool b => b ? "$true" : "$false",
        string s => "'" + s.Replace("'", "''", StringComparison.Ordinal) + "'",
        int or long or double => Convert.ToString(value, System.Globalization.CultureInfo.InvariantCulture)!,
        IEnumerable<string> items => "@(" + string.Join(", ", items.Select(Literal)) + ")",
        _ => throw new ArgumentException($"no PowerShell literal for {value.GetType()}"),
    };

    /// <summary>
    /// Signals the end of a request, or of the output. The end of the output can come after Dispose (WaitForExit with a
    /// timeout does not wait for the output handlers): an exception in this handler would end the test host.
    /// </summary>
    private void Done()
    {
        try
        {
            _done.Release();
        }
        catch (ObjectDisposedException)
        {
        }
    }

    public void Dispose()
    {
        try
        {
            if (!_process.HasExited)
            {
                _process.StandardInput.Close();
                if (!_process.WaitForExit(10_000))
                    _process.Kill(entireProcessTree: true);
            }
        }
        catch (InvalidOperationException)
        {
        }

        _process.Dispose();
        _done.Dispose();
        try
        {
            Directory.Delete(_scratch, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    private static string ServerScript => Path.Combine(AppContext.BaseDirectory, "PwshServer.ps1");

    private static ProcessStartInfo Start(IEnumerable<string> args, string? workingDirectory)
    {
        var psi = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            // the tool manifest is found from the working directory: run from the repository, then cd in the script
            WorkingDirectory = RepoPaths.Root,
        };
        psi.ArgumentList.Add("pwsh");
        psi.ArgumentList.Add("-NoProfile");
        psi.ArgumentList.Add("-NoLogo");
        if (workingDirectory is not null)
        {
            psi.ArgumentList.Add("-WorkingDirectory");
            psi.ArgumentList.Add(workingDirectory);
        }

        foreach (string a in args)
            psi.ArgumentList.Add(a);
        psi.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        psi.Environment["POWERSHELL_TELEMETRY_OPTOUT"] = "1";
        psi.Environment["POWERSHELL_UPDATECHECK"] = "Off";
        psi.Environment["NO_COLOR"] = "1";
        // Install-AnalysisKernel without -Path (its help's first example) writes here, not into the user's home
        psi.Environment["JUPYTER_DATA_DIR"] = Path.Combine(RepoPaths.Root, "artifacts", "kernel-tests", "pwsh-jupyter-data");
        return psi;
    }

    /// <summary>Restores the local tools once (build.fsx test does it before the tests; this covers a direct dotnet test).</summary>
    private static string? Restore()
    {
        var psi = new ProcessStartInfo("dotnet") { WorkingDirectory = RepoPaths.Root, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        psi.ArgumentList.Add("tool");
        psi.ArgumentList.Add("restore");
        using var p = Process.Start(psi)!;
        string output = p.StandardOutput.ReadToEnd() + p.StandardError.ReadToEnd();
        p.WaitForExit();
        return p.ExitCode == 0 ? null : $"'dotnet tool restore' failed (exit {p.ExitCode}), so real pwsh 7.6.9 is not available: {output.Trim()}";
    }
}
