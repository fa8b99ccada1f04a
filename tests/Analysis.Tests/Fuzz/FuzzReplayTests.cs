using System.Diagnostics;
using Analysis.Fuzz;
using Xunit;
using Xunit.Abstractions;

namespace Analysis.Tests.Fuzz;

/// <summary>
/// The fuzzing harness in the suite (tests/Analysis.Fuzz): every committed finding (tests/testdata/fuzz/&lt;path&gt;) is
/// replayed, and a short fixed-seed campaign runs per Go parser. Cases run in a child worker process, so a case that
/// kills its process, hangs or eats memory fails the test instead of taking the test host down.
/// </summary>
public class FuzzReplayTests(ITestOutputHelper output)
{
    /// <summary>Cases per path in the smoke: a few thousand, seconds each on two cores.</summary>
    public const int SmokeCases = 5000;

    public static TheoryData<string> PathsWithFindings()
    {
        var data = new TheoryData<string>();
        foreach (string path in FuzzTargets.Paths.Where(p => Seeds.Findings(p).Any()))
            data.Add(path);
        return data;
    }

    /// <summary>The Go parsers, and the hand-made dump headers (cheap, deterministic seeds; nettrace and dump seeds are captured per machine).</summary>
    public static TheoryData<string> SmokePaths() => new([.. FuzzTargets.GoPaths, "dumpheader"]);

    [Theory]
    [MemberData(nameof(PathsWithFindings))]
    public void Replay_CommittedFindings_EndOkOrInOneAnalysisException(string path)
    {
        var open = Seeds.OpenFindings(path);
        var findings = Seeds.Findings(path).Where(f => !open.ContainsKey(f.Name)).ToArray();
        if (findings.Length == 0)
            return;
        using var worker = new FuzzWorker(path, findings.Max(f => f.Data.Length));
        var bugs = new List<string>();
        foreach (var (name, data) in findings)
        {
            var outcome = worker.Run(data);
            output.WriteLine($"{name}: {outcome}");
            if (outcome.IsBug)
                bugs.Add($"{name}: {outcome}");
        }

        Assert.True(bugs.Count == 0, $"{bugs.Count} of {findings.Length} {path} findings still fail:\n{string.Join("\n", bugs)}");
    }

    /// <summary>
    /// Findings listed in a path's OPEN file (fixes that belong to another change): replayed and reported, skipped
    /// while any still fails; a listed finding that passes fails the test (its OPEN line is stale).
    /// </summary>
    [SkippableFact]
    public void Replay_OpenFindings_AreReportedUntilFixed()
    {
        var failing = new List<string>();
        var fixedNow = new List<string>();
        foreach (string path in FuzzTargets.Paths)
        {
            var open = Seeds.OpenFindings(path);
            var findings = Seeds.Findings(path).Where(f => open.ContainsKey(f.Name)).ToArray();
            if (findings.Length == 0)
                continue; // nothing open, or OPEN names a class whose input was too big to commit
            using var worker = new FuzzWorker(path, findings.Max(f => f.Data.Length));
            foreach (var (name, data) in findings)
            {
                var outcome = worker.Run(data);
                output.WriteLine($"{path}/{name}: {outcome} ({open[name]})");
                if (outcome.IsBug)
                    failing.Add($"{path}/{name}: {outcome.Class} ({open[name]})");
                else
                    fixedNow.Add($"{path}/{name}");
            }
        }

        // an OPEN line whose file passes is stale: the finding must be replayed as a regression, not excused
        Assert.True(fixedNow.Count == 0, $"fixed, remove from OPEN: {string.Join(", ", fixedNow)}");

        Skip.If(failing.Count > 0, $"{failing.Count} open findings still fail (tests/testdata/fuzz/<path>/OPEN):\n{string.Join("\n", failing)}");
    }

    /// <summary>
    /// A fixed-seed campaign per path: any bug class fails, except classes listed in the path's OPEN file (fixes that
    /// belong to another change), which make the test skip, naming them.
    /// </summary>
    [SkippableTheory]
    [MemberData(nameof(SmokePaths))]
    public void Smoke_FixedSeedCases_HaveNoOtherExceptionHangOrKill(string path)
    {
        var clock = Stopwatch.StartNew();
        var result = new Campaign
        {
            Path = path,
            Seeds = Seeds.For(path),
            RandomSeed = 12,
            Duration = TimeSpan.FromMinutes(2),
            MaxCases = SmokeCases,
        }.Run();
        output.WriteLine($"{result.Cases:N0} cases in {clock.Elapsed.TotalSeconds:F1} s");
        output.WriteLine(result.Details());
        Assert.Equal(SmokeCases, result.Cases);
        var open = Seeds.OpenFindings(path);
        var known = result.Bugs.Where(b => open.ContainsKey(Outcome.FileId(b.First.Class) + ".bin")).ToArray();
        Assert.True(result.Bugs.Count() == known.Length, $"the {path} smoke found bugs (rerun: dotnet fsi build.fsx fuzz {path}):\n{result.Details()}");
        Skip.If(known.Length > 0, $"the {path} smoke hit open findings (tests/testdata/fuzz/{path}/OPEN): {string.Join(", ", known.Select(k => $"{k.First.Class} ×{k.Count}"))}");
    }
}
