using System.Globalization;
using System.Management.Automation;
using Analysis.Dumps;

namespace Analysis.PowerShell.Commands;

/// <summary>Shows why objects are alive: the shortest path from a GC root to an object, or to every object of a type.</summary>
/// <remarks>
/// <para>
/// Finds the shortest reference path from a GC root (a static field, a GC handle, a local of a stack frame, the
/// finalizer queue) to the object at -Address, or to each object of the types matching -TypeName, naming each hop's
/// type and the field or array element it goes through. Roots are searched in tiers: statics and handles first, then
/// thread stacks, then the finalizer queue, so an object a static holds is explained by the static even when a thread
/// also has it in a local. Each result's Tier tells which tier found it; a tier's path can be longer than one from a
/// later tier (SOS gcroot may show a thread's local one hop from the object). With -Shortest, one search from all roots
/// at once gives the plain shortest path, whatever holds it (Tier AllRoots).
/// </para>
/// <para>
/// For -TypeName, paths of the same shape (array indices aside, shown as [*]) are merged: Count tells how many objects
/// share the path and Addresses lists some of them. With -All, every root that keeps one object alive is listed.
/// </para>
/// <para>
/// The first question indexes the object graph in one parallel heap pass and keeps it in the session; the index is
/// also saved in a cache folder (see Open-Dump -CacheDirectory), keyed by the dump's content, so a later session on
/// the same dump skips the heap pass. An address that is not an object start is an error (NotAnObject); an object no
/// root reaches is reported as a warning (garbage the next GC frees).
/// </para>
/// </remarks>
/// <example>
/// <code>Get-GcRoot ./app.dmp -TypeName 'Contoso.Retention.CustomerSession'</code>
/// <para>
/// Why the sessions are alive, e.g. 2,500 × static Contoso.Retention.SessionRegistry.Sessions → Dictionary ._entries →
/// Entry[] [*].value → CustomerSession.
/// </para>
/// </example>
/// <example>
/// <code>
/// $d = Open-Dump ./app.dmp
/// $invoice = ($d | Get-GcRoot -TypeName 'Contoso.Orders.Invoice').Addresses[0]
/// $d | Get-GcRoot -Address $invoice
/// </code>
/// <para>The exact path of one of those objects; the second question reuses the index the first one built.</para>
/// </example>
/// <example>
/// <code>
/// $d = Open-Dump ./app.dmp
/// Get-DumpTasks -Dump $d -Detailed -Method '*Checkout*' | Get-GcRoot -Dump $d
/// </code>
/// <para>Why each of those async calls is still alive: the Address of each piped state machine binds to -Address.</para>
/// </example>
/// <example>
/// <code>
/// $d = Open-Dump ./app.dmp
/// $session = ($d | Get-GcRoot -TypeName 'Contoso.Retention.CustomerSession').Addresses[0]
/// $d | Get-GcRoot -Address $session -All
/// </code>
/// <para>Every root that holds one object, strongest first: a static field and, say, a thread that also has it in a local.</para>
/// </example>
/// <example>
/// <code>
/// $d = Open-Dump ./app.dmp
/// $lock = ($d | Get-GcRoot -TypeName 'Contoso.Sync.AccountLock').Addresses[0]
/// $d | Get-GcRoot -Address $lock -Shortest
/// </code>
/// <para>
/// The plain shortest path to the lock, e.g. from the thread that holds it in a local (Tier AllRoots), where the default
/// search explains it by the longer path from a static (Tier StaticsAndHandles).
/// </para>
/// </example>
[Cmdlet(VerbsCommon.Get, "GcRoot", DefaultParameterSetName = DumpSet)]
[OutputType(typeof(GcRootPath))]
public sealed class GetGcRootCommand : DumpCmdlet
{
    /// <summary>
    /// Addresses of objects: numbers or hex text, e.g. 0x7f3a2c0410a8 or 7f3a2c0410a8 (as SOS prints them). Binds from the Address property of piped objects (Get-DumpTasks
    /// -Detailed state machines, locks …).
    /// </summary>
    [Parameter(ValueFromPipelineByPropertyName = true)]
    [AddressTransformation]
    [ValidateNotNullOrEmpty]
    public ulong[]? Address { get; set; }

    /// <summary>
    /// A type name or wildcard, e.g. 'Contoso.Retention.CustomerSession' or '*Session': the paths to all objects of the
    /// matching types, merged by shape.
    /// </summary>
    [Parameter]
    [SupportsWildcards]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(Completers.HeapTypeNameCompleter))]
    public string? TypeName { get; set; }

    /// <summary>
    /// For -Address: every root that keeps the object alive, each with its shortest path (a backwards search over the
    /// reverse references, built once per session), strongest roots first; an object several roots hold is listed under
    /// its strongest ones.
    /// </summary>
    [Parameter]
    public SwitchParameter All { get; set; }

    /// <summary>
    /// The plain shortest path from any root (one breadth-first search from all roots at once) instead of the tiered
    /// search, which prefers statics and handles over thread stacks even when a stack's path is shorter. For -Address
    /// and -TypeName; -All lists every root already.
    /// </summary>
    [Parameter]
    public SwitchParameter Shortest { get; set; }

    /// <summary>For -TypeName: how many distinct paths to return, most objects first; for -All: how many roots.</summary>
    [Parameter]
    [ValidateRange(1, int.MaxValue)]
    public int Top { get; set; } = 10;

    /// <inheritdoc/>
    protected override void ProcessDump(DumpSession session)
    {
        if ((Address is null) == (TypeName is null))
        {
            WriteError(new ErrorRecord(new PSArgumentException("Give either -Address (object addresses) or -TypeName (a type name or wildcard), not both or neither."),
                "AddressOrTypeName", ErrorCategory.InvalidArgument, null));
            return;
        }

        if (Shortest && All)
        {
            WriteError(new ErrorRecord(new PSArgumentException("-All lists every root that holds the object, each with its shortest path; -Shortest picks the one shortest path. Give one of them."),
                "AllOrShortest", ErrorCategory.InvalidArgument, null));
            return;
        }

        if (TypeName is not null)
        {
            var query = RunWithProgress("Finding root paths", (progress, ct) => Shortest ? session.FindShortestRootPaths(TypeName, Top, progress, ct) : session.FindRootPaths(TypeName, Top, progress, ct));
            WriteGraphWarnings(session);
            if (query.Reachable == 0 && query.Unreachable == 0)
                WriteWarning($"No object on the heap of '{session.Path}' has a type matching '{TypeName}'.");
            else if (query.Unreachable > 0)
                WriteWarning(string.Create(CultureInfo.InvariantCulture, $"{query.Unreachable:N0} of {query.Reachable + query.Unreachable:N0} objects matching '{TypeName}' are reached by no root: garbage the next GC frees."));
            foreach (var path in query.Paths)
                WriteResult(path);
            return;
        }

        foreach (ulong address in Address!)
        {
            GcRootPath? path;
            try
            {
                if (All)
                {
                    var paths = RunWithProgress("Finding root paths", (progress, ct) => session.FindAllRootPaths(address, Top, progress, ct));
                    WriteGraphWarnings(session);
                    if (paths.Count == 0)
                        WriteWarning(string.Create(CultureInfo.InvariantCulture, $"0x{address:x} is reached by no root: it is garbage the next GC frees."));
                    foreach (var p in paths)
                        WriteResult(p);
                    continue;
                }

                path = RunWithProgress("Finding root paths", (progress, ct) => Shortest ? session.FindShortestRootPath(address, progress, ct) : session.FindRootPath(address, progress, ct));
            }
            catch (ArgumentException e)
            {
                WriteError(new ErrorRecord(e, "NotAnObject", ErrorCategory.InvalidArgument, address)
                {
                    ErrorDetails = new ErrorDetails(string.Create(CultureInfo.InvariantCulture,
                        $"0x{address:x} is not the start of an object on the GC heap of '{session.Path}'. Take addresses from Get-GcRoot -TypeName (Addresses) or SOS dumpheap.")),
                });
                continue;
            }

            WriteGraphWarnings(session);
            if (path is null)
                WriteWarning(string.Create(CultureInfo.InvariantCulture, $"0x{address:x} is reached by no root: it is garbage the next GC frees."));
            else
                WriteResult(path);
        }
    }

    private bool _warned;

    private void WriteGraphWarnings(DumpSession session)
    {
        if (_warned)
            return;
        _warned = true;
        foreach (string warning in session.GraphWarnings)
            WriteWarning(warning);
        WriteVerbose(session.GraphLoadedFromCache ? $"Object graph loaded from the index {session.GraphCacheFile}." : "Object graph indexed from the heap.");
    }
}
