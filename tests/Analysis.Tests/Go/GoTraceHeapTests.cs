using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;
using Analysis.Go;
using Analysis.Testing;
using Xunit;

namespace Analysis.Tests.Go;

/// <summary>The heap an execution trace reports (HeapAlloc/HeapGoal events) against `go tool trace -d=1`'s metrics.</summary>
public partial class GoTraceHeapTests
{
    [SkippableFact]
    public void HeapOverTime_IsWhatGoToolTraceReports()
    {
        const string Go = "/usr/lib/go-1.23/bin/go";
        Skip.IfNot(File.Exists(Go), "Go 1.23 is not installed here (tests/TestTargets/go/cores.sh installs it): no reference to compare with");
        string path = Path.Combine(RepoPaths.Root, "tests", "testdata", "go", "trace.out");
        var psi = new ProcessStartInfo(Go, ["tool", "trace", "-d=1", path]) { RedirectStandardOutput = true, RedirectStandardError = true };
        psi.Environment["GOTOOLCHAIN"] = "local";
        using var p = Process.Start(psi)!;
        p.StandardError.ReadToEndAsync();
        var metrics = Metric().Matches(p.StandardOutput.ReadToEnd())
            .Select(m => (Name: m.Groups[1].Value, Value: ulong.Parse(m.Groups[2].Value, CultureInfo.InvariantCulture))).ToList();
        p.WaitForExit();
        var trace = GoExecutionTrace.Load(path);
        var goals = trace.HeapOverTime.Where(h => h.Kind == "goal").Select(h => h.Bytes).ToList();
        var allocated = trace.HeapOverTime.Where(h => h.Kind == "allocated").ToList();
        Assert.Equal(metrics.Where(m => m.Name == "/gc/heap/goal:bytes").Select(m => m.Value), goals);
        var objects = metrics.Where(m => m.Name == "/memory/classes/heap/objects:bytes").Select(m => m.Value).ToList();
        Assert.NotEmpty(allocated);
        Assert.True(allocated.Count <= objects.Count);
        Assert.Equal(objects[^1], allocated[^1].Bytes);
        Assert.All(allocated, a => Assert.Contains(a.Bytes, objects));
        Assert.Equal(allocated.OrderBy(a => a.TimeMs).Select(a => a.TimeMs), allocated.Select(a => a.TimeMs));
    }

    [GeneratedRegex(@"Metric Time=\d+ Name=""(/gc/heap/goal:bytes|/memory/classes/heap/objects:bytes)"" Value=Uint64\((\d+)\)")]
    private static partial Regex Metric();
}
