using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;
using Analysis.Dumps;
using Analysis.Stacks;
using Analysis.Testing;
using Xunit;
using Xunit.Abstractions;

namespace Analysis.Tests.Dumps;

/// <summary>
/// Frames carry the source file and line from portable PDBs, equal to SOS's <c>clrstack -all</c> [file @ line]: PDBs
/// beside the modules, embedded (Contoso.Async), or in a -SymbolPath folder; never a PDB of another build.
/// </summary>
public sealed partial class SourceLineTests(PdbPlacementDump moved, ITestOutputHelper output) : IClassFixture<PdbPlacementDump>
{
    private static readonly string DumpTargetSources = Path.Combine(RepoPaths.Root, "tests", "TestTargets", "DumpTarget");

    [Fact]
    public void Frames_OfTheFactsDump_HaveTheFileAndLineSosClrStackShows()
    {
        string dump = DumpSet.Facts[CapturedDump.CreateDumpWithHeap];
        using var session = DumpSession.Open(dump); // a worker: the lines cross the codec
        var threads = session.GetThreads();
        var sos = SosFrames(dump);

        int compared = 0, withLines = 0;
        foreach (var thread in threads.Where(t => t.IsAlive))
        {
            Assert.True(sos.TryGetValue(thread.OSThreadId, out var sosFrames), $"SOS lists no stack for OS thread 0x{thread.OSThreadId:x}");
            foreach (var frame in thread.Frames.Where(f => f.Kind == FrameKind.Managed))
            {
                var match = sosFrames.Where(s => s.Ip == frame.InstructionPointer && s.Sp == frame.StackPointer).ToArray();
                if (match.Length != 1)
                    continue;
                compared++;
                Assert.True(match[0].File == frame.File, $"thread {thread.ManagedThreadId} {frame.Function}: file {frame.File ?? "null"}, SOS {match[0].File ?? "null"}");
                Assert.True(match[0].Line == frame.Line, $"thread {thread.ManagedThreadId} {frame.Function}: line {frame.Line}, SOS {match[0].Line}");
                if (frame.File is not null)
                    withLines++;
            }
        }

        output.WriteLine($"{compared} managed frames compared with SOS, {withLines} with a source line");
        Assert.True(compared >= 30, $"only {compared} frames matched SOS's by IP and SP");
        Assert.True(withLines >= 10, $"only {withLines} frames had a source line");

        // And the facts themselves, from the source: Main waits at s_never.WaitOne(), worker-a at its second lock.
        var main = Assert.Single(threads, t => t.Frames.Any(f => f.Function.StartsWith("DumpTarget.Program.Main(", StringComparison.Ordinal)));
        var mainFrame = main.Frames.First(f => f.Function.StartsWith("DumpTarget.Program.Main(", StringComparison.Ordinal));
        Assert.Equal(Path.Combine(DumpTargetSources, "Program.cs"), mainFrame.File);
        Assert.Equal(LineOf("Program.cs", "s_never.WaitOne();", 1), mainFrame.Line);
        var workerA = Assert.Single(threads, t => t.Name == "worker-a");
        var enter = workerA.Frames.First(f => f.Function.StartsWith("DumpTarget.Deadlock.MonitorThenMonitor(", StringComparison.Ordinal));
        Assert.Equal(Path.Combine(DumpTargetSources, "Program.cs"), enter.File);
        Assert.Equal(LineOf("Program.cs", "lock (second)", 1), enter.Line);
        // Framework frames: no PDB here, so no line, like SOS.
        Assert.All(main.Frames.Where(f => f.Module == "System.Private.CoreLib"), f => Assert.Null(f.File));
    }

    [Fact]
    public void Frames_InTheModuleWithAnEmbeddedPdb_HaveLines_LikeSos()
    {
        var crash = CrashDump.Shared;
        using var session = DumpSession.Open(crash.Dump);
        var worker = Assert.Single(session.GetThreads(), t => t.Name == TargetFacts.CrashThreadName);

        var post = worker.Frames.First(f => f.Function.StartsWith(TargetFacts.CrashThrowingMethod + "(", StringComparison.Ordinal));
        Assert.Equal("Contoso.Async", post.Module);
        Assert.Equal(Path.Combine(RepoPaths.Root, "tests", "TestTargets", "Contoso.Async", TargetFacts.CrashThrowingFile), post.File);
        Assert.Equal(LineOf(Path.Combine("..", "Contoso.Async", TargetFacts.CrashThrowingFile), "throw new LedgerCorruptException", 1), post.Line);
        // no Contoso.Async.pdb anywhere: the lines came from the dll
        Assert.False(File.Exists(Path.ChangeExtension(RepoPaths.TargetDll("Contoso.Async"), ".pdb")));

        var sos = SosFrames(crash.Dump)[worker.OSThreadId];
        var sosPost = Assert.Single(sos, s => s.Ip == post.InstructionPointer);
        Assert.Equal((sosPost.File, sosPost.Line), (post.File, post.Line));
        var caller = worker.Frames.First(f => f.Function.StartsWith(TargetFacts.CrashCallerMethod + "(", StringComparison.Ordinal));
        var sosCaller = Assert.Single(sos, s => s.Ip == caller.InstructionPointer);
        Assert.Equal((sosCaller.File, sosCaller.Line), (caller.File, caller.Line));
        Assert.Equal(LineOf("Crash.cs", "=> Contoso.Async.RefundLedger.Post(orderId);", 1), caller.Line);
    }

    [Fact]
    public void Frames_WithThePdbGone_HaveNoLines_AndNoWarningUnlessSymbolsWereAsked()
    {
        using var session = DumpSession.Open(moved.Dump);
        var threads = session.GetThreads();

        var ours = threads.SelectMany(t => t.Frames).Where(f => f.Module == "DumpTarget").ToArray();
        Assert.NotEmpty(ours);
        Assert.All(ours, f => Assert.True(f.File is null && f.Line == 0, $"{f.Function} has {f.File}:{f.Line} without its PDB"));
        Assert.DoesNotContain(session.Warnings, w => w.Contains("source file and line", StringComparison.Ordinal));
    }

    [Fact]
    public void Frames_WithAPdbOfAnotherBuild_HaveNoLines_AndOneWarningNamesIt()
    {
        using var session = DumpSession.Open(moved.Dump, new DumpOpenOptions { SymbolPaths = [moved.WrongSymbolFolder] });
        var threads = session.GetThreads();

        Assert.All(threads.SelectMany(t => t.Frames).Where(f => f.Module == "DumpTarget"), f => Assert.Null(f.File));
        string warning = Assert.Single(session.Warnings, w => w.Contains("source file and line", StringComparison.Ordinal));
        Assert.Contains("DumpTarget.dll", warning);
        Assert.Contains(Path.Combine(moved.WrongSymbolFolder, "DumpTarget.pdb"), warning);
        Assert.Contains("another build", warning);
    }

    [Fact]
    public void Frames_WithThePdbInASymbolPathFolder_HaveTheLinesOfTheBuild()
    {
        using var session = DumpSession.Open(moved.Dump, new DumpOpenOptions { SymbolPaths = [moved.SymbolFolder] });
        var threads = session.GetThreads();

        var main = threads.SelectMany(t => t.Frames).First(f => f.Function.StartsWith("DumpTarget.Program.Main(", StringComparison.Ordinal));
        Assert.Equal(Path.Combine(DumpTargetSources, "Program.cs"), main.File); // the path the build recorded
        Assert.Equal(LineOf("Program.cs", "s_never.WaitOne();", 1), main.Line);
        var workerA = Assert.Single(threads, t => t.Name == "worker-a");
        Assert.Equal(LineOf("Program.cs", "lock (second)", 1), workerA.Frames.First(f => f.Function.StartsWith("DumpTarget.Deadlock.MonitorThenMonitor(", StringComparison.Ordinal)).Line);
        Assert.DoesNotContain(session.Warnings, w => w.Contains("DumpTarget.dll': ", StringComparison.Ordinal));
    }

    [Fact]
    public void Lines_CostLittle_MeasuredOnTheFactsDump()
    {
        // The cost of always reading lines: the same thread analysis in this process with and without the PDB reader.
        string dump = DumpSet.Facts[CapturedDump.CreateDumpWithHeap];
        using var engine = DumpEngine.Open(dump, new DumpOpenOptions { Isolation = EngineIsolation.InProcess });
        var runtime = engine.GetClrRuntime();
        _ = ThreadAnalyzer.Analyze(runtime, true, default); // warm: the DAC's caches
        double without = Median(() => ThreadAnalyzer.Analyze(runtime, true, default));
        double withLines = Median(() =>
        {
            using var lines = new SourceLines(new DumpOpenOptions(), new ModuleFileLocator(new DumpOpenOptions()), null);
            var threads = ThreadAnalyzer.Analyze(runtime, true, default, null, lines);
            Assert.Contains(threads.SelectMany(t => t.Frames), f => f.File is not null);
        });
        output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"threads of the facts dump: {without:F1} ms without lines, {withLines:F1} ms with lines (PDBs read cold each time), median of 5"));
        Assert.True(withLines < without + 500, $"lines cost {withLines - without:F0} ms");
    }

    private static double Median(Action run)
    {
        var times = new List<double>();
        for (int i = 0; i < 5; i++)
        {
            var sw = Stopwatch.StartNew();
            run();
            times.Add(sw.Elapsed.TotalMilliseconds);
        }

        times.Sort();
        return times[2];
    }

    /// <summary>The 1-based line of the <paramref name="nth"/> line of a DumpTarget source file containing <paramref name="text"/>.</summary>
    private static int LineOf(string file, string text, int nth)
    {
        var lines = File.ReadAllLines(Path.Combine(DumpTargetSources, file));
        int seen = 0;
        for (int i = 0; i < lines.Length; i++)
        {
            if (lines[i].Contains(text, StringComparison.Ordinal) && ++seen == nth)
                return i + 1;
        }

        throw new InvalidOperationException($"'{text}' is not in {file} {nth} time(s)");
    }

    internal sealed record SosFrame(ulong Sp, ulong Ip, string CallSite, string? File, int Line);

    /// <summary>SOS's <c>clrstack -all</c>: the frames of each OS thread (runtime frames left out).</summary>
    internal static Dictionary<uint, List<SosFrame>> SosFrames(string dump)
    {
        var result = new Dictionary<uint, List<SosFrame>>();
        List<SosFrame>? current = null;
        foreach (string line in Sos.Run(dump, "clrstack -all").Split('\n'))
        {
            string l = line.TrimEnd('\r');
            if (ThreadLine().Match(l) is { Success: true } t)
            {
                current = result[uint.Parse(t.Groups[1].Value, NumberStyles.HexNumber, CultureInfo.InvariantCulture)] = [];
                continue;
            }

            if (current is null || FrameLine().Match(l) is not { Success: true } m || m.Groups[3].Value.StartsWith('['))
                continue;
            current.Add(new SosFrame(
                ulong.Parse(m.Groups[1].Value, NumberStyles.HexNumber, CultureInfo.InvariantCulture),
                ulong.Parse(m.Groups[2].Value, NumberStyles.HexNumber, CultureInfo.InvariantCulture),
                m.Groups[3].Value,
                m.Groups[4].Success ? m.Groups[4].Value : null,
                m.Groups[5].Success ? int.Parse(m.Groups[5].Value, CultureInfo.InvariantCulture) : 0));
        }

        return result;
    }

    [GeneratedRegex(@"^OS Thread Id: 0x([0-9a-fA-F]+)")]
    private static partial Regex ThreadLine();

    [GeneratedRegex(@"^([0-9A-Fa-f]{16}) ([0-9A-Fa-f]{16}) (.+?)(?: \[(.+) @ (\d+)\])?\s*$")]
    private static partial Regex FrameLine();
}
