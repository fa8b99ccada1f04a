using System.Management.Automation;
using Analysis.Timelines;

namespace Analysis.PowerShell;

/// <summary>
/// A cmdlet that reads an incident's artifacts (-Path, any mix the timeline reads, each told from its content) and joins
/// them into one timeline at the end: Get-Timeline writes its events or anchors, Export-Timeline a page.
/// </summary>
public abstract class TimelineCmdlet : FileInputCmdlet
{
    private readonly List<TimelineSource> _sources = [];

    /// <summary>The executable of a Go core given in -Path (when it is not where the core says).</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? Executable { get; set; }

    /// <summary>The process's (Go runtime's) start, wall clock: anchors the gctrace logs and cores nothing else places.</summary>
    [Parameter]
    public DateTimeOffset? StartTime { get; set; }

    /// <inheritdoc/>
    protected override string Artifact => "TimelineArtifact";

    /// <summary>Reads one artifact as a timeline source (its kind told from its content), with progress.</summary>
    protected override void ProcessFile(string path)
    {
        string? executable = Executable is null ? null : ResolveFilePath(Executable);
        string activity = $"Reading {System.IO.Path.GetFileName(path)}";
        WriteProgress(new ProgressRecord(1, activity, "reading"));
        _sources.Add(RunWithProgress(activity, (progress, token) => TimelineSources.FromFile(path, executable, progress, token)));
        WriteProgress(new ProgressRecord(1, activity, "Done") { RecordType = ProgressRecordType.Completed });
    }

    /// <summary>Joins what was read into one timeline and writes its warnings; null when no artifact could be read.</summary>
    protected Timeline? BuildTimeline()
    {
        CurrentSource = null;
        if (_sources.Count == 0)
            return null;
        var timeline = TimelineBuilder.Build(_sources, StartTime);
        foreach (string w in timeline.Warnings)
            WriteWarning(w);
        return timeline;
    }
}
