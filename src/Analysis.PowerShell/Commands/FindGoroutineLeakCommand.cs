using System.Management.Automation;
using Analysis.Go;

namespace Analysis.PowerShell.Commands;

/// <summary>Finds leaked goroutines: many blocked for minutes on a channel, select or lock, with where they were created.</summary>
[Cmdlet(VerbsCommon.Find, "GoroutineLeak")]
[OutputType(typeof(LeakSuspect))]
public sealed class FindGoroutineLeakCommand : FileInputCmdlet
{
    [Parameter]
    [ValidateRange(1, int.MaxValue)]
    public int MinGoroutines { get; set; } = 10;

    [Parameter]
    [ValidateRange(0, int.MaxValue)]
    public int MinWaitMinutes { get; set; } = 1;

    protected override string Artifact => "GoroutineDump";

    protected override void ProcessFile(string path)
    {
        var dump = RunWithProgress("Reading goroutine dump", (progress, ct) => GoroutineDumpParser.ParseFile(path, progress, ct));
        GoCmdlets.ReportSkipped(this, dump.Skipped);
        foreach (var s in GoroutineLeaks.Find(dump, MinGoroutines, MinWaitMinutes))
            WriteResult(s);
    }
}
