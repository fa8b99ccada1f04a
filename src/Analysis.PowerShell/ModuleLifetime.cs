using System.Management.Automation;
using System.Reflection;

namespace Analysis.PowerShell;

/// <summary>
/// Makes our public types nameable in scripts (<c>[Analysis.Reporting.Charts]::HeapTop(...)</c>,
/// <c>[Analysis.Dumps.HeapTypeStat[]]</c>): they live in the module's own load context, which PowerShell's type
/// resolution does not search, so each one is registered once per process as a type accelerator under its full name.
/// PowerShell reads that table under a lock on it but does not take the lock when adding, so we do: runspaces that
/// import the module at the same time (ForEach-Object -Parallel) must not see it half-updated. Registrations stay
/// when the module is removed (the types stay loaded; another runspace may still use them). Open sessions are
/// closed when the module is removed. Importing also starts the worker process the dumps of this process
/// share (<see cref="Isolation.SharedWorker"/>), so its start overlaps with the import.
/// </summary>
public sealed class ModuleLifetime : IModuleAssemblyInitializer, IModuleAssemblyCleanup
{
    private static readonly Assembly[] s_public = [typeof(AnalysisException).Assembly, typeof(Reporting.Charts).Assembly, typeof(Notebooks.NotebookRunner).Assembly];
    private static readonly object s_gate = new();
    private static bool s_registered;

    /// <summary>Starts the shared dump worker (see <see cref="Isolation.SharedWorker"/>); registers every exported type of the core, Reporting and Notebooks assemblies as a type accelerator under its full name, once per process.</summary>
    public void OnImport()
    {
        // the first dump opened takes a worker process started now, its start overlapping with the rest of the import
        Isolation.SharedWorker.Start();
        lock (s_gate)
        {
            if (s_registered)
                return;
            s_registered = true;
            var table = typeof(PSObject).Assembly.GetType("System.Management.Automation.TypeAccelerators");
            var add = table?.GetMethod("Add", BindingFlags.Public | BindingFlags.Static, [typeof(string), typeof(Type)]);
            var readers = table?.GetField("userTypeAccelerators", BindingFlags.NonPublic | BindingFlags.Static)?.GetValue(null);
            if (add is null || readers is null)
                return; // PowerShell changed its internals: [Analysis.*] type literals will not resolve, the cmdlets still work
            var types = s_public.SelectMany(a => a.GetExportedTypes()).Where(t => !t.IsNested && t.FullName is not null).ToArray();
            lock (readers)
            {
                foreach (var type in types)
                    add.Invoke(null, [type.FullName!, type]);
            }
        }
    }

    /// <summary>Closes every session this runspace opened, and retires the shared dump worker (it ends once no dump is open in it).</summary>
    public void OnRemove(PSModuleInfo psModuleInfo)
    {
        RunspaceSessions.Current.CloseAll();
        Isolation.SharedWorker.Drop();
    }
}
