using System.Management.Automation;
using Analysis.Dumps;

namespace Analysis.PowerShell.Commands;

/// <summary>Lists the managed threads of a dump with names, states, stacks, exceptions, locks and deadlocks.</summary>
/// <remarks>
/// <para>
/// Returns one DumpThread per managed thread: ManagedThreadId, OSThreadId, Name (read from the Thread object),
/// State (Running, Waiting, BlockedOnLock, Deadlocked, Dead, Unstarted, NativeCode: alive with no managed frame), IsBackground, IsThreadPool, Frames and
/// TopFrame, the Exception in flight, the lock the thread is blocked on (BlockedOn, LockOwnerThreadId) and the locks
/// it holds (HeldLocks).
/// </para>
/// <para>
/// Each managed frame carries File and Line when the module's portable PDB of exactly that build is embedded in it, beside
/// it, or in a -SymbolPath folder (SOS clrstack's [file @ line]); otherwise they are empty (null and 0). A PDB not found
/// is a warning only when -SymbolPath was given. The table's Where column shows the line as (File.cs:42).
/// </para>
/// <para>
/// Threads on a wait-for cycle have IsDeadlocked set and the cycle in Deadlock, told as a sentence by its Description. Locks
/// are read from sync blocks, thin locks and System.Threading.Lock owners.
/// </para>
/// </remarks>
/// <example>
/// <code>Get-DumpThreads ./app.dmp | Where-Object IsDeadlocked | ForEach-Object { $_.Deadlock.Description } | Sort-Object -Unique</code>
/// <para>Each deadlock once: which thread holds which lock and waits for which.</para>
/// </example>
/// <example>
/// <code>Get-DumpThreads ./app.dmp | Where-Object Exception | ForEach-Object { '{0}: {1}' -f $_.Name, $_.Exception }</code>
/// <para>The threads with an exception in flight, and the exception.</para>
/// </example>
/// <example>
/// <code>(Get-DumpThreads ./app.dmp -SymbolPath ./app-build-output -Name 'worker-a').Frames | Where-Object File | ForEach-Object { '{0} {1}:{2}' -f $_.Function, $_.File, $_.Line }</code>
/// <para>One thread's frames with their source lines, the PDBs taken from the app's build output.</para>
/// </example>
/// <example>
/// <code>Open-Dump ./app.dmp | Get-DumpThreads -State BlockedOnLock, Deadlocked</code>
/// <para>The threads waiting for a lock, with the lock and the thread that holds it.</para>
/// </example>
/// <example>
/// <code>(Get-DumpThreads ./app.dmp -Name 'payments').Frames | ForEach-Object ToString</code>
/// <para>The whole stack of one thread, found by name, one Module!Method frame per line.</para>
/// </example>
[Cmdlet(VerbsCommon.Get, "DumpThreads", DefaultParameterSetName = DumpSet)]
[OutputType(typeof(DumpThread))]
public sealed class GetDumpThreadsCommand : DumpCmdlet
{
    /// <summary>Only threads whose name matches this wildcard, e.g. 'worker-*'.</summary>
    [Parameter]
    [SupportsWildcards]
    [ArgumentCompleter(typeof(Completers.ThreadNameCompleter))]
    public string? Name { get; set; }

    /// <summary>Only threads in one of these states.</summary>
    [Parameter]
    public DumpThreadState[]? State { get; set; }

    /// <inheritdoc/>
    protected override void ProcessDump(DumpSession session)
    {
        var before = session.Warnings;
        var threads = RunWithProgress("Reading threads", (_, ct) => session.GetThreads(ct));
        // what the walk found missing (a PDB asked for with -SymbolPath but not found), once
        foreach (string warning in session.Warnings.Except(before, StringComparer.Ordinal))
            WriteWarning(warning);
        IEnumerable<DumpThread> rows = threads;
        if (Name is not null)
        {
            var pattern = new WildcardPattern(Name, WildcardOptions.IgnoreCase);
            rows = rows.Where(t => pattern.IsMatch(t.Name ?? ""));
        }

        if (State is { Length: > 0 } states)
            rows = rows.Where(t => states.Contains(t.State));
        foreach (var t in rows)
            WriteResult(t);
    }
}
