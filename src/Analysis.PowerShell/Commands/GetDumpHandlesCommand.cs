using System.Management.Automation;
using Analysis.Dumps;

namespace Analysis.PowerShell.Commands;

/// <summary>Lists the GC handles of a dump by kind and target type, like SOS gchandles: pinned, strong, weak, dependent.</summary>
/// <remarks>
/// <para>
/// By default one HandleGroup per handle kind and target type: Count, TotalSize (the held objects' own sizes) and
/// PinnedEphemeral (pinned handles whose object is in generation 0 or 1). With -List, one DumpHandle per handle:
/// Kind, HandleAddress, and the object it holds: Address, TypeName, Size, Generation; for a dependent handle also the
/// DependentAddress and DependentType its key keeps alive. Piped on, Address (the held object) binds to -Address of
/// Measure-DumpObject, Get-GcRoot and Get-GcHeap.
/// </para>
/// <para>
/// Pinned objects in the young generations are a classic cause of fragmentation (the GC cannot move them and leaves
/// free space around them): see PinsEphemeral, and Get-GcHeap for the free space. A growing count of handles of one
/// kind and type between two dumps is a handle leak.
/// </para>
/// <para>
/// With -Leaked, only the strong and pinned handles whose value (the GCHandle's IntPtr) appears nowhere in the dump's
/// memory, as SOS gchandleleaks finds them: no object field, stack or native structure holds the handle, so the program
/// can never free it and its object stays alive for good. The first -Leaked reads every memory segment of the dump once
/// (Linux core dumps only); a stale copy of the value in dead memory hides a leak, so compare counts over time.
/// </para>
/// </remarks>
/// <example>
/// <code>Get-DumpHandles ./app.dmp</code>
/// <para>Handles by kind and target type.</para>
/// </example>
/// <example>
/// <code>Get-DumpHandles ./app.dmp -Kind Pinned,AsyncPinned -List | Where-Object PinsEphemeral</code>
/// <para>The pinned objects in generation 0 or 1: candidates for fragmentation of the ephemeral heap.</para>
/// </example>
/// <example>
/// <code>Get-DumpHandles ./app.dmp -TypeName 'Contoso.*' -List</code>
/// <para>Every handle holding one of the application's objects.</para>
/// </example>
/// <example>
/// <code>
/// $before = Get-DumpHandles ./before.dmp; $after = Get-DumpHandles ./after.dmp
/// Compare-Object $before $after -Property Kind, TypeName, Count
/// </code>
/// <para>Which kinds of handles grew between two dumps (a handle leak).</para>
/// </example>
/// <example>
/// <code>Get-DumpHandles ./app.dmp -Leaked -List | Select-Object Kind, HandleAddress, TypeName, Size</code>
/// <para>The handles no memory of the program refers to any more (SOS gchandleleaks): leaked, never to be freed.</para>
/// </example>
[Cmdlet(VerbsCommon.Get, "DumpHandles", DefaultParameterSetName = DumpSet)]
[OutputType(typeof(HandleGroup), typeof(DumpHandle))]
public sealed class GetDumpHandlesCommand : DumpCmdlet
{
    /// <summary>Only handles of these kinds, e.g. Pinned, Strong, WeakShort, WeakLong, Dependent.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public GcHandleKind[]? Kind { get; set; }

    /// <summary>Only handles whose target's type matches this wildcard (case-insensitive), e.g. 'Contoso.*'.</summary>
    [Parameter]
    [SupportsWildcards]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(Completers.HeapTypeNameCompleter))]
    public string? TypeName { get; set; }

    /// <summary>One DumpHandle per handle instead of the groups.</summary>
    [Parameter]
    public SwitchParameter List { get; set; }

    /// <summary>Only the leaked handles: strong and pinned handles whose value no memory of the dump holds (SOS gchandleleaks).</summary>
    [Parameter]
    public SwitchParameter Leaked { get; set; }

    /// <inheritdoc/>
    protected override void ProcessDump(DumpSession session)
    {
        if (Leaked)
        {
            const string searching = "Searching the dump's memory for GC handle values";
            if (List)
            {
                foreach (var handle in RunWithProgress(searching, (p, ct) => session.GetLeakedHandles(Kind, TypeName, p, ct)))
                    WriteResult(handle);
            }
            else
            {
                foreach (var group in RunWithProgress(searching, (p, ct) => session.GetLeakedHandleGroups(Kind, TypeName, p, ct)))
                    WriteResult(group);
            }

            return;
        }

        if (List)
        {
            foreach (var handle in RunWithProgress("Reading the GC handles", (_, ct) => session.GetHandles(Kind, TypeName, ct)))
                WriteResult(handle);
            return;
        }

        foreach (var group in RunWithProgress("Reading the GC handles", (_, ct) => session.GetHandleGroups(Kind, TypeName, ct)))
            WriteResult(group);
    }
}
