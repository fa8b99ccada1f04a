using System.Diagnostics;
using System.Text.Json.Nodes;

namespace Analysis.Notebooks;

/// <summary>Creates the kernel for a language, given the working directory of the run.</summary>
public delegate INotebookKernel KernelFactory(string workingDirectory);

/// <summary>How to run a notebook: parameters, working directory, extra kernels, progress callback.</summary>
public sealed class NotebookRunOptions
{
    /// <summary>Injected as variables after the parameters cell (papermill's convention), in each language the notebook uses.</summary>
    public IReadOnlyDictionary<string, object?> Parameters { get; init; } = new Dictionary<string, object?>();

    /// <summary>Where relative paths in cells resolve; defaults to the notebook's directory.</summary>
    public string? WorkingDirectory { get; init; }

    /// <summary>Language → kernel factory. C# is always available; surfaces add PowerShell.</summary>
    public IDictionary<string, KernelFactory> Kernels { get; init; } = new Dictionary<string, KernelFactory>(StringComparer.Ordinal);

    /// <summary>Called before each code cell runs.</summary>
    public Action<NotebookProgress>? Progress { get; init; }
}

/// <summary>Which code cell is about to run.</summary>
/// <param name="CellIndex">0-based index of the cell in the notebook (injected cells included).</param>
/// <param name="CodeCell">1-based number of this code cell among the code cells.</param>
/// <param name="CodeCells">Code cells in the notebook.</param>
/// <param name="Language">The cell's kernel language: "csharp", "pwsh" ….</param>
/// <param name="FirstLine">The cell's first line, for the progress message.</param>
public sealed record NotebookProgress(int CellIndex, int CodeCell, int CodeCells, string Language, string FirstLine);

/// <summary>The outcome of a run. The notebook holds every executed cell's outputs, up to and including a failed one.</summary>
public sealed record NotebookRunResult
{
    internal NotebookDocument Notebook { get; init; } = null!;

    /// <summary>
    /// The executed notebook: every cell with its outputs. A method, not a property, so that serializers and
    /// Format-List (which read every property) do not walk all cells, outputs and metadata of a run.
    /// </summary>
    public NotebookDocument GetNotebook() => Notebook;

    /// <summary>The notebook file that was run.</summary>
    public string? Path => Notebook.Path;

    /// <summary>The executed notebook written, when one was asked for.</summary>
    public string? OutNotebook { get; init; }

    /// <summary>The HTML page written, when one was asked for.</summary>
    public string? OutFile { get; init; }

    /// <summary>True when every code cell ran without error (<see cref="FailedCellIndex"/> is null).</summary>
    public bool Succeeded => FailedCellIndex is null;

    /// <summary>Index (0-based, in <see cref="NotebookDocument.Cells"/> after parameter injection) of the cell that failed.</summary>
    public int? FailedCellIndex { get; init; }

    /// <summary>"Cell 5 (pwsh) failed: …" with the error and the cell's first line.</summary>
    public string? Failure { get; init; }

    /// <summary>Code cells started, the failed one included; equals <see cref="CodeCells"/> when the run succeeded.</summary>
    public int CodeCellsRun { get; init; }

    /// <summary>Code cells in the notebook, injected parameter cells included.</summary>
    public int CodeCells { get; init; }

    /// <summary>Wall-clock time of the run, kernels' start-up included.</summary>
    public TimeSpan Elapsed { get; init; }

    /// <summary>Things the user should know that did not stop the run (e.g. a parameter the notebook does not declare).</summary>
    public ItemList<string> Warnings { get; init; } = [];
}

/// <summary>
/// Runs a notebook top to bottom like <c>jupyter nbconvert --execute</c> / papermill: clears old outputs, injects
/// parameters, runs each code cell in its language's kernel, stores outputs, stops at the first failing cell.
/// </summary>
public static class NotebookRunner
{
    /// <summary>
    /// Reads, runs and writes: the executed notebook (.ipynb, outputs stored) and/or the offline HTML page. Both are
    /// written also when a cell fails, so the reader sees how far the run got and the error.
    /// </summary>
    public static async Task<NotebookRunResult> RunFileAsync(string path, string? outNotebook, string? outHtml, NotebookRunOptions options, CancellationToken cancellationToken = default)
    {
        var notebook = NotebookFile.Read(path);
        var result = await RunAsync(notebook, options, cancellationToken).ConfigureAwait(false);
        if (outNotebook is not null)
        {
            outNotebook = System.IO.Path.GetFullPath(outNotebook);
            NotebookFile.Write(result.Notebook, outNotebook);
        }

        if (outHtml is not null)
        {
            outHtml = System.IO.Path.GetFullPath(outHtml);
            NotebookHtml.Save(result.Notebook, outHtml, result);
        }

        return result with { OutNotebook = outNotebook, OutFile = outHtml };
    }

    /// <summary>The cell tag that marks the parameters cell (papermill's); injected parameters go after it.</summary>
    public const string ParametersTag = "parameters";
    /// <summary>The cell tag of the injected parameters cell; such cells are removed before each run.</summary>
    public const string InjectedTag = "injected-parameters";

    /// <summary>Runs <paramref name="notebook"/> in place: clears old outputs and injected cells, injects the parameters, runs each code cell in its language's kernel and stores its outputs; stops at the first failing cell (the result says which). Throws OperationCanceledException when cancelled.</summary>
    public static async Task<NotebookRunResult> RunAsync(NotebookDocument notebook, NotebookRunOptions options, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(notebook);
        ArgumentNullException.ThrowIfNull(options);
        var clock = Stopwatch.StartNew();
        string workingDirectory = options.WorkingDirectory
            ?? (notebook.Path is { } p ? System.IO.Path.GetDirectoryName(p)! : Environment.CurrentDirectory);
        var factories = new Dictionary<string, KernelFactory>(options.Kernels, StringComparer.Ordinal);
        factories.TryAdd("csharp", wd => new CSharpKernel(wd));

        foreach (var cell in notebook.Cells)
        {
            cell.Outputs.Clear();
            cell.ExecutionCount = null;
        }

        notebook.Cells.RemoveAll(c => c.Tags.Contains(InjectedTag));
        var warnings = new List<string>();
        var kernels = new Dictionary<string, INotebookKernel>(StringComparer.Ordinal);
        try
        {
            InjectParameters(notebook, options.Parameters, factories, workingDirectory, kernels, warnings);
            int codeCells = notebook.Cells.Count(c => c.Kind == CellKind.Code);
            int executed = 0;
            for (int i = 0; i < notebook.Cells.Count; i++)
            {
                cancellationToken.ThrowIfCancellationRequested();
                var cell = notebook.Cells[i];
                if (cell.Kind != CellKind.Code)
                    continue;
                executed++;
                cell.ExecutionCount = executed;
                options.Progress?.Invoke(new NotebookProgress(i, executed, codeCells, cell.Language, FirstLine(cell.Source)));
                cancellationToken.ThrowIfCancellationRequested();
                var outputs = new CellOutputs();
                bool ok = await RunCellAsync(cell, outputs, factories, kernels, workingDirectory, cancellationToken).ConfigureAwait(false);
                cell.Outputs.AddRange(outputs.Items);
                if (!ok)
                {
                    var error = outputs.Items.LastOrDefault(o => o.OutputType == "error");
                    string what = error is null ? "failed" : $"failed: {error.ErrorName}: {error.ErrorValue}";
                    return new NotebookRunResult
                    {
                        Notebook = notebook,
                        FailedCellIndex = i,
                        Failure = $"Cell {i + 1} ({cell.Language}, '{FirstLine(cell.Source)}') {what}",
                        CodeCellsRun = executed,
                        CodeCells = codeCells,
                        Elapsed = clock.Elapsed,
                        Warnings = warnings,
                    };
                }
            }

            return new NotebookRunResult { Notebook = notebook, CodeCellsRun = executed, CodeCells = codeCells, Elapsed = clock.Elapsed, Warnings = warnings };
        }
        finally
        {
            foreach (var kernel in kernels.Values)
                kernel.Dispose();
        }
    }

    private static async Task<bool> RunCellAsync(NotebookCell cell, CellOutputs outputs, Dictionary<string, KernelFactory> factories,
        Dictionary<string, INotebookKernel> kernels, string workingDirectory, CancellationToken cancellationToken)
    {
        switch (cell.Language)
        {
            case "html":
                outputs.DisplayData(new Dictionary<string, string> { ["text/html"] = cell.Source });
                return true;
            case "markdown":
                outputs.DisplayData(new Dictionary<string, string> { ["text/markdown"] = cell.Source, ["text/html"] = Markdig.Markdown.ToHtml(cell.Source) });
                return true;
        }

        INotebookKernel? kernel;
        try
        {
            kernel = KernelFor(cell.Language, factories, kernels, workingDirectory);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // a kernel that cannot start (a host missing what it needs) fails this cell, not the run: the outputs so far are kept
            string message = $"The {cell.Language} kernel could not start: {e.GetType().Name}: {e.Message}";
            outputs.Error("KernelStartFailed", message, [message, .. (e.StackTrace ?? "").Split('\n').Select(l => l.TrimEnd('\r'))]);
            return false;
        }

        if (kernel is null)
        {
            string message = $"No kernel for '{cell.Language}' cells in the headless runner; it runs {string.Join(", ", factories.Keys.Order())} (and markdown/html cells).";
            outputs.Error("NoKernel", message, [message]);
            return false;
        }

        if (cell.Source.Trim().Length == 0)
            return true;
        return await kernel.RunAsync(cell.Source, outputs, cancellationToken).ConfigureAwait(false);
    }

    private static INotebookKernel? KernelFor(string language, Dictionary<string, KernelFactory> factories, Dictionary<string, INotebookKernel> kernels, string workingDirectory)
    {
        if (kernels.TryGetValue(language, out var kernel))
            return kernel;
        if (!factories.TryGetValue(language, out var factory))
            return null;
        kernel = factory(workingDirectory);
        kernels[language] = kernel;
        return kernel;
    }

    /// <summary>
    /// Inserts an "injected-parameters" cell after the parameters cell (tagged "parameters", or whose first line is a
    /// "parameters" comment, since .dib cells have no tags), or at the top when there is none; one per language the
    /// notebook's code cells use, so a polyglot notebook sees the values in each.
    /// </summary>
    private static void InjectParameters(NotebookDocument notebook, IReadOnlyDictionary<string, object?> parameters, Dictionary<string, KernelFactory> factories,
        string workingDirectory, Dictionary<string, INotebookKernel> kernels, List<string> warnings)
    {
        if (parameters.Count == 0)
            return;
        int at = notebook.Cells.FindIndex(IsParametersCell);
        var languages = notebook.Cells.Where(c => c.Kind == CellKind.Code && factories.ContainsKey(c.Language)).Select(c => c.Language).Distinct().ToList();
        if (at >= 0)
        {
            languages.Remove(notebook.Cells[at].Language);
            languages.Insert(0, notebook.Cells[at].Language);
            string declared = notebook.Cells[at].Source;
            foreach (string name in parameters.Keys.Where(n => !declared.Contains(n, StringComparison.OrdinalIgnoreCase)))
                warnings.Add($"Parameter '{name}' is not declared in the notebook's parameters cell; it is injected anyway.");
        }
        else
        {
            warnings.Add("The notebook has no parameters cell (a cell tagged 'parameters' or starting with a '// parameters' / '# parameters' comment); the parameters are injected at the top.");
        }

        if (languages.Count == 0)
            languages.Add(notebook.DefaultLanguage);
        int insertAt = at + 1;
        foreach (string language in languages)
        {
            var kernel = KernelFor(language, factories, kernels, workingDirectory);
            if (kernel is null)
                continue;
            var cell = new NotebookCell { Kind = CellKind.Code, Language = language, Source = kernel.ParameterCode(parameters) };
            cell.Metadata["tags"] = new JsonArray(InjectedTag);
            notebook.Cells.Insert(insertAt++, cell);
        }
    }

    /// <summary>Whether a cell is the parameters cell: a code cell tagged "parameters", or whose first line is the comment "parameters".</summary>
    public static bool IsParametersCell(NotebookCell cell)
    {
        if (cell.Kind != CellKind.Code)
            return false;
        if (cell.Tags.Contains(ParametersTag, StringComparer.OrdinalIgnoreCase))
            return true;
        string first = FirstLine(cell.Source).TrimStart('/', '#', ' ', '\t').Trim();
        return first.Equals("parameters", StringComparison.OrdinalIgnoreCase);
    }

    private static string FirstLine(string source)
    {
        string line = source.TrimStart('\r', '\n').Split('\n', 2)[0].TrimEnd('\r');
        return line.Length > 80 ? line[..77] + "..." : line;
    }
}
