using System.Globalization;
using Analysis.Findings;
using Analysis.Stacks;

namespace Analysis.Dumps;

/// <summary>Why the process crashed, as a triage finding, and the thread it concerns.</summary>
/// <param name="Finding">The finding (Critical when a crash report says the process crashed).</param>
/// <param name="ManagedThreadId">The managed thread that crashed, when the dump has it.</param>
internal sealed record CrashCause(Finding Finding, int? ManagedThreadId);

/// <summary>
/// The crash reason where the dump tells it (SOS <c>crashinfo</c>): the createdump crash report beside the dump (the
/// crashing thread, the managed exception), read with the dump's own view of that thread (the exception's message, its
/// frames with source lines); without a report, a thread caught dispatching an exception when the dump was written.
/// </summary>
internal static class CrashCauses
{
    private const int TopFrames = 5;

    public static CrashCause? Find(TriageContext context)
    {
        var report = CrashReport.TryRead(context.Session.Path, out string? problem);
        if (report is not null)
            return FromReport(context, report);
        if (Throwing(context.Threads) is not { } thread)
            return null;
        var e = thread.Exception!;
        return new CrashCause(new Finding(FindingSeverity.Warning, "exception being thrown",
            $"thread {context.Label(thread.ManagedThreadId)} was throwing {e}{At(thread)} when the dump was written " +
            $"(a dump the runtime writes on a crash shows the unhandled exception so; no crash report beside the dump says it crashed)")
        {
            Evidence = [.. Evidence(thread, e), .. problem is null ? Array.Empty<string>() : [problem]],
            ThreadIds = [thread.ManagedThreadId],
            Subject = e.Type,
        }, thread.ManagedThreadId);
    }

    private static CrashCause FromReport(TriageContext context, CrashReport report)
    {
        var thread = report.CrashedThreadId is uint os ? context.Threads.FirstOrDefault(t => t.OSThreadId == os && t.IsAlive) : null;
        var e = thread?.Exception is { } ex && (report.ExceptionAddress == 0 || report.ExceptionAddress == ex.Address || report.ExceptionType == ex.Type) ? ex : null;
        string code = report.CrashCode is null ? "" : $" (crash code {report.CrashCode})";
        string reportLine = $"crash report {Path.GetFileName(report.Path)}: {report}";
        string summary;
        ItemList<string> evidence;
        if (e is not null)
        {
            summary = $"unhandled {e} on thread {context.Label(thread!.ManagedThreadId)}{At(thread)}";
            evidence = [reportLine, .. Evidence(thread, e)];
        }
        else
        {
            string where = (report.Frames.FirstOrDefault(f => f.IsManaged) ?? report.Frames.FirstOrDefault()) is { } top ? $" at {top}" : "";
            string who = thread is not null ? $"thread {context.Label(thread.ManagedThreadId)}"
                : report.CrashedThreadId is uint tid ? string.Create(CultureInfo.InvariantCulture, $"OS thread 0x{tid:x}") : "an unknown thread";
            summary = report.ExceptionType is { } type ? $"unhandled {type} on {who}{where}" : $"native crash{code} on {who}{where}";
            evidence = [reportLine, .. report.Frames.Take(TopFrames * 2).Select(f => "at " + f)];
        }

        return new CrashCause(new Finding(FindingSeverity.Critical, "crash", summary)
        {
            Evidence = evidence,
            ThreadIds = thread is null ? [] : [thread.ManagedThreadId],
            Subject = e?.Type ?? report.ExceptionType,
        }, thread?.ManagedThreadId);
    }

    /// <summary>The thread dispatching an exception: its innermost frame is the runtime's exception frame and it has one in flight.</summary>
    private static DumpThread? Throwing(IReadOnlyList<DumpThread> threads) =>
        threads.FirstOrDefault(t => t.IsAlive && t.Exception is not null &&
            t.Frames is [{ Kind: FrameKind.Runtime, Function: "SoftwareExceptionFrame" or "FaultingExceptionFrame" }, ..]);

    private static IEnumerable<string> Evidence(DumpThread thread, ExceptionInfo e)
    {
        var thrown = e.StackTrace.Count > 0 ? e.StackTrace : thread.Frames;
        foreach (var f in thrown.Where(f => f.Kind == FrameKind.Managed).Take(TopFrames))
            yield return "at " + Frame(f);
        for (var inner = e.InnerException; inner is not null; inner = inner.InnerException)
            yield return "inner: " + inner;
    }

    /// <summary>" at Type.Method (File.cs:42)" for the thread's top managed frame, or "".</summary>
    private static string At(DumpThread thread) => thread.TopFrame is { } f ? " at " + Frame(f) : "";

    private static string Frame(StackFrameInfo f)
    {
        int paren = f.Function.IndexOf('(', StringComparison.Ordinal);
        string name = paren > 0 ? f.Function[..paren] : f.Function;
        return f.File is { Length: > 0 } file ? string.Create(CultureInfo.InvariantCulture, $"{name} ({Path.GetFileName(file.Replace('\\', '/'))}:{f.Line})") : name;
    }
}
