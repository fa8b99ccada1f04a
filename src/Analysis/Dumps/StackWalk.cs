using System.Runtime.CompilerServices;
using Microsoft.Diagnostics.Runtime;

namespace Analysis.Dumps;

/// <summary>
/// Stack walks with a bound. On a corrupt stack the DAC's frame iterator can go round forever; ClrMD's stack-root
/// enumeration runs that iterator to its end in one call (it cannot be cancelled), so a thread's roots are read only
/// when a capped walk of its frames ended by itself. A walk that did not is a warning, not a hang.
/// </summary>
internal static class StackWalk
{
    /// <summary>Frames read per thread at most. Real stacks are far shorter; deep recursion shows its innermost frames.</summary>
    public const int MaxFrames = 4096;

    private static readonly ConditionalWeakTable<ClrThread, StrongBox<bool>> s_ends = new();

    /// <summary>The thread's frames, innermost first, at most <see cref="MaxFrames"/>; empty when the walk fails.</summary>
    public static IReadOnlyList<ClrStackFrame> Frames(ClrThread thread)
    {
        try
        {
            return thread.EnumerateStackTrace(includeContext: false, MaxFrames).ToArray();
        }
        catch (Exception e) when (DumpEngine.IsEngineFailure(e))
        {
            return [];
        }
    }

    /// <summary>
    /// Whether a capped walk of the thread's frames ended by itself: at least one and fewer than <see cref="MaxFrames"/>
    /// frames, no managed frame (instruction and stack pointer) seen twice. Only then is the DAC asked for the thread's
    /// stack roots.
    /// </summary>
    public static bool Ends(ClrThread thread) => s_ends.GetValue(thread, t => new StrongBox<bool>(WalkEnds(Frames(t)))).Value;

    /// <summary>Whether these frames (from <see cref="Frames"/>) are a walk that ended by itself.</summary>
    public static bool WalkEnds(IReadOnlyList<ClrStackFrame> frames)
    {
        // No frame at all on a live thread: the walk failed at once (a damaged register context), and the DAC's root
        // walker, which starts from the same context, has been seen to go round forever there. A thread with no frame
        // has no frame roots to lose.
        if (frames.Count == 0 || frames.Count >= MaxFrames)
            return false;
        var seen = new HashSet<(ulong, ulong)>();
        foreach (var f in frames)
        {
            // Managed frames only: the runtime reports some transition frames twice in a row on healthy stacks.
            if (f.Kind == ClrStackFrameKind.ManagedMethod && f.StackPointer != 0 && !seen.Add((f.InstructionPointer, f.StackPointer)))
                return false;
        }

        return true;
    }

    /// <summary>
    /// Whether the thread is dispatching an exception: its innermost frame is the runtime's exception frame
    /// (SoftwareExceptionFrame for a throw, FaultingExceptionFrame for a hardware fault). Measured on .NET 10.0.12: the
    /// DAC's stack-root walk of such a thread (the crashing thread of a dump the runtime writes on an unhandled
    /// exception) ends the process with SIGSEGV, so its roots are not read.
    /// </summary>
    public static bool InExceptionDispatch(ClrThread thread) =>
        Frames(thread) is [{ Kind: ClrStackFrameKind.Runtime, FrameName: "SoftwareExceptionFrame" or "FaultingExceptionFrame" }, ..];

    /// <summary>The thread's stack roots, or empty when its walk does not end (see <see cref="Ends"/>), it is dispatching an exception (see <see cref="InExceptionDispatch"/>) or the walk fails.</summary>
    public static IReadOnlyList<ClrStackRoot> Roots(ClrThread thread)
    {
        if (!thread.IsAlive || !Ends(thread) || InExceptionDispatch(thread))
            return [];
        try
        {
            return thread.EnumerateStackRoots().ToArray();
        }
        catch (Exception e) when (DumpEngine.IsEngineFailure(e))
        {
            return [];
        }
    }

    /// <summary>A warning for threads whose stacks were not walked to the end.</summary>
    public static string? Warning(IEnumerable<ClrThread> threads)
    {
        // Threads with no frame at all are left out: they have no frame roots, and healthy dumps have such threads.
        var cut = threads.Where(t => t.IsAlive && !Ends(t) && Frames(t).Count > 0).Select(t => t.ManagedThreadId).ToArray();
        var throwing = threads.Where(t => t.IsAlive && Ends(t) && InExceptionDispatch(t)).Select(t => t.ManagedThreadId).ToArray();
        string? dispatch = throwing.Length == 0 ? null :
            $"Thread{(throwing.Length == 1 ? "" : "s")} {string.Join(", ", throwing)} {(throwing.Length == 1 ? "was" : "were")} dispatching an exception: the runtime's data-access library fails on the stack roots of such a thread, " +
            "so they were not read; root paths through that stack and the locks it holds are missing.";
        if (cut.Length == 0)
            return dispatch;
        return (dispatch is null ? "" : dispatch + " ") + $"The stack walk of thread{(cut.Length == 1 ? "" : "s")} {string.Join(", ", cut)} did not end within {MaxFrames:N0} frames or revisited a frame " +
            "(a corrupt stack): their frames stop there and their stack roots were not read, so root paths through those stacks and their locks are missing.";
    }
}
