using System.Management.Automation;

namespace Analysis.PowerShell.Loader;

/// <summary>Runs when the manifest imports this nested module, before the cmdlet assembly is analyzed.</summary>
public sealed class LoaderModule : IModuleAssemblyInitializer
{
    /// <summary>Points the host's failed assembly lookups for the module's lib/ dependencies at <see cref="ModuleLoadContext"/> (once per process).</summary>
    public void OnImport() => ModuleLoadContext.Register();
}
