using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Analysis.Testing;

/// <summary>
/// The Jupyter kernels the end-to-end suites and the kernel benchmark drive, installed once per process under
/// artifacts/kernel-tests (never in the user's home) and found through JUPYTER_PATH (<see cref="JupyterPath"/>):
/// <list type="bullet">
/// <item>the .NET Interactive kernels (<c>.net-csharp</c>, <c>.net-powershell</c>), written by the repository's
/// dotnet-interactive tool with <c>--path</c>, each serving its HTTP API on loopback only (<c>--http-local-only</c>, a
/// free port from 2048), its NuGet restores (<c>#r "nuget:"</c>) going to a packages folder here;</item>
/// <item>ours, written by the built module's <c>Install-AnalysisKernel -Path &lt;JupyterPath&gt; -Name analysis</c> in real
/// pwsh (the local tool).</item>
/// </list>
/// The kernel under test (<see cref="UnderTest"/>) is ours unless ANALYSIS_TEST_KERNEL names another kernel, from
/// these or from the Jupyter data folder ANALYSIS_TEST_KERNEL_PATH (its kernels/&lt;name&gt;/kernel.json): the suites run
/// unchanged against any kernel that honours the notebooks' #!csharp / #!pwsh magics.
/// </summary>
public static class JupyterKernels
{
    /// <summary>The .NET Interactive C# kernel (the notebooks' own kernelspec): the reference the suites compare with.</summary>
    public const string DotNetCSharp = ".net-csharp";

    /// <summary>The .NET Interactive PowerShell kernel.</summary>
    public const string DotNetPowerShell = ".net-powershell";

    /// <summary>The name ours is installed under here (Install-AnalysisKernel -Name).</summary>
    public const string OursName = "analysis";

    private static readonly Lazy<(string? Missing, TimeSpan Setup)> s_dotnet = new(InstallDotNetInteractive);

    private static readonly Lazy<(string? Missing, TimeSpan Setup)> s_ours = new(InstallOurs);

    public static string Folder => Path.Combine(RepoPaths.Root, "artifacts", "kernel-tests");

    /// <summary>The Jupyter data folder the kernelspecs are installed into (its kernels/ folder).</summary>
    public static string DataFolder => Path.Combine(Folder, "jupyter");

    public static string KernelSpecs => Path.Combine(DataFolder, "kernels");

    public static string Packages => Path.Combine(Folder, "nuget");

    /// <summary>JUPYTER_PATH for a client: our data folder, then ANALYSIS_TEST_KERNEL_PATH when set.</summary>
    public static string JupyterPath =>
        Environment.GetEnvironmentVariable("ANALYSIS_TEST_KERNEL_PATH") is { Length: > 0 } extra ? DataFolder + Path.PathSeparator + extra : DataFolder;

    /// <summary>The kernel the suites test: ANALYSIS_TEST_KERNEL when set, else ours.</summary>
    public static string UnderTest => Environment.GetEnvironmentVariable("ANALYSIS_TEST_KERNEL") is { Length: > 0 } name ? name : OursName;

    /// <summary>True when <paramref name="kernel"/> is one of .NET Interactive's.</summary>
    public static bool IsDotNetInteractive(string kernel) => kernel is DotNetCSharp or DotNetPowerShell;

    /// <summary>Why the Jupyter clients cannot run here (null when they can): what is missing and what installs it.</summary>
    public static string? ClientsMissing
    {
        get
        {
            if (!File.Exists("/usr/bin/python3"))
                return "/usr/bin/python3 is not installed (dotnet fsi build.fsx test installs Debian's python3-nbclient with apt)";
            var probe = Run("/usr/bin/python3", ["-c", "import nbclient, nbformat, jupyter_client"]);
            if (probe.ExitCode != 0)
                return $"nbclient is not importable by /usr/bin/python3 ({probe.Stderr.Trim()}); dotnet fsi build.fsx test installs python3-nbclient, python3-nbconvert and jupyter-client with apt";
            return File.Exists(RepoPaths.ModuleManifest) ? null : $"the module is not built ({RepoPaths.ModuleManifest}); run dotnet fsi build.fsx build";
        }
    }

    /// <summary>Why <paramref name="kernel"/> cannot run here (null when it can); installs the kernelspecs on first use.</summary>
    public static string? Missing(string kernel)
    {
        var dotnet = s_dotnet.Value; // first: it empties the kernels folder ours is installed into
        if (IsDotNetInteractive(kernel))
            return dotnet.Missing;
        if (kernel == OursName && Environment.GetEnvironmentVariable("ANALYSIS_TEST_KERNEL_PATH") is not { Length: > 0 })
            return s_ours.Value.Missing;
        return ClientsMissing ?? (SpecFile(kernel) is null ? $"no kernelspec {kernel} in JUPYTER_PATH={JupyterPath} (ANALYSIS_TEST_KERNEL / ANALYSIS_TEST_KERNEL_PATH)" : null);
    }

    /// <summary>How long installing each kind of kernelspec took (the apt and tool installs are build.fsx's, timed there).</summary>
    public static TimeSpan SetupTime => s_dotnet.Value.Setup + (s_ours.IsValueCreated ? s_ours.Value.Setup : TimeSpan.Zero);

    /// <summary>The kernel.json of <paramref name="kernel"/> in <see cref="JupyterPath"/>, or null.</summary>
    public static string? SpecFile(string kernel) => JupyterPath.Split(Path.PathSeparator)
        .Select(dir => Path.Combine(dir, "kernels", kernel, "kernel.json")).FirstOrDefault(File.Exists);

    private static (string?, TimeSpan) InstallDotNetInteractive()
    {
        var clock = Stopwatch.StartNew();
        if (ClientsMissing is { } why)
            return (why, clock.Elapsed);

        if (Directory.Exists(KernelSpecs))
            Directory.Delete(KernelSpecs, recursive: true);
        Directory.CreateDirectory(KernelSpecs);
        var install = Run("dotnet", ["interactive", "jupyter", "install", "--path", KernelSpecs]);
        if (install.ExitCode != 0)
            return ($"dotnet interactive jupyter install --path {KernelSpecs} failed ({install.ExitCode}): {install.Stdout}{install.Stderr} — dotnet tool restore installs the tool", clock.Elapsed);

        // our own package is rebuilt under the same version: never load a copy restored by an earlier run
        string ours = Path.Combine(Packages, "analysis.interactive");
        if (Directory.Exists(ours))
            Directory.Delete(ours, recursive: true);
        foreach (string spec in Directory.GetFiles(KernelSpecs, "kernel.json", SearchOption.AllDirectories))
            KeepUnderArtifacts(spec, dotnetInteractive: true);
        return (null, clock.Elapsed);
    }

    private static (string?, TimeSpan) InstallOurs()
    {
        var clock = Stopwatch.StartNew();
        if (ClientsMissing is { } why)
            return (why, clock.Elapsed);
        string Quote(string s) => "'" + s.Replace("'", "''", StringComparison.Ordinal) + "'";
        var install = Run("dotnet", ["pwsh", "-NoProfile", "-NonInteractive", "-Command",
            $"$ErrorActionPreference = 'Stop'; Import-Module {Quote(RepoPaths.ModuleManifest)}; " +
            $"if (-not (Get-Command Install-AnalysisKernel -Module Analysis -ErrorAction SilentlyContinue)) {{ exit 3 }}; " +
            $"$null = Install-AnalysisKernel -Path {Quote(DataFolder)} -Name {OursName} -Force"]);
        if (install.ExitCode == 3)
            return ($"the built module has no Install-AnalysisKernel: our kernel is not in this build ({RepoPaths.ModuleManifest})", clock.Elapsed);
        string spec = Path.Combine(KernelSpecs, OursName, "kernel.json");
        if (install.ExitCode != 0 || !File.Exists(spec))
            return ($"Install-AnalysisKernel -Path {DataFolder} -Name {OursName} failed ({install.ExitCode}) or wrote no {spec}: {install.Stdout}{install.Stderr}", clock.Elapsed);
        KeepUnderArtifacts(spec, dotnetInteractive: false);
        return (null, clock.Elapsed);
    }

    /// <summary>What a kernel writes (caches, restores, its home) goes under artifacts/kernel-tests.</summary>
    private static void KeepUnderArtifacts(string spec, bool dotnetInteractive)
    {
        string home = Path.Combine(Folder, "home");
        Directory.CreateDirectory(home);
        Directory.CreateDirectory(Path.Combine(Folder, "analysis-cache"));
        var json = JsonNode.Parse(File.ReadAllText(spec))!.AsObject();
        var env = json["env"] as JsonObject ?? [];
        if (dotnetInteractive)
        {
            var argv = json["argv"]!.AsArray();
            int at = argv.Select(a => a!.GetValue<string>()).ToList().IndexOf("{connection_file}");
            argv.Insert(at + 1, "--http-local-only");
            // restores of #r "nuget:" (packages, HTTP cache) and the F# dependency manager's scratch projects
            // (~/.packagemanagement) stay under artifacts; the dotnet CLI keeps the real home for its tool cache
            env["NUGET_PACKAGES"] = Packages;
            env["NUGET_HTTP_CACHE_PATH"] = Path.Combine(Folder, "nuget-http-cache");
            env["DOTNET_INTERACTIVE_CLI_TELEMETRY_OPTOUT"] = "1";
        }

        env["HOME"] = home;
        env["DOTNET_CLI_HOME"] = Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);
        env["ANALYSIS_CACHE_DIR"] = Path.Combine(Folder, "analysis-cache");
        env["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        env["POWERSHELL_TELEMETRY_OPTOUT"] = "1";
        env["DOTNET_NOLOGO"] = "1";
        json["env"] = env;
        File.WriteAllText(spec, json.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
    }

    public sealed record ProcessResult(int ExitCode, string Stdout, string Stderr);

    /// <summary>Runs a program from the repository root (where the local tool manifest is) and collects its output.</summary>
    public static ProcessResult Run(string exe, IEnumerable<string> args, string? directory = null, IReadOnlyDictionary<string, string>? env = null)
    {
        var psi = new ProcessStartInfo(exe) { WorkingDirectory = directory ?? RepoPaths.Root, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (string a in args)
            psi.ArgumentList.Add(a);
        foreach (var (k, v) in env ?? new Dictionary<string, string>())
            psi.Environment[k] = v;
        psi.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        psi.Environment["PYDEVD_DISABLE_FILE_VALIDATION"] = "1"; // python's debugger warning about frozen modules
        using var p = Process.Start(psi)!;
        var stderr = p.StandardError.ReadToEndAsync();
        string stdout = p.StandardOutput.ReadToEnd();
        p.WaitForExit();
        return new ProcessResult(p.ExitCode, stdout, stderr.Result);
    }
}
