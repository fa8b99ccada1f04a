using System.Diagnostics;
using System.Globalization;
using System.Text;

namespace Analysis.Fuzz;

/// <summary>One class of outcome seen in a campaign: how often, and the first input that produced it.</summary>
public sealed class ClassStats(Outcome first, byte[] input)
{
    public Outcome First { get; } = first;

    public byte[] Input { get; } = input;

    public long Count { get; set; }

    /// <summary>Where the minimized input was written, if it was.</summary>
    public string? Finding { get; set; }
}

/// <summary>What a campaign over one path did: cases and outcome classes.</summary>
public sealed class CampaignResult(string path)
{
    public string Path { get; } = path;

    public long Cases { get; set; }

    public TimeSpan Elapsed { get; set; }

    public int Restarts { get; set; }

    /// <summary>Edges and hit-count buckets reached (coverage-guided campaigns), and the corpus they grew.</summary>
    public long CoverageBits { get; set; }

    public int Corpus { get; set; }

    /// <summary>Time spent minimizing findings (not in <see cref="Elapsed"/>).</summary>
    public TimeSpan Minimizing { get; set; }

    public Dictionary<string, ClassStats> Classes { get; } = new(StringComparer.Ordinal);

    public long Count(OutcomeKind kind) => Classes.Values.Where(c => c.First.Kind == kind).Sum(c => c.Count);

    public IEnumerable<ClassStats> Bugs => Classes.Values.Where(c => c.First.IsBug).OrderByDescending(c => c.Count);

    /// <summary>One row of the table: path, cases, ok, AnalysisException, other, hang, memory, killed.</summary>
    public string Row() => string.Create(CultureInfo.InvariantCulture,
        $"| {Path,-10} | {Cases,9:N0} | {Cases / Math.Max(1, Elapsed.TotalSeconds),7:N0} | {Count(OutcomeKind.Ok),9:N0} | {Count(OutcomeKind.AnalysisException),9:N0} | {Count(OutcomeKind.Other),7:N0} | {Count(OutcomeKind.Hang),5:N0} | {Count(OutcomeKind.Memory),6:N0} | {Count(OutcomeKind.Killed),6:N0} |");

    public const string Header =
        "| path       |     cases | cases/s |        ok | AnalysisE |   other |  hang | memory | killed |\n" +
        "|------------|-----------|---------|-----------|-----------|---------|-------|--------|--------|";

    /// <summary>The classes beyond ok, with counts: AnalysisException kinds, then every bug class with its first detail.</summary>
    public string Details()
    {
        var sb = new StringBuilder();
        sb.Append(CultureInfo.InvariantCulture, $"{Path}: {Cases:N0} cases in {Elapsed.TotalSeconds:F0} s (+{Minimizing.TotalSeconds:F0} s minimizing), {Restarts} worker restarts, corpus {Corpus:N0}{(CoverageBits > 0 ? $", {CoverageBits:N0} coverage bits (edges × hit buckets)" : ", no coverage feedback")}\n");
        foreach (var c in Classes.Values.Where(c => c.First.Kind == OutcomeKind.AnalysisException).OrderByDescending(c => c.Count))
            sb.Append(CultureInfo.InvariantCulture, $"    {c.Count,9:N0}  {c.First.Class}\n");
        foreach (var c in Bugs)
        {
            sb.Append(CultureInfo.InvariantCulture, $"    {c.Count,9:N0}  {c.First.Class}{(c.Finding is { } f ? $"  -> {f}" : "")}\n");
            sb.Append(CultureInfo.InvariantCulture, $"               {c.First.Detail}\n");
        }

        return sb.ToString();
    }
}

/// <summary>
/// A campaign over one input path: mutates seeds, runs every case in the child worker, counts outcome classes, and
/// minimizes the first input of each new bug class into the findings folder (small ones only).
/// </summary>
public sealed class Campaign
{
    public required string Path { get; init; }

    public required IReadOnlyList<(string Name, byte[] Data)> Seeds { get; init; }

    public int RandomSeed { get; init; } = 1;

    public TimeSpan Duration { get; init; } = TimeSpan.FromMinutes(1);

    /// <summary>Stop after this many cases (the smokes), whatever the duration.</summary>
    public long MaxCases { get; init; } = long.MaxValue;

    /// <summary>Where minimized findings go (tests/testdata/fuzz/&lt;path&gt;); null: not written.</summary>
    public string? FindingsDirectory { get; init; }

    public TimeSpan MinimizeBudget { get; init; } = TimeSpan.FromSeconds(60);

    public Action<string>? Log { get; init; }

    /// <summary>A copy of the harness whose Analysis.dll sharpfuzz instrumented (see <see cref="Instrument"/>): coverage-guided.</summary>
    public string? InstrumentedDll { get; init; }

    public const int MaxFindingBytes = 64 << 10;

    public CampaignResult Run()
    {
        var result = new CampaignResult(Path);
        var clock = Stopwatch.StartNew();
        var seeds = Seeds.Select(s => s.Data).ToList();
        int maxSeed = seeds.Count == 0 ? 0 : seeds.Max(s => s.Length);
        // a whole dump is damaged as the bit-flip test damages it (DumpDamage, its first seed); other paths are mutated
        var dumpCases = Path == "dump" ? DumpCases.Open(System.IO.Path.Combine(Fuzz.Seeds.GeneratedRoot, Path, Seeds[0].Name), Seeds[0].Data) : null;
        int maxCase = dumpCases is not null || Mutator.ShapeOf(Path) == InputShape.BigBinary ? maxSeed : Math.Max(256 << 10, 4 * maxSeed);
        var mutator = dumpCases is null ? new Mutator(RandomSeed, seeds, Mutator.ShapeOf(Path), Fuzz.Seeds.Dictionary(Path), maxCase) : null;
        using var worker = new FuzzWorker(Path, maxCase, InstrumentedDll, coverage: InstrumentedDll is not null);
        var lastReport = clock.Elapsed;
        var minimizing = TimeSpan.Zero; // not part of the campaign's duration
        int generation = 0;

        Outcome RunCase(byte[] input)
        {
            if (InstrumentedDll is not null && worker.Generation != generation && generation != 0)
            {
                // a new worker has seen no coverage: show it the corpus first (its latest 256 entries, so paths whose
                // workers die often do not spend their time here), so that mostly what is new to the campaign counts
                foreach (var known in (mutator?.Corpus ?? []).TakeLast(256).ToArray())
                    worker.Run(known);
            }

            var outcome = worker.Run(input);
            generation = worker.Generation;
            if (worker.LastNewCoverage > 0)
            {
                result.CoverageBits += worker.LastNewCoverage;
                if (outcome.Kind is OutcomeKind.Ok or OutcomeKind.AnalysisException)
                    mutator?.AddToCorpus(input);
            }

            return outcome;
        }

        void Record(byte[] input, Outcome outcome)
        {
            result.Cases++;
            if (result.Classes.TryGetValue(outcome.Class, out var stats))
            {
                stats.Count++;
                return;
            }

            result.Classes[outcome.Class] = new ClassStats(outcome, input) { Count = 1 };
            mutator?.AddToCorpus(input);
            Log?.Invoke($"[{Path} {clock.Elapsed:mm\\:ss} case {result.Cases:N0}] new class {outcome.Class}{(outcome.IsBug ? $": {outcome.Detail}" : "")}");
            if (outcome.IsBug && FindingsDirectory is not null && !FuzzTargets.HasWholeFileInputs(Path))
            {
                var started = clock.Elapsed;
                result.Classes[outcome.Class].Finding = Save(worker, input, outcome);
                minimizing += clock.Elapsed - started;
            }
        }

        // the seeds themselves first: they must all be fine
        foreach (var (_, data) in Seeds)
        {
            if (result.Cases >= MaxCases)
                break;
            Record(data, RunCase(data));
        }

        while (clock.Elapsed - minimizing < Duration && result.Cases < MaxCases)
        {
            // a dump case is numbered as this campaign counts it (logged, and what `Analysis.Fuzz case dump` recreates)
            byte[] input = mutator?.Next() ?? dumpCases!.Case(RandomSeed, checked((int)result.Cases + 1), out _);
            Record(input, RunCase(input));
            if (Log is not null && clock.Elapsed - lastReport > TimeSpan.FromSeconds(30))
            {
                lastReport = clock.Elapsed;
                Log(string.Create(CultureInfo.InvariantCulture,
                    $"[{Path} {clock.Elapsed:mm\\:ss}] {result.Cases:N0} cases, {result.Classes.Count} classes, {result.Bugs.Count()} bug classes, corpus {mutator?.CorpusSize ?? seeds.Count}"));
            }
        }

        result.Elapsed = clock.Elapsed - minimizing;
        result.Minimizing = minimizing;
        result.Restarts = worker.Restarts;
        result.Corpus = mutator?.CorpusSize ?? seeds.Count;
        return result;
    }

    /// <summary>
    /// Copies the built harness (the folder of <paramref name="harnessDll"/>) to <paramref name="folder"/> and runs the
    /// sharpfuzz tool (SharpFuzz.CommandLine 2.3.0) on the copy's Analysis.dll. Returns the copy's Analysis.Fuzz.dll.
    /// </summary>
    public static string Instrument(string harnessDll, string sharpfuzz, string folder)
    {
        if (Directory.Exists(folder))
            Directory.Delete(folder, recursive: true);
        Directory.CreateDirectory(folder);
        string source = System.IO.Path.GetDirectoryName(harnessDll)!;
        foreach (string file in Directory.GetFiles(source, "*", SearchOption.AllDirectories))
        {
            string to = System.IO.Path.Combine(folder, System.IO.Path.GetRelativePath(source, file));
            Directory.CreateDirectory(System.IO.Path.GetDirectoryName(to)!);
            File.Copy(file, to);
        }

        var psi = new ProcessStartInfo(sharpfuzz) { RedirectStandardOutput = true, RedirectStandardError = true };
        psi.ArgumentList.Add(System.IO.Path.Combine(folder, "Analysis.dll"));
        using var p = Process.Start(psi) ?? throw new InvalidOperationException($"{sharpfuzz} did not start");
        string output = p.StandardOutput.ReadToEnd() + p.StandardError.ReadToEnd();
        p.WaitForExit();
        if (p.ExitCode != 0)
            throw new InvalidOperationException($"sharpfuzz failed ({p.ExitCode}): {output}");
        return System.IO.Path.Combine(folder, System.IO.Path.GetFileName(harnessDll));
    }

    /// <summary>Minimizes the input (same class must reproduce) and writes it as &lt;class id&gt;.bin, unless one exists or it is too big.</summary>
    private string? Save(FuzzWorker worker, byte[] input, Outcome outcome)
    {
        string file = System.IO.Path.Combine(FindingsDirectory!, Outcome.FileId(outcome.Class) + ".bin");
        if (File.Exists(file))
            return file;
        var budget = outcome.Kind is OutcomeKind.Hang ? TimeSpan.FromSeconds(Math.Min(MinimizeBudget.TotalSeconds, 40)) : MinimizeBudget;
        byte[] small = Minimizer.Minimize(input, candidate => worker.Run(candidate).Class == outcome.Class, budget, Mutator.ShapeOf(Path) == InputShape.Text);
        Log?.Invoke($"    minimized {input.Length:N0} -> {small.Length:N0} bytes");
        if (small.Length > MaxFindingBytes)
        {
            Log?.Invoke($"    not saved: {small.Length:N0} bytes is over {MaxFindingBytes:N0}");
            return null;
        }

        Directory.CreateDirectory(FindingsDirectory!);
        File.WriteAllBytes(file, small);
        return file;
    }
}
