using System.Management.Automation;
using Analysis.Traces;

namespace Analysis.PowerShell.Commands;

/// <summary>Writes sampled stacks as folded text or speedscope JSON for flame-graph viewers; returns the file.</summary>
[Cmdlet(VerbsData.Export, "TraceStacks", DefaultParameterSetName = TraceSet, SupportsShouldProcess = true)]
[OutputType(typeof(FileInfo))]
public sealed class ExportTraceStacksCommand : TraceCmdlet
{
    [Parameter(Mandatory = true)]
    [ValidateNotNullOrEmpty]
    public string OutFile { get; set; } = "";

    /// <summary>
    /// Folded (one "root;…;leaf count" line per stack: flamegraph.pl, inferno) or Speedscope (JSON). Without it the
    /// format follows the file's extension: .folded, .txt, .collapsed → Folded; .json → Speedscope.
    /// </summary>
    [Parameter]
    public StackFormat? Format { get; set; }

    [Parameter]
    public int[]? Thread { get; set; }

    [Parameter]
    public SwitchParameter AllSamples { get; set; }

    /// <summary>Overwrite the file if it exists (without it, an existing file is an error and nothing is written).</summary>
    [Parameter]
    public SwitchParameter Force { get; set; }

    protected override void ProcessTrace(TraceSession session, TraceAnalysis analysis)
    {
        var format = Format ?? FormatOf(OutFile);
        if (format is null)
        {
            WriteError(new ErrorRecord(new PSArgumentException($"Cannot tell the stack format from the extension of '{OutFile}': name the file *.folded or *.json, or give -Format Folded|Speedscope."),
                "UnknownStackFormat", ErrorCategory.InvalidArgument, OutFile));
            return;
        }

        if (ConfirmOutputFile(OutFile, Force, $"Write {format} stacks") is not { } target)
            return;
        StackExport.Write(analysis, target, format.Value, AllSamples ? SampleFilter.All : SampleFilter.Managed, Thread,
            System.IO.Path.GetFileName(session.Path));
        WriteFileItem(target);
    }

    /// <summary>The format a file name asks for, or null when its extension says nothing.</summary>
    internal static StackFormat? FormatOf(string file) => System.IO.Path.GetExtension(file).ToUpperInvariant() switch
    {
        ".FOLDED" or ".TXT" or ".COLLAPSED" => StackFormat.Folded,
        ".JSON" => StackFormat.Speedscope,
        _ => null,
    };
}
