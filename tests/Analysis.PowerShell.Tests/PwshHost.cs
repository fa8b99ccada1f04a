using System.Collections.ObjectModel;
using System.Management.Automation;
using System.Management.Automation.Runspaces;
using Analysis.Testing;

namespace Analysis.PowerShell.Tests;

/// <summary>
/// A hosted PowerShell runspace (Microsoft.PowerShell.SDK 7.6.9, the full cmdlet set) with the built module imported from
/// artifacts/module/Analysis. One host per test; commands in it share state like an interactive session.
/// </summary>
public sealed class PwshHost : IDisposable
{
    private readonly Runspace _runspace;

    public PwshHost()
    {
        _runspace = RunspaceFactory.CreateRunspace(InitialSessionState.CreateDefault2());
        _runspace.Open();
        var import = Run($"Import-Module '{RepoPaths.ModuleManifest}' -ErrorAction Stop");
        if (import.Errors.Count > 0)
            throw new InvalidOperationException("Import-Module failed: " + import.Errors[0]);
    }

    public Runspace Runspace => _runspace;

    public sealed record Result(Collection<PSObject> Output, IReadOnlyList<ErrorRecord> Errors, IReadOnlyList<ProgressRecord> Progress, IReadOnlyList<WarningRecord> Warnings)
    {
        public IEnumerable<string> Strings => Output.Select(o => o?.BaseObject?.ToString() ?? "");
    }

    /// <summary>Runs a script; variables are set first (like papermill parameters).</summary>
    public Result Run(string script, IDictionary<string, object?>? variables = null)
    {
        using var ps = System.Management.Automation.PowerShell.Create(_runspace);
        if (variables is not null)
        {
            foreach (var (name, value) in variables)
                _runspace.SessionStateProxy.SetVariable(name, value);
        }

        ps.AddScript(script);
        var output = ps.Invoke();
        return new Result(output, ps.Streams.Error.ToArray(), ps.Streams.Progress.ToArray(), ps.Streams.Warning.ToArray());
    }

    public void Dispose()
    {
        using var ps = System.Management.Automation.PowerShell.Create(_runspace);
        ps.AddScript("Close-Dump -All").Invoke();
        _runspace.Dispose();
    }
}
