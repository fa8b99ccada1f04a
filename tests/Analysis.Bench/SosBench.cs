using System.Diagnostics;
using System.Globalization;
using Microsoft.Diagnostics.Runtime;

namespace Analysis.Bench;

/// <summary>
/// Whole processes against SOS, as a user meets them: our command in real pwsh with the module imported
/// (<c>dotnet pwsh -NoProfile -c "Import-Module …; …"</c>) against <c>dotnet dotnet-dump analyze &lt;dump&gt; -c … -c exit</c>
/// (the local tools), alternating, median of the rounds for each, in one run; prints each pair's ratio.
///   Analysis.Bench sos &lt;dump&gt; &lt;Analysis.psd1&gt; [rounds] [only pairs whose name contains this]   (run from the repository, where the tool manifest is)
/// </summary>
internal static class SosBench
{
    /// <summary>
    /// The pairs: a name, our pwsh command, SOS's command, and a text both outputs must contain. In the commands,
    /// {dump} is the dump's path (quoted for pwsh), {type} the bulk target's node type, {tag} its tag type (a tenth of the nodes), {address} the address of the
    /// array of chunks that holds every node (found with ClrMD when a pair uses it).
    /// </summary>
    private static readonly SosPair[] Pairs =
    [
        new("Get-HeapTop vs dumpheap -stat", "Get-HeapTop -Path {dump}", "dumpheap -stat", "BulkNode"),
        // a type with a tenth of the nodes (1M on the 10M dump), every object listed: SOS prints one line per object, ours
        // writes one object per object to the pipeline, counted by Measure-Object
        new("Get-HeapObject vs dumpheap -type", "(Get-HeapObject -Path {dump} -TypeName {tag} | Measure-Object).Count", "dumpheap -type {tag}", null),
        // objsize lists every object it reaches; -stat only sums them by type, SOS's fastest way to the same total
        new("Measure-DumpObject vs objsize", "Measure-DumpObject -Path {dump} -Address {address}", "objsize {address}", null),
        new("Measure-DumpObject vs objsize -stat", "Measure-DumpObject -Path {dump} -Address {address}", "objsize -stat {address}", null),
    ];

    /// <summary>The bulk target's node type (tests/TestTargets/DumpTarget, "bulk" mode).</summary>
    private const string NodeType = "DumpTarget.BulkNode";

    /// <summary>The bulk target's tag type: one per ten nodes.</summary>
    private const string TagType = "DumpTarget.BulkTag";

    private sealed record SosPair(string Name, string Ours, string Sos, string? Expect);

    /// <param name="only">Runs only the pairs whose name contains this text (all when null).</param>
    public static int Run(string dump, string manifest, int rounds, string? only = null)
    {
        dump = Path.GetFullPath(dump);
        manifest = Path.GetFullPath(manifest);
        var address = new Lazy<string>(() => "0x" + ChunksAddress(dump).ToString("x", CultureInfo.InvariantCulture));
        string Fill(string command, bool forPwsh) => command
            .Replace("{dump}", forPwsh ? "'" + dump.Replace("'", "''", StringComparison.Ordinal) + "'" : dump, StringComparison.Ordinal)
            .Replace("{type}", NodeType, StringComparison.Ordinal)
            .Replace("{tag}", TagType, StringComparison.Ordinal)
            .Replace("{address}", command.Contains("{address}", StringComparison.Ordinal) ? address.Value : "", StringComparison.Ordinal);

        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"whole processes on {Path.GetFileName(dump)} ({new FileInfo(dump).Length / (1024 * 1024):N0} MB): ours = dotnet pwsh -NoProfile -c \"Import-Module Analysis; <command>\", SOS = dotnet dotnet-dump analyze <dump> -c <command> -c exit; median of {rounds}, {Environment.ProcessorCount} cores"));
        bool ok = true;
        var rows = new List<(SosPair Pair, double Ours, double Sos)>();
        foreach (var pair in Pairs.Where(p => only is null || p.Name.Contains(only, StringComparison.OrdinalIgnoreCase)))
        {
            string ours = $"$ErrorActionPreference = 'Stop'; Import-Module '{manifest.Replace("'", "''", StringComparison.Ordinal)}'; {Fill(pair.Ours, forPwsh: true)}";
            string sos = Fill(pair.Sos, forPwsh: false);
            var oursMs = new List<double>();
            var sosMs = new List<double>();
            for (int round = 1; round <= rounds; round++)
            {
                var (o, oOut) = Time("dotnet", ["pwsh", "-NoProfile", "-NonInteractive", "-Command", ours]);
                var (s, sOut) = Time("dotnet", ["dotnet-dump", "analyze", dump, "-c", sos, "-c", "exit"]);
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  {pair.Name}, round {round}: ours {o,7:F0} ms, SOS {s,7:F0} ms"));
                if (pair.Expect is { } expect && (!oOut.Contains(expect, StringComparison.Ordinal) || !sOut.Contains(expect, StringComparison.Ordinal)))
                {
                    Console.WriteLine($"  MISSING '{expect}' in an output:\n--- ours\n{Tail(oOut)}\n--- SOS\n{Tail(sOut)}");
                    ok = false;
                }

                if (round == 1)
                    Console.WriteLine($"    ours ends: {LastLine(oOut)}\n    SOS ends:  {LastLine(sOut)}");
                oursMs.Add(o);
                sosMs.Add(s);
            }

            rows.Add((pair, BenchProcess.Median(oursMs), BenchProcess.Median(sosMs)));
        }

        Console.WriteLine();
        Console.WriteLine($"  {"pair",-36} {"ours ms",9} {"SOS ms",9} {"ratio",7}");
        foreach (var (pair, o, s) in rows)
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  {pair.Name,-36} {o,9:F0} {s,9:F0} {o / s,7:F2}   goal <= 0.50"));
        return ok ? 0 : 1;
    }

    /// <summary>Runs a process to its end, output read; its wall time (ms) and output. Throws when it fails.</summary>
    private static (double Ms, string Output) Time(string file, string[] args)
    {
        var psi = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (string a in args)
            psi.ArgumentList.Add(a);
        psi.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        psi.Environment["NO_COLOR"] = "1";
        var sw = Stopwatch.StartNew();
        using var p = Process.Start(psi)!;
        var error = p.StandardError.ReadToEndAsync();
        string output = p.StandardOutput.ReadToEnd();
        p.WaitForExit();
        sw.Stop();
        if (p.ExitCode != 0)
            throw new InvalidOperationException($"{file} {string.Join(' ', args)} exited with {p.ExitCode}:\n{Tail(output)}\n{Tail(error.Result)}");
        return (sw.Elapsed.TotalMilliseconds, output + error.Result);
    }

    private static string LastLine(string text) =>
        text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).LastOrDefault(l => l != ">" && !l.StartsWith("exit", StringComparison.Ordinal)) ?? "";

    private static string Tail(string text) => text.Length <= 3000 ? text : "…" + text[^3000..];

    /// <summary>The array of chunks (BulkNode[][]) the bulk target keeps every node in.</summary>
    private static ulong ChunksAddress(string dump)
    {
        using var target = DataTarget.LoadDump(dump);
        // the bench's dumps come from this runtime: its DAC reads them (ClrMD does not look one up on Linux)
        string dac = Path.Combine(System.Runtime.InteropServices.RuntimeEnvironment.GetRuntimeDirectory(), "libmscordaccore.so");
        using var runtime = target.ClrVersions[0].CreateRuntime(dac, ignoreMismatch: true); // an ELF core records no version for ClrMD to match
        return runtime.Heap.EnumerateObjects().First(o => o.Type?.Name == NodeType + "[][]").Address;
    }
}
