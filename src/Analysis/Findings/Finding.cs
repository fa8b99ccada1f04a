namespace Analysis.Findings;

/// <summary>How urgent a finding is. A report lists the most severe first.</summary>
public enum FindingSeverity
{
    /// <summary>The process cannot make progress or is hurt now (deadlock, starvation, blocked finalizer, long GC pauses, leaked goroutines, a panic).</summary>
    Critical,
    /// <summary>Likely part of the incident (exception in flight, leak suspect, sync over async, stuck awaits, induced GCs, heap growth).</summary>
    Warning,
    /// <summary>Context (heap size, where the CPU went, what was not examined).</summary>
    Info,
}

/// <summary>
/// One thing an analyzer found, for every kind of artifact (dump, .NET trace, Go dumps, profiles and logs): how urgent,
/// what kind, a sentence, the evidence behind it, what it concerns and where it came from. Analyzers decide all of it;
/// reports, cmdlets and notebooks only show it.
/// </summary>
/// <param name="Severity">How urgent it is (set by the analyzer that found it).</param>
/// <param name="Kind">A short stable name: "deadlock", "leak suspect", "LongPause", "goroutine leak suspect", ….</param>
/// <param name="Summary">The sentence saying what was found.</param>
public sealed record Finding(FindingSeverity Severity, string Kind, string Summary)
{
    private readonly string? _title;

    /// <summary>
    /// The finding as one line, as a report's summary lists it: "Deadlock: 3 threads …", "GC: 5 induced gen2 GC(s): ….".
    /// Unless the analyzer phrases it, the kind (capitalised) and the summary.
    /// </summary>
    public string Title
    {
        get => _title ?? (Kind.Length == 0 ? Summary : $"{char.ToUpperInvariant(Kind[0])}{Kind[1..]}: {Summary}");
        init => _title = value;
    }

    /// <summary>Lines that show it: frames, root paths, queued work items, skipped lines.</summary>
    public ItemList<string> Evidence { get; init; } = [];

    /// <summary>What it is about when that is one thing: a type, a function, an exception type, a goroutine's site.</summary>
    public string? Subject { get; init; }

    /// <summary>Managed thread ids it concerns (dumps).</summary>
    public ItemList<int> ThreadIds { get; init; } = [];

    /// <summary>The GCs that show it: GC numbers of a .NET trace, cycle numbers of a Go gctrace log.</summary>
    public ItemList<int> GcNumbers { get; init; } = [];

    /// <summary>The artifact it was found in (the dump, goroutine dump, profile or log path), when known.</summary>
    public string? Source { get; init; }

    /// <summary>"Kind: Summary".</summary>
    public override string ToString() => $"{Kind}: {Summary}";
}
