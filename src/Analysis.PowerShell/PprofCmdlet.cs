using System.Management.Automation;
using Analysis.Go;

namespace Analysis.PowerShell;

/// <summary>A question about pprof profiles given by -Path/-LiteralPath or as loaded profiles (-Profile, from the pipeline).</summary>
public abstract class PprofCmdlet : FileInputCmdlet
{
    protected const string ProfileSet = "Profile";

    /// <summary>A profile from Import-Pprof; binds from the pipeline.</summary>
    [Parameter(Mandatory = true, ParameterSetName = ProfileSet, ValueFromPipeline = true)]
    public PprofProfile? Profile { get; set; }

    /// <summary>
    /// The value column: inuse_space, inuse_objects, alloc_space, alloc_objects (heap), cpu or samples (cpu), delay or
    /// contentions (block, mutex), goroutine. Without it, the profile's default column (pprof's rule).
    /// </summary>
    [Parameter]
    [ArgumentCompleter(typeof(Completers.SampleTypeCompleter))]
    public string? SampleIndex { get; set; }

    /// <summary>
    /// Subtract this profile first, like go tool pprof -base: a path, a file or a profile from Import-Pprof. The
    /// heap-growth question: what was allocated and kept between two heap snapshots.
    /// </summary>
    [Parameter]
    public object? Base { get; set; }

    /// <summary>Only samples with this label, 'key=value' (the value may be a wildcard), like pprof -tagfocus.</summary>
    [Parameter]
    public string? Label { get; set; }

    protected override string Artifact => "Profile";

    protected sealed override void ProcessFile(string path) => Answer(PprofProfile.Load(path));

    protected sealed override void ProcessOther()
    {
        if (Profile is null)
            return;
        CurrentSource = Profile.Path;
        try
        {
            Answer(Profile);
        }
        catch (AnalysisException e)
        {
            WriteAnalysisError(e, Artifact, e.Path); // the profile or the base, whichever failed
        }
    }

    private void Answer(PprofProfile profile)
    {
        try
        {
            if (Base is not null)
                profile = profile.Subtract(LoadBase(Base));
            Process(profile);
        }
        catch (ArgumentException e)
        {
            WriteError(new ErrorRecord(e, "InvalidLabelFilter", ErrorCategory.InvalidArgument, Label));
        }
    }

    /// <summary>Answers the question for one profile (already reduced by -Base) and writes the rows.</summary>
    protected abstract void Process(PprofProfile profile);

    private PprofProfile LoadBase(object value) => value switch
    {
        PprofProfile p => p,
        PSObject { BaseObject: PprofProfile p } => p,
        FileInfo f => PprofProfile.Load(f.FullName),
        PSObject { BaseObject: FileInfo f } => PprofProfile.Load(f.FullName),
        _ => PprofProfile.Load(ResolveFilePath(value.ToString() ?? "")),
    };
}
