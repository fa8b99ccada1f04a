using System.Management.Automation;
using Analysis.Dumps;

namespace Analysis.PowerShell;

/// <summary>A cmdlet that asks a question of dumps given by -Path/-LiteralPath or as sessions (-Dump, from the pipeline).</summary>
public abstract class DumpCmdlet : FileInputCmdlet
{
    /// <summary>The parameter set of -Dump (an open session).</summary>
    protected const string DumpSet = "Dump";

    /// <summary>DAC to use when the dump's runtime is not installed here (libmscordaccore.so of that exact runtime build).</summary>
    [Parameter(ParameterSetName = PathSet)]
    [Parameter(ParameterSetName = LiteralPathSet)]
    [ValidateNotNullOrEmpty]
    public string? DacPath { get; set; }

    /// <summary>Folders holding module files the dump refers to that are not at their recorded paths here (see Open-Dump).</summary>
    [Parameter(ParameterSetName = PathSet)]
    [Parameter(ParameterSetName = LiteralPathSet)]
    [ValidateNotNullOrEmpty]
    public string[]? SymbolPath { get; set; }

    /// <summary>Symbol server URLs to download missing module files from; without it no server is asked (see Open-Dump).</summary>
    [Parameter(ParameterSetName = PathSet)]
    [Parameter(ParameterSetName = LiteralPathSet)]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(Completers.SymbolServerCompleter))]
    public string[]? SymbolServer { get; set; }

    /// <summary>A session from Open-Dump; binds from the pipeline.</summary>
    [Parameter(Mandatory = true, ParameterSetName = DumpSet, ValueFromPipeline = true)]
    public DumpSession? Dump { get; set; }

    /// <inheritdoc/>
    protected override string Artifact => "Dump";

    /// <summary>Answers from the runspace's open session of that dump (unless -DacPath, -SymbolPath or -SymbolServer ask for other options), else opens one and writes its warnings.</summary>
    protected sealed override void ProcessFile(string path)
    {
        // A dump already open in this runspace (Open-Dump, with its options) answers; else open one, saying what it lacks.
        bool explicitOptions = DacPath is not null || SymbolPath is not null || SymbolServer is not null;
        var session = explicitOptions ? null : RunspaceSessions.Current.Dumps.FindOpen(path);
        if (session is null)
        {
            session = RunspaceSessions.Current.Dumps.GetOrOpen(path, new DumpOpenOptions
            {
                DacPath = DacPath is null ? null : ResolveFilePath(DacPath),
                SymbolPaths = SymbolPath?.Select(ResolveFilePath).ToArray(),
                SymbolServers = SymbolServer,
            }, cancellationToken: CancellationToken);
            foreach (string warning in session.Warnings)
                WriteWarning(warning);
        }

        Answer(session);
    }

    /// <summary>Answers for the session given by -Dump.</summary>
    protected sealed override void ProcessOther()
    {
        if (Dump is null)
            return;
        try
        {
            Answer(Dump);
        }
        catch (AnalysisException e)
        {
            WriteAnalysisError(e, Artifact, Dump.Path);
        }
    }

    private void Answer(DumpSession session)
    {
        CurrentSource = session.Path;
        ProcessDump(session);
    }

    /// <summary>Answers the question for one dump and writes the results (<see cref="AnalysisCmdlet.WriteResult"/>).</summary>
    protected abstract void ProcessDump(DumpSession session);

    /// <summary>
    /// Answers each address and writes the answer, after the warnings it carries; an address where no object is
    /// (NotAnObject) is one error record naming it, and the next address is answered.
    /// </summary>
    protected void AnswerEach<T>(IEnumerable<ulong> addresses, Func<ulong, T> answer, Func<T, IEnumerable<string>>? warnings = null)
        where T : notnull
    {
        foreach (ulong address in addresses)
        {
            T result;
            try
            {
                result = answer(address);
            }
            catch (AnalysisException e) when (e.Kind == AnalysisErrorKind.NotAnObject)
            {
                WriteAnalysisError(e, Artifact, address);
                continue;
            }

            foreach (string warning in warnings?.Invoke(result) ?? [])
                WriteWarning(warning);
            WriteResult(result);
        }
    }
}
