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
public sealed class GroupStacksCommand : FileInputCmdlet
{
    private readonly List<IStackSample> _samples = new();

    /// <summary>Goroutines (Get-Goroutines) or threads (Get-DumpThreads).</summary>
    [Parameter(Mandatory = true, ValueFromPipeline = true, ParameterSetName = "Input")]
    public IStackSample[] InputObject { get; set; } = [];

    [Parameter]
    public StackSimilarity Similarity { get; set; } = StackSimilarity.IgnoreArguments;

    protected override string Artifact => "GoroutineDump";

    /// <summary>A goroutine dump file (-Path/-LiteralPath), grouped while it is read: fit for huge dumps.</summary>
    protected override void ProcessFile(string path)
    {
        var (buckets, summary) = RunWithProgress("Grouping goroutines", (progress, ct) => GoroutineDumpParser.GroupFile(path, Similarity, progress, ct));
        GoCmdlets.ReportSkipped(this, summary.Skipped);
        foreach (var b in buckets)
            WriteResult(b);
    }

    protected override void ProcessOther() => _samples.AddRange(InputObject);

    protected override void EndProcessing()
    {
        if (ParameterSetName == "Input")
        {
            // samples piped in may come from several dumps and runtimes: the buckets carry no single source
            foreach (var b in StackGrouper.Group(_samples, Similarity, cancellationToken: CancellationToken))
                WriteObject(b);
        }

        base.EndProcessing();
    }
}
