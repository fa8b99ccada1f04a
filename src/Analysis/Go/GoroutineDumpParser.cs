using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text.Json;
using Analysis.Stacks;

namespace Analysis.Go;

/// <summary>
/// Parses Go goroutine dumps: full tracebacks (pprof debug=2, SIGQUIT, panic and fatal-error output, Go 1.19–1.23
/// header forms) and pprof debug=1 aggregated records. Strict about shapes, loud about what it skips: lines it cannot
/// place are returned with their line number and reason, and parsing resumes at the next goroutine.
/// GOTRACEBACK=crash output: the signal preamble ("SIGABRT: abort", "PC=… m=… sigcode=…") and the register dump after
/// the goroutines are understood, and the per-thread blocks after the first "-----" line (each M's g0 stack or its
/// current goroutine, already listed above, with registers) are not goroutines of the process: they are passed over.
/// </summary>
public static class GoroutineDumpParser
{
    private const string Expected = "expected a Go goroutine dump: pprof goroutine debug=2 or debug=1 text, or the output of a panic / SIGQUIT";

    /// <summary>Parses a dump file. Throws <see cref="AnalysisException"/> when the file is missing, empty or has no goroutines at all.</summary>
    public static GoroutineDump ParseFile(string path, IProgress<WorkProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        using var text = OpenText(path, out string full, out long length);
        var dump = Parse(text, full, length, progress, cancellationToken);
        if (dump.Goroutines.Count == 0)
            throw NoGoroutines(full, dump.Skipped);
        return dump;
    }

    private static StreamReader OpenText(string path, out string full, out long length)
    {
        full = Path.GetFullPath(path);
        length = InputFile.CheckExists(full, "Goroutine dump", Expected);
        var stream = InputFile.OpenRead(full, "Goroutine dump", 1 << 16, FileOptions.SequentialScan);
        Span<byte> head = stackalloc byte[16];
        int got = stream.ReadAtLeast(head, head.Length, throwOnEndOfStream: false);
        if (got >= 2 && head[0] == 0x1f && head[1] == 0x8b)
        {
            stream.Dispose();
            throw new AnalysisException(AnalysisErrorKind.WrongFormat, full, $"'{full}' is gzip-compressed binary (a pprof profile? use Import-Pprof), not a text goroutine dump; {Expected}.");
        }

        if (head[..got].Contains((byte)0))
        {
            stream.Dispose();
            throw new AnalysisException(AnalysisErrorKind.WrongFormat, full, $"'{full}' is binary ({InputFile.Describe(head[..got])}{(InputFile.Guess(head[..got]) is { } g ? $", which looks like {g}" : "")}); {Expected}.");
        }

        stream.Position = 0;
        return new StreamReader(stream, System.Text.Encoding.UTF8, detectEncodingFromByteOrderMarks: true, bufferSize: 1 << 16);
    }

    private static AnalysisException NoGoroutines(string full, IReadOnlyList<SkippedLine> skipped)
    {
        string first = skipped.Count > 0 ? $" The first line not understood is line {skipped[0].LineNumber}: \"{Quote(skipped[0].Text)}\"." : "";
        return new AnalysisException(AnalysisErrorKind.WrongFormat, full, $"'{full}' holds no goroutines; {Expected}.{first}");
    }

    /// <summary>Parses dump text. Never throws for content: what cannot be parsed is in <see cref="GoroutineDump.Skipped"/>.</summary>
    public static GoroutineDump Parse(TextReader text, string? path = null, long length = 0, IProgress<WorkProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        var goroutines = new List<Goroutine>();
        var p = Stream(text, goroutines.Add, length, progress, cancellationToken);
        return new GoroutineDump(path, p.Aggregated ? GoroutineDumpFormat.Aggregated : GoroutineDumpFormat.Traceback, goroutines, p.Skipped, p.PanicMessage, p.DeclaredTotal);
    }

    /// <summary>
    /// Groups a dump file's goroutines into buckets while reading, keeping one goroutine per bucket: the way to take
    /// apart dumps of hundreds of thousands of goroutines. Returns the buckets and what the parser skipped.
    /// </summary>
    public static (IReadOnlyList<StackBucket> Buckets, GoroutineDump Summary) GroupFile(string path, StackSimilarity similarity = StackSimilarity.IgnoreArguments,
        IProgress<WorkProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        using var text = OpenText(path, out string full, out long length);
        var bucketer = new StackGrouper.StackBucketer(similarity);
        int count = 0;
        var p = Stream(text, g =>
        {
            count++;
            bucketer.Add(g);
        }, length, progress, cancellationToken);
        if (count == 0)
            throw NoGoroutines(full, p.Skipped);
        var summary = new GoroutineDump(full, p.Aggregated ? GoroutineDumpFormat.Aggregated : GoroutineDumpFormat.Traceback, [], p.Skipped, p.PanicMessage, p.DeclaredTotal);
        return (bucketer.Build(), summary);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static Parser Stream(TextReader text, Action<Goroutine> sink, long length, IProgress<WorkProgress>? progress, CancellationToken cancellationToken)
    {
        var p = new Parser(sink, length, progress, cancellationToken);
        var lines = new SpanLineReader(text);
        while (lines.TryReadLine(out var line))
            p.Line(line, lines.LineNumber, lines.CharsConsumed);
        p.Finish();
        return p;
    }

    private static string Quote(string s) => s.Length > 120 ? s[..117] + "..." : s;

    private sealed class Parser(Action<Goroutine> sink, long length, IProgress<WorkProgress>? progress, CancellationToken cancellationToken)
    {
        private enum Expect
        {
            Header,
            Function,
            File,
            CreatedByFile,
            RecordFrames,
        }

        private readonly StringPool _strings = new();
        private readonly Dictionary<string, (string Name, string Package)> _functions = new(StringComparer.Ordinal);
        private Expect _expect = Expect.Header;

        // The goroutine being read.
        private long _id;
        private string _state = "";
        private int _minutes;
        private bool _locked;
        private int _count;
        private int _headerLine;
        private bool _elided;
        private List<StackFrameInfo> _frames = new();
        private (string Name, string Package, string? Arguments)? _pendingFunction;
        private int _pendingFunctionLine;
        private StackFrameInfo? _createdBy;
        private long _createdByGoroutine;
        private Dictionary<string, string>? _labels;
        private bool _open;
        private int _lastPercent = -1;
        private int _recordTotal; // goroutines in the debug=1 records so far
        private bool _runtimeStack; // after a fatal error's "runtime stack:": the system stack that threw, not a goroutine
        private bool _threadBlocks; // after GOTRACEBACK=crash's first "-----": per-thread blocks, not goroutines

        public List<SkippedLine> Skipped { get; } = new();
        public string? PanicMessage { get; private set; }
        public int? DeclaredTotal { get; private set; }
        public bool Aggregated { get; private set; }

        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public void Line(ReadOnlySpan<char> line, int number, long consumed)
        {
            if ((number & 0xfff) == 0)
            {
                cancellationToken.ThrowIfCancellationRequested();
                if (progress is not null && length > 0)
                {
                    int percent = (int)Math.Min(100, consumed * 100 / length);
                    if (percent != _lastPercent)
                    {
                        _lastPercent = percent;
                        progress.Report(new WorkProgress("Reading goroutine dump", $"{Bytes.Format(consumed)} of {Bytes.Format(length)}", consumed, length));
                    }
                }
            }

            if (line.IsEmpty)
            {
                Close(number);
                return;
            }

            if (_runtimeStack)
            {
                // A fatal error's "runtime stack:" (the system stack that threw) runs until the goroutines.
                if (!line.StartsWith("goroutine "))
                    return;
                _runtimeStack = false;
            }

            if (_threadBlocks)
            {
                if (!line.StartsWith("panic: ") && !line.StartsWith("fatal error: "))
                    return;
                _threadBlocks = false; // the next crash report
            }

            switch (_expect)
            {
                case Expect.Header:
                    Header(line, number);
                    break;
                case Expect.Function:
                    Function(line, number);
                    break;
                case Expect.File:
                case Expect.CreatedByFile:
                    File(line, number);
                    break;
                case Expect.RecordFrames:
                    RecordLine(line, number);
                    break;
            }
        }

        public void Finish() => Close(0);

        // ---- outside a goroutine ----

        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        private void Header(ReadOnlySpan<char> line, int number)
        {
            if (line.StartsWith("goroutine profile: total "))
            {
                Aggregated = true;
                if (int.TryParse(line["goroutine profile: total ".Length..], NumberStyles.None, CultureInfo.InvariantCulture, out int total))
                    DeclaredTotal = total;
                return;
            }

            if (line.StartsWith("goroutine ") && TryHeader(line, number))
                return;

            if (char.IsAsciiDigit(line[0]) && TryRecordHeader(line, number))
                return;

            if (line.StartsWith("panic: ") || line.StartsWith("fatal error: "))
            {
                PanicMessage ??= line[(line.IndexOf(':') + 2)..].ToString();
                return;
            }

            // Other crash preamble lines the runtime prints before the goroutines.
            if (line.StartsWith("[signal ") || line.StartsWith("\tpanic: ") || line.StartsWith("[recovered]") || line.StartsWith("exit status ") ||
                line.StartsWith("runtime: ") || IsSignalLine(line) || line.StartsWith("PC=") || line.StartsWith("m=") || line.StartsWith("signal arrived") ||
                IsRegisterLine(line))
                return;

            if (line.SequenceEqual("-----"))
            {
                _threadBlocks = true;
                return;
            }

            if (line.SequenceEqual("runtime stack:"))
            {
                _runtimeStack = true;
                return;
            }

            Skip(number, line, "not a goroutine header ('goroutine N [state]:') and not inside a goroutine");
        }

        /// <summary>"goroutine 18 [chan receive, 2 minutes, locked to thread]:" and the Go 1.21+ "goroutine 7 gp=0x… m=nil [select]:".</summary>
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        private bool TryHeader(ReadOnlySpan<char> line, int number)
        {
            var rest = line["goroutine ".Length..];
            int digits = 0;
            while (digits < rest.Length && char.IsAsciiDigit(rest[digits]))
                digits++;
            if (digits == 0 || !long.TryParse(rest[..digits], NumberStyles.None, CultureInfo.InvariantCulture, out long id))
                return false;
            rest = rest[digits..];
            int open = rest.IndexOf(" [");
            if (open < 0 || !rest.EndsWith("]:"))
            {
                Skip(number, line, "goroutine header without '[state]:'");
                return true;
            }

            // Anything between the id and the bracket must be the runtime's gp=/m=/mp= fields.
            foreach (var token in rest[..open].ToString().Split(' ', StringSplitOptions.RemoveEmptyEntries))
            {
                if (!(token.StartsWith("gp=", StringComparison.Ordinal) || token.StartsWith("m=", StringComparison.Ordinal) || token.StartsWith("mp=", StringComparison.Ordinal)))
                {
                    Skip(number, line, $"unexpected '{token}' in goroutine header");
                    return true;
                }
            }

            Begin(number, id, 1);
            var inside = rest[(open + 2)..^2];
            string state = "";
            foreach (var part in inside.ToString().Split(", "))
            {
                if (part == "locked to thread")
                    _locked = true;
                else if (part.EndsWith(" minutes", StringComparison.Ordinal) && int.TryParse(part[..^8], NumberStyles.None, CultureInfo.InvariantCulture, out int m))
                    _minutes = m;
                else if (part.EndsWith(" minute", StringComparison.Ordinal) && int.TryParse(part[..^7], NumberStyles.None, CultureInfo.InvariantCulture, out int m1))
                    _minutes = m1;
                else
                    state = state.Length == 0 ? part : state + ", " + part;
            }

            _state = _strings.Get(state);
            _expect = Expect.Function;
            return true;
        }

        /// <summary>debug=1: "100 @ 0x46cf6e 0x4068dc …".</summary>
        private bool TryRecordHeader(ReadOnlySpan<char> line, int number)
        {
            int at = line.IndexOf(" @");
            if (at <= 0 || !int.TryParse(line[..at], NumberStyles.None, CultureInfo.InvariantCulture, out int count))
                return false;
            Aggregated = true;
            if (count > int.MaxValue - _recordTotal)
            {
                // no process holds 2^31 goroutines (at 2 KB of stack each, 4 TB): the record is skipped, its frames with it
                Close(number);
                Skip(number, line, string.Create(CultureInfo.InvariantCulture, $"a record of {count:N0} goroutines takes the total past {int.MaxValue:N0} (already {_recordTotal:N0})"));
                _expect = Expect.RecordFrames;
                return true;
            }

            _recordTotal += count;
            Begin(number, 0, count);
            _expect = Expect.RecordFrames;
            return true;
        }

        // ---- tracebacks ----

        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        private void Function(ReadOnlySpan<char> line, int number)
        {
            if (line.StartsWith("created by "))
            {
                var rest = line["created by ".Length..];
                int inG = rest.IndexOf(" in goroutine ");
                if (inG >= 0)
                {
                    long.TryParse(rest[(inG + " in goroutine ".Length)..], NumberStyles.None, CultureInfo.InvariantCulture, out _createdByGoroutine);
                    rest = rest[..inG];
                }

                var (fnName, fnPackage) = Function(rest);
                _pendingFunction = (fnName, fnPackage, null);
                _pendingFunctionLine = number;
                _expect = Expect.CreatedByFile;
                return;
            }

            if (line.StartsWith("goroutine "))
            {
                Close(number); // a header without the blank line before it
                Header(line, number);
                return;
            }

            if (line.StartsWith("exit status "))
            {
                Close(number); // `go run` reports the exit code right after the traceback
                return;
            }

            if (IsRegisterLine(line))
            {
                Close(number); // GOTRACEBACK=crash prints the crashing thread's registers right after a stack
                return;
            }

            if (line.SequenceEqual("...additional frames elided..."))
            {
                _elided = true;
                return;
            }

            if (line[0] == '\t')
            {
                if (line.Contains("stack unavailable", StringComparison.Ordinal))
                    return; // "goroutine running on other thread; stack unavailable"
                Skip(number, line, "a file line without a function line before it");
                return;
            }

            int open = line.LastIndexOf('(');
            if (open <= 0 || line[^1] != ')')
            {
                Skip(number, line, "expected a function call line 'package.Function(args)'");
                return;
            }

            var (name, package) = Function(line[..open]);
            var args = line[(open + 1)..^1];
            _pendingFunction = (name, package, args.Length == 0 ? "" : args.SequenceEqual("...") ? "..." : args.ToString());
            _pendingFunctionLine = number;
            _expect = Expect.File;
        }

        /// <summary>"\tpath/file.go:37 +0x25", possibly followed by " fp=… sp=… pc=…".</summary>
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        private void File(ReadOnlySpan<char> line, int number)
        {
            bool createdBy = _expect == Expect.CreatedByFile;
            _expect = Expect.Function;
            if (line[0] != '\t' || !TryFileLine(line[1..], out var file, out int lineNo, out long offset))
            {
                // the frame above lost its file line; this line is then read afresh (it may start the next frame),
                // so it is reported once, by Function, if it is not one
                DropPendingFunction();
                Function(line, number);
                return;
            }

            var (fn, pkg, arguments) = _pendingFunction!.Value;
            var frame = new StackFrameInfo(fn, pkg, FrameKind.Go) { File = _strings.Get(file), Line = lineNo, Offset = offset, Arguments = arguments, Inlined = arguments == "..." };
            _pendingFunction = null;
            if (createdBy)
                _createdBy = frame;
            else
                _frames.Add(frame);
        }

        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        private static bool TryFileLine(ReadOnlySpan<char> s, out ReadOnlySpan<char> file, out int line, out long offset)
        {
            offset = 0;
            int space = s.IndexOf(" +0x");
            if (space >= 0)
            {
                var hex = s[(space + 4)..];
                int end = hex.IndexOf(' ');
                if (end >= 0)
                    hex = hex[..end];
                long.TryParse(hex, NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out offset);
                s = s[..space];
            }
            else if (s.IndexOf(' ') is int sp and >= 0)
            {
                s = s[..sp];
            }

            int colon = s.LastIndexOf(':');
            file = colon > 0 ? s[..colon] : default;
            line = 0;
            return colon > 0 && int.TryParse(s[(colon + 1)..], NumberStyles.None, CultureInfo.InvariantCulture, out line);
        }

        // ---- debug=1 records ----

        private void RecordLine(ReadOnlySpan<char> line, int number)
        {
            if (line.StartsWith("# labels: "))
            {
                _labels = ParseLabels(line["# labels: ".Length..], number, line);
                return;
            }

            // "#\t0x4fb264\tcontoso.example/leaky/orders.(*Server).waitForReply+0x24\t/path/orders.go:37"
            if (line.StartsWith("#\t"))
            {
                var parts = line.ToString().Split('\t');
                if (parts.Length >= 4)
                {
                    string fn = parts[2];
                    int plus = fn.LastIndexOf("+0x", StringComparison.Ordinal);
                    long offset = 0;
                    if (plus > 0)
                    {
                        long.TryParse(fn.AsSpan(plus + 3), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out offset);
                        fn = fn[..plus];
                    }

                    if (TryFileLine(parts[^1].AsSpan().Trim(), out var file, out int lineNo, out _))
                    {
                        var (name, package) = Function(fn);
                        _frames.Add(new StackFrameInfo(name, package, FrameKind.Go) { File = _strings.Get(file), Line = lineNo, Offset = offset });
                        return;
                    }
                }
            }

            Skip(number, line, "expected '#\\tPC\\tfunction+offset\\tfile:line' or '# labels: {…}' in a debug=1 record");
        }

        private Dictionary<string, string>? ParseLabels(ReadOnlySpan<char> json, int number, ReadOnlySpan<char> line)
        {
            try
            {
                using var doc = JsonDocument.Parse(json.ToString());
                if (doc.RootElement.ValueKind != JsonValueKind.Object)
                {
                    // valid JSON, but "[]", "null", "1": EnumerateObject would throw InvalidOperationException
                    Skip(number, line, $"labels are JSON {doc.RootElement.ValueKind.ToString().ToLowerInvariant()}, not an object like {{\"key\":\"value\"}}");
                    return null;
                }

                var labels = new Dictionary<string, string>(StringComparer.Ordinal);
                foreach (var p in doc.RootElement.EnumerateObject())
                    labels[p.Name] = p.Value.ValueKind == JsonValueKind.String ? p.Value.GetString()! : p.Value.GetRawText();
                return labels;
            }
            catch (JsonException e)
            {
                Skip(number, line, $"labels are not a JSON object ({e.Message})");
                return null;
            }
        }

        // ---- bookkeeping ----

        private void Begin(int number, long id, int count)
        {
            Close(number);
            _open = true;
            _id = id;
            _count = count;
            _headerLine = number;
        }

        /// <summary>A function line whose '\tfile:line' never came: reported at its own line, the frame dropped.</summary>
        private void DropPendingFunction()
        {
            if (_pendingFunction is { } pending)
                Skip(_pendingFunctionLine, pending.Name, "function line without its '\\tfile:line'");
            _pendingFunction = null;
        }

        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        private void Close(int number)
        {
            DropPendingFunction();

            if (_open)
            {
                sink(new Goroutine
                {
                    Id = _id,
                    State = _state,
                    Count = _count,
                    WaitMinutes = _minutes,
                    LockedToThread = _locked,
                    Frames = _frames.ToArray(),
                    FramesElided = _elided,
                    CreatedBy = _createdBy,
                    CreatedByGoroutine = _createdByGoroutine,
                    Labels = _labels is null ? LabelSet.Empty : _labels,
                    LineNumber = _headerLine,
                });
            }

            _open = false;
            _state = "";
            _minutes = 0;
            _locked = false;
            _elided = false;
            _frames.Clear();
            _createdBy = null;
            _createdByGoroutine = 0;
            _labels = null;
            _expect = Expect.Header;
        }

        /// <summary>The interned function name and its package, one hash lookup per frame.</summary>
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        private (string Name, string Package) Function(ReadOnlySpan<char> function)
        {
            var lookup = _functions.GetAlternateLookup<ReadOnlySpan<char>>();
            if (lookup.TryGetValue(function, out var known))
                return known;
            string name = function.ToString();
            var entry = (name, _strings.Get(GoFunctions.PackageOf(name)));
            _functions[name] = entry;
            return entry;
        }

        /// <summary>"SIGQUIT: quit", "SIGABRT: abort", "SIGSEGV: segmentation violation": the signal line of a crash report.</summary>
        private static bool IsSignalLine(ReadOnlySpan<char> line)
        {
            int colon = line.IndexOf(": ");
            if (colon <= 3 || !line.StartsWith("SIG"))
                return false;
            foreach (char c in line[3..colon])
            {
                if (!char.IsAsciiLetterUpper(c) && !char.IsAsciiDigit(c))
                    return false;
            }

            return true;
        }

        /// <summary>A register of GOTRACEBACK=crash's dump: "rax    0x1", "rflags 0x246", "r8     0x0".</summary>
        private static bool IsRegisterLine(ReadOnlySpan<char> line)
        {
            int space = line.IndexOf(' ');
            if (space <= 0 || space > 8 || !char.IsAsciiLetterLower(line[0]))
                return false;
            foreach (char c in line[..space])
            {
                if (!char.IsAsciiLetterLower(c) && !char.IsAsciiDigit(c))
                    return false;
            }

            var value = line[space..].TrimStart(' ');
            if (value.Length < 3 || !value.StartsWith("0x"))
                return false;
            foreach (char c in value[2..])
            {
                if (!char.IsAsciiHexDigitLower(c) && !char.IsAsciiDigit(c))
                    return false;
            }

            return true;
        }

        private void Skip(int number, ReadOnlySpan<char> line, string reason) => Skipped.Add(new SkippedLine(number, Quote(line.ToString()), reason));
    }

}
