using System.Collections;
using System.Management.Automation;
using Analysis.Notebooks;

namespace Analysis.PowerShell.Commands;

/// <summary>
/// Runs a notebook (.ipynb or .dib) headless, top to bottom: C# cells in Roslyn scripting, PowerShell cells in a
/// fresh runspace with this module imported, markdown passed through. Parameters are injected as variables after
/// the parameters cell (papermill's convention). Writes the executed notebook and/or one offline HTML page.
/// </summary>
[Cmdlet(VerbsLifecycle.Invoke, "Notebook", SupportsShouldProcess = true)]
[OutputType(typeof(NotebookRunResult))]
public sealed class InvokeNotebookCommand : AnalysisCmdlet
{
    [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
    [Alias("PSPath", "FullName")]
    [ValidateNotNullOrEmpty]
    public string Path { get; set; } = "";

    /// <summary>The self-contained HTML page to write (markdown, code, outputs, charts; works offline).</summary>
    [Parameter(Position = 1)]
    public string? OutFile { get; set; }

    /// <summary>The executed notebook to write (.ipynb with outputs stored).</summary>
    [Parameter]
    public string? OutNotebook { get; set; }

    /// <summary>Name → value, injected as variables ($Name in PowerShell cells, Name in C# cells).</summary>
    [Parameter]
    public Hashtable? Parameters { get; set; }

    /// <summary>Where relative paths in the notebook resolve; default: the notebook's folder.</summary>
    [Parameter]
    public string? WorkingDirectory { get; set; }

    protected override void ProcessRecord()
    {
        string path = ResolveFilePath(Path);
        string? outFile = OutFile is null ? null : ResolveFilePath(OutFile);
        string? outNotebook = OutNotebook is null ? null : ResolveFilePath(OutNotebook);
        foreach (string? target in new[] { outFile, outNotebook })
        {
            if (target is not null && string.Equals(System.IO.Path.GetFullPath(target), System.IO.Path.GetFullPath(path), StringComparison.Ordinal))
            {
                WriteError(new ErrorRecord(new ArgumentException($"'{target}' is the notebook being run; write the executed copy elsewhere (the input is never modified)."),
                    "OutputIsInput", ErrorCategory.InvalidArgument, target));
                return;
            }
        }

        var parameters = new Dictionary<string, object?>(StringComparer.Ordinal);
        foreach (DictionaryEntry entry in Parameters ?? new Hashtable())
        {
            object? value = entry.Value is PSObject pso ? pso.BaseObject : entry.Value;
            parameters[entry.Key.ToString() ?? ""] = value;
        }

        if (!ShouldProcess(path, "Run notebook"))
            return;
        string? workingDirectory = WorkingDirectory is null ? null : ResolveFilePath(WorkingDirectory);
        try
        {
            var result = RunWithProgress("Running notebook", (progress, ct) =>
            {
                var options = new NotebookRunOptions
                {
                    Parameters = parameters,
                    WorkingDirectory = workingDirectory,
                    Kernels = { ["pwsh"] = wd => new PowerShellKernel(wd, PowerShellKernel.ModulePath) },
                    Progress = p => progress.Report(new WorkProgress($"Running {System.IO.Path.GetFileName(path)}",
                        $"cell {p.CellIndex + 1} ({p.Language}): {p.FirstLine}", p.CodeCell - 1, p.CodeCells)),
                };
                return NotebookRunner.RunFileAsync(path, outNotebook, outFile, options, ct).GetAwaiter().GetResult();
            });
            foreach (string warning in result.Warnings)
                WriteWarning(warning);
            if (!result.Succeeded)
            {
                string kept = (outFile ?? outNotebook) is { } written
                    ? $"The outputs up to the failure are in '{written}'."
                    : "The outputs up to the failure are in the result's Notebook; -OutFile/-OutNotebook write them to a file.";
                WriteError(new ErrorRecord(new InvalidOperationException($"Notebook '{path}': {result.Failure?.TrimEnd('.')}. {kept}"),
                    "NotebookCellFailed", ErrorCategory.InvalidResult, path));
            }

            WriteObject(result);
        }
        catch (AnalysisException e)
        {
            WriteAnalysisError(e, "Notebook", path);
        }
        catch (ArgumentException e)
        {
            WriteError(new ErrorRecord(e, "InvalidNotebookParameter", ErrorCategory.InvalidArgument, Parameters));
        }
    }
}
