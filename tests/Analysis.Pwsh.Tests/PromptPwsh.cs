using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;
using Analysis.Testing;

namespace Analysis.Pwsh.Tests;

/// <summary>
/// Real pwsh reading commands from its standard input (<c>-Command -</c>): each line runs as its own pipeline, as at the
/// prompt, so <see cref="Interrupt"/> (SIGINT, what Ctrl+C sends) stops the running one and pwsh takes the next line.
/// Output lines arrive without colour codes; killed on dispose if still running.
/// </summary>
internal sealed partial class PromptPwsh : IDisposable
{
    private readonly Process _process;
    private readonly BlockingCollection<string> _unread = new();
    private readonly List<string> _received = new();

    public PromptPwsh()
    {
        var psi = new ProcessStartInfo("dotnet") { WorkingDirectory = RepoPaths.Root, RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (string a in new[] { "pwsh", "-NoProfile", "-NoLogo", "-Command", "-" })
            psi.ArgumentList.Add(a);
        psi.Environment["NO_COLOR"] = "1";
        _process = Process.Start(psi)!;
        _process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is null)
                return;
            string line = Ansi().Replace(e.Data, "");
            lock (_received)
                _received.Add(line);
            _unread.Add(line);
        };
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
        Send($"Import-Module '{RepoPaths.ModuleManifest}'; 'pid=' + $PID");
        ProcessId = int.Parse(Next("pid=")[4..], CultureInfo.InvariantCulture);
    }

    /// <summary>pwsh's own process id (the one <see cref="Interrupt"/> signals).</summary>
    public int ProcessId { get; }

    /// <summary>Every output line so far, read or not.</summary>
    public IReadOnlyList<string> Received
    {
        get
        {
            lock (_received)
                return [.. _received];
        }
    }

    /// <summary>Types a command line.</summary>
    public void Send(string line) => _process.StandardInput.WriteLine(line);

    /// <summary>The next output line starting with <paramref name="prefix"/> (lines before it are passed over); two minutes at most.</summary>
    public string Next(string prefix)
    {
        while (_unread.TryTake(out string? line, TimeSpan.FromMinutes(2)))
        {
            if (line.StartsWith(prefix, StringComparison.Ordinal))
                return line;
        }

        throw new TimeoutException($"no line starting with '{prefix}'");
    }

    /// <summary>Ctrl+C: SIGINT to pwsh.</summary>
    public void Interrupt()
    {
        using var kill = Process.Start("kill", ["-INT", ProcessId.ToString(CultureInfo.InvariantCulture)]);
        kill.WaitForExit();
    }

    /// <summary>Types exit 0 and waits up to 30 seconds for pwsh to end; its exit code, or null if it did not end.</summary>
    public int? Exit()
    {
        Send("exit 0");
        return _process.WaitForExit(30_000) ? _process.ExitCode : null;
    }

    public void Dispose()
    {
        if (!_process.HasExited)
            _process.Kill(entireProcessTree: true);
        _process.Dispose();
    }

    [GeneratedRegex(@"\x1b\[[0-9;?]*[a-zA-Z]")]
    private static partial Regex Ansi();
}
