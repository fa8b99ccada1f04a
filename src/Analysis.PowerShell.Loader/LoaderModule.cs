using System.Management.Automation;

namespace Analysis.PowerShell.Loader;

/// <summary>Runs when the manifest imports this nested module, before the cmdlet assembly is analyzed.</summary>
public sealed class LoaderModule : IModuleAssemblyInitializer
{
    public void OnImport() => ModuleLoadContext.Register();
}
