using System.Text;
using System.Text.RegularExpressions;
using Analysis.Go;

namespace Analysis.Timelines;

/// <summary>Reads any artifact the timeline knows as a <see cref="TimelineSource"/>, telling its kind from its content.</summary>
public static partial class TimelineSources
{
    /// <summary>The kinds <see cref="FromFile(string, string?, CancellationToken)"/> reads, for messages.</summary>
    public const string Kinds = "a gctrace log (GODEBUG=gctrace=1 stderr), a Go execution trace ('go 1.2x trace'), a pprof profile (gzip), a goroutine text dump, a Go core (ELF core, with -Executable when it is not beside it), a .NET trace (.nettrace), a .NET dump (ELF core, minidump or Mach-O core)";

    /// <summary>An ELF core of a .NET process: its file list maps the runtime (libcoreclr.so).</summary>
    private static bool IsDotNetCore(string path)
    {
        using var image = ElfImage.Open(path, "Core", "an ELF core was expected");
        return Go.Core.CoreNotes.Read(image).Files.Any(f => f.Path.EndsWith("/libcoreclr.so", StringComparison.Ordinal));
    }

    private static readonly Regex GoroutineHeader = new(@"^goroutine [0-9]+ (?:gp=0x[0-9a-f]+ m=[0-9a-z]+ (?:mp=0x[0-9a-f]+ )?)?\[", RegexOptions.Multiline | RegexOptions.CultureInvariant);

    /// <summary>
    /// Reads one artifact as a timeline source: a gctrace log, a Go execution trace, a pprof profile, a goroutine dump,
    /// a Go core (read with <paramref name="executable"/>, or the executable the core names), a .NET trace (read in the
    /// worker process) or a .NET dump (its time: a minidump's header, else the file's time, with a warning).
    /// </summary>
    /// <exception cref="AnalysisException">The file is missing, empty, of a kind the timeline does not read, or unreadable as its kind.</exception>
    public static TimelineSource FromFile(string path, string? executable = null, CancellationToken cancellationToken = default) =>
        FromFile(path, executable, null, cancellationToken);

    /// <summary>As <see cref="FromFile(string, string?, CancellationToken)"/>, reporting what is read (a core's goroutines read of the runtime's count).</summary>
    /// <exception cref="AnalysisException">The file is missing, empty, of a kind the timeline does not read, or unreadable as its kind.</exception>
    public static TimelineSource FromFile(string path, string? executable, IProgress<WorkProgress>? progress, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        string full = Path.GetFullPath(path);
        InputFile.CheckExists(full, "Timeline artifact", $"expected {Kinds}");
        byte[] head = new byte[4096];
        int got;
        using (var stream = InputFile.OpenRead(full, "Timeline artifact"))
            got = stream.ReadAtLeast(head, head.Length, throwOnEndOfStream: false);
        var bytes = head.AsSpan(0, got);

        if (bytes.Length >= 2 && bytes[0] == 0x1f && bytes[1] == 0x8b)
            return GoTimelineSources.FromPprof(PprofProfile.Load(full));
        if (bytes.StartsWith("go 1."u8) && bytes[..Math.Min(bytes.Length, 16)].IndexOf(" trace"u8) > 0)
            return GoTimelineSources.FromExecutionTrace(GoExecutionTrace.Load(full, cancellationToken: cancellationToken));
        if (bytes.StartsWith("Nettrace"u8))
            return DotNetTimelineSources.FromTrace(full, null, progress, cancellationToken);
        if (bytes.StartsWith("MDMP"u8) || bytes.StartsWith(new byte[] { 0xcf, 0xfa, 0xed, 0xfe }))
            return DotNetTimelineSources.FromDump(full);
        if (Dumps.ElfFile.IsCoreHeader(bytes))
        {
            if (IsDotNetCore(full))
                return DotNetTimelineSources.FromDump(full);
            using var core = GoCore.Open(full, executable, progress, cancellationToken);
            return GoTimelineSources.FromGoCore(core);
        }

        if (!bytes.Contains((byte)0))
        {
            string text = Encoding.UTF8.GetString(bytes);
            if (GoroutineHeader.IsMatch(text) || text.StartsWith("goroutine profile: total ", StringComparison.Ordinal))
                return GoTimelineSources.FromGoroutineDump(full, cancellationToken);
            using var reader = new StringReader(text);
            if (GcTrace.Parse(reader).Cycles.Count > 0 || got == head.Length)
            {
                try
                {
                    return GoTimelineSources.FromGcTrace(GcTrace.Load(full));
                }
                catch (AnalysisException e) when (e.Kind == AnalysisErrorKind.WrongFormat && got == head.Length)
                {
                    // a long text file with no gc lines: not a gctrace after all; said below
                }
            }
        }

        string guess = InputFile.Guess(bytes) is { } g ? $", which looks like {g}" : "";
        throw new AnalysisException(AnalysisErrorKind.WrongFormat, full,
            $"'{full}' is not an artifact the timeline reads: it starts with {InputFile.Describe(bytes[..Math.Min(bytes.Length, 16)])}{guess}. The timeline reads {Kinds}.");
    }
}
