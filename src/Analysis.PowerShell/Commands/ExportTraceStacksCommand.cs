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

    [Parameter]
    public StackFormat Format { get; set; } = StackFormat.Speedscope;

    [Parameter]
    public int[]? Thread { get; set; }

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
