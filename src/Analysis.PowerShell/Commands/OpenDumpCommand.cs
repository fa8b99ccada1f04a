using System.Management.Automation;
using Analysis.Dumps;

namespace Analysis.PowerShell.Commands;

/// <summary>Opens a dump and returns a session that later commands reuse (the heap is walked at most once).</summary>
[Cmdlet(VerbsCommon.Open, "Dump")]
[OutputType(typeof(DumpSession))]
public sealed class OpenDumpCommand : FileInputCmdlet
{
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? DacPath { get; set; }

    /// <summary>Folder for the object-graph index (default: ANALYSIS_CACHE_DIR, else ~/.cache/analysis).</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? CacheDirectory { get; set; }

    /// <summary>Neither read nor write the on-disk object-graph index.</summary>
    [Parameter]
    public SwitchParameter NoCache { get; set; }

    protected override string Artifact => "Dump";

    protected override void ProcessFile(string path)
    {
        var options = new DumpOpenOptions
        {
            DacPath = DacPath is null ? null : ResolveFilePath(DacPath),
            CacheDirectory = CacheDirectory is null ? null : ResolveFilePath(CacheDirectory),
            NoCache = NoCache,
        };
        WriteObject(RunspaceSessions.Current.Dumps.GetOrOpen(path, options, keepOpen: true));
    }
}
