using System.Globalization;
using System.Text;
using Analysis.Fuzz;
using Analysis.Testing;

// Analysis.Fuzz case <path> <seed> <n> <file>      writes case n of a campaign without coverage feedback
// Analysis.Fuzz case dump <seed> <n> <file> [<dump>]  writes DumpDamage case n of seed (of the seed dump or <dump>):
//                                           the bytes Analysis.DumpProbe flips as case n (flips <dump> <work> <seed> <n> 1)
// Analysis.Fuzz campaign [path...] [--minutes N | --seconds N] [--seed S] [--cases N] [--no-findings] [--report FILE] [--sharpfuzz TOOL]
// Analysis.Fuzz replay <path> <file...>     runs committed inputs through a worker; exit 1 on a bug outcome
// Analysis.Fuzz seeds <nettrace|dump>       captures the seed trace/dump of a target program into artifacts/fuzz/seeds
// Analysis.Fuzz worker <path>               the child process (reads case paths on stdin)
if (args.Length == 0)
    return Usage();
switch (args[0])
{
    case "worker" when args.Length == 2:
        return Worker.Run(args[1]);
    case "seeds" when args.Length == 2:
        Seeds.Generate(args[1], Path.Combine(Seeds.GeneratedRoot, args[1]));
        return 0;
    case "replay" when args.Length >= 3:
        return Replay(args[1], args[2..]);
    case "rename" when args.Length == 2:
        return Rename(args[1]);
    case "cases" when args.Length == 4 && args[1] == "dump":
        // whole dumps: DumpDamage cases 0 to N-1 of seed 1
        {
            var dumps = DumpCases.Open(DumpCases.SeedFile);
            Directory.CreateDirectory(args[3]);
            for (int i = 0; i < int.Parse(args[2], CultureInfo.InvariantCulture); i++)
                File.WriteAllBytes(Path.Combine(args[3], $"case{i:D5}.dmp"), dumps.Case(1, i, out _));
            return 0;
        }

    case "cases" when args.Length == 4:
        // writes the first N cases of a path's mutator (seed 1) to a folder, to look at what the mutator makes
        var m = new Mutator(1, Seeds.For(args[1]).Select(x => x.Data).ToList(), Mutator.ShapeOf(args[1]), Seeds.Dictionary(args[1]));
        Directory.CreateDirectory(args[3]);
        for (int i = 0; i < int.Parse(args[2], CultureInfo.InvariantCulture); i++)
            File.WriteAllBytes(Path.Combine(args[3], $"case{i:D5}{FuzzTargets.Extension(args[1])}"), m.Next());
        return 0;
    case "case" when args.Length is 5 or 6 && args[1] == "dump":
        // a whole dump: DumpDamage case N of the seed (a campaign's case N for N > 1; case 1 of a campaign is the seed itself)
        {
            var dumps = DumpCases.Open(args.Length == 6 ? args[5] : DumpCases.SeedFile);
            File.WriteAllBytes(args[4], dumps.Case(int.Parse(args[2], CultureInfo.InvariantCulture), int.Parse(args[3], CultureInfo.InvariantCulture), out var damage));
            Console.WriteLine($"case {args[3]}: {damage}");
            return 0;
        }

    case "case" when args.Length == 5:
        // writes case N (counted as a campaign counts them, the seeds first) of a campaign of path and seed with no
        // coverage feedback
        {
            var seeds = Seeds.For(args[1]).Select(x => x.Data).ToList();
            int maxSeed = seeds.Max(x => x.Length);
            var mutator = new Mutator(int.Parse(args[2], CultureInfo.InvariantCulture), seeds, Mutator.ShapeOf(args[1]), Seeds.Dictionary(args[1]),
                Math.Max(256 << 10, 4 * maxSeed));
            int n = int.Parse(args[3], CultureInfo.InvariantCulture);
            byte[] input = n <= seeds.Count ? seeds[n - 1] : [];
            for (int i = seeds.Count; i < n; i++)
                input = mutator.Next();
            File.WriteAllBytes(args[4], input);
            return 0;
        }

    case "campaign":
        return RunCampaigns(args[1..]);
    default:
        return Usage();
}

static int Usage()
{
    Console.Error.WriteLine($"usage: Analysis.Fuzz campaign [{string.Join('|', FuzzTargets.Paths)}...] [--minutes N|--seconds N] [--seed S] [--cases N] [--no-findings] [--report FILE] [--sharpfuzz TOOL]");
    Console.Error.WriteLine("       Analysis.Fuzz replay <path> <file...> | seeds <nettrace|dump> | worker <path>");
    return 2;
}

static int Replay(string path, string[] files)
{
    int bugs = 0;
    using var worker = new FuzzWorker(path, files.Max(f => new FileInfo(f).Length));
    foreach (string file in files)
    {
        var outcome = worker.Run(File.ReadAllBytes(file));
        Console.WriteLine($"{(outcome.IsBug ? "BUG " : "ok  ")} {Path.GetFileName(file)}: {outcome}");
        if (outcome.IsBug)
            bugs++;
    }

    return bugs == 0 ? 0 : 1;
}

// Renames a path's committed findings after the class they end in now (after a change of the class scheme), keeping OPEN in step.
static int Rename(string path)
{
    string dir = Path.Combine(Seeds.FindingsRoot, path);
    string openFile = Path.Combine(dir, "OPEN");
    string open = File.Exists(openFile) ? File.ReadAllText(openFile) : "";
    var findings = Seeds.Findings(path).ToArray();
    using var worker = new FuzzWorker(path, findings.Max(f => f.Data.Length));
    foreach (var (name, data) in findings)
    {
        var outcome = worker.Run(data);
        string wanted = Outcome.FileId(outcome.Class) + ".bin";
        if (!outcome.IsBug || wanted == name || File.Exists(Path.Combine(dir, wanted)))
        {
            Console.WriteLine($"kept    {name}: {outcome.Class}");
            continue;
        }

        File.Move(Path.Combine(dir, name), Path.Combine(dir, wanted));
        open = string.Join('\n', open.Split('\n').Select(l => l.StartsWith(name + " ", StringComparison.Ordinal) ? wanted + l[name.Length..] : l));
        Console.WriteLine($"renamed {name} -> {wanted}");
    }

    if (File.Exists(openFile))
        File.WriteAllText(openFile, open);
    return 0;
}

static int RunCampaigns(string[] args)
{
    var paths = new List<string>();
    double seconds = 60;
    int seed = 1;
    long cases = long.MaxValue;
    bool findings = true;
    string? report = null;
    string? sharpfuzz = null;
    for (int i = 0; i < args.Length; i++)
    {
        string Value() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{args[i]} needs a value");
        switch (args[i])
        {
            case "--minutes":
                seconds = double.Parse(Value(), CultureInfo.InvariantCulture) * 60;
                break;
            case "--seconds":
                seconds = double.Parse(Value(), CultureInfo.InvariantCulture);
                break;
            case "--seed":
                seed = int.Parse(Value(), CultureInfo.InvariantCulture);
                break;
            case "--cases":
                cases = long.Parse(Value(), CultureInfo.InvariantCulture);
                break;
            case "--no-findings":
                findings = false;
                break;
            case "--report":
                report = Value();
                break;
            case "--sharpfuzz":
                sharpfuzz = Value();
                break;
            default:
                if (!FuzzTargets.IsKnown(args[i]))
                {
                    Console.Error.WriteLine($"unknown path '{args[i]}'; known: {string.Join(", ", FuzzTargets.Paths)}");
                    return 2;
                }

                paths.Add(args[i]);
                break;
        }
    }

    if (paths.Count == 0)
        paths.AddRange(FuzzTargets.Paths);
    string? instrumented = null;
    if (sharpfuzz is not null)
    {
        // coverage guidance: sharpfuzz instruments a copy of Analysis.dll; the worker reads the edge map itself (no AFL, no libFuzzer)
        instrumented = Campaign.Instrument(FuzzWorker.DefaultDll, sharpfuzz, Path.Combine(RepoPaths.Root, "artifacts", "fuzz", $"instrumented-{Environment.ProcessId}"));
        Console.WriteLine($"Coverage-guided: {Path.GetDirectoryName(instrumented)} (Analysis.dll instrumented by sharpfuzz)");
    }

    var results = new List<CampaignResult>();
    foreach (string path in paths)
    {
        Console.WriteLine($"==> Fuzzing {path} for {seconds:F0} s (seed {seed})");
        var campaign = new Campaign
        {
            Path = path,
            Seeds = Seeds.For(path),
            RandomSeed = seed,
            Duration = TimeSpan.FromSeconds(seconds),
            MaxCases = cases,
            FindingsDirectory = findings ? Path.Combine(Seeds.FindingsRoot, path) : null,
            Log = Console.WriteLine,
            InstrumentedDll = instrumented,
        };
        var result = campaign.Run();
        results.Add(result);
        Console.WriteLine(result.Details());
    }

    var text = new StringBuilder();
    text.AppendLine(CultureInfo.InvariantCulture, $"Fuzz campaign, seed {seed}, {seconds:F0} s per path, {(instrumented is null ? "mutation only" : "coverage-guided (sharpfuzz)")}, {DateTime.UtcNow:u}");
    text.AppendLine();
    text.AppendLine(CampaignResult.Header);
    foreach (var r in results)
        text.AppendLine(r.Row());
    text.AppendLine();
    foreach (var r in results)
        text.AppendLine(r.Details());
    Console.WriteLine(text.ToString());
    report ??= Path.Combine(RepoPaths.Root, "artifacts", "fuzz", $"report-{DateTime.UtcNow:yyyyMMdd-HHmmss}.md");
    Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(report))!);
    File.WriteAllText(report, text.ToString());
    Console.WriteLine($"Report: {report}");
    if (instrumented is not null)
        Directory.Delete(Path.GetDirectoryName(instrumented)!, recursive: true);
    return results.Any(r => r.Bugs.Any()) ? 1 : 0;
}
