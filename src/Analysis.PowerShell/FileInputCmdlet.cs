using System.Management.Automation;

namespace Analysis.PowerShell;

/// <summary>
/// A cmdlet that reads files given by -Path (wildcards expanded, PowerShell's convention) or -LiteralPath (taken as
/// written; what Get-ChildItem output binds to through its PSPath property). Each file is answered in turn and the
/// rows written for it carry it as their Source. Subclasses may add a parameter set for an open session.
/// </summary>
public abstract class FileInputCmdlet : AnalysisCmdlet
{
    /// <summary>The parameter set of -Path (wildcards expanded).</summary>
    protected const string PathSet = "Path";
    /// <summary>The parameter set of -LiteralPath (taken as written).</summary>
    protected const string LiteralPathSet = "LiteralPath";

    /// <summary>
    /// The files to read. Relative paths resolve against the current location; wildcards (* ? [ ]) are expanded, each
    /// match read in turn. Binds from the pipeline by value (strings) and by the Path property.
    /// </summary>
    [Parameter(Mandatory = true, Position = 0, ParameterSetName = PathSet, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
    [SupportsWildcards]
    [ValidateNotNullOrEmpty]
    [SessionToPath]
    public string[] Path { get; set; } = [];

    /// <summary>
    /// The files to read, used exactly as written: no wildcard expansion (for names containing [ ] * ?). Binds from the
    /// pipeline by the PSPath (or FullName) property, so Get-ChildItem and Get-Item output can be piped in.
    /// </summary>
    [Parameter(Mandatory = true, ParameterSetName = LiteralPathSet, ValueFromPipelineByPropertyName = true)]
    [Alias("PSPath", "LP", "FullName")]
    [ValidateNotNullOrEmpty]
    public string[] LiteralPath { get; set; } = [];

    /// <summary>What the files are, for error ids and messages: "Dump" → DumpNotFound, "No dump file matches …".</summary>
    protected abstract string Artifact { get; }

    /// <summary>Answers each file -Path or -LiteralPath resolves to, or the subclass's own input (<see cref="ProcessOther"/>); a library error on one file is written as an error and the next file is read.</summary>
    protected override void ProcessRecord()
    {
        if (ParameterSetName is not (PathSet or LiteralPathSet))
        {
            ProcessOther();
            return;
        }

        bool literal = ParameterSetName == LiteralPathSet;
        foreach (string file in ResolveInputFiles(literal ? LiteralPath : Path, literal, Artifact))
        {
            CurrentSource = file;
            try
            {
                ProcessFile(file);
            }
            catch (AnalysisException e)
            {
                WriteAnalysisError(e, Artifact, e.Path ?? file);
            }
        }
    }

    /// <summary>Answers the question for one file (a file-system path; it may not exist — the library says so).</summary>
    protected abstract void ProcessFile(string path);

    /// <summary>Answers the question for input of the subclass's own parameter set (a session, pipeline objects).</summary>
    protected virtual void ProcessOther()
    {
    }
}

/// <summary>
/// A session given where a path is expected (<c>Get-HeapTop $session</c>) stands for its file, which the runspace
/// already has open, so the session's own options apply.
/// </summary>
[AttributeUsage(AttributeTargets.Property)]
internal sealed class SessionToPathAttribute : ArgumentTransformationAttribute
{
    public override object Transform(EngineIntrinsics engineIntrinsics, object inputData) => inputData switch
    {
        object[] items => items.Select(PathOf).ToArray(),
        _ => PathOf(inputData),
    };

    private static object PathOf(object item) => (item is PSObject pso ? pso.BaseObject : item) switch
    {
        Dumps.DumpSession d => d.Path,
        Traces.TraceSession t => t.Path,
        Go.GoProfileSession g => g.Path,
        Go.PprofProfile { Path: { } p } => p,
        Go.GoCore c => c.Path,
        _ => item,
    };
}
