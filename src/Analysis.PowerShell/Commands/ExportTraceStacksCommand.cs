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
    [Parameter(Mandatory = true)]
    [ValidateNotNullOrEmpty]
    public string OutFile { get; set; } = "";

    /// <summary>The file format.</summary>
    [Parameter]
    public StackFormat Format { get; set; } = StackFormat.Speedscope;

    /// <summary>Only these OS thread ids.</summary>
    [Parameter]
    public int[]? Thread { get; set; }

    /// <summary>
    /// Count all samples (wall-clock, waiting threads included); by default only samples of threads running managed
    /// code (CPU).
    /// </summary>
    [Parameter]
    public SwitchParameter AllSamples { get; set; }

    protected override void ProcessTrace(TraceSession session, TraceAnalysis analysis)
    {
        string target = ResolveFilePath(OutFile);
        if (!ShouldProcess(target, $"Write {Format} stacks"))
            return;
        StackExport.Write(analysis, target, Format, AllSamples ? SampleFilter.All : SampleFilter.Managed, Thread,
            System.IO.Path.GetFileName(session.Path));
        WriteObject(new FileInfo(target));
    }
}
