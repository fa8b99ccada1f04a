using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Nodes;
using Analysis.Testing;

namespace Analysis.Kernel.Tests;

/// <summary>
/// Notebooks executed in a real kernel through Jupyter: Debian's nbclient (/usr/bin/python3) driven by run_notebook.py,
/// one notebook at a time, in the kernel the notebook names or in another (<see cref="Execute"/>'s kernel). The
/// kernelspecs are installed once per test run under artifacts/kernel-tests by <see cref="JupyterKernels"/> (shared
/// with the browser test and the kernel benchmark): the .NET Interactive kernels and ours.
/// </summary>
public static class JupyterKernel
{
    public static string Folder => JupyterKernels.Folder;

    public static string JupyterPath => JupyterKernels.JupyterPath;

    public static string KernelSpecs => JupyterKernels.KernelSpecs;

    public static string Packages => JupyterKernels.Packages;

    public static string Outputs => Path.Combine(Folder, "notebooks");

    public static string Driver => Path.Combine(RepoPaths.Root, "tests", "Analysis.Kernel.Tests", "run_notebook.py");

    /// <summary>Why the .NET Interactive kernel cannot run here (null when it can): what is missing and what installs it.</summary>
    public static string? Missing => JupyterKernels.Missing(JupyterKernels.DotNetCSharp);

    /// <summary>How long installing the kernelspecs took (the apt and tool installs are build.fsx's, timed there).</summary>
    public static TimeSpan SetupTime => JupyterKernels.SetupTime;

    /// <summary>The executed notebook, its timings and what the driver said.</summary>
    public sealed record Execution(JsonNode Notebook, double StartSeconds, double RunSeconds, TimeSpan Wall, string Notes, string OutPath, double? FirstCellSeconds)
    {
        /// <summary>The addresses the kernel's HTTP API said it listens on (its log, on the driver's stdout).</summary>
        public IReadOnlyList<string> ListeningOn { get; init; } = [];
    }

    /// <summary>
    /// Runs a notebook in the kernel its kernelspec names, or in <paramref name="kernel"/> when given, papermill-style
    /// parameters injected; returns the executed notebook (artifacts/kernel-tests/notebooks[/&lt;kernel&gt;]).
    /// </summary>
    public static Execution Execute(string notebook, IReadOnlyDictionary<string, object> parameters, string? kernel = null)
    {
        if (JupyterKernels.Missing(kernel ?? JupyterKernels.DotNetCSharp) is { } why)
            throw new InvalidOperationException(why);
        string folder = kernel is null ? Outputs : Path.Combine(Outputs, kernel.TrimStart('.'));
        Directory.CreateDirectory(folder);
        string outPath = Path.Combine(folder, Path.GetFileName(notebook));
        if (File.Exists(outPath))
            File.Delete(outPath);
        var args = new List<string> { Driver, notebook, outPath, "--parameters", JsonSerializer.Serialize(parameters), "--timeout", "900" };
        if (kernel is not null)
            args.AddRange(["--kernel", kernel]);
        var clock = Stopwatch.StartNew();
        var r = JupyterKernels.Run("/usr/bin/python3", args, Path.GetDirectoryName(notebook)!, new Dictionary<string, string> { ["JUPYTER_PATH"] = JupyterPath });
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
}
