namespace Analysis.Traces;

/// <summary>Validation at the door for .nettrace files: exists, not empty, starts like a nettrace stream.</summary>
public static class TraceFile
{
    internal const string Expected =
        "expected a .NET EventPipe trace (.nettrace, from dotnet-trace collect, Start-TraceCapture or DiagnosticsClient.StartEventPipeSession)";

    private static ReadOnlySpan<byte> Magic => "Nettrace"u8;

    private static ReadOnlySpan<byte> Serializer => "!FastSerialization.1"u8;

    /// <summary>Checks the file's header; returns its length or throws <see cref="AnalysisException"/>.</summary>
    public static long Validate(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        long length = InputFile.CheckExists(path, "Trace file", Expected);
        using var stream = InputFile.OpenRead(path, "Trace file");
        Span<byte> head = stackalloc byte[32];
        int got = stream.ReadAtLeast(head, head.Length, throwOnEndOfStream: false);
        head = head[..got];

        bool startsLikeNettrace = head.Length >= Magic.Length ? head.StartsWith(Magic) : Magic.StartsWith(head);
        if (!startsLikeNettrace)
        {
            string guess = InputFile.Guess(head) is { } g ? $", which looks like {g}" : "";
            throw new AnalysisException(AnalysisErrorKind.WrongFormat, path, $"'{path}' is not a .nettrace file: it starts with {InputFile.Describe(head)}{guess}; {Expected}.");
        }

        // "Nettrace", a 4-byte length, then the serializer name.
        if (head.Length < Magic.Length + 4 + Serializer.Length)
        {
            throw new AnalysisException(AnalysisErrorKind.Truncated, path,
                $"Trace file '{path}' is truncated: it ends after {length:N0} bytes, inside the nettrace header. The capture was interrupted: capture again.");
        }

        if (!head[(Magic.Length + 4)..].StartsWith(Serializer))
        {
            throw new AnalysisException(AnalysisErrorKind.WrongFormat, path,
                $"'{path}' starts with 'Nettrace' but not with the FastSerialization header at offset 12 (found {InputFile.Describe(head[12..])}); it is damaged or of an unknown version.");
        }

        return length;
    }
}
