using System.Management.Automation;
using Analysis.Dumps;

namespace Analysis.PowerShell;

/// <summary>Closes open sessions when the module is removed.</summary>
public sealed class ModuleCleanup : IModuleAssemblyCleanup
{
    public void OnRemove(PSModuleInfo psModuleInfo) => RunspaceSessions.Current.CloseAll();
}
