using System.Management.Automation;
using Analysis.Traces;

namespace Analysis.PowerShell.Commands;

/// <summary>Reads a .nettrace file once and returns a session that later commands reuse.</summary>
[Cmdlet(VerbsData.Import, "Trace")]
[OutputType(typeof(TraceSession))]
public sealed class ImportTraceCommand : FileInputCmdlet
{
    protected override string Artifact => "Trace";

    protected override void ProcessFile(string path)
    {
        var session = RunspaceSessions.Current.Traces.GetOrOpen(path, keepOpen: true);
        var analysis = RunWithProgress("Reading trace", (progress, ct) => session.GetAnalysis(progress, ct));
        foreach (string warning in analysis.Warnings)
            WriteWarning(warning);
        WriteObject(session);
    }
}
