using System.Management.Automation;
using Analysis.Traces;

namespace Analysis.PowerShell.Commands;

/// <summary>Writes sampled stacks as folded text or speedscope JSON for flame-graph viewers.</summary>
/// <remarks>
/// <para>
/// Folded: one 'root;…;leaf count' line per stack (flamegraph.pl, inferno). Speedscope: speedscope's JSON file format
/// with one sampled profile per thread; open it at speedscope.app or in the speedscope viewer offline. Returns the file.
/// </para>
/// </remarks>
/// <example>
/// <code>Export-TraceStacks ./app.nettrace -OutFile ./app.speedscope.json</code>
/// <para>A flame graph for speedscope.</para>
/// </example>
/// <example>
/// <code>Export-TraceStacks ./app.nettrace -Format Folded -OutFile ./app.folded</code>
/// <para>Folded stacks for flamegraph.pl.</para>
/// </example>
[Cmdlet(VerbsData.Export, "TraceStacks", DefaultParameterSetName = TraceSet, SupportsShouldProcess = true)]
[OutputType(typeof(FileInfo))]
public sealed class ExportTraceStacksCommand : TraceCmdlet
{
    /// <summary>The file to write; its extension chooses the format unless -Format is given (.folded, .txt, .collapsed: folded text; .json: speedscope). Not overwritten without -Force.</summary>
    [Parameter(Mandatory = true)]
    [ValidateNotNullOrEmpty]
    public string OutFile { get; set; } = "";

    /// <summary>
    /// Folded (one "root;…;leaf count" line per stack: flamegraph.pl, inferno) or Speedscope (JSON). Without it the
    /// format follows the file's extension: .folded, .txt, .collapsed → Folded; .json → Speedscope.
    /// </summary>
    [Parameter]
    public StackFormat? Format { get; set; }

    /// <summary>Only these OS thread ids.</summary>
    [Parameter]
    public int[]? Thread { get; set; }

    /// <summary>
    /// Count all samples (wall-clock, waiting threads included); by default only samples of threads running managed
    /// code (CPU).
    /// </summary>
    [Parameter]
    public SwitchParameter AllSamples { get; set; }

    /// <summary>Overwrite the file if it exists (without it, an existing file is an error and nothing is written).</summary>
    [Parameter]
    public SwitchParameter Force { get; set; }

    /// <inheritdoc/>
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
