using System.Management.Automation;
using Analysis.Go;

namespace Analysis.PowerShell;

/// <summary>A question about a pprof profile given by -Path or as a loaded profile (-Profile, from the pipeline).</summary>
public abstract class PprofCmdlet : AnalysisCmdlet
{
    protected const string PathSet = "Path";
    protected const string ProfileSet = "Profile";

    [Parameter(Mandatory = true, Position = 0, ParameterSetName = PathSet, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
    [Alias("PSPath", "FullName")]
    [ValidateNotNullOrEmpty]
    public string Path { get; set; } = "";

    [Parameter(Mandatory = true, ParameterSetName = ProfileSet, ValueFromPipeline = true)]
    public PprofProfile? Profile { get; set; }

    /// <summary>
    /// The value column: inuse_space, inuse_objects, alloc_space, alloc_objects (heap), cpu or samples (cpu), delay or
    /// contentions (block, mutex), goroutine. Without it, the profile's default column (pprof's rule).
    /// </summary>
    [Parameter]
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

    protected sealed override void ProcessRecord()
    {
        try
        {
            var profile = ParameterSetName == PathSet ? PprofProfile.Load(ResolveFilePath(Path)) : Profile!;
            if (Base is not null)
                profile = profile.Subtract(LoadBase(Base));
            Process(profile);
        }
        catch (AnalysisException e)
        {
            WriteAnalysisError(e, "Profile", e.Path); // the profile or the base, whichever failed
        }
        catch (ArgumentException e)
        {
            WriteError(new ErrorRecord(e, "InvalidLabelFilter", ErrorCategory.InvalidArgument, Label));
        }
    }

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
