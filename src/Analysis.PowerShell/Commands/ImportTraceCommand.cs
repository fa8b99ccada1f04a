using System.Management.Automation;
using Analysis.Traces;

namespace Analysis.PowerShell.Commands;

/// <summary>Reads a .nettrace file once and returns a session that later commands reuse.</summary>
[Cmdlet(VerbsData.Import, "Trace")]
[OutputType(typeof(TraceSession))]
public sealed class ImportTraceCommand : AnalysisCmdlet
{
    [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
    [Alias("PSPath", "FullName")]
    [ValidateNotNullOrEmpty]
    public string Path { get; set; } = "";

    protected override void ProcessRecord()
    {
        try
        {
            var session = RunspaceSessions.Current.Traces.GetOrOpen(ResolveFilePath(Path), keepOpen: true);
            var analysis = RunWithProgress("Reading trace", (progress, ct) => session.GetAnalysis(progress, ct));
            foreach (string warning in analysis.Warnings)
                WriteWarning(warning);
            WriteObject(session);
        }
        catch (AnalysisException e)
        {
            WriteAnalysisError(e, "Trace", Path);
        }
    }
}
