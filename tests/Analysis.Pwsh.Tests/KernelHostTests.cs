using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Nodes;
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
    private readonly Process _kernel;
    private readonly StreamWriter _input;
    private readonly StreamReader _output;
    private int _tokens;

    public KernelHostTests()
    {
        var psi = new ProcessStartInfo("dotnet") { WorkingDirectory = RepoPaths.Root, RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (string a in new[] { "interactive", "stdio", "--default-kernel", "pwsh" })
            psi.ArgumentList.Add(a);
        psi.Environment["DOTNET_INTERACTIVE_CLI_TELEMETRY_OPTOUT"] = "1";
        psi.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        _kernel = Process.Start(psi) ?? throw new InvalidOperationException("dotnet interactive did not start");
        _kernel.ErrorDataReceived += (_, _) => { };
        _kernel.BeginErrorReadLine();
        _input = _kernel.StandardInput;
        _output = _kernel.StandardOutput;
    }

    public void Dispose()
    {
        if (!_kernel.HasExited)
            _kernel.Kill(entireProcessTree: true);
        _kernel.Dispose();
    }

    private sealed record Outcome(bool Succeeded, string Failure, List<string> Output);

    /// <summary>Submits code to one of the kernel's subkernels and collects its text/plain output until it finishes.</summary>
    private Outcome Submit(string kernel, string code)
    {
        string token = "t" + Interlocked.Increment(ref _tokens);
        var envelope = new JsonObject
        {
            ["commandType"] = "SubmitCode",
            ["command"] = new JsonObject { ["code"] = code, ["targetKernelName"] = kernel },
            ["token"] = token,
        };
        _input.WriteLine(envelope.ToJsonString());
        _input.Flush();
        var output = new List<string>();
        var deadline = DateTime.UtcNow.AddMinutes(4);
        while (DateTime.UtcNow < deadline)
        {
            var read = _output.ReadLineAsync();
            if (!read.Wait(TimeSpan.FromMinutes(4)))
                break;
            if (read.Result is not { } line)
            {
                _kernel.WaitForExit(10_000);
                throw new InvalidOperationException($"the kernel process died (exit {(_kernel.HasExited ? _kernel.ExitCode : -1)}) running: {code}");
            }

            if (!line.StartsWith('{'))
                continue; // the tool's banner
            using var doc = JsonDocument.Parse(line);
            var root = doc.RootElement;
            if (!root.TryGetProperty("eventType", out var type))
                continue;
            string? commandToken = root.TryGetProperty("command", out var c) && c.ValueKind == JsonValueKind.Object && c.TryGetProperty("token", out var t) ? t.GetString() : null;
            switch (type.GetString())
            {
                case "StandardOutputValueProduced" or "ReturnValueProduced":
                    foreach (var value in root.GetProperty("event").GetProperty("formattedValues").EnumerateArray())
                    {
                        if (value.GetProperty("mimeType").GetString() == "text/plain")
                            output.AddRange(value.GetProperty("value").GetString()!.Split('\n').Select(l => l.TrimEnd('\r')).Where(l => l.Length > 0));
                    }

                    break;
                case "CommandFailed" when commandToken == token:
                    return new Outcome(false, root.GetProperty("event").GetProperty("message").GetString() ?? "", output);
                case "CommandSucceeded" when commandToken == token:
                    return new Outcome(true, "", output);
            }
        }

        throw new TimeoutException($"the kernel did not finish: {code}");
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
