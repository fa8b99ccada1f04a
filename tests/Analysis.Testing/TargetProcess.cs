using System.Diagnostics;
using System.Globalization;

namespace Analysis.Testing;

/// <summary>
/// A running target program (tests/TestTargets): started with dotnet, ready when it prints "READY &lt;pid&gt;",
/// killed by PID on dispose. It also exits by itself if our stdin pipe closes (the test host died).
/// </summary>
public sealed class TargetProcess : IDisposable
{
    private readonly Process _process;
    private readonly List<string> _output = new();

    private TargetProcess(Process process) => _process = process;

    public int Id => _process.Id;

    public IReadOnlyList<string> Output
    {
        get
        {
            lock (_output)
                return _output.ToArray();
        }
    }

    public static TargetProcess Start(string target, TimeSpan readyTimeout, params string[] args) => Start(target, readyTimeout, null, args);

    public static TargetProcess Start(string target, TimeSpan readyTimeout, IReadOnlyDictionary<string, string>? environment, params string[] args) =>
        StartDll(RepoPaths.TargetDll(target), readyTimeout, environment, args);

    /// <summary>Starts a target program from a built dll anywhere (a copy of a target in a temporary folder, say).</summary>
    public static TargetProcess StartDll(string dll, TimeSpan readyTimeout, IReadOnlyDictionary<string, string>? environment, params string[] args)
    {
        string target = Path.GetFileNameWithoutExtension(dll);
        var psi = new ProcessStartInfo("dotnet")
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        psi.ArgumentList.Add(dll);
        foreach (string a in args)
            psi.ArgumentList.Add(a);
        psi.ArgumentList.Add("--watch-stdin");
        psi.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        foreach (var (name, value) in environment ?? new Dictionary<string, string>())
            psi.Environment[name] = value;

        var process = Process.Start(psi) ?? throw new InvalidOperationException("dotnet did not start");
        var target_ = new TargetProcess(process);
        var ready = new TaskCompletionSource<int>(TaskCreationOptions.RunContinuationsAsynchronously);
        process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is null)
            {
                ready.TrySetException(new InvalidOperationException("target closed its output before READY"));
                return;
            }

            lock (target_._output)
                target_._output.Add(e.Data);
            if (e.Data.StartsWith("READY ", StringComparison.Ordinal))
                ready.TrySetResult(int.Parse(e.Data[6..], CultureInfo.InvariantCulture));
        };
        process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is not null)
            {
                lock (target_._output)
                    target_._output.Add("stderr: " + e.Data);
            }
        };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();

        if (!ready.Task.Wait(readyTimeout))
        {
            target_.Dispose();
            throw new TimeoutException($"{target} did not print READY within {readyTimeout}: {string.Join(" | ", target_.Output)}");
        }

        if (ready.Task.Result != process.Id)
            throw new InvalidOperationException($"{target} reported pid {ready.Task.Result}, expected {process.Id}");
        return target_;
    }

    /// <summary>
    /// Waits until the target's main thread sleeps, seen asleep in five samples a few milliseconds apart (Linux: its
    /// state in /proc), or <paramref name="atMost"/> passed. A target prints READY just before its main thread blocks;
    /// on a loaded machine the thread may not have run again by the time READY is read, and a dump captured then shows
    /// it still in the call that printed. Returns whether it was seen asleep.
    /// </summary>
    public bool WaitUntilMainThreadSleeps(TimeSpan atMost)
    {
        string stat = $"/proc/{Id}/task/{Id}/stat";
        var clock = Stopwatch.StartNew();
        int asleep = 0;
        while (clock.Elapsed < atMost)
        {
            string text;
            try
            {
                text = File.ReadAllText(stat);
            }
            catch (IOException)
            {
                return false; // not Linux, or the target ended
            }

            int end = text.LastIndexOf(')');
            asleep = end > 0 && end + 2 < text.Length && text[end + 2] == 'S' ? asleep + 1 : 0;
            if (asleep == 5)
                return true;
            Thread.Sleep(3);
        }

        return false;
    }

    /// <summary>Writes a line to the target's standard input.</summary>
    public void Send(string line)
    {
        _process.StandardInput.WriteLine(line);
        _process.StandardInput.Flush();
    }

    /// <summary>Waits until the target printed a line starting with <paramref name="prefix"/>.</summary>
    public void WaitForLine(string prefix, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (!Output.Any(l => l.StartsWith(prefix, StringComparison.Ordinal)))
        {
            if (DateTime.UtcNow > deadline || _process.HasExited)
                throw new TimeoutException($"target did not print '{prefix}' within {timeout}: {string.Join(" | ", Output)}");
            Thread.Sleep(20);
        }
    }

    public void Dispose()
    {
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
                _process.WaitForExit(10_000);
            }
        }
        catch (InvalidOperationException)
        {
            // already gone
        }

        _process.Dispose();
    }
}
