using System.Text.Json.Nodes;

namespace Analysis.Notebooks;

public enum CellKind
{
    Code,
    Markdown,
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

    public string? Text { get; init; }

    /// <summary>Exception type, message and traceback lines (error).</summary>
    public string? ErrorName { get; init; }

    public string? ErrorValue { get; init; }

    public IReadOnlyList<string> Traceback { get; init; } = [];

    public static CellOutput Display(IReadOnlyDictionary<string, string> data, bool isResult = false) =>
        new() { OutputType = isResult ? "execute_result" : "display_data", Data = data };

    public static CellOutput Stream(string name, string text) => new() { OutputType = "stream", Name = name, Text = text };

    public static CellOutput Error(string name, string value, IReadOnlyList<string> traceback) =>
        new() { OutputType = "error", ErrorName = name, ErrorValue = value, Traceback = traceback };
}

/// <summary>A notebook cell: markdown or code in a language ("csharp", "pwsh", …).</summary>
public sealed class NotebookCell
{
    public required CellKind Kind { get; init; }

    public required string Source { get; set; }

    /// <summary>The kernel language of a code cell, normalised: "csharp", "pwsh", "fsharp", …</summary>
    public string Language { get; set; } = "csharp";

    public JsonObject Metadata { get; init; } = new();

    /// <summary>The cell's id (nbformat 4.5); a new one is made when the notebook is written without it.</summary>
    public string? Id { get; set; }

    public List<CellOutput> Outputs { get; } = new();

    public int? ExecutionCount { get; set; }

    /// <summary>Tags from metadata.tags (papermill uses "parameters").</summary>
    public IReadOnlyList<string> Tags =>
        Metadata["tags"] is JsonArray tags ? tags.Select(t => t?.GetValue<string>() ?? "").ToArray() : [];
}

/// <summary>A notebook: cells and notebook-level metadata.</summary>
public sealed class NotebookDocument
{
    public List<NotebookCell> Cells { get; } = new();

    public JsonObject Metadata { get; init; } = new();

    /// <summary>Where it was read from.</summary>
    public string? Path { get; init; }

    /// <summary>The language of code cells that do not name one.</summary>
    public string DefaultLanguage { get; set; } = "csharp";
}
