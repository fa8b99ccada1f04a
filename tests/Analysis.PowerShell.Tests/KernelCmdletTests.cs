using System.Text.Json.Nodes;
using Analysis.Testing;
using Xunit;

namespace Analysis.PowerShell.Tests;

/// <summary>Install-AnalysisKernel and Start-AnalysisKernel as cmdlets: files written, -WhatIf, -Force, bad input (the kernel itself: Analysis.Kernel.Tests).</summary>
public class KernelCmdletTests
{
    [Fact]
    public void InstallAnalysisKernel_WritesTheKernelspec_RefusesToOverwriteWithoutForce_AndWhatIfWritesNothing()
    {
        string dir = RepoPaths.NewScratchDirectory("kernelspec");
        try
        {
            using var host = new PwshHost();
            var vars = new Dictionary<string, object?> { ["d"] = dir };
            var whatIf = host.Run("Install-AnalysisKernel -Path $d -WhatIf", vars);
            Assert.Empty(whatIf.Errors);
            Assert.False(Directory.Exists(Path.Combine(dir, "kernels")));

            var first = host.Run("(Install-AnalysisKernel -Path $d -Name analysis-test -DisplayName 'Analysis test').FullName", vars);
            Assert.Empty(first.Errors);
            string kernelJson = Path.Combine(dir, "kernels", "analysis-test", "kernel.json");
            Assert.Equal([kernelJson], first.Strings);
            var spec = JsonNode.Parse(File.ReadAllText(kernelJson))!;
            Assert.Equal("Analysis test", spec["display_name"]!.GetValue<string>());
            Assert.Equal("powershell", spec["language"]!.GetValue<string>());
            var argv = spec["argv"]!.AsArray().Select(a => a!.GetValue<string>()).ToList();
            Assert.Equal(Path.Combine(Path.GetDirectoryName(RepoPaths.ModuleManifest)!, "kernel", "Analysis.KernelHost.dll"), argv[1]);
            Assert.True(File.Exists(argv[1]));
            Assert.Equal("{connection_file}", argv[2]);

            var again = host.Run("Install-AnalysisKernel -Path $d -Name analysis-test", vars);
            Assert.Equal("FileExists", Assert.Single(again.Errors).FullyQualifiedErrorId.Split(',')[0]);
            Assert.Empty(host.Run("Install-AnalysisKernel -Path $d -Name analysis-test -DisplayName Replaced -Force", vars).Errors);
            Assert.Equal("Replaced", JsonNode.Parse(File.ReadAllText(kernelJson))!["display_name"]!.GetValue<string>());

            var badName = host.Run("Install-AnalysisKernel -Path $d -Name 'no spaces'", vars);
            Assert.Equal("InvalidKernelName", Assert.Single(badName.Errors).FullyQualifiedErrorId.Split(',')[0]);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public void StartAnalysisKernel_WithAMissingOrBrokenConnectionFile_FailsSayingWhich()
    {
        string dir = RepoPaths.NewScratchDirectory("kernel-connection");
        try
        {
            File.WriteAllText(Path.Combine(dir, "broken.json"), "{ not json");
            using var host = new PwshHost();
            var vars = new Dictionary<string, object?> { ["d"] = dir };
            var missing = host.Run("Start-AnalysisKernel -ConnectionFile ([IO.Path]::Combine($d, 'absent.json'))", vars);
            Assert.Equal("ConnectionFileNotFound", Assert.Single(missing.Errors).FullyQualifiedErrorId.Split(',')[0]);
            var broken = host.Run("Start-AnalysisKernel -ConnectionFile ([IO.Path]::Combine($d, 'broken.json'))", vars);
            var error = Assert.Single(broken.Errors);
            Assert.Equal("NotAConnectionFile", error.FullyQualifiedErrorId.Split(',')[0]);
            Assert.Contains("broken.json", error.Exception.Message);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}
