using Analysis.Testing;

namespace Analysis.Kernel.Tests;

/// <summary>
/// Our own Jupyter kernel as Jupyter runs it: the kernelspec <c>Install-AnalysisKernel -Path</c> writes in real pwsh (the
/// repository's local tool), installed once per test run by <see cref="JupyterKernels"/> into the Jupyter data folder
/// every kernel suite shares (artifacts/kernel-tests/jupyter, found through JUPYTER_PATH; never the user's home), its
/// kernel.json given an env that keeps HOME and the module's cache under artifacts. The suites that drive it
/// (jupyter_client, nbclient, a browser) and the kernel benchmark share this one install.
/// </summary>
public static class AnalysisKernel
{
    /// <summary>The kernel's name in the kernelspec.</summary>
    public const string Name = JupyterKernels.OursName;

    /// <summary>The Jupyter data folder the kernelspec is installed into (put it in JUPYTER_PATH).</summary>
    public static string JupyterPath => JupyterKernels.DataFolder;

    /// <summary>The installed kernel.json.</summary>
    public static string KernelJson => Path.Combine(JupyterKernels.KernelSpecs, Name, "kernel.json");

    /// <summary>Why the kernel cannot run here (null when it can): what is missing and what installs it.</summary>
    public static string? Missing => JupyterKernels.Missing(Name);

    /// <summary>How long installing the kernelspecs took.</summary>
    public static TimeSpan SetupTime => JupyterKernels.SetupTime;

    /// <summary>Runs a process to its end (JUPYTER_PATH and the other <paramref name="env"/> set), capturing its output.</summary>
    public static JupyterKernels.ProcessResult Run(string exe, IEnumerable<string> args, string directory, Dictionary<string, string> env) =>
        JupyterKernels.Run(exe, args, directory, env);
}
