using System.Text.Json;
using System.Text.RegularExpressions;
using Analysis.Testing;
using Analysis.Traces;
using Xunit;

namespace Analysis.Tests.Traces;

public class StackExportTests
{
    private static TraceAnalysis Trace => TraceCaptures.FactsAnalysis;

    [Fact]
    public void Folded_EveryLineIsStackThenCount_AndCountsSumToSamples()
    {
        string path = Path.Combine(TraceCaptures.Folder, "stacks.folded");
        int written = StackExport.Write(Trace, path, StackFormat.Folded);
        var lines = File.ReadAllLines(path);

        Assert.Equal(written, lines.Length);
        Assert.All(lines, l => Assert.Matches(new Regex(@"^[^;\n]+(;[^;\n]+)* \d+$"), l));
        Assert.Equal(Trace.CountSamples(), lines.Sum(l => long.Parse(l[(l.LastIndexOf(' ') + 1)..], System.Globalization.CultureInfo.InvariantCulture)));
    }

    [Fact]
    public void Speedscope_HasTheFileFormatsShape_AndItsWeightsSumToSamples()
    {
        string path = Path.Combine(TraceCaptures.Folder, "stacks.speedscope.json");
        StackExport.Write(Trace, path, StackFormat.Speedscope, SampleFilter.All);
        using var doc = JsonDocument.Parse(File.ReadAllText(path));
        var root = doc.RootElement;

        // The shape of speedscope's FileFormat.File (src/lib/file-format-spec.ts, file-format-schema.json).
        Assert.Equal(StackExport.SpeedscopeSchema, root.GetProperty("$schema").GetString());
        Assert.Equal(JsonValueKind.String, root.GetProperty("version").ValueKind);
        var frames = root.GetProperty("shared").GetProperty("frames").EnumerateArray().ToArray();
        Assert.NotEmpty(frames);
        Assert.All(frames, f => Assert.False(string.IsNullOrEmpty(f.GetProperty("name").GetString())));
        Assert.Contains(frames, f => f.GetProperty("name").GetString() == TraceFacts.HotMethod && f.GetProperty("file").GetString() == "TraceTarget");

        long total = 0;
        var profiles = root.GetProperty("profiles").EnumerateArray().ToArray();
        Assert.Equal(Trace.SampledThreads.Count, profiles.Length);
        foreach (var p in profiles)
        {
            Assert.Equal("sampled", p.GetProperty("type").GetString());
            Assert.Contains(p.GetProperty("unit").GetString(), new[] { "none", "nanoseconds", "microseconds", "milliseconds", "seconds", "bytes" });
            Assert.False(string.IsNullOrEmpty(p.GetProperty("name").GetString()));
            var samples = p.GetProperty("samples").EnumerateArray().ToArray();
            var weights = p.GetProperty("weights").EnumerateArray().Select(w => w.GetInt64()).ToArray();
            Assert.Equal(samples.Length, weights.Length);
            Assert.True(p.GetProperty("startValue").GetDouble() <= p.GetProperty("endValue").GetDouble());
            Assert.Equal(weights.Sum(), p.GetProperty("endValue").GetInt64());
            Assert.All(samples, s => Assert.All(s.EnumerateArray(), i => Assert.InRange(i.GetInt32(), 0, frames.Length - 1)));
            total += weights.Sum();
        }

        Assert.Equal(Trace.CountSamples(SampleFilter.All), total);
        Assert.Equal(0, root.GetProperty("activeProfileIndex").GetInt32());
    }
}
