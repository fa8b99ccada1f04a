using System.Globalization;
using Analysis.Stacks;

namespace Analysis.Go;

/// <summary>A row of pprof -top: a function's own (flat) and inclusive (cum) value.</summary>
/// <param name="Function">The function (package path and name).</param>
/// <param name="Flat">The function's own value (samples where it is the leaf), in <paramref name="Unit"/>.</param>
/// <param name="FlatPercent"><paramref name="Flat"/> as a percentage of the profile's total.</param>
/// <param name="SumPercent">Running total of FlatPercent down to this row.</param>
/// <param name="Cum">The value of samples with the function anywhere on the stack (itself and what it calls).</param>
/// <param name="CumPercent"><paramref name="Cum"/> as a percentage of the profile's total.</param>
/// <param name="SampleType">The sample type (column) shown, e.g. "inuse_space".</param>
/// <param name="Unit">The unit of the values: "bytes", "nanoseconds", "count" ….</param>
public sealed record PprofTopRow(string Function, long Flat, double FlatPercent, double SumPercent, long Cum, double CumPercent, string SampleType, string Unit)
{
    /// <summary><see cref="Flat"/> formatted in its unit (e.g. "1.5 MB", "12.34ms").</summary>
    public string FlatText => PprofValues.Format(Flat, Unit);

    /// <summary><see cref="Cum"/> formatted in its unit.</summary>
    public string CumText => PprofValues.Format(Cum, Unit);

    /// <summary>One pprof -top line: flat, flat%, sum%, cum, cum%, function.</summary>
    public override string ToString() =>
        string.Create(CultureInfo.InvariantCulture, $"{FlatText,12} {FlatPercent,6:F2}% {SumPercent,6:F2}% {CumText,12} {CumPercent,6:F2}%  {Function}");
}

/// <summary>A caller or callee of a peeked function (pprof -peek), with the value flowing through that edge.</summary>
/// <param name="Function">The peeked function.</param>
/// <param name="Relation">"caller", "callee", or "self" (samples where it is the leaf).</param>
/// <param name="Other">The caller or callee; "(root)" when the function is the outermost frame.</param>
/// <param name="Value">The value flowing through that edge, in <paramref name="Unit"/>.</param>
/// <param name="Percent"><paramref name="Value"/> as a percentage of the profile's total.</param>
/// <param name="Unit">The unit of the value.</param>
public sealed record PprofPeekRow(string Function, string Relation, string Other, long Value, double Percent, string Unit)
{
    /// <summary>"Function: Relation value percent  Other".</summary>
    public override string ToString() =>
        string.Create(CultureInfo.InvariantCulture, $"{Function}: {Relation,-6} {PprofValues.Format(Value, Unit),12} {Percent,6:F2}%  {Other}");
}

/// <summary>A sample's stack and value (pprof -traces), heaviest first.</summary>
/// <param name="Value">The value summed over the samples with this stack, in <paramref name="Unit"/>.</param>
/// <param name="Unit">The unit of the value.</param>
/// <param name="Frames">The stack, leaf first.</param>
/// <param name="Labels">The pprof labels of the first of those samples; empty when none.</param>
public sealed record PprofTrace(long Value, string Unit, ItemList<StackFrameInfo> Frames, LabelSet Labels)
{
    /// <summary>"value: leaf &lt;- caller &lt;- …".</summary>
    public override string ToString() => $"{PprofValues.Format(Value, Unit)}: {string.Join(" <- ", Frames.Select(f => f.Function))}";
}

/// <summary>Formats pprof values by unit.</summary>
public static class PprofValues
{
    /// <summary>A value in its unit as pprof shows it: bytes as B/KB/MB/GB (powers of 1024), nanoseconds as ms with two decimals, anything else as a plain count.</summary>
    public static string Format(long value, string unit) => unit switch
    {
        "bytes" => (value < 0 ? "-" : "") + Bytes.Format(PprofQueries.Magnitude(value)),
        "nanoseconds" => string.Create(CultureInfo.InvariantCulture, $"{value / 1e6:F2}ms"),
        _ => value.ToString("N0", CultureInfo.InvariantCulture),
    };
}

/// <summary>The questions pprof answers, over a <see cref="PprofProfile"/>.</summary>
public static class PprofQueries
{
    /// <summary>
    /// pprof -top: per function, flat (samples whose innermost frame is the function) and cum (samples with the function
    /// anywhere on the stack, counted once). Percentages are of the total of the column (absolute values, as pprof does
    /// for diffs). Optional label filter "key=value" (pprof -tagfocus).
    /// </summary>
    public static IReadOnlyList<PprofTopRow> Top(PprofProfile profile, int top = 20, string? sampleType = null, bool byCum = false, string? label = null)
    {
        ArgumentNullException.ThrowIfNull(profile);
        int index = profile.ResolveSampleIndex(sampleType);
        var (type, unit) = profile.SampleTypes[index];
        var flat = new Dictionary<string, long>(StringComparer.Ordinal);
        var cum = new Dictionary<string, long>(StringComparer.Ordinal);
        long total = 0;
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var s in Selected(profile, label))
        {
            long v = s.Values[index];
            if (v == 0)
                continue;
            total = SaturatingAdd(total, Magnitude(v));
            if (s.Frames.Length == 0)
                continue;
            string leaf = profile.Frames[s.Frames[0]].Function;
            flat[leaf] = flat.GetValueOrDefault(leaf) + v;
            seen.Clear();
            foreach (int f in s.Frames)
            {
                string fn = profile.Frames[f].Function;
                if (seen.Add(fn))
                    cum[fn] = cum.GetValueOrDefault(fn) + v;
            }
        }

        var ordered = cum.Keys
            .Select(fn => (Function: fn, Flat: flat.GetValueOrDefault(fn), Cum: cum[fn]))
            .OrderByDescending(r => Magnitude(byCum ? r.Cum : r.Flat)).ThenByDescending(r => Magnitude(byCum ? r.Flat : r.Cum)).ThenBy(r => r.Function, StringComparer.Ordinal)
            .Take(top);
        var rows = new List<PprofTopRow>();
        double sum = 0;
        foreach (var r in ordered)
        {
            double flatPct = Percent(r.Flat, total);
            sum += flatPct;
            rows.Add(new PprofTopRow(r.Function, r.Flat, flatPct, Math.Round(sum, 2), r.Cum, Percent(r.Cum, total), type, unit));
        }

        return rows;
    }

    /// <summary>The total of a column (absolute values), as pprof prints "of N total".</summary>
    public static long Total(PprofProfile profile, string? sampleType = null, string? label = null)
    {
        int index = profile.ResolveSampleIndex(sampleType);
        long total = 0;
        foreach (var s in Selected(profile, label))
            total = SaturatingAdd(total, Magnitude(s.Values[index]));
        return total;
    }

    /// <summary>pprof -peek: for functions matching a wildcard, who calls them and whom they call, with values.</summary>
    public static IReadOnlyList<PprofPeekRow> Peek(PprofProfile profile, string functionPattern, string? sampleType = null, string? label = null)
    {
        ArgumentNullException.ThrowIfNull(profile);
        var wildcard = new Wildcard(functionPattern);
        int index = profile.ResolveSampleIndex(sampleType);
        var (_, unit) = profile.SampleTypes[index];
        long total = Total(profile, sampleType, label);
        var edges = new Dictionary<(string Function, string Relation, string Other), long>();
        var seen = new HashSet<(string, string, string)>();
        foreach (var s in Selected(profile, label))
        {
            long v = s.Values[index];
            if (v == 0)
                continue;
            seen.Clear();
            for (int i = 0; i < s.Frames.Length; i++)
            {
                string fn = profile.Frames[s.Frames[i]].Function;
                if (!wildcard.IsMatch(fn))
                    continue;
                // Frames are innermost first: the caller is the next frame, the callee the previous one.
                var keys = new List<(string, string, string)>
                {
                    (fn, "caller", i + 1 < s.Frames.Length ? profile.Frames[s.Frames[i + 1]].Function : "(root)"),
                    i > 0 ? (fn, "callee", profile.Frames[s.Frames[i - 1]].Function) : (fn, "self", fn),
                };
                foreach (var key in keys)
                {
                    if (seen.Add(key))
                        edges[key] = edges.GetValueOrDefault(key) + v;
                }
            }
        }

        return edges
            .Select(e => new PprofPeekRow(e.Key.Function, e.Key.Relation, e.Key.Other, e.Value, Percent(e.Value, total), unit))
            .OrderBy(r => r.Function, StringComparer.Ordinal)
            .ThenBy(r => r.Relation == "caller" ? 0 : r.Relation == "self" ? 1 : 2)
            .ThenByDescending(r => Magnitude(r.Value))
            .ToArray();
    }

    /// <summary>pprof -traces: samples merged by stack, heaviest first.</summary>
    public static IReadOnlyList<PprofTrace> Traces(PprofProfile profile, int top = 20, string? sampleType = null, string? label = null)
    {
        ArgumentNullException.ThrowIfNull(profile);
        int index = profile.ResolveSampleIndex(sampleType);
        var (_, unit) = profile.SampleTypes[index];
        var merged = new Dictionary<string, (PprofSample First, long Value)>(StringComparer.Ordinal);
        foreach (var s in Selected(profile, label))
        {
            long v = s.Values[index];
            if (v == 0)
                continue;
            string key = string.Join(',', s.Frames) + "|" + string.Join(',', s.Labels.OrderBy(l => l.Key, StringComparer.Ordinal));
            merged[key] = merged.TryGetValue(key, out var m) ? (m.First, m.Value + v) : (s, v);
        }

        return merged.Values
            .OrderByDescending(m => Magnitude(m.Value))
            .Take(top)
            .Select(m => new PprofTrace(m.Value, unit, m.First.Frames.Select(profile.FrameInfo).ToArray(), m.First.Labels))
            .ToArray();
    }

    private static IEnumerable<PprofSample> Selected(PprofProfile profile, string? label)
    {
        if (string.IsNullOrEmpty(label))
            return profile.Samples;
        int eq = label.IndexOf('=', StringComparison.Ordinal);
        if (eq <= 0)
            throw new ArgumentException($"Label filter '{label}' must look like key=value.", nameof(label));
        string key = label[..eq], value = label[(eq + 1)..];
        var wildcard = new Wildcard(value);
        return profile.Samples.Where(s =>
            (s.Labels.TryGetValue(key, out string? v) && wildcard.IsMatch(v)) ||
            (s.NumLabels.TryGetValue(key, out long n) && wildcard.IsMatch(n.ToString(CultureInfo.InvariantCulture))));
    }

    /// <summary>|value|, with |long.MinValue| as long.MaxValue (Math.Abs throws there).</summary>
    internal static long Magnitude(long value) => value == long.MinValue ? long.MaxValue : Math.Abs(value);

    /// <summary>a + b for non-negative values, stopping at long.MaxValue instead of wrapping (or throwing, as Sum does).</summary>
    private static long SaturatingAdd(long a, long b) => a > long.MaxValue - b ? long.MaxValue : a + b;

    private static double Percent(long part, long total) => total == 0 ? 0 : Math.Round(part * 100.0 / total, 2);
}
