using System.Diagnostics;
using System.Reflection;
using System.Text.RegularExpressions;

namespace Analysis.Fuzz;

/// <summary>What kind of end a case came to: the columns of the campaign table.</summary>
public enum OutcomeKind
{
    /// <summary>A result (possibly partial, with warnings or skipped lines).</summary>
    Ok,
    /// <summary>One <see cref="AnalysisException"/>: the contract for bad input.</summary>
    AnalysisException,
    /// <summary>Any other exception: a bug.</summary>
    Other,
    /// <summary>No answer within the path's timeout.</summary>
    Hang,
    /// <summary>Memory beyond the ceiling (the child's resident set grew past it, or the GC heap hit its hard limit).</summary>
    Memory,
    /// <summary>The worker process died (stack overflow, fail-fast, a signal).</summary>
    Killed,
}

/// <summary>
/// The outcome of one case. <see cref="Class"/> is the key findings are grouped by: "ok", "AnalysisException:WrongFormat",
/// "OverflowException@ProtoReader.ReadBytes" (exception type and the first frame in our code, else the throwing method),
/// "hang", "memory", "killed:SIGABRT".
/// </summary>
public sealed record Outcome(OutcomeKind Kind, string Class, string Detail)
{
    public static readonly Outcome OkOutcome = new(OutcomeKind.Ok, "ok", "");

    public bool IsBug => Kind is not (OutcomeKind.Ok or OutcomeKind.AnalysisException);

    public override string ToString() => Detail.Length == 0 ? Class : $"{Class}: {Detail}";

    /// <summary>The outcome of a case that threw <paramref name="e"/>.</summary>
    public static Outcome FromException(Exception e)
    {
        while (e is AggregateException { InnerExceptions.Count: 1 } or TargetInvocationException { InnerException: not null } or TypeInitializationException { InnerException: not null })
            e = e.InnerException!;
        string detail = OneLine($"{e.GetType().FullName}: {e.Message} | {FirstFrames(e, 4)}");
        if (e is AnalysisException ae)
            return new Outcome(OutcomeKind.AnalysisException, $"AnalysisException:{ae.Kind}", OneLine(ae.Message));
        string cls = $"{e.GetType().Name}@{Site(e)}";
        return e is OutOfMemoryException or InsufficientMemoryException
            ? new Outcome(OutcomeKind.Memory, "memory:" + cls, detail)
            : new Outcome(OutcomeKind.Other, cls, detail);
    }

    /// <summary>
    /// Where an exception comes from: the first frame in our library (Analysis.*), after the innermost frame of TraceEvent
    /// or ClrMD when it came from there ("Reader.Run&lt;StackCache.ProcessStackBlock"); else the method that threw.
    /// </summary>
    public static string Site(Exception e)
    {
        var frames = new StackTrace(e, fNeedFileInfo: false).GetFrames();
        string? library = null; // the innermost frame of a library we call (TraceEvent, ClrMD) below our first frame
        foreach (var f in frames)
        {
            var m = f.GetMethod();
            string? ns = m?.DeclaringType?.Namespace;
            if (m is not null && ns is not null && ns.StartsWith("Analysis", StringComparison.Ordinal) && !ns.StartsWith("Analysis.Fuzz", StringComparison.Ordinal))
                return library is null ? MethodName(m) : $"{MethodName(m)}<{library}";
            if (library is null && m is not null && ns is not null && ns.StartsWith("Microsoft.Diagnostics", StringComparison.Ordinal))
                library = MethodName(m);
        }

        // no frame of ours (inlined or a tail call): the throwing method, and which target it was under
        string thrower = e.TargetSite is { } site ? MethodName(site) : "unknown";
        var target = frames.Select(f => f.GetMethod()).FirstOrDefault(m => m?.DeclaringType == typeof(FuzzTargets));
        return target is null ? thrower : $"{thrower}<{MethodName(target)}";
    }

    private static string FirstFrames(Exception e, int count) =>
        string.Join(" < ", new StackTrace(e, fNeedFileInfo: false).GetFrames().Select(f => f.GetMethod()).OfType<MethodBase>().Take(count).Select(MethodName));

    /// <summary>Type.Method without compiler-generated decoration: "Parser.Line", "GcTrace.Parse".</summary>
    public static string MethodName(MethodBase m)
    {
        var type = m.DeclaringType;
        // lambdas and local functions live in <>c / <Outer>d__N classes: name the outer type
        while (type is not null && type.Name.StartsWith('<') && type.DeclaringType is not null)
            type = type.DeclaringType;
        string typeName = type?.Name ?? "?";
        int tick = typeName.IndexOf('`', StringComparison.Ordinal);
        if (tick > 0)
            typeName = typeName[..tick];
        string method = m.Name;
        var local = Regex.Match(method, @"^<(?<outer>[^>]*)>g__(?<name>[^|]+)\|");
        if (local.Success)
            method = $"{local.Groups["outer"].Value}.{local.Groups["name"].Value}";
        else if (method.StartsWith('<'))
            method = Regex.Match(method, "^<(?<outer>[^>]*)>").Groups["outer"].Value + ".lambda";
        return $"{typeName}.{method}";
    }

    public static string OneLine(string s)
    {
        s = s.ReplaceLineEndings(" ").Replace('\t', ' ');
        return s.Length > 400 ? s[..397] + "..." : s;
    }

    /// <summary>A file-name-safe short id of a class: "OverflowException-ProtoReader.ReadBytes".</summary>
    public static string FileId(string cls)
    {
        string id = Regex.Replace(cls, "[^A-Za-z0-9_.-]+", "-").Trim('-');
        return id.Length > 80 ? id[..80] : id;
    }
}
