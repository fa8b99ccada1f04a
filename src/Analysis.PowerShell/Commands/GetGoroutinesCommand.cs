using System.Management.Automation;
using Analysis.Go;

namespace Analysis.PowerShell.Commands;

/// <summary>Reads a Go goroutine dump (debug=2, debug=1 or panic output) and returns its goroutines.</summary>
[Cmdlet(VerbsCommon.Get, "Goroutines")]
[OutputType(typeof(Goroutine))]
public sealed class GetGoroutinesCommand : FileInputCmdlet
{
    /// <summary>Only goroutines whose state (wait reason) matches this wildcard, e.g. 'chan*'.</summary>
    [Parameter]
    [SupportsWildcards]
    public string? State { get; set; }

    /// <summary>Only goroutines waiting at least this many minutes.</summary>
    [Parameter]
    [ValidateRange(0, int.MaxValue)]
    public int MinWaitMinutes { get; set; }

    protected override string Artifact => "GoroutineDump";

    protected override void ProcessFile(string path)
    {
        var dump = RunWithProgress("Reading goroutine dump", (progress, ct) => GoroutineDumpParser.ParseFile(path, progress, ct));
        GoCmdlets.ReportSkipped(this, dump.Skipped);
        var pattern = State is null ? null : new WildcardPattern(State, WildcardOptions.IgnoreCase);
        foreach (var g in dump.Goroutines)
        {
            if ((pattern is null || pattern.IsMatch(g.State)) && g.WaitMinutes >= MinWaitMinutes)
                WriteResult(g);
        }
    }
}
