using System.Management.Automation;
using Analysis.Go;

namespace Analysis.PowerShell.Commands;

/// <summary>Opens a Go pprof profile once and returns a session that later commands reuse.</summary>
/// <remarks>
/// <para>
/// Reads and decodes a profile.proto file (heap, allocs, cpu, block, mutex, goroutine; gzip or raw) and keeps it for
/// this PowerShell session, like Open-Dump for dumps and Import-Trace for traces. Get-PprofTop, Get-PprofPeek,
/// Get-PprofTraces and Import-Pprof given the session, or the same path while the file is unchanged, answer from it
/// without reading the file again. Close-GoProfile releases it.
/// </para>
/// <para>Truncated gzip and files that are not profiles give clear errors (ProfileTruncated, NotAProfile).</para>
/// </remarks>
/// <example>
/// <code>
/// $heap = Open-GoProfile ./heap-2.pb.gz
/// $heap | Get-PprofTop -Top 5
/// $heap | Get-PprofPeek -Function '*orders.remember'
/// </code>
/// <para>Opens a heap profile once and asks it two questions.</para>
/// </example>
/// <example>
/// <code>
/// Open-GoProfile ./cpu.pb.gz | Out-Null
/// Get-PprofTop ./cpu.pb.gz -Top 5
/// Get-PprofTraces ./cpu.pb.gz -Top 3
/// </code>
/// <para>Questions that name the file by path use the session opened for it; the profile is read once.</para>
/// </example>
[Cmdlet(VerbsCommon.Open, "GoProfile", DefaultParameterSetName = PathSet)]
[OutputType(typeof(GoProfileSession))]
public sealed class OpenGoProfileCommand : FileInputCmdlet
{
    /// <inheritdoc/>
    protected override string Artifact => "Profile";

    /// <inheritdoc/>
    protected override void ProcessFile(string path)
    {
        var session = RunspaceSessions.Current.GoProfiles.GetOrOpen(path, keepOpen: true);
        _ = session.GetProfile(CancellationToken); // read now: a bad file says so here, not at the first question
        WriteObject(session);
    }
}
