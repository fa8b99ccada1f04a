using System.Management.Automation;
using Analysis.Go;
using Analysis.Stacks;

namespace Analysis.PowerShell.Commands;

/// <summary>
/// Merges goroutines or .NET threads with the same state and stack into buckets, largest first. Pipe in
/// Get-Goroutines or Get-DumpThreads output, or give a goroutine dump file with -Path (streamed: fit for huge dumps).
/// </summary>
[Cmdlet(VerbsData.Group, "Stacks", DefaultParameterSetName = "Input")]
[OutputType(typeof(StackBucket))]
public sealed class GroupStacksCommand : AnalysisCmdlet
{
    private readonly List<IStackSample> _samples = new();

    /// <summary>Goroutines (Get-Goroutines) or threads (Get-DumpThreads).</summary>
    [Parameter(Mandatory = true, ValueFromPipeline = true, ParameterSetName = "Input")]
    public IStackSample[] InputObject { get; set; } = [];

    /// <summary>A goroutine dump file, grouped while it is read.</summary>
    [Parameter(Mandatory = true, Position = 0, ParameterSetName = "Path", ValueFromPipelineByPropertyName = true)]
    [Alias("PSPath", "FullName")]
    [ValidateNotNullOrEmpty]
    public string Path { get; set; } = "";

    [Parameter]
    public StackSimilarity Similarity { get; set; } = StackSimilarity.IgnoreArguments;

    protected override void ProcessRecord()
    {
        if (ParameterSetName == "Input")
        {
            _samples.AddRange(InputObject);
            return;
        }

        try
        {
            var (buckets, summary) = RunWithProgress("Grouping goroutines", (progress, ct) => GoroutineDumpParser.GroupFile(ResolveFilePath(Path), Similarity, progress, ct));
            GoCmdlets.ReportSkipped(this, summary.Skipped);
            foreach (var b in buckets)
                WriteObject(b);
        }
        catch (AnalysisException e)
        {
            WriteAnalysisError(e, "GoroutineDump", Path);
        }
    }

    protected override void EndProcessing()
    {
        if (ParameterSetName != "Input")
            return;
        var buckets = StackGrouper.Group(_samples, Similarity, cancellationToken: CancellationToken);
        foreach (var b in buckets)
            WriteObject(b);
    }
}
