using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Analysis.Notebooks;

/// <summary>Reads .ipynb (nbformat 4) and .dib (Polyglot) notebooks and writes .ipynb.</summary>
public static class NotebookFile
{
    private const string Expected = "expected a notebook: .ipynb (Jupyter nbformat 4 JSON) or .dib (Polyglot Notebooks text with #!csharp / #!pwsh / #!markdown sections)";

    /// <summary>Reads a notebook file: .dib as Polyglot text, anything else as .ipynb JSON. Throws AnalysisException when it is missing, a directory, empty or not a notebook.</summary>
    public static NotebookDocument Read(string path)
    {
        string full = System.IO.Path.GetFullPath(path);
        if (Directory.Exists(full))
            throw new AnalysisException(AnalysisErrorKind.PathIsDirectory, full, $"'{full}' is a directory; {Expected}.");
        if (!File.Exists(full))
            throw new AnalysisException(AnalysisErrorKind.FileNotFound, full, $"Notebook '{full}' does not exist.");
        string text = File.ReadAllText(full);
        if (text.Length == 0)
            throw new AnalysisException(AnalysisErrorKind.FileEmpty, full, $"Notebook '{full}' is empty; {Expected}.");
        return full.EndsWith(".dib", StringComparison.OrdinalIgnoreCase) ? ParseDib(text, full) : ParseIpynb(text, full);
    }

    /// <summary>Parses nbformat 4 JSON; <paramref name="path"/> is only recorded and quoted in errors. Throws AnalysisException on invalid JSON.</summary>
    public static NotebookDocument ParseIpynb(string json, string? path = null)
    {
        JsonObject root;
        try
        {
            root = JsonNode.Parse(json) as JsonObject ?? throw new JsonException("the top level is not an object");
        }
        catch (JsonException e)
        {
            throw new AnalysisException(AnalysisErrorKind.WrongFormat, path, $"'{path}' is not valid notebook JSON ({e.Message}); {Expected}.", e);
        }

        if (root["cells"] is not JsonArray cells)
            throw new AnalysisException(AnalysisErrorKind.WrongFormat, path, $"'{path}' has no \"cells\" array; {Expected}.");
        int format = root["nbformat"]?.GetValue<int>() ?? 0;
        if (format != 4)
            throw new AnalysisException(AnalysisErrorKind.WrongFormat, path, $"'{path}' is nbformat {format}; only nbformat 4 is read (jupyter nbconvert --to notebook upgrades older ones).");

        var metadata = root["metadata"] as JsonObject ?? new JsonObject();
        var doc = new NotebookDocument { Path = path, Metadata = (JsonObject)metadata.DeepClone() };
        doc.DefaultLanguage = Normalize(metadata["kernelspec"]?["language"]?.GetValue<string>()
            ?? metadata["polyglot_notebook"]?["defaultKernelName"]?.GetValue<string>() ?? "csharp");
        int index = 0;
        foreach (var node in cells)
        {
            if (node is not JsonObject cell)
                throw new AnalysisException(AnalysisErrorKind.WrongFormat, path, $"'{path}': cell {index} is not an object.");
            string type = cell["cell_type"]?.GetValue<string>() ?? "";
            string source = cell["source"] switch
            {
                JsonArray lines => string.Concat(lines.Select(l => l?.GetValue<string>())),
                JsonValue v => v.GetValue<string>(),
                _ => "",
            };
            var cellMetadata = cell["metadata"] as JsonObject ?? new JsonObject();
            var kind = type switch
            {
                "code" => CellKind.Code,
                "markdown" => CellKind.Markdown,
                "raw" => CellKind.Raw,
                _ => throw new AnalysisException(AnalysisErrorKind.WrongFormat, path, $"'{path}': cell {index} has cell_type '{type}'."),
            };
            var c = new NotebookCell { Kind = kind, Source = source, Metadata = (JsonObject)cellMetadata.DeepClone(), Id = cell["id"]?.GetValue<string>() };
            c.Language = CellLanguage(c, doc.DefaultLanguage);
            doc.Cells.Add(c);
            index++;
        }

        return doc;
    }

    /// <summary>Parses Polyglot (.dib) text: #!csharp, #!pwsh, #!markdown … start cells; <paramref name="path"/> is only recorded.</summary>
    public static NotebookDocument ParseDib(string text, string? path = null)
    {
        var doc = new NotebookDocument { Path = path };
        string? language = null;
        var current = new StringBuilder();
        void Flush()
        {
            if (language is null)
                return;
            string source = current.ToString().Trim('\n', '\r');
            if (language == "meta")
            {
                try
                {
                    if (JsonNode.Parse(source) is JsonObject meta)
                    {
                        foreach (var (k, v) in meta)
                            doc.Metadata[k] = v?.DeepClone();
                    }
                }
                catch (JsonException)
                {
                    // #!meta is informational
                }
            }
            else if (source.Length > 0)
            {
                doc.Cells.Add(Normalize(language) == "markdown"
                    ? new NotebookCell { Kind = CellKind.Markdown, Source = source }
                    : new NotebookCell { Kind = CellKind.Code, Source = source, Language = Normalize(language) });
            }

            current.Clear();
        }

        foreach (string raw in text.Replace("\r\n", "\n", StringComparison.Ordinal).Split('\n'))
        {
            if (raw.StartsWith("#!", StringComparison.Ordinal) && raw.Length > 2 && !raw.Contains(' ', StringComparison.Ordinal) && IsKernelMagic(raw[2..]))
            {
                Flush();
                language = raw[2..];
                continue;
            }

            language ??= "csharp";
            current.Append(raw).Append('\n');
        }

        Flush();
        if (doc.Cells.Count == 0)
            throw new AnalysisException(AnalysisErrorKind.WrongFormat, path, $"'{path}' has no cells; {Expected}.");
        return doc;
    }

    /// <summary>
    /// Writes nbformat 4 JSON with the outputs, readable by Jupyter and VS Code. Each code cell starts with its
    /// language's magic (<c>#!pwsh</c>, <c>#!csharp</c>) and carries Polyglot's cell metadata, so the executed notebook
    /// runs again in the .NET Interactive kernel, where Jupyter sends only the source.
    /// </summary>
    public static void Write(NotebookDocument doc, string path)
    {
        var cells = new JsonArray();
        var ids = new HashSet<string>(StringComparer.Ordinal);
        foreach (var cell in doc.Cells)
        {
            string id = cell.Id is { Length: > 0 } own && ids.Add(own) ? own : NewId(ids);
            var o = new JsonObject
            {
                ["id"] = id,
                ["cell_type"] = cell.Kind switch { CellKind.Code => "code", CellKind.Markdown => "markdown", _ => "raw" },
                ["metadata"] = cell.Metadata.DeepClone(),
                ["source"] = Lines(cell.Kind == CellKind.Code ? $"#!{cell.Language}\n{cell.Source}" : cell.Source),
            };
            if (cell.Kind == CellKind.Code)
            {
                var meta = (JsonObject)o["metadata"]!;
                meta["dotnet_interactive"] = new JsonObject { ["language"] = cell.Language };
                meta["polyglot_notebook"] = new JsonObject { ["kernelName"] = cell.Language };
                o["execution_count"] = cell.ExecutionCount;
                var outputs = new JsonArray();
                foreach (var output in cell.Outputs)
                    outputs.Add(Output(output, cell.ExecutionCount));
                o["outputs"] = outputs;
            }

            cells.Add(o);
        }

        var metadata = (JsonObject)doc.Metadata.DeepClone();
        metadata["kernelspec"] ??= new JsonObject { ["display_name"] = ".NET (C#)", ["language"] = "C#", ["name"] = ".net-csharp" };
        metadata["language_info"] ??= new JsonObject { ["name"] = "polyglot-notebook" };
        var root = new JsonObject { ["cells"] = cells, ["metadata"] = metadata, ["nbformat"] = 4, ["nbformat_minor"] = 5 };
        string full = System.IO.Path.GetFullPath(path);
        if (System.IO.Path.GetDirectoryName(full) is { } dir)
            Directory.CreateDirectory(dir);
        File.WriteAllText(full, root.ToJsonString(new JsonSerializerOptions { WriteIndented = true }) + "\n", new UTF8Encoding(false));
    }

    private static string NewId(HashSet<string> taken)
    {
        string id;
        do
        {
            id = Guid.NewGuid().ToString("N")[..12];
        }
        while (!taken.Add(id));
        return id;
    }

    private static JsonObject Output(CellOutput output, int? executionCount)
    {
        var o = new JsonObject { ["output_type"] = output.OutputType };
        switch (output.OutputType)
        {
            case "stream":
                o["name"] = output.Name;
                o["text"] = Lines(output.Text ?? "");
                break;
            case "error":
                o["ename"] = output.ErrorName;
                o["evalue"] = output.ErrorValue;
                o["traceback"] = new JsonArray(output.Traceback.Select(t => (JsonNode?)JsonValue.Create(t)).ToArray());
                break;
            default:
                var data = new JsonObject();
                foreach (var (mime, content) in output.Data)
                    data[mime] = Lines(content);
                o["data"] = data;
                o["metadata"] = new JsonObject();
                if (output.OutputType == "execute_result")
                    o["execution_count"] = executionCount;
                break;
        }

        return o;
    }

    private static JsonArray Lines(string text)
    {
        var lines = new JsonArray();
        int start = 0;
        while (start < text.Length)
        {
            int nl = text.IndexOf('\n', start);
            int end = nl < 0 ? text.Length : nl + 1;
            lines.Add(text[start..end]);
            start = end;
        }

        return lines;
    }

    /// <summary>A code cell's language: a leading #!magic line, Polyglot metadata, else the notebook default.</summary>
    private static string CellLanguage(NotebookCell cell, string fallback)
    {
        string firstLine = cell.Source.Split('\n', 2)[0].Trim();
        if (firstLine.StartsWith("#!", StringComparison.Ordinal) && IsKernelMagic(firstLine[2..]))
        {
            cell.Source = cell.Source.Contains('\n', StringComparison.Ordinal) ? cell.Source[(cell.Source.IndexOf('\n', StringComparison.Ordinal) + 1)..] : "";
            return Normalize(firstLine[2..]);
        }

        string? fromMeta = cell.Metadata["polyglot_notebook"]?["kernelName"]?.GetValue<string>()
            ?? cell.Metadata["dotnet_interactive"]?["language"]?.GetValue<string>();
        return fromMeta is null ? fallback : Normalize(fromMeta);
    }

    private static bool IsKernelMagic(string name) =>
        name is "csharp" or "c#" or "C#" or "fsharp" or "f#" or "pwsh" or "powershell" or "markdown" or "md" or "meta" or "javascript" or "html" or "sql" or "kql" or "mermaid" or "value";

    internal static string Normalize(string language) => language.ToLowerInvariant() switch
    {
        "c#" or "csharp" or ".net-csharp" => "csharp",
        "f#" or "fsharp" or ".net-fsharp" => "fsharp",
        "pwsh" or "powershell" or ".net-pwsh" => "pwsh",
        "md" or "markdown" => "markdown",
        var other => other,
    };
}
