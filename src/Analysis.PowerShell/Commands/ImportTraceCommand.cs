using System.Management.Automation;
using Analysis.Traces;

namespace Analysis.PowerShell.Commands;

/// <summary>Reads a .nettrace file once and returns a session that later commands reuse.</summary>
/// <remarks>
/// <para>
/// Reads the trace in one streaming pass (GC analysis, CPU samples, exceptions, contention, with stacks resolved from
/// the runtime's method events; no .etlx file is written) and keeps the result for the session.
/// </para>
/// <para>
/// Data-quality problems (a truncated file, events the runtime dropped, missing rundown) are written as warnings;
/// what could be read is kept.
/// </para>
/// </remarks>
/// <example>
/// <code>
/// $t = Import-Trace ./app.nettrace
/// $t | Get-TraceGcSummary
/// $t | Get-TraceCpuTop -Top 10
/// </code>
/// <para>Reads the trace once and asks two questions of it.</para>
/// </example>
/// <example>
/// <code>Get-ChildItem . -Filter app.nettrace | Import-Trace | Get-TraceExceptions | Group-Object Type</code>
/// <para>Files from Get-ChildItem bind by their path; here the exceptions thrown during the trace, by type.</para>
/// </example>
[Cmdlet(VerbsData.Import, "Trace", DefaultParameterSetName = PathSet)]
[OutputType(typeof(TraceSession))]
public sealed class ImportTraceCommand : FileInputCmdlet
{
    /// <inheritdoc/>
    protected override string Artifact => "Trace";

    /// <inheritdoc/>
    protected override void ProcessFile(string path)
    {
        var session = RunspaceSessions.Current.Traces.GetOrOpen(path, keepOpen: true);
        var analysis = RunWithProgress("Reading trace", (progress, ct) => session.GetAnalysis(progress, ct));
        foreach (string warning in analysis.Warnings)
            WriteWarning(warning);
        WriteObject(session);
    }
}
