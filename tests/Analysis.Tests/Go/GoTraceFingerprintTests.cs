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
}
