using System.Management.Automation;
using Analysis.Traces;

namespace Analysis.PowerShell.Commands;

/// <summary>Exceptions thrown during the trace: time, thread, type, message and throw stack.</summary>
[Cmdlet(VerbsCommon.Get, "TraceExceptions", DefaultParameterSetName = TraceSet)]
[OutputType(typeof(TraceException))]
public sealed class GetTraceExceptionsCommand : TraceCmdlet
{
    /// <summary>Only exception types matching this wildcard.</summary>
    [Parameter]
    [SupportsWildcards]
    [ArgumentCompleter(typeof(Completers.ExceptionTypeCompleter))]
    public string? Type { get; set; }

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
