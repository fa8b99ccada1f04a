using System.Management.Automation;
using Analysis.Traces;

namespace Analysis.PowerShell;

/// <summary>A cmdlet that asks a question of a trace given by -Path or as a session (-Trace, from the pipeline).</summary>
public abstract class TraceCmdlet : AnalysisCmdlet
{
    protected const string PathSet = "Path";
    protected const string TraceSet = "Trace";

    /// <summary>Path of the .nettrace file; binds from the pipeline by value or by property (FullName, PSPath).</summary>
    [Parameter(Mandatory = true, Position = 0, ParameterSetName = PathSet, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
    [Alias("PSPath", "FullName")]
    [ValidateNotNullOrEmpty]
    public string Path { get; set; } = "";

    /// <summary>A session from Import-Trace.</summary>
    [Parameter(Mandatory = true, ParameterSetName = TraceSet, ValueFromPipeline = true)]
    public TraceSession? Trace { get; set; }

    protected sealed override void ProcessRecord()
    {
        TraceSession? session = null;
        try
        {
            session = ParameterSetName == TraceSet ? Trace : RunspaceSessions.Current.Traces.GetOrOpen(ResolveFilePath(Path));
            if (session is null)
                return;
            bool firstRead = !session.IsRead;
            var analysis = RunWithProgress("Reading trace", (progress, ct) => session.GetAnalysis(progress, ct));
            if (firstRead || AlwaysWarn)
            {
                foreach (string warning in analysis.Warnings)
                    WriteWarning(warning);
            }

            ProcessTrace(session, analysis);
        }
        catch (AnalysisException e)
        {
            WriteAnalysisError(e, "Trace", session?.Path ?? (ParameterSetName == PathSet ? Path : null));
        }
    }

    /// <summary>Repeat data-quality warnings even when the trace was read before (Import-Trace does).</summary>
    protected virtual bool AlwaysWarn => false;

    /// <summary>Answers the question for one trace and writes the results.</summary>
    protected abstract void ProcessTrace(TraceSession session, TraceAnalysis analysis);
}
