using System.Management.Automation;
using Analysis.Go;

namespace Analysis.PowerShell.Commands;

/// <summary>Reads a pprof profile (heap, allocs, cpu, block, mutex, goroutine; gzip or raw).</summary>
[Cmdlet(VerbsData.Import, "Pprof")]
[OutputType(typeof(PprofProfile))]
public sealed class ImportPprofCommand : AnalysisCmdlet
{
    [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
    [Alias("PSPath", "FullName")]
    [ValidateNotNullOrEmpty]
    public string Path { get; set; } = "";

    protected override void ProcessRecord()
    {
        try
        {
            WriteObject(PprofProfile.Load(ResolveFilePath(Path)));
        }
        catch (AnalysisException e)
        {
            WriteAnalysisError(e, "Profile", Path);
        }
    }
}
