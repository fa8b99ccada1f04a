using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Nodes;
using Analysis.Testing;

namespace Analysis.Kernel.Tests;

/// <summary>
/// The .NET Interactive kernel as Jupyter runs it, set up once per test run under artifacts/kernel-tests (never in the
/// user's home): the kernelspecs written by the repository's dotnet-interactive tool with <c>--path</c> and found
/// through JUPYTER_PATH, each kernel serving its HTTP API on loopback only (<c>--http-local-only</c>, a free port from
/// 2048), and its NuGet restores (<c>#r "nuget:"</c>) going to a packages folder here. Notebooks run one at a time with
/// Debian's nbclient (/usr/bin/python3) through run_notebook.py.
/// </summary>
public static class JupyterKernel
{
    private static readonly Lazy<(string? Missing, TimeSpan Setup)> s_setup = new(Setup);

    public static string Folder => Path.Combine(RepoPaths.Root, "artifacts", "kernel-tests");

    public static string JupyterPath => Path.Combine(Folder, "jupyter");

    public static string KernelSpecs => Path.Combine(JupyterPath, "kernels");

    public static string Packages => Path.Combine(Folder, "nuget");

    public static string Outputs => Path.Combine(Folder, "notebooks");

    private static string Driver => Path.Combine(RepoPaths.Root, "tests", "Analysis.Kernel.Tests", "run_notebook.py");

    /// <summary>Why the kernel cannot run here (null when it can): what is missing and what installs it.</summary>
    public static string? Missing => s_setup.Value.Missing;

    /// <summary>How long installing the kernelspecs took (the apt and tool installs are build.fsx's, timed there).</summary>
    public static TimeSpan SetupTime => s_setup.Value.Setup;

    private static (string?, TimeSpan) Setup()
    {
        var clock = Stopwatch.StartNew();
        if (!File.Exists("/usr/bin/python3"))
            return ("/usr/bin/python3 is not installed (dotnet fsi build.fsx test installs Debian's python3-nbclient with apt)", clock.Elapsed);
        var probe = Run("/usr/bin/python3", ["-c", "import nbclient, nbformat, jupyter_client"], RepoPaths.Root, new Dictionary<string, string>());
        if (probe.ExitCode != 0)
            return ($"nbclient is not importable by /usr/bin/python3 ({probe.Stderr.Trim()}); dotnet fsi build.fsx test installs python3-nbclient, python3-nbconvert and jupyter-client with apt", clock.Elapsed);
        if (!File.Exists(RepoPaths.ModuleManifest))
            return ($"the module is not built ({RepoPaths.ModuleManifest}); run dotnet fsi build.fsx build", clock.Elapsed);

        if (Directory.Exists(KernelSpecs))
            Directory.Delete(KernelSpecs, recursive: true);
        Directory.CreateDirectory(KernelSpecs);
        var install = Run("dotnet", ["interactive", "jupyter", "install", "--path", KernelSpecs], RepoPaths.Root, new Dictionary<string, string>());
        if (install.ExitCode != 0)
            return ($"dotnet interactive jupyter install --path {KernelSpecs} failed ({install.ExitCode}): {install.Stdout}{install.Stderr} — dotnet tool restore installs the tool", clock.Elapsed);

        // our own package is rebuilt under the same version: never load a copy restored by an earlier run
        string ours = Path.Combine(Packages, "analysis.interactive");
        if (Directory.Exists(ours))
            Directory.Delete(ours, recursive: true);
        string home = Path.Combine(Folder, "home");
        Directory.CreateDirectory(home);
        Directory.CreateDirectory(Path.Combine(Folder, "analysis-cache"));
        foreach (string spec in Directory.GetFiles(KernelSpecs, "kernel.json", SearchOption.AllDirectories))
        {
            var json = JsonNode.Parse(File.ReadAllText(spec))!.AsObject();
            var argv = json["argv"]!.AsArray();
            int at = argv.Select(a => a!.GetValue<string>()).ToList().IndexOf("{connection_file}");
            argv.Insert(at + 1, "--http-local-only");
            json["env"] = new JsonObject
            {
                // restores of #r "nuget:" (packages, HTTP cache) and the F# dependency manager's scratch projects
                // (~/.packagemanagement) stay under artifacts; the dotnet CLI keeps the real home for its tool cache
                ["NUGET_PACKAGES"] = Packages,
                ["NUGET_HTTP_CACHE_PATH"] = Path.Combine(Folder, "nuget-http-cache"),
                ["HOME"] = home,
                ["DOTNET_CLI_HOME"] = Environment.GetFolderPath(Environment.SpecialFolder.UserProfile),
                ["ANALYSIS_CACHE_DIR"] = Path.Combine(Folder, "analysis-cache"),
                ["DOTNET_INTERACTIVE_CLI_TELEMETRY_OPTOUT"] = "1",
                ["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1",
                ["DOTNET_NOLOGO"] = "1",
            };
            File.WriteAllText(spec, json.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
        }

        return (null, clock.Elapsed);
    }

    /// <summary>The executed notebook, its timings and what the driver said.</summary>
    public sealed record Execution(JsonNode Notebook, double StartSeconds, double RunSeconds, TimeSpan Wall, string Notes, string OutPath, double? FirstCellSeconds)
    {
        /// <summary>The addresses the kernel's HTTP API said it listens on (its log, on the driver's stdout).</summary>
        public IReadOnlyList<string> ListeningOn { get; init; } = [];
    }

    /// <summary>Runs a notebook in the kernel its kernelspec names, papermill-style parameters injected; returns the executed notebook.</summary>
    public static Execution Execute(string notebook, IReadOnlyDictionary<string, object> parameters)
    {
        if (Missing is { } why)
            throw new InvalidOperationException(why);
        Directory.CreateDirectory(Outputs);
        string outPath = Path.Combine(Outputs, Path.GetFileName(notebook));
        if (File.Exists(outPath))
            File.Delete(outPath);
        var args = new List<string> { Driver, notebook, outPath, "--parameters", JsonSerializer.Serialize(parameters), "--timeout", "900" };
        var clock = Stopwatch.StartNew();
        var r = Run("/usr/bin/python3", args, Path.GetDirectoryName(notebook)!, new Dictionary<string, string> { ["JUPYTER_PATH"] = JupyterPath });
        var wall = clock.Elapsed;
        string? summary = r.Stdout.Split('\n').LastOrDefault(l => l.StartsWith("run_notebook: ", StringComparison.Ordinal));
        if (r.ExitCode != 0 || summary is null || !File.Exists(outPath))
            throw new InvalidOperationException($"run_notebook.py {Path.GetFileName(notebook)} exited {r.ExitCode}: {r.Stderr}");
        var timing = JsonNode.Parse(summary["run_notebook: ".Length..])!;
        return new Execution(JsonNode.Parse(File.ReadAllText(outPath))!, timing["startSeconds"]!.GetValue<double>(), timing["runSeconds"]!.GetValue<double>(),
            wall, r.Stderr.Trim(), outPath, timing["cells"]!.AsArray().FirstOrDefault()?["seconds"]?.GetValue<double?>())
        {
            ListeningOn = r.Stdout.Split('\n').Select(l => l.Trim()).Where(l => l.StartsWith("Now listening on: ", StringComparison.Ordinal))
                .Select(l => l["Now listening on: ".Length..]).ToList(),
        };
    }

    private sealed record ProcessResult(int ExitCode, string Stdout, string Stderr);

    private static ProcessResult Run(string exe, IEnumerable<string> args, string directory, Dictionary<string, string> env)
    {
        var psi = new ProcessStartInfo(exe) { WorkingDirectory = directory, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (string a in args)
            psi.ArgumentList.Add(a);
        foreach (var (k, v) in env)
            psi.Environment[k] = v;
        psi.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        using var p = Process.Start(psi)!;
        var stderr = p.StandardError.ReadToEndAsync();
        string stdout = p.StandardOutput.ReadToEnd();
        p.WaitForExit();
        return new ProcessResult(p.ExitCode, stdout, stderr.Result);
    }
}
