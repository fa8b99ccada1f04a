using System.Management.Automation;
using Analysis.Dumps;

namespace Analysis.PowerShell.Commands;

/// <summary>The finalizer thread (which finalizer it runs, whether it waits) and the objects queued for finalization.</summary>
[Cmdlet(VerbsCommon.Get, "DumpFinalizer", DefaultParameterSetName = DumpSet)]
[OutputType(typeof(FinalizerReport))]
public sealed class GetDumpFinalizerCommand : DumpCmdlet
{
    protected override void ProcessDump(DumpSession session) =>
        WriteResult(RunWithProgress("Reading the finalizer queue", (_, ct) => session.GetFinalizer(ct)));
}
