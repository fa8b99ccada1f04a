using System.Management.Automation;
using Analysis.Go;

namespace Analysis.PowerShell;

/// <summary>
/// A question about pprof profiles given by -Path/-LiteralPath (read through this runspace's profile sessions, so a
/// profile opened before, or asked about before, is not read again), as sessions (-Session, from Open-GoProfile) or as
/// loaded profiles (-Profile, from Import-Pprof), the last two from the pipeline.
/// </summary>
public abstract class PprofCmdlet : FileInputCmdlet
{
    /// <summary>The parameter set of -Profile and -Session (the default).</summary>
    protected const string ProfileSet = "Profile";

    // -Profile and -Session share one parameter set, the default: a piped session then binds to -Session by type
    // instead of being ambiguous with -Path, which it could also bind to by its Path property.

    /// <summary>A profile from Import-Pprof; binds from the pipeline.</summary>
    [Parameter(ParameterSetName = ProfileSet, ValueFromPipeline = true)]
    public PprofProfile? Profile { get; set; }

    /// <summary>A session from Open-GoProfile; binds from the pipeline.</summary>
    [Parameter(ParameterSetName = ProfileSet, ValueFromPipeline = true)]
    public GoProfileSession? Session { get; set; }

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
    [Alias("Base")] // go tool pprof's name
    public object? Baseline { get; set; }

    /// <summary>Only samples with this label, 'key=value' (the value may be a wildcard), like pprof -tagfocus.</summary>
    [Parameter]
    public string? Label { get; set; }

    /// <inheritdoc/>
    protected override string Artifact => "Profile";

    /// <summary>Fails at once when the -Profile set is used with no profile, no session and nothing piped in.</summary>
    protected override void BeginProcessing()
    {
        base.BeginProcessing();
        if (ParameterSetName == ProfileSet && Profile is null && Session is null && !MyInvocation.ExpectingInput)
        {
            ThrowTerminatingError(new ErrorRecord(new PSArgumentException("Give the profile: -Path, -LiteralPath, -Profile (from Import-Pprof) or -Session (from Open-GoProfile), or pipe it in."),
                "ProfileMissing", ErrorCategory.InvalidArgument, null));
        }
    }

    /// <summary>Reads the profile through this runspace's profile sessions and answers it.</summary>
    protected sealed override void ProcessFile(string path) => Answer(Read(path));

    /// <summary>Answers for the -Profile or -Session given (the session's profile is read once while the file is unchanged).</summary>
    protected sealed override void ProcessOther()
    {
        if (Profile is null && Session is null)
            return;
        CurrentSource = Profile?.Path ?? Session!.Path;
        try
        {
            Answer(Profile ?? Session!.GetProfile(CancellationToken));
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
            if (Baseline is not null)
                profile = profile.Subtract(LoadBaseline(Baseline));
            Process(profile);
        }
        catch (ArgumentException e)
        {
            WriteError(new ErrorRecord(e, "InvalidLabelFilter", ErrorCategory.InvalidArgument, Label));
        }
    }

    /// <summary>Answers the question for one profile (already reduced by -Baseline) and writes the rows.</summary>
    protected abstract void Process(PprofProfile profile);

    /// <summary>A profile file, through this runspace's open profile sessions (read once while unchanged).</summary>
    private PprofProfile Read(string path) => RunspaceSessions.Current.GoProfiles.GetOrOpen(path).GetProfile(CancellationToken);

    private PprofProfile LoadBaseline(object value) => (value is PSObject pso ? pso.BaseObject : value) switch
    {
        PprofProfile p => p,
        GoProfileSession s => s.GetProfile(CancellationToken),
        FileInfo f => Read(f.FullName),
        _ => Read(ResolveFilePath(value.ToString() ?? "")),
    };
}
