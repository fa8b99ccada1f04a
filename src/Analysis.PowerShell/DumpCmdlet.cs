using System.Management.Automation;
using Analysis.Dumps;

namespace Analysis.PowerShell;

/// <summary>A cmdlet that asks a question of a dump given by -Path or as a session (-Dump, from the pipeline).</summary>
public abstract class DumpCmdlet : AnalysisCmdlet
{
    protected const string PathSet = "Path";
    protected const string DumpSet = "Dump";

    /// <summary>Path of the dump file; binds from the pipeline by value or by property (FullName, PSPath).</summary>
    [Parameter(Mandatory = true, Position = 0, ParameterSetName = PathSet, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
    [Alias("PSPath", "FullName")]
    [ValidateNotNullOrEmpty]
    [DumpSessionToPath]
    public string Path { get; set; } = "";

    /// <summary>DAC to use when the dump's runtime is not installed here (libmscordaccore.so of that exact runtime).</summary>
    [Parameter(ParameterSetName = PathSet)]
    [ValidateNotNullOrEmpty]
    public string? DacPath { get; set; }

    /// <summary>A session from Open-Dump.</summary>
    [Parameter(Mandatory = true, ParameterSetName = DumpSet, ValueFromPipeline = true)]
    public DumpSession? Dump { get; set; }

    protected sealed override void ProcessRecord()
    {
        DumpSession? session = null;
        try
        {
            if (ParameterSetName == DumpSet)
            {
                session = Dump;
            }
            else
            {
                // A dump already open in this runspace (Open-Dump, with its options) answers; else open one.
                string path = ResolveFilePath(Path);
                session = (DacPath is null ? RunspaceSessions.Current.Dumps.FindOpen(path) : null)
                    ?? RunspaceSessions.Current.Dumps.GetOrOpen(path, new DumpOpenOptions { DacPath = DacPath is null ? null : ResolveFilePath(DacPath) });
            }

            if (session is not null)
                ProcessDump(session);
        }
        catch (AnalysisException e)
        {
            WriteAnalysisError(e, "Dump", session?.Path ?? (ParameterSetName == PathSet ? Path : null));
        }
    }

    /// <summary>Answers the question for one dump and writes the results.</summary>
    protected abstract void ProcessDump(DumpSession session);
}

/// <summary>A session given where a path is expected (<c>Get-HeapTop $session</c>) stands for its dump file.</summary>
[AttributeUsage(AttributeTargets.Property)]
internal sealed class DumpSessionToPathAttribute : ArgumentTransformationAttribute
{
    public override object Transform(EngineIntrinsics engineIntrinsics, object inputData) =>
        (inputData is PSObject pso ? pso.BaseObject : inputData) is DumpSession session ? session.Path : inputData;
}
