using System.Globalization;
using System.Text;

namespace Analysis.Tests.Go;

/// <summary>One event of a Go trace's text form: its name, its type number, its arguments by name (in order) and its data.</summary>
public sealed record GoTextEvent(string Name, byte Type, bool Timed, IReadOnlyList<(string Name, ulong Value)> Args, byte[]? Data)
{
    /// <summary>The argument named <paramref name="name"/>.</summary>
    public ulong this[string name] => Args.First(a => a.Name == name).Value;
}

/// <summary>
/// Test-only: the Go team's text form of an execution trace (the "-- trace --" part of
/// src/internal/trace/testdata/tests/*.test, written by internal/trace/testgen) turned into the binary format our
/// decoder reads, as golang/go's internal/trace/raw does it (read at commit 090372e8316831e7d6fd8a9c45195cd55d272b29,
/// files raw/textreader.go, raw/writer.go, raw/event.go, tracev2/events.go, version/version.go):
/// <list type="bullet">
/// <item>header line "Trace Go1.N" → the 16 bytes "go 1.N trace\0\0\0" (version.WriteHeader);</item>
/// <item>each line "Name arg=value …" (arguments in the spec's order, named as in its Args) → one byte, the event type
/// (its index in tracev2's EventType constants), then each argument as an unsigned LEB128 varint (raw.Writer);</item>
/// <item>a stack event (EvStack, IsStack) is followed by nframes lines "pc=… func=… file=… line=…", four varints each;</item>
/// <item>an event with data (EvString, EvExperimentalBatch: HasData) is followed by a line data="…" (a Go quoted string):
/// its length as a varint, then its bytes;</item>
/// <item>'#' starts a comment; blank lines are skipped.</item>
/// </list>
/// The event table below is transcribed from tracev2/events.go (the EventType iota order, each spec's Args and whether
/// it IsTimedEvent); the decoder's constants (src/Analysis/Go/GoExecutionTrace.cs) were written separately from the
/// same file, so a number or argument count mistyped in one is caught by tests that decode what the other wrote.
/// </summary>
public static class GoTraceTextFormat
{
    // (name, args, timed, stack, data) in tracev2.EventType order: index = wire type.
    private static readonly (string Name, string[] Args, bool Timed, bool Stack, bool Data)[] Specs =
    [
        ("None", [], false, false, false),                                                     // 0 EvNone
        ("EventBatch", ["gen", "m", "time", "size"], false, false, false),                     // 1
        ("Stacks", [], false, false, false),                                                   // 2
        ("Stack", ["id", "nframes"], false, true, false),                                      // 3
        ("Strings", [], false, false, false),                                                  // 4
        ("String", ["id"], false, false, true),                                                // 5
        ("CPUSamples", [], false, false, false),                                               // 6
        ("CPUSample", ["time", "m", "p", "g", "stack"], false, false, false),                  // 7
        ("Frequency", ["freq"], false, false, false),                                          // 8
        ("ProcsChange", ["dt", "procs_value", "stack"], true, false, false),                   // 9
        ("ProcStart", ["dt", "p", "p_seq"], true, false, false),                               // 10
        ("ProcStop", ["dt"], true, false, false),                                              // 11
        ("ProcSteal", ["dt", "p", "p_seq", "m"], true, false, false),                          // 12
        ("ProcStatus", ["dt", "p", "pstatus"], true, false, false),                            // 13
        ("GoCreate", ["dt", "new_g", "new_stack", "stack"], true, false, false),               // 14
        ("GoCreateSyscall", ["dt", "new_g"], true, false, false),                              // 15
        ("GoStart", ["dt", "g", "g_seq"], true, false, false),                                 // 16
        ("GoDestroy", ["dt"], true, false, false),                                             // 17
        ("GoDestroySyscall", ["dt"], true, false, false),                                      // 18
        ("GoStop", ["dt", "reason_string", "stack"], true, false, false),                      // 19
        ("GoBlock", ["dt", "reason_string", "stack"], true, false, false),                     // 20
        ("GoUnblock", ["dt", "g", "g_seq", "stack"], true, false, false),                      // 21
        ("GoSyscallBegin", ["dt", "p_seq", "stack"], true, false, false),                      // 22
        ("GoSyscallEnd", ["dt"], true, false, false),                                          // 23
        ("GoSyscallEndBlocked", ["dt"], true, false, false),                                   // 24
        ("GoStatus", ["dt", "g", "m", "gstatus"], true, false, false),                         // 25
        ("STWBegin", ["dt", "kind_string", "stack"], true, false, false),                      // 26
        ("STWEnd", ["dt"], true, false, false),                                                // 27
        ("GCActive", ["dt", "gc_seq"], true, false, false),                                    // 28
        ("GCBegin", ["dt", "gc_seq", "stack"], true, false, false),                            // 29
        ("GCEnd", ["dt", "gc_seq"], true, false, false),                                       // 30
        ("GCSweepActive", ["dt", "p"], true, false, false),                                    // 31
        ("GCSweepBegin", ["dt", "stack"], true, false, false),                                 // 32
        ("GCSweepEnd", ["dt", "swept_value", "reclaimed_value"], true, false, false),          // 33
        ("GCMarkAssistActive", ["dt", "g"], true, false, false),                               // 34
        ("GCMarkAssistBegin", ["dt", "stack"], true, false, false),                            // 35
        ("GCMarkAssistEnd", ["dt"], true, false, false),                                       // 36
        ("HeapAlloc", ["dt", "heapalloc_value"], true, false, false),                          // 37
        ("HeapGoal", ["dt", "heapgoal_value"], true, false, false),                            // 38
        ("GoLabel", ["dt", "label_string"], true, false, false),                               // 39
        ("UserTaskBegin", ["dt", "task", "parent_task", "name_string", "stack"], true, false, false), // 40
        ("UserTaskEnd", ["dt", "task", "stack"], true, false, false),                          // 41
        ("UserRegionBegin", ["dt", "task", "name_string", "stack"], true, false, false),       // 42
        ("UserRegionEnd", ["dt", "task", "name_string", "stack"], true, false, false),         // 43
        ("UserLog", ["dt", "task", "key_string", "value_string", "stack"], true, false, false), // 44
        ("GoSwitch", ["dt", "g", "g_seq"], true, false, false),                                // 45 Go 1.23
        ("GoSwitchDestroy", ["dt", "g", "g_seq"], true, false, false),                         // 46
        ("GoCreateBlocked", ["dt", "new_g", "new_stack", "stack"], true, false, false),        // 47
        ("GoStatusStack", ["dt", "g", "m", "gstatus", "stack"], true, false, false),           // 48
        ("ExperimentalBatch", ["exp", "gen", "m", "time"], false, false, true),                // 49
        ("Sync", [], false, false, false),                                                     // 50 Go 1.25
        ("ClockSnapshot", ["dt", "mono", "sec", "nsec"], true, false, false),                  // 51 Go 1.25
    ];

    // tracev2: MaxEvent = 127, then the AllocFree experiment's events from 128.
    private static readonly (string Name, string[] Args)[] Experimental =
    [
        ("Span", ["dt", "id", "npages_value", "kindclass"]),
        ("SpanAlloc", ["dt", "id", "npages_value", "kindclass"]),
        ("SpanFree", ["dt", "id"]),
        ("HeapObject", ["dt", "id", "type"]),
        ("HeapObjectAlloc", ["dt", "id", "type"]),
        ("HeapObjectFree", ["dt", "id"]),
        ("GoroutineStack", ["dt", "id", "order"]),
        ("GoroutineStackAlloc", ["dt", "id", "order"]),
        ("GoroutineStackFree", ["dt", "id"]),
    ];

    private static readonly string[] FrameFields = ["pc", "func", "file", "line"];

    /// <summary>The text's Go minor version ("Trace Go1.25" → 25) and its events, in order.</summary>
    public static (int Minor, List<GoTextEvent> Events) Parse(string text)
    {
        var lines = TraceSection(text).Split('\n').Select(l => l.TrimEnd('\r')).Where(l => Token(l, out _) is not null).ToList();
        if (lines.Count == 0)
            throw new FormatException("no header line 'Trace Go1.N'");
        string header = Token(lines[0], out string rest) ?? "";
        string? version = Token(rest, out _);
        if (header != "Trace" || version is null || !version.StartsWith("Go1.", StringComparison.Ordinal))
            throw new FormatException($"bad header: {lines[0]}");
        int minor = int.Parse(version["Go1.".Length..], CultureInfo.InvariantCulture);
        var events = new List<GoTextEvent>();
        for (int i = 1; i < lines.Count; i++)
        {
            string name = Token(lines[i], out string argText)!;
            int type = Array.FindIndex(Specs, s => s.Name == name);
            int exp = Array.FindIndex(Experimental, s => s.Name == name);
            if (type <= 0 && exp < 0)
                throw new FormatException($"line {i + 1}: unknown event {name}");
            var (argNames, timed, stack, hasData) = type > 0 ? (Specs[type].Args, Specs[type].Timed, Specs[type].Stack, Specs[type].Data) : (Experimental[exp].Args, true, false, false);
            var args = ReadArgs(argText, argNames, i);
            if (stack)
            {
                for (ulong f = 0; f < args[1].Value; f++)
                    args.AddRange(ReadArgs(lines[++i], FrameFields, i));
            }

            byte[]? data = null;
            if (hasData)
            {
                string line = lines[++i].Trim();
                if (!line.StartsWith("data=", StringComparison.Ordinal))
                    throw new FormatException($"line {i + 1}: expected data=\"…\"");
                data = Encoding.UTF8.GetBytes(Unquote(line["data=".Length..]));
            }

            events.Add(new GoTextEvent(name, (byte)(type > 0 ? type : 128 + exp), timed, args, data));
        }

        return (minor, events);
    }

    /// <summary>
    /// The binary trace the text describes (raw.Writer's encoding). With <paramref name="fixSizes"/>, each EventBatch's
    /// size is computed from the events that follow it (as internal/trace/testgen does) instead of taken from the text.
    /// </summary>
    public static byte[] ToBinary(string text, bool fixSizes = false)
    {
        var (minor, events) = Parse(text);
        if (fixSizes)
        {
            for (int i = 0; i < events.Count; i++)
            {
                if (events[i].Name != "EventBatch")
                    continue;
                int size = events.Skip(i + 1).TakeWhile(e => e.Name is not ("EventBatch" or "ExperimentalBatch")).Sum(EncodedSize);
                events[i] = events[i] with { Args = [.. events[i].Args.Select(a => a.Name == "size" ? (a.Name, (ulong)size) : a)] };
            }
        }

        var bytes = new List<byte>(Encoding.ASCII.GetBytes(string.Create(CultureInfo.InvariantCulture, $"go 1.{minor} trace\0\0\0")));
        foreach (var e in events)
        {
            bytes.Add(e.Type);
            foreach (var (_, value) in e.Args)
                Uvarint(bytes, value);
            if (e.Data is { } data)
            {
                Uvarint(bytes, (ulong)data.Length);
                bytes.AddRange(data);
            }
        }

        return [.. bytes];
    }

    /// <summary>Appends an unsigned LEB128 varint (encoding/binary.AppendUvarint).</summary>
    public static void Uvarint(List<byte> bytes, ulong value)
    {
        while (value >= 0x80)
        {
            bytes.Add((byte)(value | 0x80));
            value >>= 7;
        }

        bytes.Add((byte)value);
    }

    /// <summary>The encoded size of an event (raw.Event.EncodedSize): what a batch's size counts.</summary>
    public static int EncodedSize(GoTextEvent e)
    {
        var bytes = new List<byte>();
        foreach (var (_, value) in e.Args)
            Uvarint(bytes, value);
        if (e.Data is { } data)
        {
            Uvarint(bytes, (ulong)data.Length);
            bytes.AddRange(data);
        }

        return 1 + bytes.Count;
    }

    // a .test file is a txtar archive: the trace is the part after "-- trace --"
    private static string TraceSection(string text)
    {
        const string marker = "-- trace --";
        int at = text.IndexOf(marker, StringComparison.Ordinal);
        if (at < 0)
            return text;
        string after = text[(at + marker.Length)..];
        int next = after.IndexOf("\n-- ", StringComparison.Ordinal);
        return next < 0 ? after : after[..next];
    }

    private static List<(string Name, ulong Value)> ReadArgs(string text, string[] names, int line)
    {
        var args = new List<(string, ulong)>();
        foreach (string name in names)
        {
            string? token = Token(text, out text);
            int eq = token?.IndexOf('=', StringComparison.Ordinal) ?? -1;
            if (token is null || eq < 0 || token[..eq] != name)
                throw new FormatException($"line {line + 1}: expected argument {name}, found '{token}'");
            args.Add((name, ulong.Parse(token[(eq + 1)..], NumberStyles.None, CultureInfo.InvariantCulture)));
        }

        if (Token(text, out _) is { } extra)
            throw new FormatException($"line {line + 1}: unexpected '{extra}' after the arguments");
        return args;
    }

    // the next whitespace-separated token; '#' starts a comment
    private static string? Token(string s, out string rest)
    {
        int start = 0;
        while (start < s.Length && char.IsWhiteSpace(s[start]))
            start++;
        if (start == s.Length || s[start] == '#')
        {
            rest = "";
            return null;
        }

        int end = start;
        while (end < s.Length && !char.IsWhiteSpace(s[end]) && s[end] != '#')
            end++;
        rest = s[end..];
        return s[start..end];
    }

    // a Go double-quoted string with the escapes strconv.Quote writes for these tests (\" \\ \n \t \xNN)
    private static string Unquote(string quoted)
    {
        if (quoted.Length < 2 || quoted[0] != '"' || quoted[^1] != '"')
            throw new FormatException($"not a quoted string: {quoted}");
        var sb = new StringBuilder();
        for (int i = 1; i < quoted.Length - 1; i++)
        {
            char c = quoted[i];
            if (c != '\\')
            {
                sb.Append(c);
                continue;
            }

            char k = quoted[++i];
            sb.Append(k switch
            {
                'n' => "\n",
                't' => "\t",
                'x' => ((char)Convert.ToByte(quoted.Substring(++i, 2), 16)).ToString(),
                _ => k.ToString(),
            });
            if (k == 'x')
                i++;
        }

        return sb.ToString();
    }
}
