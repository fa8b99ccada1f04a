using Analysis.Testing;
using Xunit;

namespace Analysis.Pwsh.Tests;

/// <summary>
/// The module in the other PowerShell users run it in: the PowerShell 7.5.4 that the .NET Interactive kernel
/// (the dotnet-interactive tool of the repository's tool manifest) hosts inside its .NET 10 process, driven over the
/// kernel's own stdio protocol — alone, and after C# code in the same kernel loaded our core assembly first.
/// </summary>
public sealed class KernelHostTests : IDisposable
{
    private readonly KernelSession _kernel = new(RepoPaths.Root);

    public void Dispose() => _kernel.Dispose();

    private sealed record Outcome(bool Succeeded, string Failure, List<string> Output);

    /// <summary>Submits code to one of the kernel's subkernels; its text/plain output, line by line.</summary>
    private Outcome Submit(string kernel, string code)
    {
        var r = _kernel.Submit(kernel, code, TimeSpan.FromMinutes(4));
        var lines = r.Outputs.Where(o => o.EventType is "StandardOutputValueProduced" or "ReturnValueProduced")
            .SelectMany(o => (o.Text ?? "").Split('\n').Select(l => l.TrimEnd('\r')).Where(l => l.Length > 0)).ToList();
        return new Outcome(r.Succeeded, r.Failure, lines);
    }

    private static string Demo(string name) => DemoFiles.File(name);

    [Fact]
    public void PowerShellKernel_754_ImportsTheModule_WithItsDependenciesInTheModuleContext()
    {
        var r = Submit("pwsh", $"""
            Import-Module '{RepoPaths.ModuleManifest}'
            $PSVersionTable.PSVersion.ToString()
            (Get-HeapTop '{Demo("app.dmp")}' -Top 1).TypeName
            [Runtime.Loader.AssemblyLoadContext]::GetLoadContext([Analysis.Dumps.DumpSession].Assembly).Name
            """);
        Assert.True(r.Succeeded, r.Failure);
        Assert.Equal("7.5.4", r.Output[0]);
        Assert.Equal(TargetFacts.LeakedOrderType, r.Output[1]);
        Assert.StartsWith("Analysis module (", r.Output[2], StringComparison.Ordinal);
    }

    [Fact]
    public void CoreLoadedFirstByCSharp_TheModuleUsesThatCopy_SoObjectsCrossBetweenTheKernels()
    {
        // As when the notebook extension (which bundles our core) was loaded before Import-Module.
        string core = Path.Combine(Path.GetDirectoryName(RepoPaths.ModuleManifest)!, "lib", "Analysis.dll");
        var cs = Submit("csharp", $"""
            #r "{core}"
            var csharpType = typeof(Analysis.Dumps.DumpSession);
            System.Runtime.Loader.AssemblyLoadContext.GetLoadContext(csharpType.Assembly).Name
            """);
        Assert.True(cs.Succeeded, cs.Failure);

        var ps = Submit("pwsh", $"""
            Import-Module '{RepoPaths.ModuleManifest}'
            $d = Open-Dump '{Demo("app.dmp")}'
            (Get-HeapTop -Dump $d -Top 1).TypeName
            $d.GetType().AssemblyQualifiedName
            """);
        Assert.True(ps.Succeeded, ps.Failure);
        Assert.Equal(TargetFacts.LeakedOrderType, ps.Output[0]);

        // the pwsh session object is the C# kernel's type: one identity, so the extension's formatters apply to it
        var back = Submit("csharp", """
            #!set --name d --value @pwsh:d --byref
            (d is Analysis.Dumps.DumpSession s) + " " + System.IO.Path.GetFileName(((Analysis.Dumps.DumpSession)d).Path)
            """);
        Assert.True(back.Succeeded, back.Failure);
        Assert.Equal("True app.dmp", Assert.Single(back.Output));
    }
}
