using System.Text.RegularExpressions;
using Analysis.Testing;
using Xunit;

namespace Analysis.Pwsh.Tests;

/// <summary>
/// The README's PowerShell session, line by line, in one real pwsh session, in a folder holding the demo files under
/// the README's names. Lines that name process 4242 get a live target's id; the 30-second trace capture is cut to 5.
/// </summary>
public sealed partial class ReadmeTests
{
    /// <summary>The statements of the README's ```powershell block (comments and blank lines dropped).</summary>
    public static IReadOnlyList<string> SessionLines()
    {
        string readme = File.ReadAllText(Path.Combine(RepoPaths.Root, "README.md"));
        var block = PowerShellBlock().Match(readme);
        Assert.True(block.Success, "README.md has no ```powershell block");
        return block.Groups["code"].Value.Split('\n').Select(l => l.TrimEnd('\r'))
            .Where(l => l.Trim().Length > 0 && !l.TrimStart().StartsWith('#')).ToList();
    }

    [Fact]
    public void ReadmeSession_EveryLineRuns_WithoutError_AndTheQuestionsAnswer()
    {
        var lines = SessionLines();
        Assert.True(lines.Count >= 30, $"only {lines.Count} README lines");
        string folder = RepoPaths.NewScratchDirectory("analysis-pwsh-readme");
        try
        {
            // the demo inputs only (other tests write their outputs into the demo folder); the README's dumps all have heaps
            foreach (string name in DemoFiles.Inputs.Where(n => n != "mini.dmp"))
            {
                string file = DemoFiles.File(name);
                File.CreateSymbolicLink(Path.Combine(folder, name), File.ResolveLinkTarget(file, returnFinalTarget: true)?.FullName ?? file);
            }

            Directory.CreateSymbolicLink(Path.Combine(folder, "notebooks"), Path.Combine(RepoPaths.Root, "notebooks"));

            using var dumpTarget = TargetProcess.Start("DumpTarget", TimeSpan.FromMinutes(3), "facts");
            TargetProcess? traceTarget = null;
            var failures = new List<string>();
            try
            {
                using var pwsh = new RealPwsh(width: 120, workingDirectory: folder);
                foreach (string original in lines)
                {
                    string line = Adapt(original, dumpTarget, ref traceTarget);
                    var r = pwsh.Run(line, timeout: TimeSpan.FromMinutes(4));
                    if (r.Errors.Count > 0)
                        failures.Add($"{original}\n    -> {string.Join("\n    -> ", r.Errors)}");
                    else if (ExpectsOutput(line) && r.Output.Count == 0)
                        failures.Add($"{original}\n    -> no output");
                }
            }
            finally
            {
                traceTarget?.Dispose();
            }

            Assert.True(failures.Count == 0, "README lines that failed in real pwsh:\n" + string.Join("\n", failures));
            Assert.True(File.Exists(Path.Combine(folder, "INC-4242.html")));
            Assert.True(File.Exists(Path.Combine(folder, "triage.html")));
            Assert.True(File.Exists(Path.Combine(folder, "app.speedscope.json")));
            Assert.Contains(TargetFacts.LeakedOrderType, File.ReadAllText(Path.Combine(folder, "heap-top.csv")), StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    /// <summary>The README line as run here: the module from the build, live targets for process 4242, a 5-second capture.</summary>
    private static string Adapt(string line, TargetProcess dumpTarget, ref TargetProcess? traceTarget)
    {
        if (line.Contains("Import-Module", StringComparison.Ordinal))
            return $"Import-Module '{RepoPaths.ModuleManifest}'"; // the README's path is relative to the repository
        line = line.Replace("New-Dump -ProcessId 4242", $"New-Dump -ProcessId {dumpTarget.Id}", StringComparison.Ordinal)
            .Replace("-Duration 00:00:30", "-Duration 00:00:05", StringComparison.Ordinal);
        if (line.Contains("Invoke-TraceCapture -ProcessId 4242", StringComparison.Ordinal))
        {
            // the target's workload (GCs, a hot method, exceptions, contention) starts a second after the capture does
            traceTarget = TargetProcess.Start("TraceTarget", TimeSpan.FromMinutes(2), "facts", "--auto-start", "1000");
            line = line.Replace("Invoke-TraceCapture -ProcessId 4242", $"Invoke-TraceCapture -ProcessId {traceTarget.Id}", StringComparison.Ordinal);
        }

        Assert.DoesNotContain("-ProcessId 4242", line, StringComparison.Ordinal);
        return line;
    }

    /// <summary>Lines that ask a question the demo files answer (filters that may rightly match nothing excepted).</summary>
    private static bool ExpectsOutput(string line) =>
        !line.StartsWith("Import-Module", StringComparison.Ordinal) && !AssignmentLine().IsMatch(line) && !line.StartsWith("Close-", StringComparison.Ordinal)
        && !line.Contains("Export-Csv", StringComparison.Ordinal) && !line.Contains("-MinPauseMs", StringComparison.Ordinal);

    [GeneratedRegex(@"^\$\w+\s*=")]
    private static partial Regex AssignmentLine();

    [GeneratedRegex(@"```powershell\n(?<code>.*?)```", RegexOptions.Singleline)]
    private static partial Regex PowerShellBlock();
}
