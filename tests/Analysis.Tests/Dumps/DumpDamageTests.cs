using System.Diagnostics;
using System.Globalization;
using Analysis.Dumps;
using Analysis.Fuzz;
using Analysis.Testing;
using Xunit;
using Xunit.Abstractions;

namespace Analysis.Tests.Dumps;

/// <summary>
/// DumpDamage (tests/Analysis.Testing) is the one home of how a real dump is damaged: the bit-flip test's helper process
/// (Analysis.DumpProbe, on a work copy) and the fuzz harness's dump path (DumpCases, in memory) make the same bytes of
/// the same seed and case, so a case found by either is reproduced by the other.
/// </summary>
public sealed class DumpDamageTests(ITestOutputHelper output)
{
    private static DumpSet Dumps => DumpSet.FactsLite;

    [Fact]
    public void DumpDamage_SameSeedAndCase_IsTheSameBytesOnTheWorkCopyAndInMemory()
    {
        string source = Dumps[CapturedDump.CreateDumpWithHeap];
        var original = File.ReadAllBytes(source);
        var fuzz = DumpCases.Open(source, original);
        var damage = fuzz.Damage;
        // ClrMD 4.2 reports no stack range (StackBase, StackLimit) for the threads of a createdump core, so "stacks" is
        // there only when it does; the frames' stack pointers cover the stacks' used parts
        Assert.Equal(new[] { "stacks", "heap", "frames", "notes", "file" }.Where(n => n != "stacks" || damage.Regions[0].Name == "stacks"), damage.Regions.Select(r => r.Name));
        long length = new FileInfo(source).Length;
        Assert.All(damage.Regions, r => Assert.All(r.Ranges, x => Assert.True(x.Start >= 0 && x.Length > 0 && x.Start + x.Length <= length, $"{r.Name}: {x}")));

        string work = Path.Combine(Dumps.Scratch, "damage-check.dmp");
        var regions = new HashSet<string>(StringComparer.Ordinal);
        try
        {
            DumpDamage.PrepareCopy(source, work);
            using var copy = new FileStream(work, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
            for (int i = 0; i < 40; i++)
            {
                var onFile = damage.Damage(work, 7, i);
                var inMemory = fuzz.Case(7, i, out var planned);
                Assert.Equal(onFile.ToString(), planned.ToString());
                Assert.Equal(onFile.Flips, planned.Flips);
                Assert.NotEmpty(onFile.Flips);
                var ranges = damage.Regions.Single(r => r.Name == onFile.Region).Ranges;
                foreach (var flip in onFile.Flips)
                {
                    Assert.Contains(ranges, r => flip.Offset >= r.Start && flip.Offset < r.Start + r.Length);
                    Assert.Equal(flip.Original, original[flip.Offset]);
                }

                // on the work copy, each offset holds the last value flipped there (unbuffered reads: the file changes under us)
                var flipped = onFile.Flips.GroupBy(f => f.Offset).ToDictionary(g => g.Key, g => g.Last().Value);
                var one = new byte[1];
                foreach (var (offset, value) in flipped)
                {
                    Assert.Equal(1, RandomAccess.Read(copy.SafeFileHandle, one, offset));
                    Assert.Equal(value, one[0]);
                }

                // the in-memory copy differs from the dump exactly where the work copy does: at the flipped offsets
                for (int at = 0; at < inMemory.Length;)
                {
                    int same = inMemory.AsSpan(at).CommonPrefixLength(original.AsSpan(at));
                    at += same;
                    if (at >= inMemory.Length)
                        break;
                    Assert.True(flipped.TryGetValue(at, out byte value) && value == inMemory[at], $"case {i}: byte 0x{at:x} changed outside the case");
                    at++;
                }

                Assert.All(flipped, f => Assert.Equal(f.Value, inMemory[f.Key]));
                DumpDamage.Restore(work);
                regions.Add(onFile.Region);
            }

            Assert.Equal(damage.Regions.Count, regions.Count); // every region is damaged in the first 40 cases of seed 7
            var restored = new byte[original.Length];
            Assert.Equal(restored.Length, RandomAccess.Read(copy.SafeFileHandle, restored, 0));
            Assert.True(restored.AsSpan().SequenceEqual(original), "the work copy is not the dump again after Restore");
        }
        finally
        {
            File.Delete(work);
            File.Delete(DumpDamage.Pending(work));
        }
    }

    [Fact]
    public void DumpProbe_Case_FlipsWhatTheFuzzHarnessWritesForThatCase()
    {
        // the probe process (as the bit-flip test runs it) names the damage of case 3 of seed 7; the fuzz harness's
        // dump path makes that case's bytes from the same seed and case
        string source = Dumps[CapturedDump.CreateDumpWithHeap];
        string work = Path.Combine(Dumps.Scratch, "damage-probe.dmp");
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (string a in new[] { RepoPaths.TargetDll("Analysis.DumpProbe"), "flips", source, work, "7", "3", "1", "20" })
            psi.ArgumentList.Add(a);
        string[] lines;
        try
        {
            using var probe = Process.Start(psi)!;
            probe.ErrorDataReceived += (_, _) => { };
            probe.BeginErrorReadLine();
            lines = probe.StandardOutput.ReadToEnd().Split('\n', StringSplitOptions.RemoveEmptyEntries);
            Assert.True(probe.WaitForExit(TimeSpan.FromSeconds(120)), "the probe did not end");
            Assert.Equal(0, probe.ExitCode);
            Assert.False(File.Exists(DumpDamage.Pending(work)), "the probe left the case's bytes in the work copy");
            Assert.True(File.ReadAllBytes(work).AsSpan().SequenceEqual(File.ReadAllBytes(source)), "the probe did not put the bytes back");
        }
        finally
        {
            File.Delete(work);
            File.Delete(DumpDamage.Pending(work));
        }

        DumpCases.Open(source).Case(7, 3, out var damage);
        output.WriteLine(string.Join('\n', lines.Where(l => !l.StartsWith("ASK ", StringComparison.Ordinal))));
        Assert.Equal(string.Create(CultureInfo.InvariantCulture, $"START 3 {damage}"), lines.First(l => l.StartsWith("START ", StringComparison.Ordinal)));
        Assert.Contains(lines, l => l.StartsWith("END 3 open=", StringComparison.Ordinal));
    }
}
