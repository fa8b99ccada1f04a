namespace Analysis.Stacks;

/// <summary>
/// Something with a stack that can be grouped with others like it: a Go goroutine, a .NET thread. One model so that
/// Group-Stacks merges identical stacks for both runtimes. What only goroutines have (aggregated records, wait
/// minutes, a creator) is in <see cref="IGoroutineSample"/>, so .NET threads do not carry it.
/// </summary>
public interface IStackSample
{
    /// <summary>"go" or ".NET".</summary>
    string Runtime { get; }

    /// <summary>Goroutine id or managed thread id.</summary>
    long Id { get; }

    /// <summary>What it was doing: a Go wait reason ("chan receive") or a .NET thread state ("Waiting").</summary>
    string State { get; }

    /// <summary>Frames, top (innermost) first.</summary>
    ItemList<StackFrameInfo> Frames { get; }

    /// <summary>
    /// True for a frame that only waits on behalf of its caller (a Go runtime park, a .NET wait, sleep or lock entry)
    /// and for frames outside the runtime's own code: where the sample is stuck is its first frame that is not one.
    /// Each runtime knows its own.
    /// </summary>
    bool IsWaitFrame(StackFrameInfo frame);
}

/// <summary>A goroutine's part of the stack model: records that aggregate, minutes waited, the creator.</summary>
public interface IGoroutineSample : IStackSample
{
    /// <summary>How many goroutines this sample stands for (debug=1 goroutine records aggregate many).</summary>
    int Count { get; }

    /// <summary>Minutes spent in <see cref="IStackSample.State"/> when known (Go prints it after one minute), else 0.</summary>
    int WaitMinutes { get; }

    /// <summary>Where it was created (Go "created by" frame), when known.</summary>
    StackFrameInfo? CreatedBy { get; }
}
