using System.Management.Automation;
using Analysis.Dumps;

namespace Analysis.PowerShell.Commands;

/// <summary>
/// A short ordered list of findings with evidence: deadlocks, thread-pool starvation, a blocked finalizer, sync over
/// async, exceptions in flight, leak suspects with root paths, stuck awaits, heap size.
/// </summary>
[Cmdlet(VerbsCommon.Get, "DumpTriage", DefaultParameterSetName = DumpSet)]
[OutputType(typeof(Finding))]
public sealed class GetDumpTriageCommand : DumpCmdlet
{
    /// <summary>Skip the findings that need the object graph (leak suspects, async, heap): fast on huge dumps.</summary>
    [Parameter]
    public SwitchParameter SkipHeap { get; set; }

    /// <summary>Only findings at least this severe.</summary>
    [Parameter]
    public FindingSeverity MinimumSeverity { get; set; } = FindingSeverity.Info;

    protected override void ProcessDump(DumpSession session)
    {
        var findings = RunWithProgress("Triage", (progress, ct) => DumpTriage.Run(session, new TriageOptions { SkipHeap = SkipHeap }, progress, ct));
        foreach (var finding in findings.Where(f => f.Severity <= MinimumSeverity))
            WriteResult(finding);
    }
}
