namespace Analysis;

/// <summary>
/// The cause of an <see cref="AnalysisException"/> raised in a worker process (TraceEvent's or ClrMD's own exception,
/// or the worker's crash report): the original exception's type name and its text with the stack trace, as the worker saw
/// them. It is always an <see cref="Exception.InnerException"/>, never thrown on its own.
/// </summary>
public sealed class EngineFaultException : Exception
{
    /// <summary>The worker's report of an exception: its type name, message and <paramref name="detail"/> (ToString with stack, or the crash report).</summary>
    public EngineFaultException(string exceptionType, string message, string detail)
        : base(message)
    {
        ExceptionType = exceptionType;
        Detail = detail;
    }

    /// <summary>The full name of the exception type in the worker, e.g. "System.IndexOutOfRangeException".</summary>
    public string ExceptionType { get; }

    /// <summary>What the worker wrote about it: the exception's ToString() (with its stack), or the crash report.</summary>
    public string Detail { get; }

    /// <summary>"Type (in the worker process): Detail".</summary>
    public override string ToString() => $"{ExceptionType} (in the worker process): {Detail}";
}
