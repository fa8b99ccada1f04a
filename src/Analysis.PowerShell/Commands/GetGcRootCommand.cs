using System.Globalization;
using System.Management.Automation;
using Analysis.Dumps;

namespace Analysis.PowerShell.Commands;

/// <summary>
/// Why objects are alive: the shortest path from a GC root (static field, handle, stack frame, finalizer queue) to an
/// object by address, or to every object of a type, merged by path shape. The first question indexes the object
/// graph (one heap pass, cached in the session and on disk); later questions walk the index.
/// </summary>
[Cmdlet(VerbsCommon.Get, "GcRoot", DefaultParameterSetName = DumpSet)]
[OutputType(typeof(GcRootPath))]
public sealed class GetGcRootCommand : DumpCmdlet
{
    /// <summary>Addresses of objects (e.g. 0x7f3a2c0410a8); binds from the Address property of piped objects (state machines, locks …).</summary>
    [Parameter(ValueFromPipelineByPropertyName = true)]
    [ValidateNotNullOrEmpty]
    public ulong[]? Address { get; set; }

    /// <summary>A type name or wildcard: paths to all objects of the matching types, merged by shape.</summary>
    [Parameter]
    [SupportsWildcards]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(Completers.HeapTypeNameCompleter))]
    public string? TypeName { get; set; }

    /// <summary>For -Address: every root that keeps the object alive, each with its shortest path (not only the strongest).</summary>
    [Parameter]
    public SwitchParameter All { get; set; }

    /// <summary>How many distinct paths to return for -TypeName (most objects first) or -All.</summary>
    [Parameter]
    [ValidateRange(1, int.MaxValue)]
    public int Top { get; set; } = 10;

    protected override void ProcessDump(DumpSession session)
    {
        if ((Address is null) == (TypeName is null))
        {
            WriteError(new ErrorRecord(new PSArgumentException("Give either -Address (object addresses) or -TypeName (a type name or wildcard), not both or neither."),
                "AddressOrTypeName", ErrorCategory.InvalidArgument, null));
            return;
        }

        if (TypeName is not null)
        {
            var query = RunWithProgress("Finding root paths", (progress, ct) => session.FindRootPaths(TypeName, Top, progress, ct));
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

                path = RunWithProgress("Finding root paths", (progress, ct) => session.FindRootPath(address, progress, ct));
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
