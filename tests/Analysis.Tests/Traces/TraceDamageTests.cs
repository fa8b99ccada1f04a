using System.Text;
using System.Text.Json;
using Analysis.Testing;
using Analysis.Traces;
using Xunit;

namespace Analysis.Tests.Traces;

/// <summary>
/// Damaged traces, one test per cause the fuzzing campaign found (issue 12): every input gives a result, a partial
/// result with warnings, or one <see cref="AnalysisException"/>.
/// </summary>
public class TraceDamageTests
{
    private static readonly TraceReadOptions InProcess = new() { Isolation = EngineIsolation.InProcess };

    private static byte[] Facts => File.ReadAllBytes(TraceCaptures.Facts);

    public static TheoryData<string> Thrown => new(DamagedTraces.Thrown.Select(d => d.Name));

    /// <summary>
    /// Each exception TraceEvent throws on damaged input (tests/testdata/traces/MANIFEST): a result that keeps the events
    /// before the fault with a warning naming it, or one AnalysisException with it as the cause; the same in this process
    /// and through the worker.
    /// </summary>
    [Theory]
    [MemberData(nameof(Thrown))]
    public void EachFaultTraceEventThrows_IsAWarningOrOneAnalysisException_InBothProcesses(string name)
    {
        var damage = DamagedTraces.Thrown.Single(d => d.Name == name);
        string path = DamagedTraces.Make(damage, TraceCaptures.Folder);
        string Outcome(TraceReadOptions options)
        {
            try
            {
                var a = TraceAnalysis.Read(path, options);
                return $"result: {a.EventCount} events, truncated {a.IsTruncated}\n" + string.Join("\n", a.Warnings);
            }
            catch (AnalysisException e)
            {
                Assert.Equal(path, e.Path);
                Assert.NotNull(e.InnerException);
                return $"{e.Kind}: {e.Message}";
            }
        }

        string inProcess = Outcome(InProcess);
        Assert.Contains(damage.Said, inProcess, StringComparison.Ordinal);
        Assert.Equal(inProcess, Outcome(new TraceReadOptions { Isolation = EngineIsolation.Worker }));
        if (inProcess.StartsWith("result", StringComparison.Ordinal) && inProcess.Contains("truncated True", StringComparison.Ordinal))
            Assert.Contains("reading stopped near byte", inProcess, StringComparison.Ordinal);
    }

    [Fact]
    public void HeaderStartTimeThatIsNoDate_IsRepaired_WithAWarningAndEveryEvent()
    {
        var bytes = Facts;
        BitConverter.TryWriteBytes(bytes.AsSpan(55, 2), (ushort)13); // SYSTEMTIME.wMonth = 13 (TraceEvent: un-representable DateTime)
        var a = TraceAnalysis.Read(TraceCaptures.Scratch("month-13.nettrace", bytes), InProcess);

        Assert.Equal(TraceCaptures.FactsAnalysis.EventCount, a.EventCount);
        Assert.False(a.IsTruncated);
        Assert.Contains(a.Warnings, w => w.Contains("start time in its header (bytes 53–68", StringComparison.Ordinal) && w.Contains("is not a date", StringComparison.Ordinal));
        Assert.Equal(TraceCaptures.FactsAnalysis.GetCpuTop(5), a.GetCpuTop(5));
    }

    [Fact]
    public void LoneSurrogateInAMethodName_IsReplaced_AndEveryExportWrites()
    {
        var bytes = Facts;
        int replaced = ReplaceUtf16(bytes, "SpinPrimeSieve", 4, '\uD800'); // the 'P': a high surrogate with no low one after it
        Assert.True(replaced > 0, "the hot method's name was not found in the trace");
        var a = TraceAnalysis.Read(TraceCaptures.Scratch("surrogate.nettrace", bytes), InProcess);

        const string expected = "Contoso.TraceTarget.Hot.Spin\uFFFDrimeSieve(int32)";
        Assert.Equal(expected, a.GetCpuTop(1)[0].Function);
        using var folded = new MemoryStream();
        StackExport.WriteFolded(a, folded);
        Assert.Contains(expected, Encoding.UTF8.GetString(folded.ToArray()), StringComparison.Ordinal);
        using var speedscope = new MemoryStream();
        StackExport.WriteSpeedscope(a, speedscope, SampleFilter.All, null, "x");
        using var doc = JsonDocument.Parse(speedscope.ToArray());
        Assert.Contains(doc.RootElement.GetProperty("shared").GetProperty("frames").EnumerateArray(), f => f.GetProperty("name").GetString() == expected);
    }

    [Fact]
    public void SafeText_ReplacesOnlyUnpairedSurrogates()
    {
        Assert.Equal("a\uFFFDb\uFFFD", SafeText.Sanitize("a\uDC00b\uD800"));
        Assert.Equal("ok 😀", SafeText.Sanitize("ok 😀"));
        string clean = "Contoso.Hot()";
        Assert.Same(clean, SafeText.Sanitize(clean));
    }

    [Fact]
    public void DamageInTheMiddle_KeepsTheEventsBefore_AndNamesTheByte()
    {
        // 4 KB of FF in the middle: block and event headers in it become absurd sizes and counts
        var bytes = Facts;
        int at = bytes.Length / 2;
        bytes.AsSpan(at, 4096).Fill(0xFF);
        var a = TraceAnalysis.Read(TraceCaptures.Scratch("damaged-middle.nettrace", bytes));

        string said = $"{a.EventCount} of {TraceCaptures.FactsAnalysis.EventCount} events; truncated {a.IsTruncated}; " + string.Join('\n', a.Warnings);
        Assert.True(a.EventCount > 0, said);
        Assert.True(a.EventCount < TraceCaptures.FactsAnalysis.EventCount, said);
        Assert.True(a.IsTruncated || a.Warnings.Count > TraceCaptures.FactsAnalysis.Warnings.Count, said);
        if (a.IsTruncated)
            Assert.Contains(a.Warnings, w => w.Contains("reading stopped near byte", StringComparison.Ordinal));
    }

    /// <summary>
    /// Seeded mutations of the facts trace (the fuzzing campaign's operators: bit flips, random bytes, 32-bit extremes),
    /// read through the worker so that an access violation cannot end the test host: each is a result or one AnalysisException.
    /// </summary>
    [Fact]
    public void MutatedTraces_ThroughTheWorker_AreAResultOrOneAnalysisException()
    {
        var original = Facts;
        var outcomes = new Dictionary<string, int>();
        for (int seed = 0; seed < 40; seed++)
        {
            string path = TraceCaptures.Scratch($"mutated-{seed}.nettrace", Mutate(original, seed));
            string outcome;
            try
            {
                var a = TraceAnalysis.Read(path);
                _ = TraceIsolationTests.Answers(a);
                outcome = a.IsTruncated ? "partial" : a.Warnings.Count > TraceCaptures.FactsAnalysis.Warnings.Count ? "warned" : "ok";
            }
            catch (AnalysisException e)
            {
                Assert.Equal(path, e.Path);
                Assert.Contains(path, e.Message, StringComparison.Ordinal);
                outcome = e.Kind.ToString();
            }

            outcomes[outcome] = outcomes.GetValueOrDefault(outcome) + 1;
            File.Delete(path);
        }

        Assert.Equal(40, outcomes.Values.Sum());
    }

    internal static byte[] Mutate(byte[] input, int seed)
    {
        var random = new Random(seed);
        var bytes = (byte[])input.Clone();
        int count = 1 + random.Next(4);
        for (int i = 0; i < count; i++)
        {
            int at = 40 + random.Next(bytes.Length - 48);
            switch (random.Next(3))
            {
                case 0:
                    bytes[at] ^= (byte)(1 << random.Next(8));
                    break;
                case 1:
                    bytes[at] = (byte)random.Next(256);
                    break;
                default:
                    BitConverter.TryWriteBytes(bytes.AsSpan(at, 4), random.Next(3) switch { 0 => int.MaxValue, 1 => -1, _ => random.Next() });
                    break;
            }
        }

        return bytes;
    }

    private static int ReplaceUtf16(byte[] bytes, string text, int charIndex, char replacement)
    {
        var pattern = Encoding.Unicode.GetBytes(text);
        int count = 0;
        for (int i = bytes.AsSpan().IndexOf(pattern); i >= 0;)
        {
            BitConverter.TryWriteBytes(bytes.AsSpan(i + (2 * charIndex), 2), replacement);
            count++;
            int next = bytes.AsSpan(i + pattern.Length).IndexOf(pattern);
            i = next < 0 ? -1 : i + pattern.Length + next;
        }

        return count;
    }
}
