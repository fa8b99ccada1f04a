using System.Management.Automation;
using System.Reflection;

namespace Analysis.PowerShell;

/// <summary>
/// Makes our public types nameable in scripts on import (<c>[Analysis.Reporting.Charts]::HeapTop(...)</c>,
/// <c>[Analysis.Dumps.HeapTypeStat[]]</c>): they live in the module's own load context, which PowerShell's type
/// resolution does not search, so each one is registered as a type accelerator under its full name. Closes open
/// sessions and removes the accelerators when the module is removed.
/// </summary>
public sealed class ModuleLifetime : IModuleAssemblyInitializer, IModuleAssemblyCleanup
{
    private static readonly Assembly[] s_public = [typeof(AnalysisException).Assembly, typeof(Reporting.Charts).Assembly, typeof(Notebooks.NotebookRunner).Assembly];

    public void OnImport()
    {
        var accelerators = Accelerators();
        if (accelerators is null)
            return;
        foreach (var type in s_public.SelectMany(a => a.GetExportedTypes()))
        {
            if (type.FullName is { } name && !type.IsNested)
                accelerators.Value.Add.Invoke(null, [name, type]);
        }
    }

    public void OnRemove(PSModuleInfo psModuleInfo)
    {
        RunspaceSessions.Current.CloseAll();
        var accelerators = Accelerators();
        if (accelerators is null)
            return;
        foreach (var type in s_public.SelectMany(a => a.GetExportedTypes()))
        {
            if (type.FullName is { } name && !type.IsNested)
                accelerators.Value.Remove.Invoke(null, [name]);
        }
    }

    /// <summary>PowerShell's type-accelerator table (internal; the API modules have used since PowerShell 3). Null if it changed.</summary>
    private static (MethodInfo Add, MethodInfo Remove)? Accelerators()
    {
        var table = typeof(PSObject).Assembly.GetType("System.Management.Automation.TypeAccelerators");
        var add = table?.GetMethod("Add", BindingFlags.Public | BindingFlags.Static, [typeof(string), typeof(Type)]);
        var remove = table?.GetMethod("Remove", BindingFlags.Public | BindingFlags.Static, [typeof(string)]);
        return add is null || remove is null ? null : (add, remove);
    }
}
