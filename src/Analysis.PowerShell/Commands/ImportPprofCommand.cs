using System.Management.Automation;
using Analysis.Go;

namespace Analysis.PowerShell.Commands;

/// <summary>Reads a pprof profile (heap, allocs, cpu, block, mutex, goroutine).</summary>
/// <remarks>
/// <para>
/// Decodes a profile.proto file, gzip or raw, with our own wire reader: sample types, samples, locations with inlined
/// lines, functions, labels. The profile can then be asked several questions (Get-PprofTop, Get-PprofPeek,
/// Get-PprofTraces) without reading it again. The file is read through this PowerShell session's profile sessions
/// (see Open-GoProfile): importing it again, or giving its path to a pprof cmdlet, does not read it again while it is
/// unchanged.
/// </para>
/// <para>Truncated gzip and files that are not profiles give clear errors (ProfileTruncated, NotAProfile).</para>
/// </remarks>
/// <example>
/// <code>
/// $heap = Import-Pprof ./heap-2.pb.gz
/// $heap | Get-PprofTop -SampleIndex inuse_objects -Top 5
/// $heap | Get-PprofTraces -Top 3
/// </code>
/// <para>Loads a heap profile once and asks it two questions: which functions hold the most objects, and through which stacks.</para>
/// </example>
/// <example>
/// <code>(Import-Pprof ./cpu.pb.gz).SampleTypes</code>
/// <para>The value columns a profile has, to choose -SampleIndex from.</para>
/// </example>
[Cmdlet(VerbsData.Import, "Pprof", DefaultParameterSetName = PathSet)]
[OutputType(typeof(PprofProfile))]
public sealed class ImportPprofCommand : FileInputCmdlet
{
    /// <inheritdoc/>
    protected override string Artifact => "Profile";

    /// <inheritdoc/>
    protected override void ProcessFile(string path) => WriteObject(RunspaceSessions.Current.GoProfiles.GetOrOpen(path).GetProfile(CancellationToken));
}
