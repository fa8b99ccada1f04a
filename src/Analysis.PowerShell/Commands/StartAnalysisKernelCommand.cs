using System.Collections;
using System.Management.Automation;
using Analysis.Notebooks;
using Analysis.Notebooks.Jupyter;

namespace Analysis.PowerShell.Commands;

/// <summary>Runs this session as a Jupyter kernel on the sockets a connection file names, until the client shuts it down.</summary>
/// <remarks>
/// <para>
/// This is what the kernelspec written by Install-AnalysisKernel runs (through the module's kernel host): Jupyter,
/// VS Code or nbclient writes a connection file and starts the kernel with it. Cells are PowerShell with this module
/// imported, in the current location (Jupyter starts kernels in the notebook's folder); a first line #!csharp runs a
/// cell as C#. #!share --from pwsh name copies a variable between the languages.
/// </para>
/// <para>
/// Messages are checked against the connection file's HMAC key; the kernel answers on the control channel while a
/// cell runs, and interrupt_request or SIGINT stops the running cell only. Returns after a shutdown_request.
/// </para>
/// </remarks>
/// <example>
/// <code>
/// $file = Join-Path $PWD kernel-debug.json
/// @{ ip = '127.0.0.1'; transport = 'tcp'; signature_scheme = 'hmac-sha256'; key = "$(New-Guid)"
///    shell_port = 53791; iopub_port = 53792; stdin_port = 53793; control_port = 53794; hb_port = 53795 } | ConvertTo-Json | Set-Content $file
/// $module = Join-Path (Get-Module Analysis).ModuleBase Analysis.psd1
/// $kernel = Start-ThreadJob { Import-Module $using:module; Start-AnalysisKernel -ConnectionFile $using:file }
/// Wait-Job $kernel -Timeout 5   # it serves until stopped; meanwhile a client attaches: jupyter console --existing ./kernel-debug.json
/// Stop-Job $kernel; $kernel.State
/// </code>
/// <para>
/// Runs a kernel of your own in the background of this session on a connection file you wrote, for a client to attach
/// to (normally Jupyter writes the file and starts the kernel through the kernelspec); stopping the job stops it.
/// </para>
/// </example>
[Cmdlet(VerbsLifecycle.Start, "AnalysisKernel")]
[OutputType(typeof(void))]
public sealed class StartAnalysisKernelCommand : AnalysisCmdlet
{
    /// <summary>The connection file (JSON: ip, transport, the five ports, key, signature_scheme) Jupyter passes as {connection_file}.</summary>
    [Parameter(Mandatory = true, Position = 0)]
    [ValidateNotNullOrEmpty]
    public string ConnectionFile { get; set; } = "";

    /// <inheritdoc/>
    protected override void EndProcessing()
    {
        string path = ResolveFilePath(ConnectionFile);
        ConnectionInfo connection;
        try
        {
            connection = ConnectionInfo.Load(path);
        }
        catch (AnalysisException e)
        {
            ThrowTerminatingError(new ErrorRecord(e, ErrorIds.For(e.Kind, "ConnectionFile").Id, ErrorIds.For(e.Kind, "ConnectionFile").Category, path));
            return;
        }

        string directory = SessionState.Path.CurrentFileSystemLocation.ProviderPath;
        var version = (SessionState.PSVariable.GetValue("PSVersionTable") as Hashtable)?["PSVersion"]?.ToString() ?? "";
        var options = new KernelServerOptions
        {
            Kernels = new Dictionary<string, KernelFactory>(StringComparer.Ordinal)
            {
                ["pwsh"] = NotebookKernels.PowerShell,
                ["csharp"] = wd => new CSharpKernel(wd),
            },
            WorkingDirectory = directory,
            LanguageVersion = version,
        };
        using var server = new KernelServer(connection, options);
        try
        {
            server.RunAsync(CancellationToken).GetAwaiter().GetResult();
        }
        catch (AnalysisException e)
        {
            ThrowTerminatingError(new ErrorRecord(e, "KernelFailed", ErrorCategory.ResourceUnavailable, path));
        }
    }
}
