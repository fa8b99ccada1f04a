using System.Text.Json.Nodes;

namespace Analysis.Notebooks;

/// <summary>What a cell holds, as nbformat's cell_type.</summary>
public enum CellKind
{
    /// <summary>Code run by a kernel.</summary>
    Code,
    /// <summary>Markdown text, rendered, never run.</summary>
    Markdown,
    /// <summary>Raw text, kept as written, never run.</summary>
    Raw,
}

/// <summary>One output of a code cell, in nbformat 4 terms.</summary>
public sealed record CellOutput
{
    /// <summary>"display_data", "execute_result", "stream" or "error".</summary>
    public required string OutputType { get; init; }

    /// <summary>Mime type → content (display_data, execute_result).</summary>
    public IReadOnlyDictionary<string, string> Data { get; init; } = new Dictionary<string, string>();

    /// <summary>Stream name ("stdout"/"stderr") and text (stream).</summary>
    public string? Name { get; init; }

    /// <summary>The text written to the stream (stream); null for other outputs.</summary>
    public string? Text { get; init; }

    /// <summary>Exception type, message and traceback lines (error).</summary>
    public string? ErrorName { get; init; }

    /// <summary>The exception message (error).</summary>
    public string? ErrorValue { get; init; }

    /// <summary>The traceback lines (error); empty for other outputs.</summary>
    public IReadOnlyList<string> Traceback { get; init; } = [];

    /// <summary>A display_data output, or execute_result when <paramref name="isResult"/> (a cell's last value).</summary>
    public static CellOutput Display(IReadOnlyDictionary<string, string> data, bool isResult = false) =>
        new() { OutputType = isResult ? "execute_result" : "display_data", Data = data };

    /// <summary>A stream output: <paramref name="text"/> written to stdout or stderr.</summary>
    public static CellOutput Stream(string name, string text) => new() { OutputType = "stream", Name = name, Text = text };

    /// <summary>An error output: exception type, message and traceback.</summary>
    public static CellOutput Error(string name, string value, IReadOnlyList<string> traceback) =>
        new() { OutputType = "error", ErrorName = name, ErrorValue = value, Traceback = traceback };
}

/// <summary>A notebook cell: markdown or code in a language ("csharp", "pwsh", …).</summary>
public sealed class NotebookCell
{
    /// <summary>Code, markdown or raw.</summary>
    public required CellKind Kind { get; init; }

    /// <summary>The cell's text (an .ipynb cell's source lines concatenated).</summary>
    public required string Source { get; set; }

    /// <summary>The kernel language of a code cell, normalised: "csharp", "pwsh", "fsharp", …</summary>
    public string Language { get; set; } = "csharp";

    /// <summary>The cell's metadata as read (tags, papermill's and the kernels' keys); written back unchanged.</summary>
    public JsonObject Metadata { get; init; } = new();

    /// <summary>The cell's id (nbformat 4.5); a new one is made when the notebook is written without it.</summary>
    public string? Id { get; set; }

    /// <summary>The outputs of the last run, in order; empty before a run (outputs in a file read are not kept) and for markdown cells.</summary>
    public List<CellOutput> Outputs { get; } = new();

    /// <summary>The execution number of the last run (1, 2, … in notebook order); null when the cell has not run.</summary>
    public int? ExecutionCount { get; set; }

    /// <summary>Tags from metadata.tags (papermill uses "parameters").</summary>
    public IReadOnlyList<string> Tags =>
        Metadata["tags"] is JsonArray tags ? tags.Select(t => t?.GetValue<string>() ?? "").ToArray() : [];
}

/// <summary>A notebook: cells and notebook-level metadata.</summary>
public sealed class NotebookDocument
{
    /// <summary>The cells in notebook order.</summary>
    public List<NotebookCell> Cells { get; } = new();

    /// <summary>Notebook-level metadata as read (kernelspec, language_info); written back unchanged.</summary>
    public JsonObject Metadata { get; init; } = new();

    /// <summary>Where it was read from.</summary>
    public string? Path { get; init; }

    /// <summary>The language of code cells that do not name one.</summary>
    public string DefaultLanguage { get; set; } = "csharp";
}
