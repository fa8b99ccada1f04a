using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Analysis.Go;

namespace Analysis.Tests.Go;

/// <summary>
/// Everything a decoded <see cref="GoExecutionTrace"/> exposes, as one canonical text: every public property, every item
/// of every list in order, doubles in round-trip form (so a change in the last bit shows), the trace's own path replaced
/// by its file name (it is in the warnings too) so the text is the same on every machine. Its SHA-256 is the decoder's
/// fingerprint: the tests compare it with the one the decoder had before a change, the benchmark prints it. Also compiled
/// into Analysis.Bench (linked), so it depends on nothing but the core.
/// </summary>
public static class GoTraceCanonical
{
    public static string Text(GoExecutionTrace t)
    {
        string name = t.Path is null ? "" : System.IO.Path.GetFileName(t.Path);
        string Unpath(string s) => t.Path is null ? s : s.Replace(t.Path, name, StringComparison.Ordinal);
        static string D(double d) => d.ToString("R", CultureInfo.InvariantCulture);
        static string N(double? d) => d is { } v ? D(v) : "null";
        var b = new StringBuilder();
        void Line(FormattableString s) => b.Append(s.ToString(CultureInfo.InvariantCulture)).Append('\n');

        Line($"path {name}");
        Line($"version {t.GoVersion}");
        Line($"gomaxprocs {t.Gomaxprocs}");
        Line($"duration {D(t.DurationMs)}");
        Line($"events {t.EventCount}");
        Line($"generations {t.Generations}");
        Line($"goroutines {t.Goroutines}");
        Line($"first {t.FirstEventNs}");
        Line($"last {t.LastEventNs}");
        Line($"gcs {t.Gcs.Count}");
        foreach (var g in t.Gcs)
            Line($"gc {g.Sequence} {D(g.StartMs)} {D(g.DurationMs)} {D(g.StopTheWorldMs)}");
        Line($"stws {t.StopTheWorlds.Count}");
        foreach (var s in t.StopTheWorlds)
            Line($"stw {s.Kind}|{D(s.StartMs)} {D(s.DurationMs)}");
        Line($"blockreasons {t.BlockReasons.Count}");
        foreach (var r in t.BlockReasons)
            Line($"block {r.Reason}|{r.Count} {D(r.TotalBlockedMs)}");
        Line($"states {t.StatesOverTime.Count}");
        foreach (var s in t.StatesOverTime)
            Line($"state {D(s.TimeMs)} {s.Running} {s.Runnable} {s.Waiting} {s.Syscall}");
        Line($"heap {t.HeapOverTime.Count}");
        foreach (var h in t.HeapOverTime)
            Line($"heap {D(h.TimeMs)} {h.Kind} {h.Bytes}");
        Line($"warnings {t.Warnings.Count}");
        foreach (string w in t.Warnings)
            Line($"warning {Unpath(w)}");
        Line($"lives {t.GoroutineLives.Count}");
        foreach (var g in t.GoroutineLives)
            Line($"g {g.Id} {N(g.CreatedMs)} {N(g.EndedMs)} {g.StartFunction ?? "null"}");
        Line($"snapshots {t.ClockSnapshots.Count}");
        foreach (var c in t.ClockSnapshots)
            Line($"snapshot {c.Generation} {c.TraceNs} {D(c.TimeMs)} {c.MonotonicNs} {c.WallSeconds} {c.WallNanoseconds} {c.TicksPerSecond}");
        Line($"tostring {Unpath(t.ToString())}");
        return b.ToString();
    }

    /// <summary>SHA-256 of <see cref="Text"/>, lowercase hex.</summary>
    public static string Digest(GoExecutionTrace t) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(Text(t))));
}
