using System.Management.Automation;
using Analysis.Dumps;

namespace Analysis.PowerShell.Commands;

/// <summary>The thread pool in a dump: busy and idle workers and what the busy ones run, queued work items, timers, starvation.</summary>
[Cmdlet(VerbsCommon.Get, "DumpThreadPool", DefaultParameterSetName = DumpSet)]
[OutputType(typeof(ThreadPoolReport))]
public sealed class GetDumpThreadPoolCommand : DumpCmdlet
{
    protected override void ProcessDump(DumpSession session)
    {
        var report = RunWithProgress("Reading the thread pool", (_, ct) => session.GetThreadPool(ct));
        foreach (string warning in report.Warnings)
            WriteWarning(warning);
        WriteResult(report);
    }
}
