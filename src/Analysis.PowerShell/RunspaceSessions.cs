using System.Management.Automation.Runspaces;
using System.Runtime.CompilerServices;
using Analysis.Dumps;
using Analysis.Go;
using Analysis.Traces;

namespace Analysis.PowerShell;

/// <summary>
/// Each PowerShell session (runspace) has its own open dumps, traces, Go profiles and Go cores: Close-Dump -All in one runspace does not
/// pull sessions from under another, and a runspace's sessions are closed when it closes.
/// </summary>
internal sealed class RunspaceSessions
{
    private static readonly ConditionalWeakTable<Runspace, RunspaceSessions> s_all = new();

    public DumpSessionCache Dumps { get; } = new();

    public TraceSessionCache Traces { get; } = new();

    public GoProfileSessionCache GoProfiles { get; } = new();

    public GoCoreSessionCache GoCores { get; } = new();

    public static RunspaceSessions Current
    {
        get
        {
            var runspace = Runspace.DefaultRunspace ?? throw new InvalidOperationException("No runspace on this thread.");
            return s_all.GetValue(runspace, rs =>
            {
                var sessions = new RunspaceSessions();
                rs.StateChanged += (_, e) =>
                {
                    if (e.RunspaceStateInfo.State is RunspaceState.Closed or RunspaceState.Broken)
                        sessions.CloseAll();
                };
                return sessions;
            });
        }
    }

    public void CloseAll()
    {
        Dumps.CloseAll();
        Traces.CloseAll();
        GoProfiles.CloseAll();
        GoCores.CloseAll();
    }
}
