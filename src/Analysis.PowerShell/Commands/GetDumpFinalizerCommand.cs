using System.Management.Automation;
using Analysis.Dumps;

namespace Analysis.PowerShell.Commands;

/// <summary>Shows the finalizer thread and the objects waiting for finalization; detects a blocked finalizer.</summary>
/// <remarks>
/// <para>
/// Returns one FinalizerReport: the finalizer thread's id and frames, Finalizing (the type whose Finalize method is on
/// its stack), WaitingIn (the wait it is in while doing so), IsBlocked, Ready (objects dead and queued for their
/// finalizer, by type) and RegisteredCount (live objects registered for finalization).
/// </para>
/// <para>A finalizer that waits holds up every object queued behind it: their memory and handles are not released.</para>
/// </remarks>
/// <example>
/// <code>Get-DumpFinalizer ./app.dmp</code>
/// <para>
/// E.g. the finalizer running Contoso.Resources.LeakyHandle.Finalize(), waiting in WaitHandle.WaitOneNoCheck, with 57
/// objects queued behind it.
/// </para>
/// </example>
/// <example>
/// <code>(Get-DumpFinalizer ./app.dmp).Ready</code>
/// <para>What waits for finalization, by type.</para>
/// </example>
[Cmdlet(VerbsCommon.Get, "DumpFinalizer", DefaultParameterSetName = DumpSet)]
[OutputType(typeof(FinalizerReport))]
public sealed class GetDumpFinalizerCommand : DumpCmdlet
{
    /// <inheritdoc/>
    protected override void ProcessDump(DumpSession session) =>
        WriteResult(RunWithProgress("Reading the finalizer queue", (_, ct) => session.GetFinalizer(ct)));
}
