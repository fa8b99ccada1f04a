using System.Diagnostics;
using System.Globalization;

namespace Analysis.Bench;

/// <summary>
/// Issue 12, as investigators meet it: the questions asked in a real pwsh session (the module imported, a dump or a
/// trace opened once, then cmdlets), with the engine in pwsh's own process (ANALYSIS_ENGINE_ISOLATION=inprocess)
/// against the default worker process. One whole pwsh process per measurement, alternating modes; each question is
/// timed inside the session with a stopwatch around the cmdlet (its objects collected, not formatted); medians of the
/// rounds; a digest of every answer's text must be equal in both modes. A dump's session goes on with another dump (a
/// copy of the first) after closing the first, then the first again beside it: in process the engine's code is warm
/// by then; through workers, the shared worker (SharedWorker) reads the copy after the close, and the first again beside
/// it. The worker mode runs as on a machine where the module was used before: the workers replay the list of methods
/// the last worker of their kind compiled (WorkerJitProfile; one unmeasured session records it first, in the bench's
/// own cache folder); the "first" mode runs each session with an empty cache folder, as the first session on a
/// machine, where a dump worker replays the list the build shipped with the module (lib/dump.jitprofile). With --own, another mode reads each dump in a worker of its own (ANALYSIS_ENGINE_ISOLATION=own): there the
/// first again gets a new worker.
///   Analysis.Bench session-isolation &lt;Analysis.psd1&gt; &lt;dump&gt; &lt;trace&gt;... [--rounds N] [--own]
/// </summary>
internal static class SessionIsolationBench
{
    private static readonly string[] DumpSteps = ["open", "threads", "heap", "rootpaths", "retained", "triage", "again", "new", "newagain",
        "open2", "threads2", "heap2", "rootpaths2", "retained2", "triage2", "open3", "threads3", "heap3", "rootpaths3", "retained3", "triage3"];

    private static readonly string[] DumpNames =
    [
        "Open-Dump", "Get-DumpThreads, first time", "Get-HeapTop, first time (heap walk)", "Get-GcRoot -TypeName, first time (graph index)",
        "Get-HeapTop -Retained, first time (dominators)", "Get-DumpTriage, first time", "the same cmdlets again (a second later)",
        "40 new single-object/type cmdlets (Get-GcRoot, Measure-DumpObject)", "those cmdlets again",
        "another dump (a copy) after Close-Dump of the first: Open-Dump", "  Get-DumpThreads, first time", "  Get-HeapTop, first time", "  Get-GcRoot -TypeName, first time",
        "  Get-HeapTop -Retained, first time", "  Get-DumpTriage, first time",
        "the first dump again, the copy still open: Open-Dump", "  Get-DumpThreads, first time", "  Get-HeapTop, first time", "  Get-GcRoot -TypeName, first time",
        "  Get-HeapTop -Retained, first time", "  Get-DumpTriage, first time",
    ];

    private static readonly string[] TraceSteps = ["open", "first", "second", "steady"];

    private static readonly string[] TraceNames =
    [
        "Import-Trace", "6 trace cmdlets, first time", "the same, a second later", "the same at steady state (rounds 4-6)",
    ];

    /// <summary>The modes and their column titles: the engine in pwsh's process first (the ratios' base).</summary>
    private static readonly Dictionary<string, string> ModeTitles = new()
    {
        ["inprocess"] = "in-process", ["worker"] = "worker", ["first"] = "first session", ["own"] = "own worker",
    };

    public static int Run(string manifest, IReadOnlyList<string> files, int rounds, bool own = false)
    {
        // the cache folder of every session but the "first" ones (Open-Dump -NoCache: only the workers' JIT lists go there)
        string cache = Path.Combine(Path.GetTempPath(), $"analysis-session-bench-cache-{Environment.ProcessId}");
        Directory.CreateDirectory(cache);
        try
        {
            return Run(manifest, files, rounds, own, cache) ? 0 : 1;
        }
        finally
        {
            Directory.Delete(cache, recursive: true);
        }
    }

    private static bool Run(string manifest, IReadOnlyList<string> files, int rounds, bool own, string cache)
    {
        bool agree = true;
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"questions in a real pwsh session (dotnet pwsh, module imported), engine in pwsh's process vs in the worker; a whole pwsh process per measurement, median of {rounds}, {Environment.ProcessorCount} cores"));
        foreach (string file in files)
        {
            bool isDump = !file.EndsWith(".nettrace", StringComparison.OrdinalIgnoreCase);
            // a second dump in the same session: a copy, so both modes answer the same questions about it
            string second = Path.Combine(Path.GetDirectoryName(Path.GetFullPath(file))!, Path.GetFileNameWithoutExtension(file) + ".second" + Path.GetExtension(file));
            if (isDump)
                File.Copy(file, second, overwrite: true);
            try
            {
                string script = isDump ? DumpScript(manifest, file, second) : TraceScript(manifest, file);
                string[] steps = isDump ? DumpSteps : TraceSteps;
                var samples = new List<(string Mode, double[] Ms, string Digest)>();
                string[] modes = own && isDump ? ["inprocess", "worker", "first", "own"] : ["inprocess", "worker", "first"];
                RunPwsh(script, "worker", cache); // records the workers' JIT list for this kind of file (not measured)
                Thread.Sleep(1000); // the workers write it as they end, a moment after pwsh
                for (int i = 0; i < rounds; i++)
                {
                    foreach (string mode in modes)
                    {
                        var r = RunPwsh(script, mode, cache);
                        var ms = r.Skip(1).Take(steps.Length).Select(v => double.Parse(v, CultureInfo.InvariantCulture)).ToArray();
                        samples.Add((mode, ms, r[steps.Length + 1]));
                        Console.WriteLine($"  round {i + 1} {mode,-9}: " + string.Join(", ", steps.Select((s, k) => string.Create(CultureInfo.InvariantCulture, $"{s} {ms[k]:F1}"))));
                    }
                }

                Console.WriteLine();
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{Path.GetFileName(file)} ({Bytes.Format(new FileInfo(file).Length)}), in pwsh"));
                Console.WriteLine($"  {"",-70} {ModeTitles[modes[0]],12}" + string.Concat(modes.Skip(1).Select(m => $" {ModeTitles[m],12} {"ratio",8}")));
                string[] names = isDump ? DumpNames : TraceNames;
                for (int k = 0; k < steps.Length; k++)
                {
                    double a = BenchProcess.Median(samples.Where(s => s.Mode == modes[0]).Select(s => s.Ms[k]));
                    string line = string.Create(CultureInfo.InvariantCulture, $"  {names[k],-70} {a,9:F1} ms");
                    foreach (string mode in modes.Skip(1))
                    {
                        double b = BenchProcess.Median(samples.Where(s => s.Mode == mode).Select(s => s.Ms[k]));
                        line += string.Create(CultureInfo.InvariantCulture, $" {b,9:F1} ms {(a > 0 ? b / a : double.NaN),8:F2}");
                    }

                    Console.WriteLine(line);
                }

                bool same = samples.Select(s => s.Digest).Distinct().Count() == 1;
                agree &= same;
                Console.WriteLine(same ? "  answers identical in every mode (digest of every answer's text)" : "  MISMATCH: the modes answer differently");
                Console.WriteLine();
            }
            finally
            {
                File.Delete(second);
            }
        }

        return agree;
    }

    private static string Quote(string s) => "'" + s.Replace("'", "''", StringComparison.Ordinal) + "'";

    /// <summary>What both scripts share: the module, a timer that collects a command's objects, and the digest.</summary>
    private static string Prelude(string manifest) => $$"""
        $ErrorActionPreference = 'Stop'
        Import-Module {{Quote(manifest)}}
        $script:answers = [System.Text.StringBuilder]::new()
        $script:clock = [System.Diagnostics.Stopwatch]::new()
        function T([scriptblock] $question) {
            $script:clock.Restart()
            $out = @(& $question)
            $ms = $script:clock.Elapsed.TotalMilliseconds
            foreach ($o in $out) { [void]$script:answers.AppendLine("$o") }
            $ms
        }
        function Digest { [System.Convert]::ToHexString([System.Security.Cryptography.SHA256]::HashData([System.Text.Encoding]::UTF8.GetBytes($script:answers.ToString()))).Substring(0, 16) }
        function F([double] $ms) { $ms.ToString('F2', [System.Globalization.CultureInfo]::InvariantCulture) }
        """;

    private static string DumpScript(string manifest, string dump, string second) => Prelude(manifest) + $$"""

        $open = T { $script:d = Open-Dump -Path {{Quote(dump)}} -NoCache }
        $threads = T { Get-DumpThreads -Dump $d }
        $heap = T { Get-HeapTop -Dump $d -Top 50 }
        $type = (Get-HeapTop -Dump $d -Top 200 -TypeName 'Contoso.*' | Select-Object -First 1).TypeName
        if (-not $type) { $type = (Get-HeapTop -Dump $d -Top 1).TypeName }
        $rootpaths = T { $script:paths = Get-GcRoot -Dump $d -TypeName $type -Top 10; $script:paths }
        $retained = T { Get-HeapTop -Dump $d -Retained -Top 50 }
        $triage = T { Get-DumpTriage -Dump $d }
        Start-Sleep -Seconds 1
        $again = T {
            Get-DumpThreads -Dump $d
            Get-HeapTop -Dump $d -Top 20 -SortBy Count -TypeName 'System.*'
            Get-HeapTop -Dump $d -Retained -Top 10 -TypeName 'Contoso.*'
            Get-DumpTriage -Dump $d
        }
        # new questions, each a round trip to the worker: the reverse references every -All question needs are built
        # first (untimed), as in the library's benchmark
        $addresses = @($paths | ForEach-Object { $_.Addresses } | Select-Object -First 11)
        $types = @(Get-HeapTop -Dump $d -Top 10 -TypeName 'System.*' | ForEach-Object TypeName)
        $null = Get-GcRoot -Dump $d -Address $addresses[-1] -All -Top 3
        $addresses = $addresses[0..($addresses.Count - 2)]
        $new = @()
        foreach ($pass in 1, 2) {
            Start-Sleep -Seconds 1
            $new += T {
                foreach ($a in $addresses) {
                    Get-GcRoot -Dump $d -Address $a
                    Measure-DumpObject -Dump $d -Address $a -Retained
                    Get-GcRoot -Dump $d -Address $a -All -Top 3
                }
                foreach ($t in $types) { Get-GcRoot -Dump $d -TypeName $t -Top 3 }
            }
        }
        # another dump after closing the first (in process the engine's code is warm by now; the shared worker reads it),
        # then the first again while that one is open (the shared worker again): open and the first questions of each
        function Fresh([string] $path) {
            $times = @(
                T { $script:d = Open-Dump -Path $path -NoCache }
                T { Get-DumpThreads -Dump $d }
                T { Get-HeapTop -Dump $d -Top 50 }
                T { Get-GcRoot -Dump $d -TypeName $type -Top 10 }
                T { Get-HeapTop -Dump $d -Retained -Top 50 }
                T { Get-DumpTriage -Dump $d }
            )
            ($times | ForEach-Object { F $_ }) -join ' '
        }
        Close-Dump -Dump $d
        Start-Sleep -Seconds 1
        $second = Fresh {{Quote(second)}}
        $copy = $d
        Start-Sleep -Seconds 1
        $third = Fresh {{Quote(dump)}}
        Close-Dump -Dump $d
        Close-Dump -Dump $copy
        "RESULT $(F $open) $(F $threads) $(F $heap) $(F $rootpaths) $(F $retained) $(F $triage) $(F $again) $(F $new[0]) $(F $new[1]) $second $third $(Digest)"
        """;

    private static string TraceScript(string manifest, string trace) => Prelude(manifest) + $$"""

        $open = T { $script:t = Import-Trace -Path {{Quote(trace)}} }
        $rounds = @()
        foreach ($round in 1..6) {
            if ($round -gt 1) { Start-Sleep -Seconds 1 }
            if ($round -gt 1) { [void]$script:answers.Clear() }
            $rounds += T {
                Get-TraceGcSummary -Trace $t
                Get-TraceCpuTop -Trace $t -Top 50 -AllSamples
                Get-TraceCpuTop -Trace $t -Top 50 -Inclusive
                Get-TraceStacks -Trace $t -AllSamples | Select-Object -First 200
                Get-TraceExceptions -Trace $t | Select-Object -First 1000
                Get-TraceContention -Trace $t | Select-Object -First 1000
            }
        }
        $steady = ($rounds[3..5] | Sort-Object)[1]
        "RESULT $(F $open) $(F $rounds[0]) $(F $rounds[1]) $(F $steady) $(Digest)"
        """;

    private static string[] RunPwsh(string script, string mode, string cache)
    {
        string file = Path.Combine(Path.GetTempPath(), $"analysis-session-bench-{Environment.ProcessId}.ps1");
        File.WriteAllText(file, script);
        // "first": a cache folder of its own, empty, so the workers find no JIT list there (only the module's shipped one) and leave theirs there
        string? empty = mode == "first" ? Path.Combine(Path.GetTempPath(), $"analysis-session-bench-empty-{Guid.NewGuid():N}") : null;
        var psi = new ProcessStartInfo("dotnet");
        foreach (string a in new[] { "pwsh", "-NoProfile", "-NonInteractive", "-File", file })
            psi.ArgumentList.Add(a);
        psi.Environment["ANALYSIS_ENGINE_ISOLATION"] = mode == "first" ? "worker" : mode;
        psi.Environment["ANALYSIS_CACHE_DIR"] = empty ?? cache;
        psi.Environment.Remove("ANALYSIS_JIT_PROFILE");
        try
        {
            return BenchProcess.RunForResult($"pwsh session ({mode})", psi);
        }
        finally
        {
            File.Delete(file);
            if (empty is not null)
                RemoveLater(empty);
        }
    }

    /// <summary>Removes a "first" session's cache folder once its workers, which outlive pwsh by a moment, have left it.</summary>
    private static void RemoveLater(string folder)
    {
        for (int attempt = 0; attempt < 20 && Directory.Exists(folder); attempt++)
        {
            try
            {
                Directory.Delete(folder, recursive: true);
            }
            catch (IOException)
            {
                Thread.Sleep(100);
            }
        }
    }
}
