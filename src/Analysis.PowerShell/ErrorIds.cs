using System.Management.Automation;

namespace Analysis.PowerShell;

/// <summary>Stable error ids and categories for library errors, per artifact noun ("Dump", "Trace", …).</summary>
internal static class ErrorIds
{
    public static (string Id, ErrorCategory Category) For(AnalysisErrorKind kind, string artifact) => kind switch
    {
        AnalysisErrorKind.FileNotFound => ($"{artifact}NotFound", ErrorCategory.ObjectNotFound),
        AnalysisErrorKind.PathIsDirectory => ("PathIsDirectory", ErrorCategory.InvalidArgument),
        AnalysisErrorKind.FileEmpty => ($"{artifact}Empty", ErrorCategory.InvalidData),
        AnalysisErrorKind.WrongFormat => ($"NotA{artifact}", ErrorCategory.InvalidData),
        AnalysisErrorKind.Truncated => ($"{artifact}Truncated", ErrorCategory.InvalidData),
        AnalysisErrorKind.NotDotNet => ($"NotADotNet{artifact}", ErrorCategory.InvalidData),
        AnalysisErrorKind.DacNotFound => ("DacNotFound", ErrorCategory.ObjectNotFound),
        AnalysisErrorKind.DacLoadFailed => ("DacLoadFailed", ErrorCategory.OpenError),
        AnalysisErrorKind.NoHeap => ($"NoHeapIn{artifact}", ErrorCategory.InvalidOperation),
        AnalysisErrorKind.ReadFailed => ($"{artifact}ReadFailed", ErrorCategory.ReadError),
        AnalysisErrorKind.SessionClosed => ("SessionClosed", ErrorCategory.ResourceUnavailable),
        AnalysisErrorKind.ProcessNotFound => ("ProcessNotFound", ErrorCategory.ObjectNotFound),
        AnalysisErrorKind.CaptureFailed => ("CaptureFailed", ErrorCategory.WriteError),
        AnalysisErrorKind.EngineFailed => ("EngineFailed", ErrorCategory.ReadError),
        AnalysisErrorKind.MemoryLimitExceeded => ("MemoryLimitExceeded", ErrorCategory.LimitsExceeded),
        AnalysisErrorKind.NotAnObject => ("NotAnObject", ErrorCategory.InvalidArgument),
        _ => ($"{artifact}Error", ErrorCategory.NotSpecified),
    };
}
