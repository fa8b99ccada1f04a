using System.Globalization;
using System.Text;
using Analysis.Reporting;

namespace Analysis.Notebooks;

/// <summary>
/// Runs the code cells of one language in one continuing state (variables of one cell are seen by the next).
/// The runner creates one kernel per language per notebook run and disposes them afterwards.
/// </summary>
public interface INotebookKernel : IDisposable
{
    /// <summary>The normalised language this kernel runs: "csharp", "pwsh".</summary>
    string Language { get; }

    /// <summary>Runs one cell. Outputs go to <paramref name="outputs"/>; returns false when the cell failed (its error is in the outputs).</summary>
    Task<bool> RunAsync(string code, CellOutputs outputs, CancellationToken cancellationToken);

    /// <summary>Source code that assigns the parameters as variables in this language (papermill's injected cell).</summary>
    string ParameterCode(IReadOnlyDictionary<string, object?> parameters);
}

/// <summary>
/// A kernel that also answers an editor's questions while a notebook is open (a Jupyter client's complete, inspect
/// and is_complete requests) and shares variables with the other languages of the same notebook. Positions are
/// UTF-16 indexes into <c>code</c> (the Jupyter server converts from the protocol's code points).
/// </summary>
public interface IInteractiveKernel : INotebookKernel
{
    /// <summary>Completions for the text before <paramref name="cursor"/>: the replacement span and the candidates, best first.</summary>
    Task<CompletionSet> CompleteAsync(string code, int cursor, CancellationToken cancellationToken);

    /// <summary>Help for the name at or before <paramref name="cursor"/> (Get-Help, XML docs); null when nothing is known there. Detail level 0 or 1 (more).</summary>
    Task<Inspection?> InspectAsync(string code, int cursor, int detailLevel, CancellationToken cancellationToken);

    /// <summary>Whether <paramref name="code"/> could run as is, or a console should wait for more lines.</summary>
    CodeCompleteness IsComplete(string code);

    /// <summary>The value of a variable this kernel holds (a PowerShell <c>$name</c>, a C# script variable); false when there is none.</summary>
    bool TryGetVariable(string name, out object? value);

    /// <summary>Makes <paramref name="value"/> a variable of this kernel under <paramref name="name"/>, as its own type.</summary>
    void SetVariable(string name, object? value);
}

/// <summary>Completion candidates and the span of <c>code</c> they replace (UTF-16 indexes).</summary>
/// <param name="Matches">The texts to insert, best first; empty when nothing fits.</param>
/// <param name="Start">Where the replaced text starts.</param>
/// <param name="End">Where it ends (usually the cursor).</param>
/// <param name="Kinds">Per match, what it is ("cmdlet", "parameter", "property", "method", "variable", …), same order; may be empty.</param>
public sealed record CompletionSet(IReadOnlyList<string> Matches, int Start, int End, IReadOnlyList<string> Kinds)
{
    /// <summary>No candidates at <paramref name="cursor"/>.</summary>
    public static CompletionSet None(int cursor) => new([], cursor, cursor, []);
}

/// <summary>What inspection found: mime type → content ("text/plain", optionally "text/html").</summary>
/// <param name="Data">At least "text/plain".</param>
public sealed record Inspection(IReadOnlyDictionary<string, string> Data);

/// <summary>The answer to Jupyter's is_complete_request.</summary>
public enum CodeCompleteness
{
    /// <summary>Runs as is.</summary>
    Complete,
    /// <summary>An open block, string or pipe: wait for more lines.</summary>
    Incomplete,
    /// <summary>Cannot run whatever follows.</summary>
    Invalid,
    /// <summary>The kernel cannot tell.</summary>
    Unknown,
}

/// <summary>
/// Asks the user of a live notebook for a line of input (Jupyter's input_request on the stdin channel): the prompt,
/// whether it is a password (not echoed); returns what the user typed. Throws <see cref="InvalidOperationException"/>
/// when the client does not accept input (allow_stdin false) and <see cref="OperationCanceledException"/> when the
/// cell is interrupted while waiting.
/// </summary>
public delegate string InputReader(string prompt, bool password, CancellationToken cancellationToken);

/// <summary>Collects a cell's outputs as the kernel produces them.</summary>
public sealed class CellOutputs
{
    private readonly List<CellOutput> _outputs = new();
    private readonly StringBuilder _stream = new();
    private readonly Action<CellOutput>? _live;
    private string? _streamName;

    /// <summary>Outputs collected until the cell ends (the headless runner).</summary>
    public CellOutputs()
    {
    }

    /// <summary>
    /// Outputs that also go to <paramref name="live"/> the moment they are produced (a Jupyter kernel publishing on
    /// iopub): every display and error, and each piece of stream text as written (not merged). <paramref name="input"/>
    /// answers a cell that asks for input (Read-Host, Console.ReadLine); without it such a cell fails with a message.
    /// </summary>
    public CellOutputs(Action<CellOutput>? live, InputReader? input = null)
    {
        _live = live;
        Input = input;
    }

    /// <summary>Reads a line from the user of a live notebook; null where nobody can answer (headless runs).</summary>
    public InputReader? Input { get; }

    /// <summary>The outputs so far, pending stream text flushed into one output first; a copy.</summary>
    public IReadOnlyList<CellOutput> Items
    {
        get
        {
            lock (_outputs)
            {
                FlushStream();
                return _outputs.ToArray();
            }
        }
    }

    /// <summary>Whether an error output was written (the cell failed).</summary>
    public bool HasError => Items.Any(o => o.OutputType == "error");

    /// <summary>Displays a value the way notebooks and reports show it (HTML table, chart, plain text).</summary>
    public void Display(object? value, bool isResult = false) => Add(CellOutput.Display(Reporting.Display.Format(value), isResult));

    /// <summary>Displays prepared mime data (e.g. "text/html" from a kernel that renders itself).</summary>
    public void DisplayData(IReadOnlyDictionary<string, string> data) => Add(CellOutput.Display(data));

    /// <summary>Text on stdout/stderr; consecutive writes to one stream become one output, as in Jupyter.</summary>
    public void Stream(string name, string text)
    {
        if (text.Length == 0)
            return;
        lock (_outputs)
        {
            if (_streamName != name)
                FlushStream();
            _streamName = name;
            _stream.Append(text);
        }

        _live?.Invoke(CellOutput.Stream(name, text));
    }

    /// <summary>Writes an error output: exception type, message and traceback lines.</summary>
    public void Error(string name, string message, IEnumerable<string> traceback) => Add(CellOutput.Error(name, message, traceback.ToArray()));

    private void Add(CellOutput output)
    {
        lock (_outputs)
        {
            FlushStream();
            _outputs.Add(output);
        }

        _live?.Invoke(output);
    }

    private void FlushStream()
    {
        if (_streamName is null)
            return;
        _outputs.Add(CellOutput.Stream(_streamName, _stream.ToString()));
        _stream.Clear();
        _streamName = null;
    }
}

/// <summary>Formats parameter values as literals, shared by the kernels.</summary>
public static class ParameterLiterals
{
    /// <summary>A parameter name that is a valid identifier in C# and PowerShell alike.</summary>
    public static void CheckName(string name)
    {
        if (name.Length == 0 || !(char.IsLetter(name[0]) || name[0] == '_') || !name.All(c => char.IsLetterOrDigit(c) || c == '_'))
            throw new ArgumentException($"Parameter name '{name}' is not an identifier (letters, digits and _, not starting with a digit).", nameof(name));
    }

    /// <summary>The C# literal for a parameter value: a verbatim string, a number with its suffix, true/false, null or a TimeSpan.Parse call; a FileSystemInfo gives its full path. Throws ArgumentException for other types.</summary>
    public static string CSharp(object? value) => value switch
    {
        null => "null",
        string s => "@\"" + s.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"",
        bool b => b ? "true" : "false",
        int or long or short or byte => Convert.ToString(value, CultureInfo.InvariantCulture)!,
        double d => d.ToString("R", CultureInfo.InvariantCulture) + "d",
        float f => f.ToString("R", CultureInfo.InvariantCulture) + "f",
        decimal m => m.ToString(CultureInfo.InvariantCulture) + "m",
        TimeSpan t => $"System.TimeSpan.Parse(\"{t.ToString("c", CultureInfo.InvariantCulture)}\", System.Globalization.CultureInfo.InvariantCulture)",
        System.IO.FileSystemInfo fi => CSharp(fi.FullName),
        _ => throw new ArgumentException($"Parameter value of type {value.GetType().Name} cannot be injected; use a string, number, bool or TimeSpan."),
    };

    /// <summary>The PowerShell literal for a parameter value: a single-quoted string, a [double]-typed number, $true/$false, $null …; throws ArgumentException for types it cannot write.</summary>
    public static string PowerShell(object? value) => value switch
    {
        null => "$null",
        string s => "'" + s.Replace("'", "''", StringComparison.Ordinal) + "'",
        bool b => b ? "$true" : "$false",
        int or long or short or byte => Convert.ToString(value, CultureInfo.InvariantCulture)!,
        double d => "[double]" + d.ToString("R", CultureInfo.InvariantCulture),
        float f => "[float]" + f.ToString("R", CultureInfo.InvariantCulture),
        decimal m => "[decimal]'" + m.ToString(CultureInfo.InvariantCulture) + "'",
        TimeSpan t => $"[timespan]'{t.ToString("c", CultureInfo.InvariantCulture)}'",
        System.IO.FileSystemInfo fi => PowerShell(fi.FullName),
        _ => throw new ArgumentException($"Parameter value of type {value.GetType().Name} cannot be injected; use a string, number, bool or TimeSpan."),
    };
}
