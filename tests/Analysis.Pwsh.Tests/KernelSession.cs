using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Nodes;
using Analysis.Testing;

namespace Analysis.Pwsh.Tests;

/// <summary>
/// The .NET Interactive kernel of the repository's tool manifest (<c>dotnet-interactive</c> 1.0.712001) driven over
/// its stdio protocol: one JSON <c>SubmitCode</c> envelope per cell, events one per line. Nothing lands in the user's
/// home: the kernel runs with HOME (where its package manager builds restore projects, PowerShell keeps caches and the
/// CLI its first-run files) and NUGET_PACKAGES under artifacts/extension-kernel-tests; the user's NuGet folder is read only, as
/// a fallback folder, so dependencies already restored by the build are not downloaded again.
/// </summary>
public sealed class KernelSession : IDisposable
{
    private readonly Process _kernel;
    private readonly StreamWriter _input;
    private readonly StreamReader _output;
    private int _tokens;

    public KernelSession(string workingDirectory, bool userPackagesAsFallback = true, string? nugetPackages = null)
    {
        var psi = new ProcessStartInfo("dotnet")
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        // the tool's own entry point: `dotnet interactive` would look for the tool in NUGET_PACKAGES, which is ours now
        psi.ArgumentList.Add(ToolAssembly);
        foreach (string a in new[] { "stdio", "--default-kernel", "csharp" })
            psi.ArgumentList.Add(a);
        string home = Path.Combine(Folder, "home");
        Directory.CreateDirectory(home);
        psi.Environment["HOME"] = home;
        psi.Environment["DOTNET_CLI_HOME"] = home;
        psi.Environment["NUGET_PACKAGES"] = nugetPackages ?? NuGetPackages;
        if (userPackagesAsFallback)
            psi.Environment["NUGET_FALLBACK_PACKAGES"] = UserPackages;
        else
            psi.Environment.Remove("NUGET_FALLBACK_PACKAGES");
        psi.Environment["DOTNET_INTERACTIVE_CLI_TELEMETRY_OPTOUT"] = "1";
        psi.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        psi.Environment["DOTNET_NOLOGO"] = "1";
        _kernel = Process.Start(psi) ?? throw new InvalidOperationException("the .NET Interactive kernel did not start");
        _kernel.ErrorDataReceived += (_, _) => { };
        _kernel.BeginErrorReadLine();
        _input = _kernel.StandardInput;
        _output = _kernel.StandardOutput;
    }

    /// <summary>Where these kernels keep their NuGet folder and home (apart from the Jupyter suite's artifacts/kernel-tests).</summary>
    public static string Folder => Path.Combine(RepoPaths.Root, "artifacts", "extension-kernel-tests");

    /// <summary>The kernels' NUGET_PACKAGES, shared by the tests (packages of ours get unique versions).</summary>
    public static string NuGetPackages => Path.Combine(Folder, "nuget-packages");

    /// <summary>The user's NuGet folder (read only here): where `dotnet tool restore` put the kernel and the build our dependencies.</summary>
    public static string UserPackages =>
        Environment.GetEnvironmentVariable("NUGET_PACKAGES") is { Length: > 0 } p ? p : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages");

    private static readonly Lazy<string> s_toolAssembly = new(() =>
    {
        using var manifest = JsonDocument.Parse(File.ReadAllText(Path.Combine(RepoPaths.Root, ".config", "dotnet-tools.json")));
        string version = manifest.RootElement.GetProperty("tools").GetProperty("microsoft.dotnet-interactive").GetProperty("version").GetString()!;
        string tools = Path.Combine(UserPackages, "microsoft.dotnet-interactive", version, "tools");
        string? Find() => Directory.Exists(tools) ? Directory.GetFiles(tools, "Microsoft.DotNet.Interactive.App.dll", SearchOption.AllDirectories).FirstOrDefault() : null;
        if (Find() is { } found)
            return found;
        using (var restore = Process.Start(new ProcessStartInfo("dotnet", "tool restore") { WorkingDirectory = RepoPaths.Root, RedirectStandardOutput = true })!)
        {
            restore.StandardOutput.ReadToEnd();
            restore.WaitForExit();
        }

        return Find() ?? throw new InvalidOperationException($"dotnet-interactive {version} not found under {tools} after `dotnet tool restore`");
    });

    public static string ToolAssembly => s_toolAssembly.Value;

    public void Dispose()
    {
        if (!_kernel.HasExited)
            _kernel.Kill(entireProcessTree: true);
        _kernel.Dispose();
    }

    /// <summary>One output of a cell as the notebook ends up showing it (displays updated in place, as Jupyter does).</summary>
    public sealed record Output(string EventType, IReadOnlyDictionary<string, string> Values)
    {
        public string? Html => Values.GetValueOrDefault("text/html");

        public string? Text => Values.GetValueOrDefault("text/plain");
    }

    public sealed record Outcome(bool Succeeded, string Failure, IReadOnlyList<Output> Outputs, TimeSpan Elapsed)
    {
        /// <summary>Outputs that show something (the kernel's empty end-of-output lines and cleared progress left out).</summary>
        public IEnumerable<Output> Shown => Outputs.Where(o => o.Values.Values.Any(v => v.Trim().Length > 0));

        public override string ToString() =>
            $"{(Succeeded ? "ok" : "failed: " + Failure)} in {Elapsed.TotalSeconds:N1} s; outputs: " +
            string.Join(" | ", Shown.Select(o => o.EventType + " " + string.Join(", ", o.Values.Select(v => $"{v.Key}: {(v.Value.Length > 300 ? v.Value[..300] + "…" : v.Value)}"))));
    }

    /// <summary>Submits a cell to one of the kernel's subkernels and collects what it shows until it finishes.</summary>
    public Outcome Submit(string kernel, string code, TimeSpan? timeout = null)
    {
        string token = "t" + Interlocked.Increment(ref _tokens);
        var envelope = new JsonObject
        {
            ["commandType"] = "SubmitCode",
            ["command"] = new JsonObject { ["code"] = code, ["targetKernelName"] = kernel },
            ["token"] = token,
        };
        var clock = Stopwatch.StartNew();
        _input.WriteLine(envelope.ToJsonString());
        _input.Flush();
        var outputs = new List<Output>();
        var byId = new Dictionary<string, int>(StringComparer.Ordinal);
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromMinutes(6));
        while (true)
        {
            var read = _output.ReadLineAsync();
            if (!read.Wait(deadline - DateTime.UtcNow > TimeSpan.Zero ? deadline - DateTime.UtcNow : TimeSpan.Zero))
                throw new TimeoutException($"the kernel did not finish in time: {code}");
            if (read.Result is not { } line)
            {
                _kernel.WaitForExit(10_000);
                throw new InvalidOperationException($"the kernel process died (exit {(_kernel.HasExited ? _kernel.ExitCode : -1)}) running: {code}");
            }

            if (!line.StartsWith('{'))
                continue; // the tool's banner
            using var doc = JsonDocument.Parse(line);
            var root = doc.RootElement;
            if (!root.TryGetProperty("eventType", out var typeElement) || typeElement.GetString() is not { } type)
                continue;
            string? commandToken = root.TryGetProperty("command", out var c) && c.ValueKind == JsonValueKind.Object && c.TryGetProperty("token", out var t) ? t.GetString() : null;
            var e = root.GetProperty("event");
            switch (type)
            {
                case "StandardOutputValueProduced" or "StandardErrorValueProduced" or "ReturnValueProduced" or "DisplayedValueProduced" or "DisplayedValueUpdated":
                    var values = e.GetProperty("formattedValues").EnumerateArray().ToDictionary(v => v.GetProperty("mimeType").GetString()!, v => v.GetProperty("value").GetString() ?? "");
                    string? id = e.TryGetProperty("valueId", out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;
                    if (id is not null && byId.TryGetValue(id, out int at))
                    {
                        outputs[at] = outputs[at] with { Values = values };
                    }
                    else
                    {
                        if (id is not null)
                            byId[id] = outputs.Count;
                        outputs.Add(new Output(type, values));
                    }

                    break;
                case "ErrorProduced":
                    outputs.Add(new Output(type, new Dictionary<string, string> { ["text/plain"] = e.GetProperty("message").GetString() ?? "" }));
                    break;
                case "CommandFailed" when commandToken == token:
                    return new Outcome(false, e.GetProperty("message").GetString() ?? "", outputs, clock.Elapsed);
                case "CommandSucceeded" when commandToken == token:
                    return new Outcome(true, "", outputs, clock.Elapsed);
            }
        }
    }
}
