using System.Globalization;
using System.Text.Json.Nodes;
using Analysis.Testing;

namespace Analysis.Bench;

/// <summary>
/// Our Jupyter kernel against the .NET Interactive kernel on this machine, both through a real client (Debian's
/// jupyter_client, tests/Analysis.Bench/kernel_bench.py), alternating, a fresh kernel process per measurement: start to
/// the kernel_info reply, the first cell, a trivial cell's warm round-trip (execute request to reply and idle; the
/// median of 10), and the resident memory of the kernel's processes after start. Pairs: ours running <c>1+1</c> as
/// PowerShell (its default) against <c>.net-powershell</c>, and <c>#!csharp 1+1</c> against <c>.net-csharp</c>.
/// The kernelspecs are the tests' (<see cref="JupyterKernels"/>, under artifacts/kernel-tests).
///   Analysis.Bench kernel [rounds]
/// </summary>
internal static class KernelBench
{
    private sealed record Pair(string Reference, string ReferenceCode, string OursCode);

    private static readonly Pair[] Pairs =
    [
        new(JupyterKernels.DotNetPowerShell, "1+1", "1+1"),
        new(JupyterKernels.DotNetCSharp, "1+1", "#!csharp\n1+1"),
    ];

    private sealed record Measurement(double StartMs, double FirstCellMs, double RoundTripMs, long RssStartKb, long RssAfterKb);

    public static int Run(int rounds)
    {
        string ours = JupyterKernels.UnderTest;
        string? oursMissing = JupyterKernels.Missing(ours);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"Jupyter kernels through jupyter_client (kernel_bench.py): start = process start to kernel_info reply, round-trip = '1+1' warm (median of 10), RSS = the kernel's processes after start; median of {rounds}, {Environment.ProcessorCount} cores"));
        if (oursMissing is not null)
            Console.WriteLine($"  ours ({ours}) cannot run: {oursMissing}; the references are timed alone");
        bool ok = true;
        foreach (var pair in Pairs)
        {
            if (JupyterKernels.Missing(pair.Reference) is { } missing)
            {
                Console.WriteLine($"  {pair.Reference} cannot run: {missing}");
                ok = false;
                continue;
            }

            var reference = new List<Measurement>();
            var mine = new List<Measurement>();
            for (int round = 1; round <= rounds; round++)
            {
                var r = Measure(pair.Reference, pair.ReferenceCode);
                var o = oursMissing is null ? Measure(ours, pair.OursCode) : null;
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"  round {round}: {pair.Reference} {Describe(r)}{(o is null ? "" : $"; {ours} {Describe(o)}")}"));
                ok &= r is not null && (oursMissing is not null || o is not null);
                if (r is not null)
                    reference.Add(r);
                if (o is not null)
                    mine.Add(o);
            }

            if (reference.Count == 0)
                continue;
            Console.WriteLine();
            Console.WriteLine($"  {"",-34} {"start ms",9} {"first cell ms",14} {"round-trip ms",14} {"RSS start MB",13} {"RSS after MB",13}");
            Row($"{pair.Reference} (reference)", reference);
            if (mine.Count > 0)
            {
                Row($"{ours}, {pair.OursCode.Replace("\n", " ", StringComparison.Ordinal)}", mine);
                double M(List<Measurement> l, Func<Measurement, double> f) => BenchProcess.Median(l.Select(f));
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"  ratios ours/{pair.Reference}: start {M(mine, m => m.StartMs) / M(reference, m => m.StartMs):F2} (goal <= 0.50), round-trip {M(mine, m => m.RoundTripMs) / M(reference, m => m.RoundTripMs):F2} (goal <= 1.00), first cell {M(mine, m => m.FirstCellMs) / M(reference, m => m.FirstCellMs):F2}, RSS after start {M(mine, m => m.RssStartKb) / M(reference, m => m.RssStartKb):F2}"));
            }

            Console.WriteLine();
        }

        return ok ? 0 : 1;
    }

    private static string Describe(Measurement? m) => m is null ? "FAILED" : string.Create(CultureInfo.InvariantCulture,
        $"start {m.StartMs:F0} ms, first cell {m.FirstCellMs:F0} ms, round-trip {m.RoundTripMs:F1} ms, {m.RssStartKb / 1024} MB");

    private static void Row(string name, List<Measurement> l) => Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
        $"  {name,-34} {BenchProcess.Median(l.Select(m => m.StartMs)),9:F0} {BenchProcess.Median(l.Select(m => m.FirstCellMs)),14:F0} {BenchProcess.Median(l.Select(m => m.RoundTripMs)),14:F1} {BenchProcess.Median(l.Select(m => (double)m.RssStartKb)) / 1024,13:F0} {BenchProcess.Median(l.Select(m => (double)m.RssAfterKb)) / 1024,13:F0}"));

    /// <summary>One fresh kernel: kernel_bench.py's RESULT line, or null (its error printed) when the kernel failed.</summary>
    private static Measurement? Measure(string kernel, string code)
    {
        string script = Path.Combine(RepoPaths.Root, "tests", "Analysis.Bench", "kernel_bench.py");
        var r = JupyterKernels.Run("/usr/bin/python3", [script, kernel, code, "2", "--round-trips", "10"],
            env: new Dictionary<string, string> { ["JUPYTER_PATH"] = JupyterKernels.JupyterPath });
        string? line = r.Stdout.Split('\n').LastOrDefault(l => l.StartsWith("RESULT ", StringComparison.Ordinal));
        if (r.ExitCode != 0 || line is null)
        {
            Console.WriteLine($"  {kernel}: kernel_bench.py exited {r.ExitCode}: {r.Stderr.Trim()}");
            return null;
        }

        var j = JsonNode.Parse(line["RESULT ".Length..])!;
        return new Measurement(j["startMs"]!.GetValue<double>(), j["firstCellMs"]!.GetValue<double>(), j["roundTripMs"]!.GetValue<double>(),
            j["rssStartKb"]!.GetValue<long>(), j["rssAfterKb"]!.GetValue<long>());
    }
}
