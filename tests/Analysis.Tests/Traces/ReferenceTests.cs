using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;
using Analysis.Testing;
using Analysis.Traces;
using Microsoft.Diagnostics.Tracing.Etlx;
using Xunit;

namespace Analysis.Tests.Traces;

/// <summary>Our one-pass stack resolution against TraceEvent's TraceLog and against dotnet-trace, on the same file.</summary>
public class ReferenceTests
{
    [Fact]
    public void Cpu_LeafCountsPerFunction_EqualTraceLogs()
    {
        // The reference: TraceLog (via .etlx) resolves every sample's stack; count samples per leaf method.
        string etlx = TraceLog.CreateFromEventPipeDataFile(TraceCaptures.Facts, Path.Combine(TraceCaptures.Folder, "reference.etlx"));
        var reference = new Dictionary<string, long>();
        using (var log = new TraceLog(etlx))
        {
            foreach (var e in log.Events)
            {
                if (e.ProviderName != "Microsoft-DotNETCore-SampleProfiler" || e.EventName != "Thread/Sample")
                    continue;
                string? leaf = e.CallStack()?.CodeAddress.FullMethodName;
                string key = string.IsNullOrEmpty(leaf) || leaf == "?" ? "[native or unresolved code]" : leaf;
                reference[key] = reference.GetValueOrDefault(key) + 1;
            }
        }

        var ours = TraceCaptures.FactsAnalysis.GetCpuTop(int.MaxValue, filter: SampleFilter.All)
            .Where(f => f.ExclusiveSamples > 0).ToDictionary(f => f.Function, f => f.ExclusiveSamples);
        Assert.Equal(reference.Values.Sum(), TraceCaptures.FactsAnalysis.SampleCount);
        Assert.Equal(reference.OrderBy(kv => kv.Key, StringComparer.Ordinal), ours.OrderBy(kv => kv.Key, StringComparer.Ordinal));
    }

    [Fact]
    public void Cpu_HotMethod_IsInDotnetTraceReportTopN_AsInOurs()
    {
        string tool = Path.Combine(RepoPaths.Root, "artifacts", "tools", "dotnet-trace");
        Assert.True(File.Exists(tool), $"dotnet-trace is installed by 'dotnet fsi build.fsx test' into {tool}");
        var psi = new ProcessStartInfo(tool) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (string a in new[] { "report", TraceCaptures.Facts, "topN", "-n", "3" })
            psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        string output = p.StandardOutput.ReadToEnd();
        p.WaitForExit();
        Assert.Equal(0, p.ExitCode);

        // Lines look like "2.  Hot.SpinPrimeSieve(int32)     26.59%    20.37%"; names are Type.Method(args).
        var theirs = Regex.Matches(output, @"^\d+\.\s+(?<name>\S.*?)\s+(?<incl>[\d.]+)%\s+(?<excl>[\d.]+)%", RegexOptions.Multiline)
            .Select(m => (Name: m.Groups["name"].Value, Exclusive: double.Parse(m.Groups["excl"].Value, CultureInfo.InvariantCulture))).ToArray();
        Assert.Equal(3, theirs.Length);
        Assert.Contains(theirs, t => t.Name == "Hot.SpinPrimeSieve(int32)");
        Assert.Equal(TraceFacts.HotMethod, TraceCaptures.FactsAnalysis.GetCpuTop(1)[0].Function);
    }
}
