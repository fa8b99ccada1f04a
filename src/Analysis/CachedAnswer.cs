namespace Analysis;

/// <summary>
/// An answer computed once, on first use, and kept: the sessions' "if known, return it; else take the gate, look again,
/// compute, keep" in one place. Concurrent callers wait for the one computing (their wait stops with their own
/// cancellation token) and get its answer. A computation that is cancelled or fails keeps nothing: the next caller
/// computes again. Several answers may share one gate (<see cref="CachedAnswer{T}(SemaphoreSlim, Action)"/>) when their
/// computations must not run at the same time, e.g. because they read one engine that is not thread-safe. A kept answer
/// costs one volatile read: no lock, and no allocation with the <see cref="Get{TState}"/> form.
/// </summary>
internal sealed class CachedAnswer<T>
{
    private readonly SemaphoreSlim _gate;
    private readonly Action? _checkUnderGate;
    private T? _value;
    private volatile bool _known;

    /// <summary>An answer with a gate of its own.</summary>
    public CachedAnswer()
        : this(new SemaphoreSlim(1, 1))
    {
    }

    /// <summary>An answer with a gate of its own; <paramref name="checkUnderGate"/> as in the other constructor.</summary>
    public CachedAnswer(Action checkUnderGate)
        : this(new SemaphoreSlim(1, 1), checkUnderGate)
    {
    }

    /// <summary>
    /// An answer computed under <paramref name="gate"/> (shared with other answers and work of the owner).
    /// <paramref name="checkUnderGate"/>, when given, runs once the gate is taken, before computing: the owner's "am I
    /// still open?" (its Dispose takes the gate too), whose exception reaches the caller.
    /// </summary>
    public CachedAnswer(SemaphoreSlim gate, Action? checkUnderGate = null)
    {
        ArgumentNullException.ThrowIfNull(gate);
        _gate = gate;
        _checkUnderGate = checkUnderGate;
    }

    /// <summary>Whether the answer has been computed and kept.</summary>
    public bool IsKnown => _known;

    /// <summary>The answer if it has been computed, else the default.</summary>
    public T? ValueOrDefault => _known ? _value : default;

    /// <summary>
    /// The kept answer, or the one <paramref name="compute"/> gives (run under the gate, with the caller's token; at
    /// most one computation at a time). An exception from <paramref name="compute"/>, cancellation included, reaches
    /// the caller and nothing is kept.
    /// </summary>
    public T Get(Func<CancellationToken, T> compute, CancellationToken cancellationToken = default) =>
        Get(compute, static (c, ct) => c(ct), cancellationToken);

    /// <summary>
    /// <see cref="Get(Func{CancellationToken, T}, CancellationToken)"/> with the computation's inputs passed in
    /// <paramref name="state"/>, so a static lambda allocates nothing when the answer is kept.
    /// </summary>
    public T Get<TState>(TState state, Func<TState, CancellationToken, T> compute, CancellationToken cancellationToken = default)
    {
        if (_known)
            return _value!;
        ArgumentNullException.ThrowIfNull(compute);
        _gate.Wait(cancellationToken);
        try
        {
            if (_known)
                return _value!;
            _checkUnderGate?.Invoke();
            T value = compute(state, cancellationToken);
            _value = value;
            _known = true; // volatile write after the value: a reader that sees it sees the value
            return value;
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>Forgets the answer (a session dropping what it holds). Callers after it compute again.</summary>
    public void Forget()
    {
        _known = false;
        _value = default;
    }
}
