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
/// kind and type between two dumps is a handle leak (what SOS gchandleleaks looks for).
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

    /// <inheritdoc/>
    protected override void ProcessDump(DumpSession session)
    {
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
