using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Nodes;
using Analysis.Testing;

namespace Analysis.Kernel.Tests;

/// <summary>
/// Our own Jupyter kernel as Jupyter runs it, set up once per test run under artifacts/kernel-tests (never in the
/// user's home), like <see cref="JupyterKernel"/> does for the .NET Interactive kernel: the kernelspec written by
/// <c>Install-AnalysisKernel -Path</c> in real pwsh (the repository's local tool) into a Jupyter data folder of its own
/// (found through JUPYTER_PATH), its kernel.json given an env that keeps HOME and the module's cache under
/// artifacts. The suites that drive it (jupyter_client, nbclient, a browser) share this one install.
/// </summary>
public static class AnalysisKernel
{
    private static readonly Lazy<(string? Missing, TimeSpan Setup)> s_setup = new(Setup);

    /// <summary>The kernel's name in the kernelspec.</summary>
    public const string Name = "analysis";

    /// <summary>The Jupyter data folder the kernelspec is installed into (put it in JUPYTER_PATH).</summary>
    public static string JupyterPath => Path.Combine(JupyterKernel.Folder, "analysis-jupyter");

    /// <summary>The installed kernel.json.</summary>
    public static string KernelJson => Path.Combine(JupyterPath, "kernels", Name, "kernel.json");

    /// <summary>Why the kernel cannot run here (null when it can): what is missing and what installs it.</summary>
    public static string? Missing => s_setup.Value.Missing;

    /// <summary>How long installing the kernelspec took.</summary>
    public static TimeSpan SetupTime => s_setup.Value.Setup;

    private static (string?, TimeSpan) Setup()
    {
        var clock = Stopwatch.StartNew();
        if (!File.Exists("/usr/bin/python3"))
            return ("/usr/bin/python3 is not installed (dotnet fsi build.fsx test installs Debian's python3-jupyter-client with apt)", clock.Elapsed);
        var probe = Run("/usr/bin/python3", ["-c", "import jupyter_client, zmq"], RepoPaths.Root, []);
        if (probe.ExitCode != 0)
            return ($"jupyter_client is not importable by /usr/bin/python3 ({probe.Stderr.Trim()}); dotnet fsi build.fsx test installs jupyter-client with apt", clock.Elapsed);
        if (!File.Exists(RepoPaths.ModuleManifest))
            return ($"the module is not built ({RepoPaths.ModuleManifest}); run dotnet fsi build.fsx build", clock.Elapsed);

        if (Directory.Exists(JupyterPath))
            Directory.Delete(JupyterPath, recursive: true);
        var install = Run("dotnet", ["pwsh", "-NoProfile", "-NonInteractive", "-Command",
            $"$ErrorActionPreference = 'Stop'; Import-Module '{RepoPaths.ModuleManifest}'; Install-AnalysisKernel -Path '{JupyterPath}' -Name {Name} | ForEach-Object FullName"], RepoPaths.Root, []);
        if (install.ExitCode != 0 || !File.Exists(KernelJson))
            return ($"Install-AnalysisKernel -Path {JupyterPath} failed ({install.ExitCode}): {install.Stdout}{install.Stderr} (dotnet tool restore installs pwsh)", clock.Elapsed);

        string home = Path.Combine(JupyterKernel.Folder, "home");
        Directory.CreateDirectory(home);
        Directory.CreateDirectory(Path.Combine(JupyterKernel.Folder, "analysis-cache"));
        var json = JsonNode.Parse(File.ReadAllText(KernelJson))!.AsObject();
        json["env"] = new JsonObject
        {
            ["HOME"] = home,
            ["DOTNET_CLI_HOME"] = Environment.GetFolderPath(Environment.SpecialFolder.UserProfile),
            ["ANALYSIS_CACHE_DIR"] = Path.Combine(JupyterKernel.Folder, "analysis-cache"),
            ["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1",
            ["POWERSHELL_TELEMETRY_OPTOUT"] = "1",
        };
        File.WriteAllText(KernelJson, json.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
        return (null, clock.Elapsed);
    }

    /// <summary>What a process printed and how it ended.</summary>
    public sealed record ProcessResult(int ExitCode, string Stdout, string Stderr);

    /// <summary>Runs a process to its end (JUPYTER_PATH and the other <paramref name="env"/> set), capturing its output.</summary>
    public static ProcessResult Run(string exe, IEnumerable<string> args, string directory, Dictionary<string, string> env)
    {
        var psi = new ProcessStartInfo(exe) { WorkingDirectory = directory, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (string a in args)
            psi.ArgumentList.Add(a);
        foreach (var (k, v) in env)
            psi.Environment[k] = v;
        psi.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        psi.Environment["PYDEVD_DISABLE_FILE_VALIDATION"] = "1";
        using var p = Process.Start(psi)!;
        var stderr = p.StandardError.ReadToEndAsync();
        string stdout = p.StandardOutput.ReadToEnd();
        p.WaitForExit();
        return new ProcessResult(p.ExitCode, stdout, stderr.Result);
    }
}
