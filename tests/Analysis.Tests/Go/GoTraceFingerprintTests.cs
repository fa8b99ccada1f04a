using System.Security.Cryptography;
using System.Text;
using Analysis.Go;
using Analysis.Testing;
using Xunit;

namespace Analysis.Tests.Go;

/// <summary>
/// The execution trace decoder gives, to the last bit, what it gave before its memory was reduced (issue 12): every
/// committed Go execution trace, at two state resolutions, cut short, and damaged byte by byte, decoded and written out
/// whole (<see cref="GoTraceCanonical"/>: every property and every item the model exposes; for an input it refuses, the
/// exception's kind and message), against the SHA-256 of the same text from the ORIGINAL decoder: the digests below
/// were computed by this test on commit 3650288 (main before the change: per-event tuples in a List, their arguments
/// in another, a LINQ index array sorted through a closure), before the decoder was changed. They change only when the
/// decoder's results are meant to change; then the new texts are written to artifacts/go-trace-fingerprint (named in
/// the failure) to be read and diffed, and the digests updated deliberately.
/// </summary>
public class GoTraceFingerprintTests
{
    private static string Go(string name) => GoFixtures.PathOf(name);

    /// <summary>Where a mismatch's text is written (kept after the run, to be diffed): artifacts/go-trace-fingerprint.</summary>
    private static readonly Lazy<string> s_out = new(() => Directory.CreateDirectory(Path.Combine(RepoPaths.Root, "artifacts", "go-trace-fingerprint")).FullName);

    /// <summary>The decoder's whole answer for one input: the canonical text, or what it threw.</summary>
    private static string Answer(byte[] data, string path, int steps = 100)
    {
        try
        {
            return GoTraceCanonical.Text(GoExecutionTrace.Parse(data, path, steps));
        }
        catch (AnalysisException e)
        {
            return $"throws {e.Kind}: {e.Message.Replace(path, Path.GetFileName(path), StringComparison.Ordinal)}\n";
        }
    }

    private static void Matches(string expectedDigest, string name, IEnumerable<string> answers)
    {
        var text = new StringBuilder();
        int count = 0;
        foreach (string a in answers)
        {
            text.Append(a).Append("----\n");
            count++;
        }

        string digest = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text.ToString())));
        if (digest == expectedDigest)
            return;
        string written = Path.Combine(s_out.Value, name + ".actual");
        File.WriteAllText(written, text.ToString());
        Assert.Fail($"{name}: {count} decoded input(s) give digest {digest}, not {expectedDigest} (the original decoder's); the text is in {written}");
    }

    public static TheoryData<string, int, string> Committed => new()
    {
        { "trace.out", 100, "9a4715f269b25c4fc96bbe6f9cbfd1260dceb2df5d5bf72ff18dc056a21de04b" },
        { "trace.out", 1000, "43fe6a33b0084849dbb7a7bb5a28308938d7ee4dafb39a69a0c784d6db520d8c" },
        { "dump-in-trace/trace.out", 100, "4510db8006e894bb6d35ca1a59ddec0a036e0edcce08509c52f96a1c83fec39d" },
        { "dump-in-trace/trace.out", 1000, "aba925038908faf66ed65c026d50be88e2c45e7bcb562f0a3b59d5c110032099" },
        { "tracev2/go125-sync.test", 100, "6bc913d3d82667fe151d9b263cb265c85b4929ff727ee744552226476be7692a" },
        { "tracev2/go125-gcs.test", 100, "3e7f494f398bbdee264b4f4d37ca951e7eddffe17acabab0d55a633cf85fb3eb" },
    };

    private static byte[] Bytes(string name) =>
        name.EndsWith(".test", StringComparison.Ordinal) ? GoTraceTextFormat.ToBinary(File.ReadAllText(Go(name))) : File.ReadAllBytes(Go(name));

    [Theory]
    [MemberData(nameof(Committed))]
    public void CommittedTrace_DecodesAsTheOriginalDecoderDid(string name, int steps, string digest)
    {
        string answer = Answer(Bytes(name), Go(name), steps);
        if (!name.EndsWith(".test", StringComparison.Ordinal)) // a binary trace read from its file says the same
            Assert.Equal(answer, GoTraceCanonical.Text(GoExecutionTrace.Load(Go(name), steps)));
        Matches(digest, $"{name.Replace('/', '_')}-{steps}", [answer]);
    }

    [Theory]
    [InlineData("trace.out", 101, "f2a0a4f531e7c77632da4f0641052a06328e506ec4350b6d36c38a9347160698")]
    [InlineData("dump-in-trace/trace.out", 307, "268747b8c4186169ee085698886e64b0a2005590f29b56b72a10a1c2b690a06f")]
    [InlineData("tracev2/go125-gcs.test", 1, "a77ef8d9795b6c8bb8d736800e0476f3500881c221ba838f8cd31dc98e7a29ff")]
    public void CutTraces_DecodeAsTheOriginalDecoderDid(string name, int every, string digest)
    {
        byte[] data = Bytes(name);
        Matches(digest, $"{name.Replace('/', '_')}-cut-every-{every}",
            Enumerable.Range(0, (data.Length + every - 1) / every).Select(i => Answer(data[..(i * every)], Go(name))));
    }

    [Theory]
    [InlineData("trace.out", 37, "214184609354c19a03043fdaa730c7c3aa6c061a4736ec541dbd3f684cca042d")]
    [InlineData("dump-in-trace/trace.out", 211, "ca4d7c6bd183d26969ab520aa6bad3fe4b1a42f0aee008cebf01551c516ae76b")]
    [InlineData("tracev2/go125-gcs.test", 1, "c49611072173cb2fd47c64c7ea4afff16aced7e1acb1309f08863b70fc1134bb")]
    public void DamagedTraces_DecodeOrFailAsTheOriginalDecoderDid(string name, int every, string digest)
    {
        // at every every-th byte after the header, a few replacement values: varint ends and continuations, an event
        // type that blocks a goroutine (20), a batch (1), the Go 1.25 sync batch's and snapshot's types (50, 51)
        byte[] good = Bytes(name);
        Matches(digest, $"{name.Replace('/', '_')}-damaged-every-{every}",
            Enumerable.Range(0, (good.Length - 16 + every - 1) / every).Select(i => 16 + i * every).SelectMany(at =>
                new byte[] { 0, 0x7f, 0x80, 0xff, 20, 1, 50, 51 }.Select(v =>
                {
                    byte[] bad = (byte[])good.Clone();
                    bad[at] = v;
                    return Answer(bad, Go(name));
                })));
    }

    /// <summary>
    /// A Go 1.25 trace written for this test: two threads' batches per generation whose events tie across batches (the
    /// file order decides), a batch clock that goes back twice (a time delta of nearly 2^64 wraps it: a damaged trace,
    /// but one the decoder reads), an experimental event and a clock snapshot among the events (their deltas move the
    /// clock), switches, a syscall, a GC and a stop-the-world; and one goroutine created on both threads at the same
    /// time from different functions (the first in file order is its creation).
    /// </summary>
    private const string Knotted = """
        Trace Go1.25
        EventBatch gen=1 m=18446744073709551615 time=1000 size=0
        Sync
        Frequency freq=15625000
        ClockSnapshot dt=1 mono=5850000000 sec=1740823200 nsec=123456789
        EventBatch gen=1 m=1 time=1000 size=0
        GoStatus dt=1 g=1 m=1 gstatus=2
        ProcsChange dt=0 procs_value=2 stack=0
        GoCreate dt=5 new_g=7 new_stack=1 stack=0
        GoCreate dt=0 new_g=8 new_stack=1 stack=0
        GoBlock dt=10 reason_string=1 stack=0
        GoStart dt=0 g=7 g_seq=1
        SpanAlloc dt=3 id=1 npages_value=1 kindclass=1
        HeapAlloc dt=18446744073709551000 heapalloc_value=4096
        GoStop dt=0 reason_string=2 stack=0
        GoStart dt=0 g=8 g_seq=1
        GoBlock dt=2 reason_string=1 stack=0
        EventBatch gen=1 m=2 time=1005 size=0
        GoStatus dt=0 g=2 m=2 gstatus=2
        GoUnblock dt=1 g=1 g_seq=2 stack=0
        GoSwitch dt=20 g=9 g_seq=1
        GoSwitchDestroy dt=0 g=1 g_seq=3
        GoUnblock dt=18446744073709551600 g=8 g_seq=2 stack=0
        STWBegin dt=1 kind_string=3 stack=0
        STWEnd dt=4
        EventBatch gen=1 m=18446744073709551615 time=2000 size=0
        Stacks
        Stack id=1 nframes=1
        pc=1 func=4 file=5 line=6
        EventBatch gen=1 m=18446744073709551615 time=2001 size=0
        Strings
        String id=1
        data="chan receive"
        String id=2
        data="preempted"
        String id=3
        data="GC sweep termination"
        String id=4
        data="main.worker"
        String id=5
        data="main.go"
        EventBatch gen=2 m=18446744073709551615 time=3000 size=0
        Sync
        Frequency freq=15625000
        ClockSnapshot dt=1 mono=5850100000 sec=1740823200 nsec=223456789
        EventBatch gen=2 m=1 time=3000 size=0
        GoStatus dt=1 g=7 m=1 gstatus=2
        GCBegin dt=2 gc_seq=1 stack=0
        GoDestroy dt=3
        GoStatus dt=0 g=8 m=18446744073709551615 gstatus=4
        GoCreate dt=4 new_g=11 new_stack=1 stack=0
        EventBatch gen=2 m=2 time=3003 size=0
        GoStatus dt=0 g=9 m=2 gstatus=2
        GoSyscallBegin dt=0 p_seq=1 stack=0
        GoSyscallEnd dt=3
        GCEnd dt=1 gc_seq=2
        GoCreateSyscall dt=0 new_g=10
        GoCreate dt=3 new_g=11 new_stack=2 stack=0
        EventBatch gen=2 m=18446744073709551615 time=4000 size=0
        Stacks
        Stack id=1 nframes=1
        pc=1 func=4 file=5 line=6
        Stack id=2 nframes=1
        pc=2 func=6 file=5 line=9
        EventBatch gen=2 m=18446744073709551615 time=4001 size=0
        Strings
        String id=1
        data="chan receive"
        String id=4
        data="main.worker"
        String id=5
        data="main.go"
        String id=6
        data="main.other"
        """;

    [Theory]
    [InlineData(100, "d5fc7ac35f218ad394b19f246699364ddedb7314524289e57aa61d907339b2d3")]
    [InlineData(1000, "819bae49f143572ed2f05b68d195d8214995cda7d471d8557d0c9e5ef9233e4e")]
    public void WrappedClocksAndTies_DecodeAsTheOriginalDecoderDid(int steps, string digest)
    {
        byte[] data = GoTraceTextFormat.ToBinary(Knotted, fixSizes: true);
        var trace = GoExecutionTrace.Parse(data, "knotted.trace", steps);
        var timed = GoTraceTextFormat.Parse(Knotted).Events.Where(e => e.Timed && e.Type is < 128 and not 51).ToList();
        Assert.Equal(timed.Count, trace.EventCount);
        Assert.Empty(trace.Warnings);
        Matches(digest, $"knotted-{steps}", [Answer(data, "knotted.trace", steps)]);
    }

    /// <summary>
    /// Generations that alternate batch by batch, the first numbered 2^64 - 1 (the value the decoder starts from before
    /// any batch): each change ends a generation's events, and the first generation is not a change.
    /// </summary>
    private const string Alternating = """
        Trace Go1.23
        EventBatch gen=18446744073709551615 m=1 time=100 size=0
        GoStatus dt=1 g=1 m=1 gstatus=2
        GoCreate dt=2 new_g=5 new_stack=0 stack=0
        EventBatch gen=18446744073709551615 m=2 time=100 size=0
        GoStatus dt=3 g=5 m=2 gstatus=2
        GoBlock dt=1 reason_string=0 stack=0
        EventBatch gen=1 m=1 time=90 size=0
        GoStatus dt=0 g=5 m=18446744073709551615 gstatus=4
        GoUnblock dt=1 g=5 g_seq=1 stack=0
        EventBatch gen=18446744073709551615 m=1 time=95 size=0
        GoStart dt=0 g=5 g_seq=2
        GoDestroy dt=2
        EventBatch gen=1 m=2 time=80 size=0
        GoCreateSyscall dt=0 new_g=6
        GoSyscallEndBlocked dt=1
        """;

    [Theory]
    [InlineData(100, "99474e92f6d3602b37fe2e6bf64bfd5fe19ab89c5b6e540e1eef674be21c2cdf")]
    public void AlternatingGenerations_DecodeAsTheOriginalDecoderDid(int steps, string digest)
    {
        byte[] data = GoTraceTextFormat.ToBinary(Alternating, fixSizes: true);
        Assert.Equal(10, GoExecutionTrace.Parse(data, "alternating.trace", steps).EventCount);
        Matches(digest, $"alternating-{steps}", [Answer(data, "alternating.trace", steps)]);
    }
}
