using System.Globalization;
using System.IO.Compression;
using System.Text;
using Analysis.Stacks;

namespace Analysis.Go;

/// <summary>One frame of a pprof location: a function at a line (inlined functions are separate frames).</summary>
internal readonly record struct PprofFrame(string Function, string File, long Line, ulong Address);

/// <summary>A pprof sample: frames (leaf first, indices into the frame table), values per sample type, labels.</summary>
internal sealed record PprofSample(int[] Frames, long[] Values, LabelSet Labels, IReadOnlyDictionary<string, long> NumLabels);

/// <summary>What a sample value or the sampling period measures: ("inuse_space", "bytes"), ("cpu", "nanoseconds").</summary>
/// <param name="Type">What is measured: "inuse_space", "alloc_objects", "cpu", "samples", "delay", "contentions" ….</param>
/// <param name="Unit">Its unit: "bytes", "nanoseconds", "count" ….</param>
public sealed record PprofValueType(string Type, string Unit)
{
    /// <summary>"Type (Unit)", e.g. "inuse_space (bytes)".</summary>
    public override string ToString() => $"{Type} ({Unit})";
}

/// <summary>
/// A pprof profile (profile.proto), decoded by our own wire reader from gzip or raw bytes: sample types, samples,
/// locations with inlined lines, functions, labels. Questions: top, peek, traces, diff against a base.
/// </summary>
public sealed class PprofProfile
{
    internal const string Expected = "expected a pprof profile (profile.proto, usually gzip-compressed: heap, allocs, cpu, block, mutex, goroutine from net/http/pprof or runtime/pprof)";

    internal PprofProfile(string? path, ItemList<PprofValueType> sampleTypes, int defaultIndex, PprofSample[] samples, PprofFrame[] frames,
        long timeNanos, long durationNanos, PprofValueType? periodType, long period, ItemList<string> comments)
    {
        Path = path;
        SampleTypes = sampleTypes;
        DefaultSampleIndex = defaultIndex;
        Samples = samples;
        Frames = frames;
        TimeNanos = timeNanos;
        DurationNanos = durationNanos;
        PeriodType = periodType;
        Period = period;
        Comments = comments;
    }

    /// <summary>Decompressed profiles may be this many times their gzip size (real ones: 3–20×)…</summary>
    internal const long MaxInflatedRatio = 64;

    /// <summary>…or this size, whichever is more.</summary>
    internal const long MaxInflatedMinimum = 16 << 20;

    /// <summary>Full path of the profile file; null when decoded from bytes without one.</summary>
    public string? Path { get; }

    /// <summary>The value columns: ("inuse_space", "bytes"), ("cpu", "nanoseconds"), …</summary>
    public ItemList<PprofValueType> SampleTypes { get; }

    /// <summary>The column questions use when none is named: default_sample_type, else the last (pprof's rule).</summary>
    public int DefaultSampleIndex { get; }

    internal PprofSample[] Samples { get; }

    internal PprofFrame[] Frames { get; }

    /// <summary>Samples in the profile (distinct stacks and label sets, as recorded).</summary>
    public int SampleCount => Samples.Length;

    /// <summary>When the profile was collected, in ns since the Unix epoch; 0 when not recorded.</summary>
    public long TimeNanos { get; }

    /// <summary><see cref="TimeNanos"/> as a time (ms precision); null when not recorded.</summary>
    public DateTimeOffset? Time => TimeNanos > 0 ? DateTimeOffset.FromUnixTimeMilliseconds(TimeNanos / 1_000_000) : null;

    /// <summary>How long the profile covers, in ns (a CPU profile's seconds); 0 for snapshots such as heap.</summary>
    public long DurationNanos { get; }

    /// <summary>What <see cref="Period"/> counts, e.g. ("space", "bytes") for heap sampling or ("cpu", "nanoseconds"); null when absent.</summary>
    public PprofValueType? PeriodType { get; }

    /// <summary>The sampling period in <see cref="PeriodType"/> units (e.g. 524288 bytes per heap sample, 10000000 ns per CPU sample); 0 when absent.</summary>
    public long Period { get; }

    /// <summary>Free-text comments stored in the profile; usually empty.</summary>
    public ItemList<string> Comments { get; }

    /// <summary>Names of the sample types, e.g. "alloc_objects, alloc_space, inuse_objects, inuse_space".</summary>
    public string SampleTypeNames => string.Join(", ", SampleTypes.Select(t => t.Type));

    /// <summary>The index of a sample type by name ("inuse_space", case-insensitive), or the default when null.</summary>
    public int ResolveSampleIndex(string? name)
    {
        if (string.IsNullOrEmpty(name))
            return DefaultSampleIndex;
        for (int i = 0; i < SampleTypes.Count; i++)
        {
            if (string.Equals(SampleTypes[i].Type, name, StringComparison.OrdinalIgnoreCase))
                return i;
        }

        if (int.TryParse(name, NumberStyles.None, CultureInfo.InvariantCulture, out int index) && index < SampleTypes.Count)
            return index;
        throw new AnalysisException(AnalysisErrorKind.WrongFormat, Path, $"Profile '{Path}' has no sample type '{name}'; it has: {SampleTypeNames}.");
    }

    /// <summary>"file: sample types (N samples, time)".</summary>
    public override string ToString() =>
        string.Create(CultureInfo.InvariantCulture, $"{System.IO.Path.GetFileName(Path)}: {SampleTypeNames} ({Samples.Length:N0} samples{(Time is { } t ? $", {t:u}" : "")})");

    // ---- loading ----

    /// <summary>Reads a profile file (gzip or raw). Throws <see cref="AnalysisException"/> quoting the offset of bad bytes.</summary>
    public static PprofProfile Load(string path)
    {
        string full = System.IO.Path.GetFullPath(path);
        InputFile.CheckExists(full, "Profile", Expected);
        byte[] raw;
        using (var stream = InputFile.OpenRead(full, "Profile"))
        {
            raw = new byte[stream.Length];
            stream.ReadExactly(raw);
        }

        byte[] data = raw;
        if (raw.Length >= 2 && raw[0] == 0x1f && raw[1] == 0x8b)
        {
            // A gzip member is at least 18 bytes (10 of header, 8 of trailer); what decompresses far beyond what profiles
            // compress to is refused before it fills memory.
            long limit = Math.Max(MaxInflatedMinimum, MaxInflatedRatio * raw.Length);
            try
            {
                if (raw.Length < 18)
                    throw new InvalidDataException($"a gzip stream is at least 18 bytes (header and trailer); this one is {raw.Length}");
                using var gz = new GZipStream(new MemoryStream(raw), CompressionMode.Decompress);
                using var ms = new MemoryStream();
                var buffer = new byte[81920];
                int n;
                while ((n = gz.Read(buffer)) > 0)
                {
                    if (ms.Length + n > limit)
                    {
                        throw new AnalysisException(AnalysisErrorKind.WrongFormat, full,
                            $"Profile '{full}' decompresses to more than {limit:N0} bytes from {raw.Length:N0} (over {MaxInflatedRatio}× what a pprof profile compresses to): a gzip bomb or not a profile; {Expected}.");
                    }

                    ms.Write(buffer, 0, n);
                }

                data = ms.ToArray();
                // A cut gzip stream can decompress without error; its trailer (the last 4 bytes) then does not hold the size.
                uint trailerSize = BitConverter.ToUInt32(raw, raw.Length - 4);
                if (trailerSize != (uint)data.Length)
                    throw new InvalidDataException($"the gzip trailer says {trailerSize:N0} bytes but {data.Length:N0} were decompressed");
            }
            catch (Exception e) when (e is InvalidDataException or EndOfStreamException or IOException)
            {
                throw new AnalysisException(AnalysisErrorKind.Truncated, full,
                    $"Profile '{full}' is a gzip stream that ends early or is corrupted ({e.Message}); the file is {raw.Length:N0} bytes. Download or capture it again.", e);
            }
        }
        else if (LooksLikeText(raw))
        {
            throw new AnalysisException(AnalysisErrorKind.WrongFormat, full,
                $"'{full}' is text ({InputFile.Describe(raw.AsSpan(0, Math.Min(16, raw.Length)))}), not a binary profile; {Expected}. For goroutine dumps (debug=1/2 text) use Get-Goroutines.");
        }

        try
        {
            return Parse(data, full);
        }
        catch (FormatException e)
        {
            string guess = InputFile.Guess(raw.AsSpan(0, Math.Min(16, raw.Length))) is { } g ? $" It looks like {g}." : "";
            throw new AnalysisException(raw.Length < 64 ? AnalysisErrorKind.Truncated : AnalysisErrorKind.WrongFormat, full,
                $"'{full}' is not a valid pprof profile: {e.Message}.{guess} {Expected}.", e);
        }
    }

    /// <summary>Valid UTF-8 without control characters in its first bytes (a text file, not protobuf).</summary>
    private static bool LooksLikeText(byte[] raw)
    {
        var head = raw.AsSpan(0, Math.Min(raw.Length, 64));
        foreach (byte b in head)
        {
            if (b is < 0x09 or (> 0x0d and < 0x20) or 0x7f)
                return false;
        }

        // The cut at 64 bytes may split a character: allow up to 3 trailing bytes of it.
        for (int trim = 0; trim <= Math.Min(3, head.Length); trim++)
        {
            if (System.Text.Unicode.Utf8.IsValid(head[..^trim]))
                return head.Length > 0;
        }

        return false;
    }

    /// <summary>Decodes profile.proto bytes. Throws FormatException with the offset of the first problem.</summary>
    internal static PprofProfile Parse(ReadOnlySpan<byte> data, string? path)
    {
        var strings = new List<string>();
        var sampleTypes = new List<(long Type, long Unit)>();
        // arrays, the empty ones shared: a sample is a few bytes of input, and must not become hundreds of bytes here
        var rawSamples = new List<(long[] Locations, long[] Values, (long Key, long Str, long Num)[] Labels)>();
        var locations = new Dictionary<ulong, (ulong Address, List<(ulong Function, long Line)> Lines)>();
        var functions = new Dictionary<ulong, (long Name, long File)>();
        var comments = new List<long>();
        long timeNanos = 0, durationNanos = 0, period = 0, defaultType = 0;
        (long, long)? periodType = null;

        var r = new ProtoReader(data);
        while (r.TryReadTag(out int field, out int wt))
        {
            switch (field)
            {
                case 1 when wt == ProtoReader.LengthDelimited:
                    sampleTypes.Add(ReadValueType(r.ReadBytes(out int o1), o1));
                    break;
                case 2 when wt == ProtoReader.LengthDelimited:
                    rawSamples.Add(ReadSample(r.ReadBytes(out int o2), o2));
                    break;
                case 4 when wt == ProtoReader.LengthDelimited:
                    var (id, loc) = ReadLocation(r.ReadBytes(out int o4), o4);
                    locations[id] = loc;
                    break;
                case 5 when wt == ProtoReader.LengthDelimited:
                    var (fid, fn) = ReadFunction(r.ReadBytes(out int o5), o5);
                    functions[fid] = fn;
                    break;
                case 6 when wt == ProtoReader.LengthDelimited:
                    strings.Add(Encoding.UTF8.GetString(r.ReadBytes(out _)));
                    break;
                case 9 when wt == ProtoReader.Varint:
                    timeNanos = r.ReadInt64();
                    break;
                case 10 when wt == ProtoReader.Varint:
                    durationNanos = r.ReadInt64();
                    break;
                case 11 when wt == ProtoReader.LengthDelimited:
                    periodType = ReadValueType(r.ReadBytes(out int o11), o11);
                    break;
                case 12 when wt == ProtoReader.Varint:
                    period = r.ReadInt64();
                    break;
                case 13:
                    r.ReadRepeated(wt, comments);
                    break;
                case 14 when wt == ProtoReader.Varint:
                    defaultType = r.ReadInt64();
                    break;
                default:
                    r.Skip(wt); // mappings, drop/keep frames, doc url: not needed
                    break;
            }
        }

        if (strings.Count == 0 || strings[0].Length != 0)
            throw new FormatException("the string table is missing or does not start with the empty string (profile.proto requires it)");
        if (sampleTypes.Count == 0)
            throw new FormatException("no sample types");

        string StringAt(long index) => index >= 0 && index < strings.Count ? strings[(int)index] : throw new FormatException($"string index {index} outside the string table ({strings.Count} entries)");

        // Frames: one per (location, line), shared by samples.
        var frameIndex = new Dictionary<(ulong Location, int Line), int>();
        var frames = new List<PprofFrame>();
        // A location with many lines referred to many times multiplies: bound the frames of all stacks by the input size.
        int inputLength = data.Length;
        long frameBudget = (16L * inputLength) + (1 << 24), frameCount = 0;
        int[] FramesOf(long[] locationIds)
        {
            if (locationIds.Length == 0)
                return [];
            var list = new List<int>(locationIds.Length);
            foreach (long lid in locationIds)
            {
                if (!locations.TryGetValue((ulong)lid, out var loc))
                    throw new FormatException($"a sample refers to location {lid}, which is not defined");
                frameCount += Math.Max(1, loc.Lines.Count);
                if (frameCount > frameBudget)
                    throw new FormatException($"the samples' stacks expand to over {frameBudget} frames from {inputLength} bytes (locations with many lines referred to many times); profiles Go writes do not");
                if (loc.Lines.Count == 0)
                {
                    if (!frameIndex.TryGetValue(((ulong)lid, 0), out int unnamed))
                    {
                        unnamed = frames.Count;
                        frames.Add(new PprofFrame(string.Create(CultureInfo.InvariantCulture, $"0x{loc.Address:x}"), "", 0, loc.Address));
                        frameIndex[((ulong)lid, 0)] = unnamed;
                    }

                    list.Add(unnamed);
                    continue;
                }

                for (int i = 0; i < loc.Lines.Count; i++)
                {
                    if (!frameIndex.TryGetValue(((ulong)lid, i), out int fi))
                    {
                        var (function, line) = loc.Lines[i];
                        var (name, file) = functions.TryGetValue(function, out var f) ? (StringAt(f.Name), StringAt(f.File)) : ($"<function {function}>", "");
                        fi = frames.Count;
                        frames.Add(new PprofFrame(name, file, line, loc.Address));
                        frameIndex[((ulong)lid, i)] = fi;
                    }

                    list.Add(fi);
                }
            }

            return list.ToArray();
        }

        var samples = new PprofSample[rawSamples.Count];
        for (int i = 0; i < samples.Length; i++)
        {
            var (locs, values, labels) = rawSamples[i];
            if (values.Length != sampleTypes.Count)
                throw new FormatException($"sample {i} has {values.Length} values for {sampleTypes.Count} sample types");
            if (labels.Length == 0)
            {
                samples[i] = new PprofSample(FramesOf(locs), values, LabelSet.Empty, NoNumLabels);
                continue;
            }

            var str = new Dictionary<string, string>(StringComparer.Ordinal);
            var num = new Dictionary<string, long>(StringComparer.Ordinal);
            foreach (var (key, s, n) in labels)
            {
                if (s != 0)
                    str[StringAt(key)] = StringAt(s);
                else
                    num[StringAt(key)] = n;
            }

            samples[i] = new PprofSample(FramesOf(locs), values, str, num.Count == 0 ? NoNumLabels : num);
        }

        var types = sampleTypes.Select(t => new PprofValueType(StringAt(t.Type), StringAt(t.Unit))).ToArray();
        int defaultIndex = types.Length - 1;
        if (defaultType != 0)
        {
            string wanted = StringAt(defaultType);
            int found = Array.FindIndex(types, t => t.Type == wanted);
            if (found >= 0)
                defaultIndex = found;
        }

        return new PprofProfile(path, types, defaultIndex, samples, frames.ToArray(), timeNanos, durationNanos,
            periodType is { } pt ? new PprofValueType(StringAt(pt.Item1), StringAt(pt.Item2)) : null, period, comments.Select(StringAt).ToArray());
    }

    private static (long Type, long Unit) ReadValueType(ReadOnlySpan<byte> bytes, int offset)
    {
        var r = new ProtoReader(bytes, offset);
        long type = 0, unit = 0;
        while (r.TryReadTag(out int f, out int wt))
        {
            if (f == 1 && wt == ProtoReader.Varint)
                type = r.ReadInt64();
            else if (f == 2 && wt == ProtoReader.Varint)
                unit = r.ReadInt64();
            else
                r.Skip(wt);
        }

        return (type, unit);
    }

    private static readonly IReadOnlyDictionary<string, long> NoNumLabels = new Dictionary<string, long>(StringComparer.Ordinal).AsReadOnly();

    private static (long[], long[], (long, long, long)[]) ReadSample(ReadOnlySpan<byte> bytes, int offset)
    {
        var r = new ProtoReader(bytes, offset);
        List<long>? locations = null, values = null;
        List<(long, long, long)>? labels = null;
        while (r.TryReadTag(out int f, out int wt))
        {
            switch (f)
            {
                case 1:
                    r.ReadRepeated(wt, locations ??= []);
                    break;
                case 2:
                    r.ReadRepeated(wt, values ??= []);
                    break;
                case 3 when wt == ProtoReader.LengthDelimited:
                    var lr = new ProtoReader(r.ReadBytes(out int lo), lo);
                    long key = 0, str = 0, num = 0;
                    while (lr.TryReadTag(out int lf, out int lwt))
                    {
                        if (lwt != ProtoReader.Varint)
                        {
                            lr.Skip(lwt);
                            continue;
                        }

                        long v = lr.ReadInt64();
                        if (lf == 1)
                            key = v;
                        else if (lf == 2)
                            str = v;
                        else if (lf == 3)
                            num = v;
                    }

                    (labels ??= []).Add((key, str, num));
                    break;
                default:
                    r.Skip(wt);
                    break;
            }
        }

        return (locations is null ? [] : locations.ToArray(), values is null ? [] : values.ToArray(), labels is null ? [] : labels.ToArray());
    }

    private static (ulong Id, (ulong Address, List<(ulong Function, long Line)> Lines)) ReadLocation(ReadOnlySpan<byte> bytes, int offset)
    {
        var r = new ProtoReader(bytes, offset);
        ulong id = 0, address = 0;
        var lines = new List<(ulong, long)>();
        while (r.TryReadTag(out int f, out int wt))
        {
            if (f == 1 && wt == ProtoReader.Varint)
            {
                id = r.ReadVarint();
            }
            else if (f == 3 && wt == ProtoReader.Varint)
            {
                address = r.ReadVarint();
            }
            else if (f == 4 && wt == ProtoReader.LengthDelimited)
            {
                var lr = new ProtoReader(r.ReadBytes(out int lo), lo);
                ulong function = 0;
                long line = 0;
                while (lr.TryReadTag(out int lf, out int lwt))
                {
                    if (lf == 1 && lwt == ProtoReader.Varint)
                        function = lr.ReadVarint();
                    else if (lf == 2 && lwt == ProtoReader.Varint)
                        line = lr.ReadInt64();
                    else
                        lr.Skip(lwt);
                }

                lines.Add((function, line));
            }
            else
            {
                r.Skip(wt);
            }
        }

        if (id == 0)
            throw new FormatException($"location without an id at offset {offset}");
        return (id, (address, lines));
    }

    private static (ulong Id, (long Name, long File)) ReadFunction(ReadOnlySpan<byte> bytes, int offset)
    {
        var r = new ProtoReader(bytes, offset);
        ulong id = 0;
        long name = 0, file = 0;
        while (r.TryReadTag(out int f, out int wt))
        {
            if (f == 1 && wt == ProtoReader.Varint)
                id = r.ReadVarint();
            else if (f == 2 && wt == ProtoReader.Varint)
                name = r.ReadInt64();
            else if (f == 4 && wt == ProtoReader.Varint)
                file = r.ReadInt64();
            else
                r.Skip(wt);
        }

        if (id == 0)
            throw new FormatException($"function without an id at offset {offset}");
        return (id, (name, file));
    }

    // ---- differences ----

    /// <summary>This profile minus <paramref name="baseline"/> (pprof -base): base samples are merged in with negated values.</summary>
    public PprofProfile Subtract(PprofProfile baseline)
    {
        ArgumentNullException.ThrowIfNull(baseline);
        if (!SampleTypes.SequenceEqual(baseline.SampleTypes))
        {
            throw new AnalysisException(AnalysisErrorKind.WrongFormat, baseline.Path,
                $"Cannot subtract '{baseline.Path}' ({baseline.SampleTypeNames}) from '{Path}' ({SampleTypeNames}): the sample types differ; compare profiles of the same kind.");
        }

        var frames = Frames.ToList();
        var remap = new int[baseline.Frames.Length];
        var index = new Dictionary<PprofFrame, int>();
        for (int i = 0; i < Frames.Length; i++)
            index.TryAdd(Frames[i], i);
        for (int i = 0; i < baseline.Frames.Length; i++)
        {
            if (!index.TryGetValue(baseline.Frames[i], out int at))
            {
                at = frames.Count;
                frames.Add(baseline.Frames[i]);
                index[baseline.Frames[i]] = at;
            }

            remap[i] = at;
        }

        // Merge samples with the same stack and labels, so what did not change cancels out (totals and percentages as pprof).
        var merged = new Dictionary<string, PprofSample>(StringComparer.Ordinal);
        static string Key(PprofSample s) =>
            string.Join(',', s.Frames) + "|" + string.Join(',', s.Labels.OrderBy(l => l.Key, StringComparer.Ordinal)) + "|" + string.Join(',', s.NumLabels.OrderBy(l => l.Key, StringComparer.Ordinal));
        void Add(PprofSample s)
        {
            string key = Key(s);
            merged[key] = merged.TryGetValue(key, out var m) ? m with { Values = m.Values.Zip(s.Values, (a, b) => a + b).ToArray() } : s;
        }

        foreach (var s in Samples)
            Add(s);
        foreach (var s in baseline.Samples)
            Add(s with { Frames = s.Frames.Select(f => remap[f]).ToArray(), Values = s.Values.Select(v => -v).ToArray() });
        var samples = merged.Values.Where(s => s.Values.Any(v => v != 0)).ToArray();
        return new PprofProfile($"{Path} - {baseline.Path}", SampleTypes, DefaultSampleIndex, samples, frames.ToArray(), TimeNanos, TimeNanos - baseline.TimeNanos,
            PeriodType, Period, Comments);
    }

    internal StackFrameInfo FrameInfo(int frame)
    {
        var f = Frames[frame];
        return new StackFrameInfo(f.Function, GoFunctions.PackageOf(f.Function), FrameKind.Go) { File = f.File, Line = (int)f.Line, InstructionPointer = f.Address };
    }
}
