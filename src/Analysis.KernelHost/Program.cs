using System.Management.Automation;
using System.Management.Automation.Runspaces;

namespace Analysis.KernelHost;

/// <summary>
/// The kernel's entry point, as kernel.json runs it: <c>dotnet Analysis.KernelHost.dll {connection_file}</c>. Opens a
/// runspace, imports the module this folder belongs to (../Analysis.psd1, or -Module path) and runs
/// <c>Start-AnalysisKernel -ConnectionFile</c> until the client shuts the kernel down.
/// </summary>
public static class Program
{
    /// <summary>Exit codes: 0 after a shutdown, 1 when the kernel failed, 2 for wrong arguments.</summary>
    public static int Main(string[] args)
    {
        string? connectionFile = null;
        string module = Path.GetFullPath(Path.Combine(AppContext.BaseDirectory, "..", "Analysis.psd1"));
        for (int i = 0; i < args.Length; i++)
        {
            if (args[i] is "-Module" or "--module" && i + 1 < args.Length)
                module = Path.GetFullPath(args[++i]);
            else if (connectionFile is null)
                connectionFile = args[i];
        }

        if (connectionFile is null)
        {
            Console.Error.WriteLine("usage: dotnet Analysis.KernelHost.dll <connection file> [-Module <Analysis.psd1>] (Jupyter passes {connection_file}; Install-AnalysisKernel writes the kernelspec)");
            return 2;
        }

        if (!File.Exists(module))
        {
            Console.Error.WriteLine($"analysis kernel: the module manifest '{module}' is missing; the kernel host runs from the module's kernel/ folder (reinstall the module, or pass -Module <path to Analysis.psd1>).");
            return 1;
        }

        // ANALYSIS_KERNEL_TIMING=1: how long each step of the start takes, on stderr (Jupyter's log)
        bool timing = Environment.GetEnvironmentVariable("ANALYSIS_KERNEL_TIMING") == "1";
        var started = System.Diagnostics.Process.GetCurrentProcess().StartTime;
        void Step(string what)
        {
            if (timing)
                Console.Error.WriteLine($"analysis kernel: {what} {(DateTime.Now - started).TotalMilliseconds:N0} ms after the process started");
        }

        Step("host running");
        var state = InitialSessionState.CreateDefault2();
        using var runspace = RunspaceFactory.CreateRunspace(state);
        runspace.Open();
        Step("runspace open");
        using var ps = PowerShell.Create(runspace);
        try
        {
            ps.AddCommand("Import-Module").AddParameter("Name", module).AddParameter("ErrorAction", "Stop");
            ps.Invoke();
            Step("module imported");
            ps.Commands.Clear();
            ps.AddCommand("Start-AnalysisKernel").AddParameter("ConnectionFile", Path.GetFullPath(connectionFile));
            ps.Invoke();
        }
        catch (RuntimeException e)
        {
            Console.Error.WriteLine($"analysis kernel: {e.ErrorRecord}");
            return 1;
        }

        foreach (var error in ps.Streams.Error)
            Console.Error.WriteLine($"analysis kernel: {error}");
        return ps.HadErrors ? 1 : 0;
    }
}
