using Analysis.Dumps;
using Analysis.Go;
using Analysis.Traces;

namespace Analysis.PowerShell.Completers;

/// <summary>
/// The artifacts of a command line, opened the way its command will open them: dumps and traces through this
/// runspace's session caches (so completing and then running the command opens the file once, walks its heap once and
/// reads a profile once). What cannot be opened is skipped.
/// </summary>
internal static class CompletionSources
{
    public static IEnumerable<DumpSession> Dumps(CommandLineInputs inputs)
    {
        foreach (object input in inputs.Items)
        {
            var session = Open(() => input switch
            {
                DumpSession open when !open.IsClosed => open,
                // As DumpCmdlet does: a dump open in this runspace answers (whatever its options); else open one.
                FileInfo file => (inputs.DacPath is null ? RunspaceSessions.Current.Dumps.FindOpen(file.FullName) : null)
                    ?? RunspaceSessions.Current.Dumps.GetOrOpen(file.FullName, new DumpOpenOptions { DacPath = inputs.DacPath }),
                _ => null,
            });
            if (session is not null)
                yield return session;
        }
    }

    public static IEnumerable<TraceSession> Traces(CommandLineInputs inputs)
    {
        foreach (object input in inputs.Items)
        {
            var session = Open(() => input switch
            {
                TraceSession open when !open.IsClosed => open,
                FileInfo file => RunspaceSessions.Current.Traces.GetOrOpen(file.FullName),
                _ => null,
            });
            if (session is not null)
                yield return session;
        }
    }

    public static IEnumerable<PprofProfile> Profiles(CommandLineInputs inputs)
    {
        foreach (object input in inputs.Items)
        {
            var profile = Open(() => input switch
            {
                PprofProfile loaded => loaded,
                GoProfileSession open when !open.IsClosed => open.GetProfile(),
                FileInfo file => ProfileFiles.Load(file),
                _ => null,
            });
            if (profile is not null)
                yield return profile;
        }
    }

    /// <summary>Runs a question of one artifact; a failure (not that kind of file, no heap, closed meanwhile) gives null.</summary>
    public static T? Open<T>(Func<T?> open)
        where T : class
    {
        try
        {
            return open();
        }
        catch (Exception e) when (e is AnalysisException or IOException or UnauthorizedAccessException or InvalidOperationException or ArgumentException)
        {
            return null;
        }
    }

    /// <summary>Profiles for completion, through this runspace's profile sessions (as the pprof cmdlets read them).</summary>
    private static class ProfileFiles
    {
        /// <summary>A file this large that is not gzip is not a profile (Go writes them gzip-compressed): not read whole on Tab.</summary>
        private const long MaxUncompressedBytes = 16 << 20;

        public static PprofProfile? Load(FileInfo given)
        {
            // A symbolic link is measured by its target (its own length is that of the name it holds).
            var file = given.LinkTarget is null ? given : given.ResolveLinkTarget(returnFinalTarget: true) as FileInfo ?? given;
            file.Refresh();
            if (file.Length > MaxUncompressedBytes && !IsGzip(file))
                return null;
            return RunspaceSessions.Current.GoProfiles.GetOrOpen(given.FullName).GetProfile();
        }

        private static bool IsGzip(FileInfo file)
        {
            Span<byte> magic = stackalloc byte[2];
            using var stream = file.OpenRead();
            return stream.ReadAtLeast(magic, 2, throwOnEndOfStream: false) == 2 && magic[0] == 0x1f && magic[1] == 0x8b;
        }
    }
}
