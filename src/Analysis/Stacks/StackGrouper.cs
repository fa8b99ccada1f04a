using System.Globalization;
using System.Runtime.CompilerServices;

namespace Analysis.Stacks;

/// <summary>How alike two stacks must be to share a bucket.</summary>
public enum StackSimilarity
{
    /// <summary>Same functions, files, lines and argument values.</summary>
    Exact,
    /// <summary>Same functions, files and lines; argument values may differ (the usual choice).</summary>
    IgnoreArguments,
    /// <summary>Same functions only; lines, offsets and arguments may differ (different builds, nearby call sites).</summary>
    IgnoreLines,
}

/// <summary>Goroutines or threads with the same state and stack, merged.</summary>
public sealed record StackBucket
{
    /// <summary>The members' runtime: "go" or ".NET".</summary>
    public required string Runtime { get; init; }

    /// <summary>The state the members share: a Go wait reason ("chan receive") or a .NET thread state ("Waiting").</summary>
    public required string State { get; init; }

    /// <summary>How many goroutines or threads share this stack.</summary>
    public required int Count { get; init; }

    /// <summary>The stack of the first member, innermost first.</summary>
    public required ItemList<StackFrameInfo> Frames { get; init; }

    /// <summary>Goroutine or thread ids of the members (0 for aggregated debug=1 records).</summary>
    public ItemList<long> Ids { get; init; } = [];

    /// <summary>The shortest wait among the members, in minutes (Go prints waits over one minute; 0 otherwise).</summary>
    public int MinWaitMinutes { get; init; }

    /// <summary>The longest wait among the members, in minutes; 0 when none was printed.</summary>
    public int MaxWaitMinutes { get; init; }

    /// <summary>The function and site that created the members (Go "created by"); null for .NET threads and when not printed.</summary>
    public StackFrameInfo? CreatedBy { get; init; }

    /// <summary>The first frame that is not runtime waiting plumbing: where the members are stuck.</summary>
    public StackFrameInfo? TopFrame { get; init; }

    /// <summary>"Count [State, min-max minutes] TopFrame (created by F)".</summary>
    public override string ToString()
    {
        string wait = MaxWaitMinutes > 0 ? string.Create(CultureInfo.InvariantCulture, $", {MinWaitMinutes}-{MaxWaitMinutes} minutes") : "";
        string created = CreatedBy is null ? "" : $" (created by {CreatedBy.Function})";
        return string.Create(CultureInfo.InvariantCulture, $"{Count,7} [{State}{wait}] {TopFrame?.Function}{created}");
    }
}

/// <summary>Groups stacks of goroutines and threads into buckets, largest first, like panicparse.</summary>
public static class StackGrouper
{
    /// <summary>
    /// Buckets by runtime, state, frames (per <paramref name="similarity"/>) and creator. A bucket's TopFrame is its first
    /// frame that <paramref name="isWaitFrame"/> (default: the sample's own <see cref="IStackSample.IsWaitFrame"/>) does not reject. Linear in the number of
    /// samples; frames are compared by value, so stacks from different files and runtimes merge only when equal.
    /// </summary>
    public static IReadOnlyList<StackBucket> Group(IEnumerable<IStackSample> samples, StackSimilarity similarity = StackSimilarity.IgnoreArguments,
        Func<StackFrameInfo, bool>? isWaitFrame = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(samples);
        var bucketer = new StackBucketer(similarity);
        int n = 0;
        foreach (var sample in samples)
        {
            if ((++n & 0x3fff) == 0)
                cancellationToken.ThrowIfCancellationRequested();
            bucketer.Add(sample);
        }

        return bucketer.Build(isWaitFrame);
    }

    /// <summary>Groups samples as they arrive; only one sample per bucket is kept, so streams of any size fit.</summary>
    public sealed class StackBucketer(StackSimilarity similarity)
    {
        private readonly Dictionary<IStackSample, Builder> _buckets = new(new SampleComparer(similarity));

        /// <summary>Distinct buckets so far.</summary>
        public int BucketCount => _buckets.Count;

        /// <summary>Adds a sample to its bucket (a new one when no earlier sample matches). Not thread-safe.</summary>
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public void Add(IStackSample sample)
        {
            if (!_buckets.TryGetValue(sample, out var b))
                _buckets[sample] = b = new Builder(sample);
            b.Add(sample);
        }

        /// <summary>The buckets, largest first.</summary>
        public IReadOnlyList<StackBucket> Build(Func<StackFrameInfo, bool>? isWaitFrame = null) =>
            _buckets.Values
                .Select(b => b.Build(isWaitFrame))
                .OrderByDescending(b => b.Count).ThenBy(b => b.State, StringComparer.Ordinal).ThenBy(b => b.TopFrame?.Function, StringComparer.Ordinal)
                .ToArray();
    }

    private sealed class Builder(IStackSample first)
    {
        private readonly List<long> _ids = new();
        private int _count;
        private int _min = int.MaxValue;
        private int _max;

        public void Add(IStackSample s)
        {
            var go = s as IGoroutineSample;
            _count = (int)Math.Min(int.MaxValue, (long)_count + (go?.Count ?? 1)); // samples merged from several dumps: saturate, never wrap
            if (s.Id != 0)
                _ids.Add(s.Id);
            int minutes = go?.WaitMinutes ?? 0;
            _min = Math.Min(_min, minutes);
            _max = Math.Max(_max, minutes);
        }

        public StackBucket Build(Func<StackFrameInfo, bool>? isWaitFrame) => new()
        {
            Runtime = first.Runtime,
            State = first.State,
            Count = _count,
            Frames = first.Frames,
            Ids = _ids,
            MinWaitMinutes = _min == int.MaxValue ? 0 : _min,
            MaxWaitMinutes = _max,
            CreatedBy = (first as IGoroutineSample)?.CreatedBy,
            TopFrame = first.Frames.FirstOrDefault(f => !(isWaitFrame ?? first.IsWaitFrame)(f)) ?? first.Frames.FirstOrDefault(),
        };
    }

    private sealed class SampleComparer(StackSimilarity similarity) : IEqualityComparer<IStackSample>
    {
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public bool Equals(IStackSample? x, IStackSample? y)
        {
            if (ReferenceEquals(x, y))
                return true;
            if (x is null || y is null || x.Runtime != y.Runtime || x.State != y.State || x.Frames.Count != y.Frames.Count)
                return false;
            for (int i = 0; i < x.Frames.Count; i++)
            {
                if (!SameFrame(x.Frames[i], y.Frames[i]))
                    return false;
            }

            return (CreatorOf(x), CreatorOf(y)) switch
            {
                (null, null) => true,
                ({ } a, { } b) => SameFrame(a, b),
                _ => false,
            };
        }

        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public int GetHashCode(IStackSample obj)
        {
            var h = new HashCode();
            h.Add(obj.Runtime);
            h.Add(obj.State);
            foreach (var f in obj.Frames)
            {
                h.Add(f.Function);
                if (similarity != StackSimilarity.IgnoreLines)
                {
                    h.Add(f.Line);
                    h.Add(f.InstructionPointer);
                }
            }

            if (CreatorOf(obj) is { } c)
                h.Add(c.Function);
            return h.ToHashCode();
        }

        private static StackFrameInfo? CreatorOf(IStackSample sample) => (sample as IGoroutineSample)?.CreatedBy;

        private bool SameFrame(StackFrameInfo a, StackFrameInfo b)
        {
            if (!string.Equals(a.Function, b.Function, StringComparison.Ordinal) || a.Kind != b.Kind)
                return false;
            if (similarity == StackSimilarity.IgnoreLines)
                return true;
            if (a.Line != b.Line || a.InstructionPointer != b.InstructionPointer || !string.Equals(a.File, b.File, StringComparison.Ordinal) || !string.Equals(a.Module, b.Module, StringComparison.Ordinal))
                return false;
            return similarity == StackSimilarity.IgnoreArguments || string.Equals(a.Arguments, b.Arguments, StringComparison.Ordinal);
        }
    }
}
