using System.Management.Automation;
using Analysis.Dumps;

namespace Analysis.PowerShell.Commands;

/// <summary>Captures a dump of a running .NET process and returns the file.</summary>
[Cmdlet(VerbsCommon.New, "Dump", SupportsShouldProcess = true)]
[OutputType(typeof(FileInfo))]
public sealed class NewDumpCommand : AnalysisCmdlet
{
    [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true)]
    [Alias("Id", "Pid")]
    public int ProcessId { get; set; }

    /// <summary>Where to write the dump.</summary>
    [Parameter(Mandatory = true, Position = 1)]
    [ValidateNotNullOrEmpty]
    public string Path { get; set; } = "";

    [Parameter]
    public DumpKind Kind { get; set; } = DumpKind.WithHeap;

    [Parameter]
    public DumpCaptureTool Tool { get; set; } = DumpCaptureTool.DiagnosticsClient;

    /// <summary>Overwrite the file if it exists (without it, an existing file is an error and nothing is written).</summary>
    [Parameter]
    public SwitchParameter Force { get; set; }

    protected override void ProcessRecord()
    {
        if (ConfirmOutputFile(Path, Force, $"Write a {Kind} dump of process {ProcessId}") is not { } target)
            return;
        try
        {
            RunWithProgress("Writing dump", (_, ct) =>
            {
                DumpCapture.Write(ProcessId, target, Kind, Tool, ct);
                return 0;
            });
            WriteFileItem(target);
        }
        catch (AnalysisException e)
        {
            WriteAnalysisError(e, "Dump", ProcessId);
        }
    }
}
