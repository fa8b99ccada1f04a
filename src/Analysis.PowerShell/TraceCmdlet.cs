using System.Management.Automation;
using Analysis.Traces;

namespace Analysis.PowerShell;

/// <summary>A cmdlet that asks a question of traces given by -Path/-LiteralPath or as sessions (-Trace, from the pipeline).</summary>
public abstract class TraceCmdlet : FileInputCmdlet
{
    /// <summary>The parameter set of -Trace (an open session).</summary>
    protected const string TraceSet = "Trace";

    /// <summary>A session from Import-Trace; binds from the pipeline.</summary>
    [Parameter(Mandatory = true, ParameterSetName = TraceSet, ValueFromPipeline = true)]
    public TraceSession? Trace { get; set; }

    /// <inheritdoc/>
    protected override string Artifact => "Trace";

    /// <summary>Answers from the runspace's session of that trace (opened on first use); the first read writes the trace's warnings.</summary>
    protected sealed override void ProcessFile(string path) => Answer(RunspaceSessions.Current.Traces.GetOrOpen(path));

    /// <summary>Answers for the session given by -Trace.</summary>
    protected sealed override void ProcessOther()
    {
        if (Trace is null)
            return;
        try
        {
            Answer(Trace);
        }
        catch (AnalysisException e)
        {
            WriteAnalysisError(e, Artifact, Trace.Path);
        }
    }

    private void Answer(TraceSession session)
    {
        CurrentSource = session.Path;
        bool firstRead = !session.IsRead;
        var analysis = RunWithProgress("Reading trace", (progress, ct) => session.GetAnalysis(progress, ct));
        if (firstRead)
        {
            foreach (string warning in analysis.Warnings)
                WriteWarning(warning);
        }

        ProcessTrace(session, analysis);
    }

    /// <summary>Answers the question for one trace and writes the results (<see cref="AnalysisCmdlet.WriteResult"/>).</summary>
    protected abstract void ProcessTrace(TraceSession session, TraceAnalysis analysis);
}
