using System.Management.Automation;
using Analysis.Dumps;
using Analysis.Findings;

namespace Analysis.PowerShell.Commands;

/// <summary>Triages a dump: a short ordered list of findings with their evidence.</summary>
/// <remarks>
/// <para>
/// Runs the dump analyses and returns Finding objects (Severity, Kind, Summary, Evidence, ThreadIds, Subject), most severe
/// first: the crash, out of memory (SOS analyzeoom: the GC's record of an allocation it could not satisfy), deadlocks, thread-pool starvation and a blocked finalizer (Critical); sync over async, exceptions in flight,
/// leak suspects (application types with many objects, ranked by retained size, with their root path) and stuck
/// awaits (Warning); heap size (Info).
/// </para>
/// <para>
/// The crash: for a dump the runtime wrote when the process crashed (DOTNET_DbgEnableMiniDump=1), the crash report
/// createdump writes beside it (dump.crashreport.json, with DOTNET_EnableCrashReport=1) names the crashing thread and
/// the unhandled exception; the finding tells it with the exception's message and top frames (with source lines when
/// the PDBs are found) read from the dump. Without a report, a thread caught dispatching an exception is a warning.
/// </para>
/// <para>
/// On a dump without heap only exceptions and thread states can be checked, and a finding says so.
/// Export-IncidentReport puts these findings first.
/// </para>
/// </remarks>
/// <example>
/// <code>Get-DumpTriage ./app.dmp</code>
/// <para>
/// E.g. deadlock: 3 threads (worker-a, worker-b, worker-c) wait for each other on Contoso.Sync.AccountLock …;
/// thread-pool starvation: 4 of 4 workers busy …; leak suspect: 2,500 Contoso.Retention.CustomerSession held by static
/// Contoso.Retention.SessionRegistry.Sessions …
/// </para>
/// </example>
/// <example>
/// <code>Get-DumpTriage ./app.dmp -MinimumSeverity Critical | ForEach-Object { $_.Summary; $_.Evidence }</code>
/// <para>Only what stops the process, with its evidence.</para>
/// </example>
/// <example>
/// <code>Get-DumpTriage ./app.dmp -SkipHeap</code>
/// <para>The findings that need no object graph (deadlocks, starvation, finalizer, exceptions): fast on a huge dump.</para>
/// </example>
[Cmdlet(VerbsCommon.Get, "DumpTriage", DefaultParameterSetName = DumpSet)]
[OutputType(typeof(Finding))]
public sealed class GetDumpTriageCommand : DumpCmdlet
{
    /// <summary>Skip the findings that need the object graph (leak suspects, async, heap): fast on huge dumps.</summary>
    [Parameter]
    public SwitchParameter SkipHeap { get; set; }

    /// <summary>Only findings at least this severe (Info: all of them).</summary>
    [Parameter]
    public FindingSeverity MinimumSeverity { get; set; } = FindingSeverity.Info;

    /// <inheritdoc/>
    protected override void ProcessDump(DumpSession session)
    {
        var findings = RunWithProgress("Triage", (progress, ct) => DumpTriage.Run(session, new TriageOptions { SkipHeap = SkipHeap }, progress, ct));
        foreach (var finding in findings.Where(f => f.Severity <= MinimumSeverity))
            WriteResult(finding);
    }
}
