using System.Management.Automation;
using Analysis.Dumps;

namespace Analysis.PowerShell.Commands;

/// <summary>Lists the managed threads of a dump: names, states, stacks, exceptions, locks and deadlocks.</summary>
[Cmdlet(VerbsCommon.Get, "DumpThreads", DefaultParameterSetName = DumpSet)]
[OutputType(typeof(DumpThread))]
public sealed class GetDumpThreadsCommand : DumpCmdlet
{
    /// <summary>Only threads whose name matches this wildcard.</summary>
    [Parameter]
    [SupportsWildcards]
    [ArgumentCompleter(typeof(Completers.ThreadNameCompleter))]
    public string? Name { get; set; }

    /// <summary>Only threads in one of these states.</summary>
    [Parameter]
    public DumpThreadState[]? State { get; set; }

    protected override void ProcessDump(DumpSession session)
    {
        var threads = RunWithProgress("Reading threads", (_, ct) => session.GetThreads(ct));
        IEnumerable<DumpThread> rows = threads;
        if (Name is not null)
        {
            var pattern = new WildcardPattern(Name, WildcardOptions.IgnoreCase);
            rows = rows.Where(t => pattern.IsMatch(t.Name ?? ""));
        }

        if (State is { Length: > 0 } states)
            rows = rows.Where(t => states.Contains(t.State));
        foreach (var t in rows)
            WriteResult(t);
    }
}
