using System.Diagnostics;
using System.Text;

namespace Analysis.Testing;

/// <summary>
/// SOS as the tests' oracle: <c>dotnet dotnet-dump analyze</c> (10.0.750501 from the repository's tool manifest,
/// restored by <c>build.fsx test</c>) runs one or more commands on a dump; the tests parse its text, the product never
/// does. Each call is a separate process, offline (SOS finds the runtime and the modules on this machine).
/// Measured here: <c>dumpobj</c> ends the analyzer with SIGSEGV on every object of a .NET 10.0.12 dump (it prints the
/// name and method table, then dies), so object fields are compared with <c>dumpclass</c> (names, offsets, types)
/// and with the values the target program wrote.
/// </summary>
public static class Sos
{
    /// <summary>The analyzer's standard output and error for the commands, in order; fails when it exits non-zero or takes over two minutes.</summary>
    public static string Run(string dump, params string[] commands)
    {
        var (code, output) = TryRun(dump, commands);
        if (code != 0)
            throw new InvalidOperationException($"dotnet-dump analyze exited with {code} for {string.Join("; ", commands)}:\n{output}");
        return output;
    }

    /// <summary>The exit code and output, without judging the exit code (for commands known to crash SOS).</summary>
    public static (int ExitCode, string Output) TryRun(string dump, params string[] commands)
    {
        var psi = new ProcessStartInfo("dotnet")
        {
            WorkingDirectory = RepoPaths.Root, // the tool manifest is found from here
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        psi.ArgumentList.Add("dotnet-dump");
        psi.ArgumentList.Add("analyze");
        psi.ArgumentList.Add(dump);
        foreach (string command in commands)
        {
            psi.ArgumentList.Add("-c");
            psi.ArgumentList.Add(command);
        }

        psi.ArgumentList.Add("-c");
        psi.ArgumentList.Add("exit");
        psi.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        using var process = Process.Start(psi) ?? throw new InvalidOperationException("dotnet did not start");
        var output = new StringBuilder();
        var gate = new object();
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (gate) output.AppendLine(e.Data); };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (gate) output.AppendLine(e.Data); };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        if (!process.WaitForExit(TimeSpan.FromMinutes(2)))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"dotnet-dump analyze did not finish in 2 minutes: {string.Join("; ", commands)}");
        }

        process.WaitForExit();
        lock (gate)
            return (process.ExitCode, output.ToString());
    }
}
