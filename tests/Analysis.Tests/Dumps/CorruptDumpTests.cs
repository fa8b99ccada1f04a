using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;
using Analysis.Dumps;
using Analysis.Testing;
using Xunit;
using Xunit.Abstractions;

namespace Analysis.Tests.Dumps;

/// <summary>
/// Damaged real dumps: every question gives an answer or one AnalysisException, never another exception, and never the
/// end of the session's process. Bit flips run in a helper process (Analysis.DumpProbe) that stands for the session: the
/// DAC crashes the process it runs in, which is the session's worker, so the helper must live through every case.
/// </summary>
public sealed partial class CorruptDumpTests(ITestOutputHelper output)
{
    private static DumpSet Dumps => DumpSet.FactsLite;

    [Theory]
    [InlineData(100)]           // inside the program headers
    [InlineData(4_096)]         // headers whole, notes cut
    [InlineData(1_000_000)]
    [InlineData(-1)]            // one byte short
    public void Open_RealDumpCutOff_IsTruncatedNamingBothLengths(int keep)
    {
        string source = Dumps[CapturedDump.CreateDumpWithHeap];
        long length = new FileInfo(source).Length;
        long cut = keep < 0 ? length + keep : keep;
        string path = Path.Combine(Dumps.Scratch, $"cut-{cut}.dmp");
        using (var from = File.OpenRead(source))
        using (var to = File.Create(path))
        {
            var buffer = new byte[1 << 20];
            for (long left = cut; left > 0;)
            {
                int n = from.Read(buffer, 0, (int)Math.Min(buffer.Length, left));
                to.Write(buffer, 0, n);
                left -= n;
            }
        }

        try
        {
            var e = Assert.Throws<AnalysisException>(() => DumpSession.Open(path));
            Assert.Equal(AnalysisErrorKind.Truncated, e.Kind);
            Assert.Contains(path, e.Message);
            Assert.Contains($"the file has {cut:N0}", e.Message);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void FinalizationQueueWithADamagedBound_IsAWarning_NotAnEndlessRead()
    {
        // The fuzz campaign's hang (seed 30, case 1,765): a flipped fill pointer of the finalization queue made ClrMD read
        // petabytes of empty slots, yielding nothing, so no cancellation reached it. Here the same damage on purpose: every
        // fill pointer after the first of a real dump moved 2^50 bytes up, found by their values in the dump file.
        string source = Dumps[CapturedDump.CreateDumpWithHeap];
        ulong[] pointers;
        using (var engine = DumpEngine.Open(source, new DumpOpenOptions { NoCache = true }))
            pointers = engine.GetClrRuntime().Heap.SubHeaps[0].FinalizationPointers.ToArray();
        Assert.True(pointers.Length >= 3);
        var bytes = File.ReadAllBytes(source);
        var pattern = pointers.SelectMany(BitConverter.GetBytes).ToArray();
        int at = bytes.AsSpan().IndexOf(pattern);
        Assert.True(at > 0, "the fill pointers are not in the dump as one run");
        for (int i = 1; i < pointers.Length; i++)
            BitConverter.TryWriteBytes(bytes.AsSpan(at + (8 * i)), pointers[i] + (1UL << 50));
        string path = Path.Combine(Dumps.Scratch, "finalizer-queue.dmp");
        File.WriteAllBytes(path, bytes);
        bytes = null;

        try
        {
            using var session = DumpSession.Open(path, new DumpOpenOptions { NoCache = true });
            using var budget = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            var clock = Stopwatch.StartNew();
            var finalizer = session.GetFinalizer(budget.Token);
            string warning = Assert.Single(finalizer.Warnings);
            Assert.Contains("finalization queue of GC heap 0 is damaged", warning, StringComparison.Ordinal);
            Assert.Equal(0, finalizer.ReadyCount);
            Assert.Equal(0, finalizer.RegisteredCount);
            // the object graph leaves the queue out too, and says so
            Assert.True(session.FindRootPaths(TargetFacts.LeakedOrderType, 1, cancellationToken: budget.Token).Reachable > 0);
            Assert.Contains(warning, session.GraphWarnings);
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(20), $"{clock.Elapsed.TotalSeconds:F1} s");
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void Open_HandMadeElfCoreWithoutAuxv_IsWrongFormatWithClrMdsCause()
    {
        // A core whose headers are whole but whose note segment holds no entries: ClrMD finds no auxiliary vector.
        var b = HandMadeCore(auxvNote: false);
        string path = Path.Combine(Dumps.Scratch, "noauxv.core");
        File.WriteAllBytes(path, b);

        var e = Assert.Throws<AnalysisException>(() => DumpSession.Open(path));
        Assert.True(e.Kind == AnalysisErrorKind.WrongFormat, e.ToString());
        Assert.Contains(path, e.Message);
        // the cause is ClrMD's exception (as the worker reports it when the dump is read there)
        string cause = e.InnerException switch
        {
            EngineFaultException f => f.ExceptionType,
            { } inner => inner.GetType().FullName!,
            null => "none",
        };
        Assert.StartsWith("System.", cause, StringComparison.Ordinal);
    }

    [Fact]
    public void Open_HandMadeHeadersMutatedBySeed_AreAnalysisExceptionsOnly()
    {
        // A small valid-looking core and minidump, each byte of their headers mutated in turn: only AnalysisExceptions.
        var rng = new Random(20261128);
        var others = new List<string>();
        int cases = 0;
        foreach (var (name, template) in new[] { ("core", HandMadeCore()), ("mdmp", HandMadeMinidump()) })
        {
            for (int i = 0; i < 400; i++)
            {
                var b = (byte[])template.Clone();
                int flips = 1 + rng.Next(4);
                for (int k = 0; k < flips; k++)
                    b[rng.Next(Math.Min(b.Length, 256))] = (byte)rng.Next(256);
                string path = Path.Combine(Dumps.Scratch, $"mutated.{name}");
                File.WriteAllBytes(path, b);
                cases++;
                try
                {
                    // our header checks and ClrMD's parsing of them, in this process (a worker per case would be most of the time)
                    using var session = DumpSession.Open(path, new DumpOpenOptions { NoCache = true, Isolation = EngineIsolation.InProcess });
                    _ = session.GetThreads();
                }
                catch (AnalysisException)
                {
                }
                catch (Exception e)
                {
                    others.Add($"{name} #{i}: {e.GetType().Name}: {e.Message}");
                }
            }
        }

        output.WriteLine($"{cases} hand-made headers, {others.Count} other exceptions");
        Assert.Empty(others);
    }

    /// <summary>
    /// Seeded bit flips in a real createdump dump's frames, heap, notes and anywhere in the file (DumpDamage case n of the
    /// seed, the same damage as the fuzz harness's dump case n); each case opens the damaged dump and asks every question
    /// in the helper process. More cases: ANALYSIS_FLIP_CASES (and ANALYSIS_FLIP_SEED). Each damaged dump is read in a
    /// worker shared with the undamaged dump, opened first (as dumps open side by side in one pwsh share it): after every
    /// case, that one answers a new question, from a new worker when the case ended the one they shared.
    /// </summary>
    [Fact]
    public void Questions_OnBitFlippedDumps_AreAnswersOrAnalysisExceptions()
    {
        int cases = int.TryParse(Environment.GetEnvironmentVariable("ANALYSIS_FLIP_CASES"), CultureInfo.InvariantCulture, out int n) ? n : 150;
        int seed = int.TryParse(Environment.GetEnvironmentVariable("ANALYSIS_FLIP_SEED"), CultureInfo.InvariantCulture, out int s) ? s : 1;
        var sw = Stopwatch.StartNew();
        string work = Path.Combine(Dumps.Scratch, "flipped.dmp");
        FlipCampaign.Report report;
        try
        {
            report = FlipCampaign.Run(Dumps[CapturedDump.CreateDumpWithHeap], work, seed, cases, TimeSpan.FromSeconds(20), mode: "beside");
        }
        finally
        {
            File.Delete(work);
            File.Delete(DumpDamage.Pending(work));
        }

        output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{report.Finished} of {cases} cases finished in {sw.Elapsed.TotalSeconds:F0} s (seed {seed})"));
        foreach (var (outcome, count) in report.Outcomes.OrderByDescending(o => o.Value))
            output.WriteLine($"  {count,6} {outcome}");
        foreach (string kill in report.Kills)
            output.WriteLine("  killed: " + kill);
        foreach (string hang in report.Hangs)
            output.WriteLine("  hung: " + hang);
        output.WriteLine($"  the undamaged dump beside: {report.Beside.Count(b => b.Contains("reopened=1", StringComparison.Ordinal))} cases ended the worker it shared and it opened its dump again");

        // the dump read beside answered after every case, whatever the damaged one did to the worker they shared
        Assert.Equal(report.Finished, report.Beside.Count);
        Assert.All(report.Beside, b => Assert.Matches(@"^\d+ OK reopened=[01]$", b));

        Assert.Empty(report.Others);
        // a crash inside the DAC (SIGSEGV) ends the session's worker, not the session: the helper is never killed; a
        // question stuck in the DAC past its cancellation ends the worker too, so nothing hangs
        Assert.Empty(report.Kills);
        Assert.Empty(report.Hangs);
        Assert.Equal(cases, report.Finished);
    }

    /// <summary>
    /// A small x64 ELF core: a PT_NOTE segment at 176 (64 bytes: one NT_AUXV note, or zeros) and a PT_LOAD of 64 bytes
    /// after it.
    /// </summary>
    private static byte[] HandMadeCore(bool auxvNote = true)
    {
        int notes = auxvNote ? 64 : 0;
        var b = new byte[64 + (2 * 56) + 64 + notes];
        b[0] = 0x7f; b[1] = (byte)'E'; b[2] = (byte)'L'; b[3] = (byte)'F';
        b[4] = 2; b[5] = 1; b[6] = 1;
        BitConverter.TryWriteBytes(b.AsSpan(16), (ushort)4);
        BitConverter.TryWriteBytes(b.AsSpan(18), (ushort)62);
        BitConverter.TryWriteBytes(b.AsSpan(32), 64UL);
        BitConverter.TryWriteBytes(b.AsSpan(54), (ushort)56);
        BitConverter.TryWriteBytes(b.AsSpan(56), (ushort)2);
        BitConverter.TryWriteBytes(b.AsSpan(64), 4U);                   // PT_NOTE
        BitConverter.TryWriteBytes(b.AsSpan(64 + 8), 176UL);
        BitConverter.TryWriteBytes(b.AsSpan(64 + 32), 64UL);
        if (auxvNote)
        {
            // One NT_AUXV note (name "CORE", two entries) so ClrMD reads further than the notes.
            BitConverter.TryWriteBytes(b.AsSpan(176), 5U);
            BitConverter.TryWriteBytes(b.AsSpan(180), 32U);
            BitConverter.TryWriteBytes(b.AsSpan(184), 6U);
            "CORE"u8.CopyTo(b.AsSpan(188));
            BitConverter.TryWriteBytes(b.AsSpan(196), 6UL);
            BitConverter.TryWriteBytes(b.AsSpan(204), 4096UL);
        }

        BitConverter.TryWriteBytes(b.AsSpan(120), 1U);                  // PT_LOAD of 64 bytes
        BitConverter.TryWriteBytes(b.AsSpan(120 + 8), (ulong)(176 + notes));
        BitConverter.TryWriteBytes(b.AsSpan(120 + 16), 0x10000UL);
        BitConverter.TryWriteBytes(b.AsSpan(120 + 32), 64UL);
        BitConverter.TryWriteBytes(b.AsSpan(120 + 40), 64UL);
        return b;
    }

    private static byte[] HandMadeMinidump()
    {
        // Header, a directory of three streams (thread list, module list, memory64 list), each small and in the file.
        var b = new byte[256];
        "MDMP"u8.CopyTo(b);
        BitConverter.TryWriteBytes(b.AsSpan(4), 0xA793U);
        BitConverter.TryWriteBytes(b.AsSpan(8), 3U);
        BitConverter.TryWriteBytes(b.AsSpan(12), 32U);
        uint[][] streams = [[3, 4, 100], [4, 4, 120], [9, 32, 140]];
        for (int i = 0; i < streams.Length; i++)
        {
            BitConverter.TryWriteBytes(b.AsSpan(32 + (i * 12)), streams[i][0]);
            BitConverter.TryWriteBytes(b.AsSpan(36 + (i * 12)), streams[i][1]);
            BitConverter.TryWriteBytes(b.AsSpan(40 + (i * 12)), streams[i][2]);
        }

        BitConverter.TryWriteBytes(b.AsSpan(140), 1UL);      // one range
        BitConverter.TryWriteBytes(b.AsSpan(148), 172UL);    // its bytes at 172
        BitConverter.TryWriteBytes(b.AsSpan(156), 0x10000UL);
        BitConverter.TryWriteBytes(b.AsSpan(164), 64UL);
        return b;
    }
}

/// <summary>Drives Analysis.DumpProbe over a range of flip cases, starting it again after it is killed.</summary>
internal static partial class FlipCampaign
{
    /// <param name="Beside">The undamaged dump's answer after each case it was read beside ("beside" mode): "OK reopened=n" or a failure.</param>
    public sealed record Report(int Finished, Dictionary<string, int> Outcomes, List<string> Others, List<string> Kills, List<string> Hangs, List<string> Beside);

    /// <summary>Runs the cases; <paramref name="mode"/> "flips" (each damaged dump alone) or "beside" (each in a worker shared with the undamaged source).</summary>
    public static Report Run(string source, string work, int seed, int cases, TimeSpan budget, string mode = "flips")
    {
        var beside = new List<string>();
        var outcomes = new Dictionary<string, int>(StringComparer.Ordinal);
        var others = new List<string>();
        var kills = new List<string>();
        var hangs = new List<string>();
        int finished = 0;
        int next = 0;
        // A case that takes longer than its budget plus this has ignored its cancellation (or hangs inside one DAC call).
        var stuck = budget + TimeSpan.FromSeconds(30);
        while (next < cases)
        {
            var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
            foreach (string a in new[] { RepoPaths.TargetDll("Analysis.DumpProbe"), mode, source, work, Str(seed), Str(next), Str(cases - next), Str((int)budget.TotalSeconds) })
                psi.ArgumentList.Add(a);
            using var probe = Process.Start(psi)!;
            probe.ErrorDataReceived += (_, _) => { };
            probe.BeginErrorReadLine();
            string? started = null, asking = null;
            var lines = new System.Collections.Concurrent.BlockingCollection<string?>();
            _ = Task.Run(() =>
            {
                while (probe.StandardOutput.ReadLine() is { } line)
                    lines.Add(line);
                lines.Add(null);
            });

            while (true)
            {
                if (!lines.TryTake(out string? line, stuck))
                {
                    probe.Kill(entireProcessTree: true);
                    probe.WaitForExit();
                    hangs.Add($"{started ?? $"case {next}"} in {asking ?? "starting"}");
                    next = CaseOf(started) + 1;
                    break;
                }

                if (line is null)
                {
                    probe.WaitForExit();
                    if (started is not null)
                    {
                        kills.Add($"{started} in {asking ?? "starting"} (exit {probe.ExitCode}{(probe.ExitCode > 128 ? $", signal {probe.ExitCode - 128}" : "")})");
                        next = CaseOf(started) + 1;
                    }
                    else
                    {
                        next = cases;
                    }

                    break;
                }

                if (line.StartsWith("START ", StringComparison.Ordinal))
                {
                    started = line["START ".Length..];
                    asking = null;
                }
                else if (line.StartsWith("ASK ", StringComparison.Ordinal))
                {
                    asking = line["ASK ".Length..];
                }
                else if (line.StartsWith("BESIDE ", StringComparison.Ordinal))
                {
                    beside.Add(line["BESIDE ".Length..]);
                }
                else if (line.StartsWith("END ", StringComparison.Ordinal))
                {
                    finished++;
                    foreach (Match m in Outcome().Matches(line))
                    {
                        string key = m.Groups["q"].Value + "=" + m.Groups["o"].Value;
                        if (m.Groups["o"].Value.StartsWith("OTHER", StringComparison.Ordinal))
                        {
                            others.Add($"{started}: {key}");
                            key = m.Groups["q"].Value + "=OTHER:" + m.Groups["o"].Value.Split(':')[1];
                        }

                        outcomes[key] = outcomes.GetValueOrDefault(key) + 1;
                    }

                    next = CaseOf(started) + 1;
                    started = null;
                }
            }
        }

        return new Report(finished, outcomes, others, kills, hangs, beside);
    }

    private static int CaseOf(string? started) => started is null ? 0 : int.Parse(started.Split(' ')[0], CultureInfo.InvariantCulture);

    private static string Str(int n) => n.ToString(CultureInfo.InvariantCulture);

    [GeneratedRegex(@"(?<q>[a-z]+)=(?<o>[^\[]+)\[")]
    private static partial Regex Outcome();
}
