using System.Management.Automation;
using Analysis.Go;
using Analysis.Stacks;

namespace Analysis.PowerShell.Commands;

/// <summary>Merges goroutines or .NET threads with the same state and stack into buckets, largest first.</summary>
/// <remarks>
/// <para>
/// Takes Goroutine objects (Get-Goroutines) or DumpThread objects (Get-DumpThreads) from the pipeline (one model for
/// both runtimes), or a goroutine dump file with -Path, which is grouped while it is read: one goroutine is kept per
/// bucket, so hundreds of thousands of goroutines take well under a second. A Go core dump given with -Path is read
/// with its executable (-Executable) as Get-Goroutines reads it, and its goroutines grouped.
/// </para>
/// <para>
/// Each StackBucket has Count, Runtime, State, the wait minutes, TopFrame (where the members are stuck), CreatedBy,
/// Frames and Ids.
/// </para>
/// </remarks>
/// <example>
/// <code>Group-Stacks -Path ./goroutines.txt | Where-Object Count -gt 10</code>
/// <para>The buckets of more than ten goroutines, read straight from the file.</para>
/// </example>
/// <example>
/// <code>Get-DumpThreads ./app.dmp | Group-Stacks</code>
/// <para>The .NET threads of a dump merged by stack.</para>
/// </example>
/// <example>
/// <code>Get-Goroutines ./goroutines.txt | Group-Stacks -Similarity IgnoreLines</code>
/// <para>Goroutines in the same functions merged even when their lines differ, e.g. dumps of slightly different builds.</para>
/// </example>
/// <example>
/// <code>Group-Stacks -Path ./many.core -Executable ./leaky | Select-Object -First 4</code>
/// <para>The largest stack buckets of a Go process's core dump, read with the executable that wrote it.</para>
/// </example>
[Cmdlet(VerbsData.Group, "Stacks", DefaultParameterSetName = "Input")]
[OutputType(typeof(StackBucket))]
public sealed class GroupStacksCommand : GoCoreCmdlet
{
    private readonly List<IStackSample> _samples = new();

    /// <summary>Goroutines (Get-Goroutines) or threads (Get-DumpThreads) to group; binds from the pipeline.</summary>
    [Parameter(Mandatory = true, ValueFromPipeline = true, ParameterSetName = "Input")]
    public IStackSample[] InputObject { get; set; } = [];

    /// <summary>How alike two stacks must be to share a bucket.</summary>
    [Parameter]
    public StackSimilarity Similarity { get; set; } = StackSimilarity.IgnoreArguments;

    /// <inheritdoc/>
    protected override string Artifact => "GoroutineDump";

    /// <summary>A goroutine dump file (-Path/-LiteralPath), grouped while it is read: fit for huge dumps; or a core's goroutines.</summary>
    protected override void ProcessFile(string path)
    {
        if (IsCore(path))
        {
            if (OpenCore(path) is { } core)
            {
                foreach (var b in StackGrouper.Group(core.Goroutines.Goroutines, Similarity, cancellationToken: CancellationToken))
                    WriteResult(b);
            }

            return;
        }

        var (buckets, summary) = RunWithProgress("Grouping goroutines", (progress, ct) => GoroutineDumpParser.GroupFile(path, Similarity, progress, ct));
        GoCmdlets.ReportSkipped(this, summary.Skipped);
        foreach (var b in buckets)
            WriteResult(b);
    }

    /// <inheritdoc/>
    protected override void ProcessOther() => _samples.AddRange(InputObject);

    /// <inheritdoc/>
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
