using System.Globalization;
using System.Text.Json;
using Analysis.Stacks;

namespace Analysis.Traces;

/// <summary>Formats the flame-graph tools read.</summary>
public enum StackFormat
{
    /// <summary>Brendan Gregg's folded stacks: "root;…;leaf count" per line (flamegraph.pl, inferno, speedscope).</summary>
    Folded,
    /// <summary>speedscope's JSON file format (https://www.speedscope.app/file-format-schema.json), one profile per thread.</summary>
    Speedscope,
}

/// <summary>Writes a trace's sampled stacks for flame-graph viewers.</summary>
public static class StackExport
{
    /// <summary>The $schema URL written at the top of a speedscope file.</summary>
    public const string SpeedscopeSchema = "https://www.speedscope.app/file-format-schema.json";

    /// <summary>Writes the stacks to a file; returns the number of distinct stacks written.</summary>
    public static int Write(TraceAnalysis analysis, string path, StackFormat format, SampleFilter filter = SampleFilter.Managed,
        IReadOnlyCollection<int>? threads = null, string? name = null)
    {
        ArgumentNullException.ThrowIfNull(analysis);
        string full = Path.GetFullPath(path);
        if (Path.GetDirectoryName(full) is { } dir)
            Directory.CreateDirectory(dir);
        using var stream = new FileStream(full, FileMode.Create, FileAccess.Write, FileShare.Read);
        return format == StackFormat.Folded
            ? WriteFolded(analysis, stream, filter, threads)
            : WriteSpeedscope(analysis, stream, filter, threads, name ?? Path.GetFileNameWithoutExtension(full));
    }

    /// <summary>Writes folded stacks ("root;…;leaf count" lines, \n endings) to <paramref name="output"/>, left open; returns the number of distinct stacks.</summary>
    public static int WriteFolded(TraceAnalysis analysis, Stream output, SampleFilter filter = SampleFilter.Managed, IReadOnlyCollection<int>? threads = null)
    {
        using var writer = new StreamWriter(output, leaveOpen: true);
        writer.NewLine = "\n";
        var stacks = analysis.GetFoldedStacks(filter, threads);
        foreach (var s in stacks)
            writer.WriteLine(s.ToString());
        return stacks.Count;
    }

    /// <summary>Writes a speedscope JSON file, one sampled profile per thread, named <paramref name="name"/>, to <paramref name="output"/>; returns the number of distinct stacks.</summary>
    public static int WriteSpeedscope(TraceAnalysis analysis, Stream output, SampleFilter filter, IReadOnlyCollection<int>? threads, string name)
    {
        var frameIndex = new Dictionary<(string Name, string? File), int>();
        var frames = new List<(string Name, string? File)>();
        var profiles = new SortedDictionary<int, (List<int[]> Samples, List<long> Weights)>();
        int distinct = 0;
        foreach (var (thread, rootFirst, count) in analysis.EnumerateSampledStacks(filter, threads))
        {
            var indices = new int[rootFirst.Count];
            for (int i = 0; i < indices.Length; i++)
            {
                StackFrameInfo f = rootFirst[i];
                var key = (f.Function, f.Module);
                if (!frameIndex.TryGetValue(key, out int idx))
                {
                    idx = frames.Count;
                    frames.Add(key);
                    frameIndex[key] = idx;
                }

                indices[i] = idx;
            }

            if (!profiles.TryGetValue(thread, out var p))
                profiles[thread] = p = (new List<int[]>(), new List<long>());
            p.Samples.Add(indices);
            p.Weights.Add(count);
            distinct++;
        }

        using var json = new Utf8JsonWriter(output, new JsonWriterOptions { Indented = false });
        json.WriteStartObject();
        json.WriteString("$schema", SpeedscopeSchema);
        json.WriteString("version", "0.0.1");
        json.WriteString("name", name);
        json.WriteString("exporter", "Analysis");
        json.WriteNumber("activeProfileIndex", 0);
        json.WriteStartObject("shared");
        json.WriteStartArray("frames");
        foreach (var (frameName, file) in frames)
        {
            json.WriteStartObject();
            json.WriteString("name", frameName);
            if (file is not null)
                json.WriteString("file", file);
            json.WriteEndObject();
        }

        json.WriteEndArray();
        json.WriteEndObject();
        json.WriteStartArray("profiles");
        foreach (var (thread, (samples, weights)) in profiles)
        {
            json.WriteStartObject();
            json.WriteString("type", "sampled");
            json.WriteString("name", string.Create(CultureInfo.InvariantCulture, $"thread {thread}"));
            json.WriteString("unit", "none");
            json.WriteNumber("startValue", 0);
            json.WriteNumber("endValue", weights.Sum());
            json.WriteStartArray("samples");
            foreach (var s in samples)
            {
                json.WriteStartArray();
                foreach (int i in s)
                    json.WriteNumberValue(i);
                json.WriteEndArray();
            }

            json.WriteEndArray();
            json.WriteStartArray("weights");
            foreach (long w in weights)
                json.WriteNumberValue(w);
            json.WriteEndArray();
            json.WriteEndObject();
        }

        json.WriteEndArray();
        json.WriteEndObject();
        return distinct;
    }
}
