namespace Analysis;

/// <summary>
/// A file opened once and asked many times, whose one answer is the decoded file: read on the first question and kept,
/// dropped on Dispose (every later question fails with SessionClosed, while <see cref="Path"/> and <see cref="Length"/>
/// stay readable). Traces and Go profiles are sessions of this kind; a dump session has many answers and a worker.
/// </summary>
/// <typeparam name="TAnswer">What reading the file gives.</typeparam>
public abstract class FileSession<TAnswer> : IAnalysisSession
    where TAnswer : class
{
    private readonly CachedAnswer<TAnswer> _answer;
    private readonly string _closedMessage;
    private volatile bool _closed;

    /// <param name="path">Full path of the file, checked at the door.</param>
    /// <param name="length">The file's length in bytes when it was opened.</param>
    /// <param name="closedMessage">What a question after Dispose says, e.g. "The session for trace 'x' was closed. Import the trace again (Import-Trace)."</param>
    private protected FileSession(string path, long length, string closedMessage)
    {
        _answer = new(ThrowIfClosed);
        Path = path;
        Length = length;
        _closedMessage = closedMessage;
    }

    /// <summary>Full path of the file.</summary>
    public string Path { get; }

    /// <summary>The file's length in bytes when the session was opened.</summary>
    public long Length { get; }

    /// <inheritdoc/>
    public bool IsClosed => _closed;

    /// <summary>Whether the file has been read (its answer is kept).</summary>
    public bool IsRead
    {
        get
        {
            ThrowIfClosed();
            return _answer.IsKnown;
        }
    }

    /// <summary>The answer when the file has been read, else null; never reads (for <see cref="object.ToString"/>).</summary>
    private protected TAnswer? AnswerIfRead => _answer.ValueOrDefault;

    /// <summary>The answer, read by <paramref name="read"/> on first use; a read that fails or is cancelled keeps nothing.</summary>
    private protected TAnswer Answer<TState>(TState state, Func<TState, CancellationToken, TAnswer> read, CancellationToken cancellationToken)
    {
        ThrowIfClosed();
        return _answer.Get(state, read, cancellationToken);
    }

    /// <summary>Drops the answer; later questions fail with SessionClosed.</summary>
    public void Dispose()
    {
        _closed = true;
        _answer.Forget();
        GC.SuppressFinalize(this);
    }

    private protected void ThrowIfClosed()
    {
        if (_closed)
            throw new AnalysisException(AnalysisErrorKind.SessionClosed, Path, _closedMessage, new ObjectDisposedException(GetType().Name));
    }
}
