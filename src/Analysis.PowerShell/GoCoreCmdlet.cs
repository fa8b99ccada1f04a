using System.Management.Automation;
using Analysis.Go;

namespace Analysis.PowerShell;

/// <summary>
/// A cmdlet that reads Go core dumps given by -Path/-LiteralPath, with the executable that wrote them (-Executable),
/// through this runspace's core sessions: a core opened before (Open-GoCore), or asked about before, is not read again.
/// </summary>
public abstract class GoCoreCmdlet : FileInputCmdlet
{
    /// <summary>
    /// The Go program that wrote the core (the same build). Without it, the executable the core names is used when it
    /// is on this machine. Given, the file is read as a core whatever it looks like.
    /// </summary>
    [Parameter(ParameterSetName = PathSet)]
    [Parameter(ParameterSetName = LiteralPathSet)]
    [ValidateNotNullOrEmpty]
    public string? Executable { get; set; }

    /// <summary>
    /// Whether the file is to be read as a core: -Executable was given, or the file is an ELF core (7F 'E' 'L' 'F',
    /// e_type 4); otherwise it is a text goroutine dump.
    /// </summary>
    protected bool IsCore(string path) => Executable is not null || GoCoreSessionCache.IsElfCore(path);

    /// <summary>
    /// The session of this core: the one open in this runspace (any executable, when -Executable is not given), else
    /// the core read now (<paramref name="keepOpen"/>: kept until Close-GoCore). Its warnings are written as warnings.
    /// A failure is written as an error record (GoExecutableNotFound, WrongGoExecutable, NotAGoCore, …) and null returned.
    /// </summary>
    protected GoCore? OpenCore(string path, bool keepOpen = false)
    {
        var cache = RunspaceSessions.Current.GoCores; // on the pipeline thread: the runspace's own sessions
        string? executable = Executable is null ? null : ResolveFilePath(Executable);
        try
        {
            var core = !keepOpen && executable is null && cache.FindOpen(path) is { } open
                ? open
                : RunWithProgress("Reading Go core", (progress, ct) => cache.GetOrOpen(path, executable, keepOpen, progress, ct));
            WriteCoreWarnings(core);
            return core;
        }
        catch (AnalysisException e)
        {
            WriteCoreError(e, path);
            return null;
        }
    }

    /// <summary>The core's warnings (what could not be read or checked; the rest of the answer stands), one warning record each.</summary>
    protected void WriteCoreWarnings(GoCore core)
    {
        foreach (string warning in core.Info.Warnings)
            WriteWarning($"{System.IO.Path.GetFileName(core.Path)}: {warning}");
    }

    /// <summary>
    /// Writes a core's failure with an id that says which file is wrong: GoExecutableNotFound (the executable given, or
    /// the one the core names, is not here), WrongGoExecutable (the executable is not the build that wrote the core, or
    /// not a Go program), else the core's own (GoCoreNotFound, NotAGoCore, GoCoreTruncated, SessionClosed).
    /// </summary>
    protected void WriteCoreError(AnalysisException e, string core)
    {
        var (id, category) = GoCmdlets.CoreErrorId(e, core);
        WriteError(new ErrorRecord(e, id, category, e.Path ?? core));
    }
}

/// <summary>
/// A question about a Go process's goroutines or state, given by -Path/-LiteralPath (a core, read with -Executable
/// through this runspace's core sessions, or for the goroutine cmdlets a text goroutine dump) or as a session (-Core,
/// from Open-GoCore; binds from the pipeline).
/// </summary>
public abstract class GoCoreQueryCmdlet : GoCoreCmdlet
{
    /// <summary>The parameter set of -Core (the default).</summary>
    protected const string CoreSet = "Core";

    // -Core has a parameter set of its own, the default: a piped session then binds to -Core by type instead of being
    // ambiguous with -Path, which it could also bind to by its Path property (PprofCmdlet does the same).

    /// <summary>A Go core session from Open-GoCore; binds from the pipeline.</summary>
    [Parameter(ParameterSetName = CoreSet, ValueFromPipeline = true)]
    public GoCore? Core { get; set; }

    /// <summary>Fails at once when the -Core set is used with no session and nothing piped in.</summary>
    protected override void BeginProcessing()
    {
        base.BeginProcessing();
        if (ParameterSetName == CoreSet && Core is null && !MyInvocation.ExpectingInput)
        {
            ThrowTerminatingError(new ErrorRecord(new PSArgumentException($"Give the {InputNoun}: -Path, -LiteralPath or -Core (from Open-GoCore), or pipe it in."),
                $"{Artifact}Missing", ErrorCategory.InvalidArgument, null));
        }
    }

    /// <summary>What -Path names, for the message when nothing is given ("goroutine dump or core").</summary>
    protected virtual string InputNoun => "core";

    /// <summary>Reads a core (see <see cref="GoCoreCmdlet.IsCore"/>) through this runspace's sessions and answers; anything else is a text goroutine dump.</summary>
    protected sealed override void ProcessFile(string path)
    {
        if (!ReadsTextDumps || IsCore(path))
        {
            if (OpenCore(path) is { } core)
                AnswerCore(core);
        }
        else
        {
            AnswerTextDump(path);
        }
    }

    /// <summary>Answers for the -Core session given.</summary>
    protected sealed override void ProcessOther()
    {
        if (Core is null)
            return;
        CurrentSource = Core.Path;
        try
        {
            WriteCoreWarnings(Core);
            AnswerCore(Core);
        }
        catch (AnalysisException e)
        {
            WriteCoreError(e, Core.Path);
        }
    }

    /// <summary>Whether a file that is not an ELF core is read as a text goroutine dump (else it is an error: not a core).</summary>
    protected virtual bool ReadsTextDumps => true;

    /// <summary>Answers the question for one core.</summary>
    protected abstract void AnswerCore(GoCore core);

    /// <summary>Answers the question for a text goroutine dump (when <see cref="ReadsTextDumps"/>).</summary>
    protected virtual void AnswerTextDump(string path)
    {
    }
}
