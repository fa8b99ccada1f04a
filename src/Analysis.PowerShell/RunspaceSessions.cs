using System.Management.Automation.Runspaces;
using System.Runtime.CompilerServices;
using Analysis.Dumps;

namespace Analysis.PowerShell;

/// <summary>
/// Each PowerShell session (runspace) has its own set of open dumps: Close-Dump -All in one runspace does not
/// pull sessions from under another, and a runspace's dumps are closed when it closes.
/// </summary>
internal static class RunspaceSessions
{
    private static readonly ConditionalWeakTable<Runspace, DumpSessionCache> s_caches = new();

    public static DumpSessionCache Current
    {
        get
        {
            var runspace = Runspace.DefaultRunspace ?? throw new InvalidOperationException("No runspace on this thread.");
            return s_caches.GetValue(runspace, rs =>
            {
                var cache = new DumpSessionCache();
                rs.StateChanged += (_, e) =>
                {
                    if (e.RunspaceStateInfo.State is RunspaceState.Closed or RunspaceState.Broken)
                        cache.CloseAll();
                };
                return cache;
            });
        }
    }
}
