using System.Management.Automation;
using Analysis.Traces;

namespace Analysis.PowerShell.Commands;

/// <summary>Lists the exceptions thrown during a trace.</summary>
/// <remarks>
/// <para>
/// One TraceException per throw: time, thread, type, message, HResult and the throw stack (ThrownIn is the method that
/// threw). Exceptions that were caught count too: a trace shows what the process threw, not only what crashed it.
/// </para>
/// </remarks>
/// <example>
/// <code>Get-TraceExceptions ./app.nettrace -Type 'Contoso.*'</code>
/// <para>The application's own exceptions.</para>
/// </example>
/// <example>
/// <code>Get-TraceExceptions ./app.nettrace | Group-Object Type, ThrownIn | Sort-Object Count -Descending | Select-Object Count, Name</code>
/// <para>Which exceptions were thrown where, and how often.</para>
/// </example>
[Cmdlet(VerbsCommon.Get, "TraceExceptions", DefaultParameterSetName = TraceSet)]
[OutputType(typeof(TraceException))]
public sealed class GetTraceExceptionsCommand : TraceCmdlet
{
    /// <summary>Only exception types matching this wildcard, e.g. '*Timeout*'.</summary>
    [Parameter]
    [SupportsWildcards]
    [ArgumentCompleter(typeof(Completers.ExceptionTypeCompleter))]
    public string? Type { get; set; }

    /// <inheritdoc/>
    protected override void ProcessTrace(TraceSession session, TraceAnalysis analysis)
    {
        var pattern = Type is null ? null : new WildcardPattern(Type, WildcardOptions.IgnoreCase);
        foreach (var e in analysis.EnumerateExceptions())
        {
            if (pattern is null || pattern.IsMatch(e.Type))
                WriteResult(e);
        }
    }
}
