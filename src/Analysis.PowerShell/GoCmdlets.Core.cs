using System.Management.Automation;

namespace Analysis.PowerShell;

// Go core dumps (issue 15): error ids that say which of the two files is wrong.
internal static partial class GoCmdlets
{
    /// <summary>The artifact noun of Go cores in error ids: GoCoreNotFound, NotAGoCore, GoCoreTruncated.</summary>
    public const string CoreArtifact = "GoCore";

    /// <summary>
    /// The error id and category of a failure to read <paramref name="core"/>: GoExecutableNotFound when the core is
    /// there but its executable is not (the one given, or the one the core names); WrongGoExecutable when the
    /// executable is not the build that wrote the core (or not a Go program); else the core's own (a core whose own executable is not Go is NotAGoCore).
    /// </summary>
    public static (string Id, ErrorCategory Category) CoreErrorId(AnalysisException e, string core)
    {
        bool aboutCore = string.Equals(e.Path, core, StringComparison.Ordinal);
        return e.Kind switch
        {
            AnalysisErrorKind.FileNotFound when !aboutCore || File.Exists(core) => ("GoExecutableNotFound", ErrorCategory.ObjectNotFound),
            AnalysisErrorKind.WrongFormat when !aboutCore => ("WrongGoExecutable", ErrorCategory.InvalidArgument),
            _ => ErrorIds.For(e.Kind, CoreArtifact),
        };
    }
}
