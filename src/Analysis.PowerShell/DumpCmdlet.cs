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
            session = ParameterSetName == DumpSet
                ? Dump
                : RunspaceSessions.Current.Dumps.GetOrOpen(ResolveFilePath(Path), new DumpOpenOptions { DacPath = DacPath is null ? null : ResolveFilePath(DacPath) });
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
