using System.Collections;
using System.Management.Automation;
using Analysis.Notebooks;

namespace Analysis.PowerShell.Commands;

/// <summary>Runs an investigation notebook (.ipynb or .dib) headless and writes the executed notebook and an offline HTML page.</summary>
/// <remarks>
/// <para>
/// Runs every cell top to bottom, like jupyter nbconvert --execute or papermill: PowerShell cells in a fresh runspace
/// with the Analysis module imported, C# cells in Roslyn scripting (one continuing state, display(x), #r of local
/// dlls, the Analysis libraries and Plotly.NET referenced), markdown passed through. Output objects are stored as text
/// and HTML tables, with charts for the big result types.
/// </para>
/// <para>
/// -Parameters are injected as variables in a cell after the notebook's parameters cell (tagged 'parameters', or
/// starting with a '# parameters' comment), in each language the notebook uses.
/// </para>
/// <para>
/// The first failing cell (an error record, an exception, a compile error) stops the run: a NotebookCellFailed error
/// names the cell and the error, and the files written hold the outputs up to it. The input notebook is never
/// modified. Returns the run: Succeeded, CodeCellsRun, FailedCellIndex, Failure, Warnings, Elapsed and the Notebook
/// with its outputs.
/// </para>
/// </remarks>
/// <example>
/// <code>Invoke-Notebook ./notebooks/dump-triage.ipynb -Parameters @{ DumpPath = './app.dmp' } -WorkingDirectory . -OutFile ./INC-1234-triage.html -OutNotebook ./INC-1234-triage.ipynb</code>
/// <para>
/// Runs the dump triage notebook on a dump in the current folder (-WorkingDirectory: relative paths resolve here, not
/// in the notebook's folder) and keeps both the page and the executed notebook for the ticket.
/// </para>
/// </example>
/// <example>
/// <code>
/// $run = Invoke-Notebook ./notebooks/memory-growth.ipynb -Parameters @{ BeforePath = './before.dmp'; AfterPath = './after.dmp'; Top = 10 } -WorkingDirectory . -OutFile ./growth.html
/// $run | Select-Object Succeeded, CodeCellsRun, Elapsed
/// </code>
/// <para>Which types grew between two dumps and why they are alive, as one page; the run says whether every cell succeeded.</para>
/// </example>
[Cmdlet(VerbsLifecycle.Invoke, "Notebook", DefaultParameterSetName = PathSet, SupportsShouldProcess = true)]
[OutputType(typeof(NotebookRunResult))]
public sealed class InvokeNotebookCommand : FileInputCmdlet
{
    private int _notebooks;

    /// <summary>
    /// The self-contained HTML page to write: markdown rendered, code, outputs and charts, plotly.js embedded once
    /// (opens offline).
    /// </summary>
    [Parameter(Position = 1)]
    [ValidateNotNullOrEmpty]
    public string? OutFile { get; set; }

    /// <summary>The executed notebook to write (.ipynb with its outputs stored; opens in VS Code and Jupyter).</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? OutNotebook { get; set; }

    /// <summary>Overwrite -OutFile and -OutNotebook if they exist.</summary>
    [Parameter]
    public SwitchParameter Force { get; set; }

    /// <summary>
    /// Name = value pairs (strings, numbers, booleans, TimeSpans) injected as variables ($Name in PowerShell cells, Name in
    /// C# cells) after the parameters cell.
    /// String values that name a file or folder relative to the current location (or start with ./ ../ or ~) are
    /// passed as full paths, so they mean what they mean on your command line, not relative to the notebook's folder.
    /// </summary>
    [Parameter]
    public Hashtable? Parameters { get; set; }

    /// <summary>Where relative paths in the notebook resolve; without it, the notebook's own folder.</summary>
    [Parameter]
    public string? WorkingDirectory { get; set; }

    /// <inheritdoc/>
    protected override string Artifact => "Notebook";

    /// <inheritdoc/>
    protected override void ProcessFile(string path)
    {
        if (++_notebooks > 1 && (OutFile ?? OutNotebook) is not null)
        {
            WriteError(new ErrorRecord(new PSArgumentException($"-OutFile/-OutNotebook name one file, but more than one notebook was given; '{path}' was not run. Run each notebook with its own output names."),
                "OutFileForSeveralNotebooks", ErrorCategory.InvalidArgument, path));
            return;
        }

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
            string name = entry.Key.ToString() ?? "";
            object? value = ResolveParameterValue(name, entry.Value is PSObject pso ? pso.BaseObject : entry.Value);
            parameters[name] = value;
        }

        foreach (string? target in new[] { outFile, outNotebook })
        {
            if (target is not null && ConfirmOutputFile(target, Force, "Write the executed notebook") is null)
                return;
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
        catch (ArgumentException e) when (e is not PSArgumentException)
        {
            WriteError(new ErrorRecord(e, "InvalidNotebookParameter", ErrorCategory.InvalidArgument, Parameters));
        }
    }

    /// <summary>
    /// A parameter value as the notebook should see it: files and folders as full paths resolved where the caller is
    /// (the PowerShell location), everything else unchanged.
    /// </summary>
    private object? ResolveParameterValue(string name, object? value)
    {
        switch (value)
        {
            case FileSystemInfo info:
                return info.FullName;
            case string text when text.Length > 0 && !System.IO.Path.IsPathRooted(text):
                bool explicitlyRelative = text.StartsWith("./", StringComparison.Ordinal) || text.StartsWith("../", StringComparison.Ordinal)
                    || text.StartsWith(".\\", StringComparison.Ordinal) || text.StartsWith("..\\", StringComparison.Ordinal) || text == "." || text == ".." || text.StartsWith('~');
                if (!explicitlyRelative && text.IndexOfAny(System.IO.Path.GetInvalidPathChars()) >= 0)
                    return value;
                string full;
                try
                {
                    full = ResolveFilePath(text);
                }
                catch (Exception e) when (e is PSArgumentException or ItemNotFoundException or System.Management.Automation.DriveNotFoundException or ProviderNotFoundException or NotSupportedException)
                {
                    return value; // not a file-system path (e.g. 'Contoso.*' is fine, 'HKLM:' is not ours)
                }

                if (!explicitlyRelative && !File.Exists(full) && !Directory.Exists(full))
                    return value;
                WriteVerbose($"Parameter {name}: '{text}' resolved against the current location to '{full}'.");
                return full;
            default:
                return value;
        }
    }
}
