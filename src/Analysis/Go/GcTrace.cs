using System.Globalization;
using System.Text.RegularExpressions;
using Analysis.Findings;

namespace Analysis.Go;

/// <summary>One GC cycle from a GODEBUG=gctrace=1 line.</summary>
public sealed record GcCycle
{
    /// <summary>The cycle number Go printed ("gc 12"), counted from the program's start.</summary>
    public required int Number { get; init; }

    /// <summary>Seconds since the program started.</summary>
    public double AtSeconds { get; init; }

    /// <summary>Share of time spent in GC since the program started, as printed ("4%").</summary>
    public int PercentInGc { get; init; }

    /// <summary>Wall-clock phases in ms: sweep termination (STW), concurrent mark, mark termination (STW); Go 1.5 printed five.</summary>
    public ItemList<double> ClockPhasesMs { get; init; } = [];

    /// <summary>Stop-the-world time: the STW phases of <see cref="ClockPhasesMs"/> (1st and 3rd; 1st, 3rd and 5th in the 5-phase form).</summary>
    public double PauseMs { get; init; }

    /// <summary>Wall-clock ms of the phases that ran alongside the program (the clock phases minus <see cref="PauseMs"/>).</summary>
    public double ConcurrentMs { get; init; }

    /// <summary>Heap size when the cycle started, when marking ended, and live heap after (MB).</summary>
    public double HeapStartMB { get; init; }

    /// <summary>Heap size when marking ended, in MB (Go's MB: 2^20 bytes).</summary>
    public double HeapEndMB { get; init; }

    /// <summary>Live (marked) heap after the cycle, in MB (2^20 bytes).</summary>
    public double HeapLiveMB { get; init; }

    /// <summary>The heap size the pacer aims the next cycle at, in MB (2^20 bytes).</summary>
    public double HeapGoalMB { get; init; }

    /// <summary>Goroutine stacks scanned, in MB (2^20 bytes); null before Go 1.18, which did not print it.</summary>
    public double? StacksMB { get; init; }

    /// <summary>Global variables scanned, in MB (2^20 bytes); null before Go 1.18, which did not print it.</summary>
    public double? GlobalsMB { get; init; }

    /// <summary>GOMAXPROCS ("N P") during the cycle.</summary>
    public int Procs { get; init; }

    /// <summary>Started by runtime.GC() / debug.FreeOSMemory rather than by the pacer.</summary>
    public bool Forced { get; init; }

    /// <summary>1-based line of the log this cycle came from.</summary>
    public int LineNumber { get; init; }

    /// <summary>
    /// The wall-clock time (UTC) a container or journald prefix gave the line ("2024-05-01T12:00:03.118Z gc 5 …",
    /// "May 01 12:00:03 host app[123]: gc 5 …"): when the line was logged, just after the cycle ended; null without a prefix.
    /// Journald's short form has no year and no zone: the year is the log file's, the time is taken as UTC.
    /// </summary>
    public DateTimeOffset? LoggedAt { get; init; }

    /// <summary>The prefix's resolution (1 s for "12:00:03", 1 ms for "12:00:03.118"); null without a prefix.</summary>
    public TimeSpan? LoggedAtResolution { get; init; }

    /// <summary>"gc N @T s: pause P ms, heap A->B->C MB, goal G MB (forced)".</summary>
    public override string ToString() =>
        string.Create(CultureInfo.InvariantCulture, $"gc {Number} @{AtSeconds:F3}s: pause {PauseMs:F3} ms, heap {HeapStartMB}->{HeapEndMB}->{HeapLiveMB} MB, goal {HeapGoalMB} MB{(Forced ? " (forced)" : "")}");
}

/// <summary>Totals and anomalies of a gctrace log.</summary>
public sealed record GcTraceSummary
{
    /// <summary>GC cycles in the log.</summary>
    public int Cycles { get; init; }

    /// <summary>Cycles started by runtime.GC() or debug.FreeOSMemory() rather than by the pacer.</summary>
    public int Forced { get; init; }

    /// <summary>Sum of the stop-the-world pauses, in ms.</summary>
    public double TotalPauseMs { get; init; }

    /// <summary>Mean pause per cycle, in ms.</summary>
    public double MeanPauseMs { get; init; }

    /// <summary>Median pause per cycle, in ms; spikes are judged against it.</summary>
    public double MedianPauseMs { get; init; }

    /// <summary>Longest pause, in ms.</summary>
    public double MaxPauseMs { get; init; }

    /// <summary>The <see cref="GcCycle.Number"/> of the cycle with the longest pause.</summary>
    public int MaxPauseCycle { get; init; }

    /// <summary>The first cycle's heap goal, in MB (2^20 bytes).</summary>
    public double FirstGoalMB { get; init; }

    /// <summary>The last cycle's heap goal, in MB (2^20 bytes); much above <see cref="FirstGoalMB"/> means a growing live heap (GoalGrowth).</summary>
    public double LastGoalMB { get; init; }

    /// <summary>Largest live heap after any cycle, in MB (2^20 bytes).</summary>
    public double PeakLiveMB { get; init; }

    /// <summary>Seconds from the first to the last cycle.</summary>
    public double SpanSeconds { get; init; }

    /// <summary>What is worth a look (PauseSpike, Forced, GoalGrowth), with the cycles that show it in <see cref="Finding.GcNumbers"/>.</summary>
    public ItemList<Finding> Anomalies { get; init; } = [];

    /// <summary>One line: cycles, forced, span, pauses (total, max, median), goal first → last, peak live.</summary>
    public override string ToString() =>
        string.Create(CultureInfo.InvariantCulture, $"{Cycles} GC cycles ({Forced} forced) over {SpanSeconds:F1} s; pause total {TotalPauseMs:F3} ms, max {MaxPauseMs:F3} ms (gc {MaxPauseCycle}), median {MedianPauseMs:F3} ms; goal {FirstGoalMB} → {LastGoalMB} MB; peak live {PeakLiveMB} MB");
}

/// <summary>A GODEBUG=gctrace=1 log: the cycles, and the lines that were not gc lines.</summary>
public sealed class GcTrace
{
    private const string Expected = "expected the stderr of a Go program run with GODEBUG=gctrace=1 (lines like 'gc 1 @0.012s 2%: 0.024+1.2+0.035 ms clock, …')";

    // gc 1 @0.007s 4%: 0.13+1.1+0.004 ms clock, 0.27+0/0.71/0.62+0.008 ms cpu, 3->4->3 MB, 4 MB goal, 0 MB stacks, 0 MB globals, 2 P (forced)
    // Digits are ASCII [0-9] (\d also matches Arabic-Indic, fullwidth, … digits, which the number parsers refuse), and a
    // decimal has at most one point ("0.00.018" is not a number).
    private const string Decimal = "[0-9]+(?:\\.[0-9]+)?";
    private static readonly Regex Line = new(
        $@"^gc #?(?<n>[0-9]+) @(?<at>{Decimal})s (?<pct>[0-9]+)%: (?<clock>{Decimal}(?:\+{Decimal})*) ms clock, (?<cpu>[0-9.+/]+) ms cpu, (?<h0>[0-9]+)->(?<h1>[0-9]+)->(?<h2>[0-9]+) MB, (?<goal>[0-9]+) MB goal, (?:(?<stacks>[0-9]+) MB stacks, )?(?:(?<globals>[0-9]+) MB globals, )?(?<procs>[0-9]+) P(?<forced> \(forced\))?$",
        RegexOptions.Compiled | RegexOptions.CultureInvariant);

    // Prefixes a log collector puts before the line: RFC 3339 (docker logs -t, kubectl logs --timestamps, most
    // container runtimes; fraction up to ns) and journald's short form ("May 01 12:00:03[.123456] host app[123]: ").
    private static readonly Regex Rfc3339Prefix = new(
        @"^(?<y>[0-9]{4})-(?<mo>[0-9]{2})-(?<d>[0-9]{2})[T ](?<h>[0-9]{2}):(?<mi>[0-9]{2}):(?<s>[0-9]{2})(?:[.,](?<f>[0-9]{1,9}))?(?<z>Z|[+-][0-9]{2}:?[0-9]{2})?\s+(?=gc )",
        RegexOptions.Compiled | RegexOptions.CultureInvariant);
    private static readonly Regex JournaldPrefix = new(
        @"^(?<mon>Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) +(?<d>[0-9]{1,2}) (?<h>[0-9]{2}):(?<mi>[0-9]{2}):(?<s>[0-9]{2})(?:\.(?<f>[0-9]{1,9}))? \S+ [^:]+: (?=gc )",
        RegexOptions.Compiled | RegexOptions.CultureInvariant);
    private static readonly string[] Months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

    private GcTrace(string? path, IReadOnlyList<GcCycle> cycles, IReadOnlyList<SkippedLine> skipped)
    {
        Path = path;
        Cycles = cycles;
        Skipped = skipped;
    }

    /// <summary>Full path of the log; null when parsed from a reader without one.</summary>
    public string? Path { get; }

    /// <summary>The gc lines, in log order.</summary>
    public IReadOnlyList<GcCycle> Cycles { get; }

    /// <summary>Lines that are not gc lines (program output mixed into stderr, scavenger or pacer traces), with why.</summary>
    public IReadOnlyList<SkippedLine> Skipped { get; }

    /// <summary>Reads a gctrace log (the program's stderr). Throws AnalysisException when the file is missing, binary or has no gc lines.</summary>
    public static GcTrace Load(string path)
    {
        string full = System.IO.Path.GetFullPath(path);
        InputFile.CheckExists(full, "gctrace log", Expected);
        using var stream = InputFile.OpenRead(full, "gctrace log");
        Span<byte> head = stackalloc byte[16];
        int got = stream.ReadAtLeast(head, head.Length, throwOnEndOfStream: false);
        if (head[..got].Contains((byte)0) || (got >= 2 && head[0] == 0x1f && head[1] == 0x8b))
            throw new AnalysisException(AnalysisErrorKind.WrongFormat, full, $"'{full}' is binary ({InputFile.Describe(head[..got])}{(InputFile.Guess(head[..got]) is { } g ? $", which looks like {g}" : "")}); {Expected}.");
        stream.Position = 0;
        using var reader = new StreamReader(stream);
        var trace = Parse(reader, full, File.GetLastWriteTimeUtc(full).Year);
        if (trace.Cycles.Count == 0)
        {
            string first = trace.Skipped.Count > 0 ? $" First line: \"{trace.Skipped[0].Text}\"." : "";
            throw new AnalysisException(AnalysisErrorKind.WrongFormat, full, $"'{full}' has no gc lines; {Expected}.{first}");
        }

        return trace;
    }

    /// <summary>Parses gctrace text from <paramref name="reader"/>, keeping lines that are not gc lines in <see cref="Skipped"/>; <paramref name="path"/> is recorded only. Never throws on content.</summary>
    public static GcTrace Parse(TextReader reader, string? path = null) => Parse(reader, path, DateTime.UtcNow.Year);

    /// <summary>
    /// As <see cref="Parse(TextReader, string?)"/>; <paramref name="journaldYear"/> is the year journald's short
    /// prefixes ("May 01 12:00:03") are in, which they do not print (Load takes the file's modification year).
    /// </summary>
    public static GcTrace Parse(TextReader reader, string? path, int journaldYear)
    {
        var cycles = new List<GcCycle>();
        var skipped = new List<SkippedLine>();
        int number = 0;
        string? line;
        while ((line = reader.ReadLine()) is not null)
        {
            number++;
            if (line.Length == 0)
                continue;
            var (loggedAt, resolution, prefix) = ReadPrefix(line, journaldYear);
            var m = Line.Match(prefix == 0 ? line : line[prefix..]);
            if (!m.Success)
            {
                string reason = line.StartsWith("gc ", StringComparison.Ordinal) ? "a gc line in an unknown form"
                    : line.StartsWith("scvg", StringComparison.Ordinal) ? "scavenger trace line"
                    : line.StartsWith("pacer:", StringComparison.Ordinal) || line.Contains("pacer:", StringComparison.Ordinal) ? "pacer trace line"
                    : "not a gc line";
                skipped.Add(new SkippedLine(number, line.Length > 120 ? line[..117] + "..." : line, reason));
                continue;
            }

            // counts beyond int (gc number, percent, P) or MB beyond long are not from the runtime: the line is skipped
            if (!TryInt(m, "n", out int n) || !TryInt(m, "pct", out int pct) || !TryInt(m, "procs", out int procs) ||
                !TryMB(m, "h0", out double h0) || !TryMB(m, "h1", out double h1) || !TryMB(m, "h2", out double h2) || !TryMB(m, "goal", out double goal) ||
                !TryMB(m, "stacks", out double? stacks) || !TryMB(m, "globals", out double? globals))
            {
                skipped.Add(new SkippedLine(number, line.Length > 120 ? line[..117] + "..." : line, "a gc line with a number out of range"));
                continue;
            }

            var clock = m.Groups["clock"].Value.Split('+').Select(v => double.Parse(v, CultureInfo.InvariantCulture)).ToArray();
            double pause = clock.Length switch
            {
                >= 5 => clock[0] + clock[2] + clock[4],
                >= 3 => clock[0] + clock[2],
                _ => clock.Sum(),
            };
            cycles.Add(new GcCycle
            {
                Number = n,
                AtSeconds = double.Parse(m.Groups["at"].Value, CultureInfo.InvariantCulture),
                PercentInGc = pct,
                ClockPhasesMs = clock,
                PauseMs = Math.Round(pause, 6),
                ConcurrentMs = Math.Round(clock.Sum() - pause, 6),
                HeapStartMB = h0,
                HeapEndMB = h1,
                HeapLiveMB = h2,
                HeapGoalMB = goal,
                StacksMB = stacks,
                GlobalsMB = globals,
                Procs = procs,
                Forced = m.Groups["forced"].Success,
                LineNumber = number,
                LoggedAt = loggedAt,
                LoggedAtResolution = resolution,
            });
        }

        return new GcTrace(path, cycles, skipped);
    }

    /// <summary>
    /// Totals and anomalies: pause spikes (over <paramref name="spikeFactor"/> × the median and at least 1 ms), forced
    /// cycles, and heap goal growth (last goal at least <paramref name="goalGrowth"/> × the first).
    /// </summary>
    public GcTraceSummary Summarize(double spikeFactor = 10, double goalGrowth = 4)
    {
        if (Cycles.Count == 0)
            return new GcTraceSummary();
        var pauses = Cycles.Select(c => c.PauseMs).Order().ToArray();
        double median = pauses.Length % 2 == 1 ? pauses[pauses.Length / 2] : (pauses[(pauses.Length / 2) - 1] + pauses[pauses.Length / 2]) / 2;
        var max = Cycles.MaxBy(c => c.PauseMs)!;
        var anomalies = new List<Finding>();

        var spikes = Cycles.Where(c => c.PauseMs >= 1 && c.PauseMs > spikeFactor * median).Select(c => c.Number).ToArray();
        if (spikes.Length > 0)
        {
            anomalies.Add(Anomaly("PauseSpike",
                string.Create(CultureInfo.InvariantCulture, $"{spikes.Length} cycle(s) paused over {spikeFactor:F0}× the median ({median:F3} ms); the longest, gc {max.Number}, {max.PauseMs:F3} ms"), spikes));
        }

        var forced = Cycles.Where(c => c.Forced).Select(c => c.Number).ToArray();
        if (forced.Length > 0)
        {
            anomalies.Add(Anomaly("Forced",
                string.Create(CultureInfo.InvariantCulture, $"{forced.Length} forced cycle(s): the program calls runtime.GC() or debug.FreeOSMemory()"), forced));
        }

        double first = Cycles[0].HeapGoalMB, last = Cycles[^1].HeapGoalMB;
        if (first > 0 && last >= goalGrowth * first)
        {
            anomalies.Add(Anomaly("GoalGrowth",
                string.Create(CultureInfo.InvariantCulture, $"the heap goal grew {last / first:F1}× ({first} → {last} MB): live heap is growing (a leak?) — compare heap profiles with Get-PprofTop -Baseline"),
                [Cycles[0].Number, Cycles[^1].Number]));
        }

        return new GcTraceSummary
        {
            Cycles = Cycles.Count,
            Forced = forced.Length,
            TotalPauseMs = Math.Round(pauses.Sum(), 6),
            MeanPauseMs = Math.Round(pauses.Average(), 6),
            MedianPauseMs = Math.Round(median, 6),
            MaxPauseMs = max.PauseMs,
            MaxPauseCycle = max.Number,
            FirstGoalMB = first,
            LastGoalMB = last,
            PeakLiveMB = Cycles.Max(c => c.HeapLiveMB),
            SpanSeconds = Cycles[^1].AtSeconds - Cycles[0].AtSeconds,
            Anomalies = anomalies,
        };
    }

    /// <summary>A gctrace finding: a warning, from this log, with the cycles that show it.</summary>
    private Finding Anomaly(string kind, string description, int[] cycles) =>
        new(FindingSeverity.Warning, kind, description) { Title = $"Go GC: {description}.", GcNumbers = cycles, Source = Path };

    /// <summary>A log collector's timestamp before "gc ": its time (UTC), resolution and length; (null, null, 0) when none or out of range.</summary>
    private static (DateTimeOffset? At, TimeSpan? Resolution, int Length) ReadPrefix(string line, int journaldYear)
    {
        if (line.StartsWith("gc ", StringComparison.Ordinal))
            return (null, null, 0);
        var m = Rfc3339Prefix.Match(line);
        int year, month;
        if (m.Success)
        {
            year = int.Parse(m.Groups["y"].ValueSpan, CultureInfo.InvariantCulture);
            month = int.Parse(m.Groups["mo"].ValueSpan, CultureInfo.InvariantCulture);
        }
        else
        {
            m = JournaldPrefix.Match(line);
            if (!m.Success)
                return (null, null, 0);
            year = journaldYear;
            month = Array.IndexOf(Months, m.Groups["mon"].Value) + 1;
        }

        int day = int.Parse(m.Groups["d"].ValueSpan, CultureInfo.InvariantCulture), hour = int.Parse(m.Groups["h"].ValueSpan, CultureInfo.InvariantCulture);
        int minute = int.Parse(m.Groups["mi"].ValueSpan, CultureInfo.InvariantCulture), second = int.Parse(m.Groups["s"].ValueSpan, CultureInfo.InvariantCulture);
        if (year < 1 || month is < 1 or > 12 || day < 1 || day > DateTime.DaysInMonth(year, month) || hour > 23 || minute > 59 || second > 59)
            return (null, null, 0);
        var offset = TimeSpan.Zero;
        if (m.Groups["z"] is { Success: true, Value: not "Z" } z)
        {
            string digits = z.Value.Replace(":", "", StringComparison.Ordinal);
            int hours = int.Parse(digits.AsSpan(1, 2), CultureInfo.InvariantCulture), minutes = int.Parse(digits.AsSpan(3, 2), CultureInfo.InvariantCulture);
            if (hours > 14 || minutes > 59)
                return (null, null, 0);
            offset = new TimeSpan(hours, minutes, 0) * (digits[0] == '-' ? -1 : 1);
        }

        string fraction = m.Groups["f"].Value;
        long ticks = fraction.Length == 0 ? 0 : long.Parse(fraction.PadRight(7, '0').AsSpan(0, 7), CultureInfo.InvariantCulture);
        var resolution = TimeSpan.FromTicks(Math.Max(1, (long)Math.Pow(10, 7 - Math.Min(fraction.Length, 7))));
        var local = new DateTime(year, month, day, hour, minute, second, DateTimeKind.Unspecified).AddTicks(ticks);
        long utcTicks = local.Ticks - offset.Ticks; // the first and last hours of the calendar have no UTC time in every zone
        if (utcTicks < DateTime.MinValue.Ticks || utcTicks > DateTime.MaxValue.Ticks)
            return (null, null, 0);
        return (new DateTimeOffset(utcTicks, TimeSpan.Zero), resolution, m.Length);
    }

    private static bool TryInt(Match m, string group, out int value) =>
        int.TryParse(m.Groups[group].ValueSpan, NumberStyles.None, CultureInfo.InvariantCulture, out value);

    private static bool TryMB(Match m, string group, out double value)
    {
        bool ok = long.TryParse(m.Groups[group].ValueSpan, NumberStyles.None, CultureInfo.InvariantCulture, out long mb);
        value = mb;
        return ok;
    }

    /// <summary>An optional MB field: absent is fine (null), present must be in range.</summary>
    private static bool TryMB(Match m, string group, out double? value)
    {
        value = null;
        if (!m.Groups[group].Success)
            return true;
        if (!TryMB(m, group, out double mb))
            return false;
        value = mb;
        return true;
    }
}
