namespace Analysis.Dumps;

/// <summary>How to open a dump.</summary>
public sealed record DumpOpenOptions
{
    /// <summary>
    /// The data-access library (libmscordaccore.so / mscordaccore.dll) to use. It must come from the same runtime
    /// build as the dump. When null, it is looked up next to matching runtimes on this machine.
    /// </summary>
    public string? DacPath { get; init; }

    /// <summary>
    /// .NET installation roots (folders holding <c>shared/Microsoft.NETCore.App</c>) searched for a matching DAC.
    /// When null: DOTNET_ROOT, the running runtime's root, the usual install folders, and the runtime folder
    /// recorded in the dump if it exists here. When set, only these roots are searched.
    /// </summary>
    public IReadOnlyList<string>? RuntimeSearchRoots { get; init; }
}
