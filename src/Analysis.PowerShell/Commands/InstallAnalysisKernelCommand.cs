using System.Management.Automation;
using Analysis.Notebooks.Jupyter;

namespace Analysis.PowerShell.Commands;

/// <summary>Registers this module's Jupyter kernel (a kernelspec), so JupyterLab, Jupyter Notebook, VS Code and nbclient can run notebooks in it.</summary>
/// <remarks>
/// <para>
/// Writes &lt;data dir&gt;/kernels/&lt;Name&gt;/kernel.json. Without -Path the data dir is the user's Jupyter data
/// directory (~/.local/share/jupyter on Linux, ~/Library/Jupyter on macOS, %APPDATA%\jupyter on Windows, or
/// JUPYTER_DATA_DIR when set): this writes into your home folder. With -Path the kernelspec goes under that folder;
/// Jupyter finds it when JUPYTER_PATH includes it.
/// </para>
/// <para>
/// The kernel runs the kernel host inside this module's folder (kernel/Analysis.KernelHost.dll, with the dotnet that
/// runs this session), which imports this module: install again after moving the module. Cells are PowerShell by
/// default; #!csharp makes a cell C#. Interrupts come as SIGINT (interrupt_mode signal; on Windows as a control message). Returns kernel.json.
/// </para>
/// </remarks>
/// <example>
/// <code>Install-AnalysisKernel -Force</code>
/// <para>
/// Registers the kernel for the current user as 'analysis' (replacing an earlier registration, e.g. after the module
/// moved): JupyterLab, Jupyter Notebook and VS Code then offer "Analysis (PowerShell, C#)", and jupyter kernelspec list
/// shows it.
/// </para>
/// </example>
/// <example>
/// <code>
/// Install-AnalysisKernel -Path ./jupyter -Name analysis-dev -DisplayName 'Analysis (dev build)' -Force
/// $env:JUPYTER_PATH = (Resolve-Path ./jupyter).Path   # then: jupyter lab, or jupyter kernelspec list
/// </code>
/// <para>A kernelspec in a folder of your own (nothing in your home folder); Jupyter started with that JUPYTER_PATH finds it.</para>
/// </example>
[Cmdlet(VerbsLifecycle.Install, "AnalysisKernel", SupportsShouldProcess = true)]
[OutputType(typeof(FileInfo))]
public sealed class InstallAnalysisKernelCommand : AnalysisCmdlet
{
    /// <summary>The Jupyter data directory to install into (the kernelspec goes to &lt;Path&gt;/kernels/&lt;Name&gt;); without it, the user's Jupyter data directory in the home folder.</summary>
    [Parameter(Position = 0)]
    [ValidateNotNullOrEmpty]
    public string? Path { get; set; }

    /// <summary>The kernel's name (letters, digits, '.', '_', '-'): its folder, and what jupyter --kernel and nbclient select.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string Name { get; set; } = KernelSpec.DefaultName;

    /// <summary>The name notebook front ends show in their kernel pickers.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string DisplayName { get; set; } = KernelSpec.DefaultDisplayName;

    /// <summary>Replace an existing kernelspec of that name.</summary>
    [Parameter]
    public SwitchParameter Force { get; set; }

    /// <inheritdoc/>
    protected override void EndProcessing()
    {
        if (!KernelSpec.IsValidName(Name))
        {
            ThrowTerminatingError(new ErrorRecord(new PSArgumentException($"'{Name}' is not a Jupyter kernel name; use letters, digits, '.', '_' and '-'."), "InvalidKernelName", ErrorCategory.InvalidArgument, Name));
            return;
        }

        string moduleDir = System.IO.Path.GetDirectoryName(typeof(InstallAnalysisKernelCommand).Assembly.Location)!;
        string host = System.IO.Path.Combine(moduleDir, "kernel", "Analysis.KernelHost.dll");
        if (!File.Exists(host))
        {
            ThrowTerminatingError(new ErrorRecord(new FileNotFoundException($"The kernel host '{host}' is missing from this module; import the assembled module (dotnet fsi build.fsx build leaves it in artifacts/module/Analysis).", host),
                "KernelHostNotFound", ErrorCategory.ObjectNotFound, host));
            return;
        }

        string dataDir = Path is null ? KernelSpec.UserDataDirectory : ResolveFilePath(Path);
        if (Path is null)
            WriteVerbose($"No -Path: installing into the user's Jupyter data directory {dataDir}.");
        string target = System.IO.Path.Combine(KernelSpec.Folder(dataDir, Name), "kernel.json");
        if (ConfirmOutputFile(target, Force, $"Install Jupyter kernel '{Name}' ({DisplayName})") is null)
            return;
        string written = KernelSpec.Write(dataDir, Name, KernelSpec.Create([Dotnet(), host, "{connection_file}"], DisplayName));
        WriteFileItem(written);
    }

    /// <summary>The dotnet that runs this session (or DOTNET_ROOT's, or the first on PATH); "dotnet" when none is found.</summary>
    private static string Dotnet()
    {
        string exe = OperatingSystem.IsWindows() ? "dotnet.exe" : "dotnet";
        if (Environment.ProcessPath is { } self && string.Equals(System.IO.Path.GetFileName(self), exe, StringComparison.OrdinalIgnoreCase))
            return self;
        foreach (string? dir in new[] { Environment.GetEnvironmentVariable("DOTNET_ROOT") }.Concat((Environment.GetEnvironmentVariable("PATH") ?? "").Split(System.IO.Path.PathSeparator)))
        {
            if (!string.IsNullOrEmpty(dir) && File.Exists(System.IO.Path.Combine(dir, exe)))
                return System.IO.Path.Combine(dir, exe);
        }

        return "dotnet";
    }
}
