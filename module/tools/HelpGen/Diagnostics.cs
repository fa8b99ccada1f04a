namespace Analysis.HelpGen;

/// <summary>
/// Problems in MSBuild's canonical format ("file(line): error HELP001: text"), which the Exec task turns into build
/// errors and warnings that point at the source line. Missing parameter text is a warning unless it is required.
/// </summary>
internal sealed class Diagnostics(bool parameterTextRequired, TextWriter output)
{
    public int Errors { get; private set; }

    public int Warnings { get; private set; }

    public void Error(string? file, int line, string code, string message)
    {
        Errors++;
        Write(file, line, "error", code, message);
    }

    public void MissingParameterText(string? file, int line, string message)
    {
        if (parameterTextRequired)
        {
            Error(file, line, "HELP010", message);
            return;
        }

        Warnings++;
        Write(file, line, "warning", "HELP010", message + " (a warning until HelpParameterTextRequired is true)");
    }

    private void Write(string? file, int line, string category, string code, string message) =>
        output.WriteLine(file is null ? $"HelpGen : {category} {code}: {message}" : $"{file}({line}): {category} {code}: {message}");
}
