using System.Globalization;
using System.Management.Automation;
using System.Management.Automation.Runspaces;
using System.Text;
using Analysis.Notebooks;
using Analysis.Reporting;
using Analysis.Views;

namespace Analysis.PowerShell;

/// <summary>
/// PowerShell cells of a notebook: one runspace per run with this module imported and the location set to the
/// working directory. Output objects are shown as tables (with charts for the big result types), strings as text;
/// an error record or a terminating error fails the cell.
/// </summary>
internal sealed partial class PowerShellKernel : INotebookKernel
{
    private readonly Runspace _runspace;

    public PowerShellKernel(string workingDirectory, string modulePath)
    {
        var state = InitialSessionState.CreateDefault2();
        state.ImportPSModule([modulePath]);
        _runspace = RunspaceFactory.CreateRunspace(_host, state);
        _runspace.Open();
        _runspace.SessionStateProxy.Path.SetLocation(WildcardPattern.Escape(workingDirectory));
    }

    /// <summary>The module manifest beside this assembly (the assembled module folder), else the assembly itself.</summary>
    public static string ModulePath
    {
        get
        {
            string dll = typeof(PowerShellKernel).Assembly.Location;
            string psd1 = Path.Combine(Path.GetDirectoryName(dll)!, "Analysis.psd1");
            return File.Exists(psd1) ? psd1 : dll;
        }
    }

    public string Language => "pwsh";

    public async Task<bool> RunAsync(string code, CellOutputs outputs, CancellationToken cancellationToken)
    {
        using var ps = System.Management.Automation.PowerShell.Create();
        ps.Runspace = _runspace;
        ps.AddScript(code);
        var results = new List<object?>();
        bool failed = false;
        ps.Streams.Information.DataAdded += (_, e) =>
        {
            // Write-Host's records were written by the host already (with -NoNewline honoured)
            var record = ps.Streams.Information[e.Index];
            if (!record.Tags.Contains("PSHOST"))
                outputs.Stream("stdout", record.MessageData + "\n");
        };
        ps.Streams.Warning.DataAdded += (_, e) => outputs.Stream("stderr", "WARNING: " + ps.Streams.Warning[e.Index].Message + "\n");
        using var registration = cancellationToken.Register(() => ps.BeginStop(null, null));
        using var cell = EnterCell(outputs, cancellationToken);
        try
        {
            var collected = await Task.Factory.FromAsync(ps.BeginInvoke(), ps.EndInvoke).ConfigureAwait(false);
            foreach (var item in collected)
                results.Add(item?.BaseObject is PSCustomObject ? item : item?.BaseObject);
        }
        catch (RuntimeException) when (cancellationToken.IsCancellationRequested)
        {
            throw new OperationCanceledException(cancellationToken);
        }
        catch (RuntimeException e)
        {
            Show(results, outputs);
            ReportError(e.ErrorRecord, outputs);
            return false;
        }

        // interrupted while the host waited for input: the read failed as the stop arrived, the cell ended either way
        cancellationToken.ThrowIfCancellationRequested();
        Show(results, outputs);
        foreach (var error in ps.Streams.Error)
        {
            ReportError(error, outputs);
            failed = true;
        }

        return !failed;
    }

    public string ParameterCode(IReadOnlyDictionary<string, object?> parameters)
    {
        var sb = new StringBuilder("# Injected parameters\n");
        foreach (var (name, value) in parameters)
        {
            ParameterLiterals.CheckName(name);
            sb.Append('$').Append(name).Append(" = ").Append(ParameterLiterals.PowerShell(value)).Append('\n');
        }

        return sb.ToString();
    }

    public void Dispose() => _runspace.Dispose();

    /// <summary>Runs of objects of one type become one table; strings and numbers are printed as text, as pwsh would.</summary>
    private static void Show(List<object?> results, CellOutputs outputs)
    {
        int i = 0;
        while (i < results.Count)
        {
            var item = results[i];
            if (item is null)
            {
                i++;
                continue;
            }

            if (item is string or ValueType)
            {
                outputs.Stream("stdout", Convert.ToString(item, CultureInfo.InvariantCulture) + "\n");
                i++;
                continue;
            }

            var type = item is PSObject pso ? string.Join(",", pso.TypeNames) : item.GetType().FullName;
            int end = i + 1;
            while (end < results.Count && results[end] is { } next && (next is PSObject npso ? string.Join(",", npso.TypeNames) : next.GetType().FullName) == type)
                end++;
            var run = results.GetRange(i, end - i);
            if (item is PSObject)
                outputs.DisplayData(CustomObjects(run.Cast<PSObject>().ToList()));
            else if (item is FileSystemInfo)
                outputs.Stream("stdout", string.Concat(run.Cast<FileSystemInfo>().Select(f => f.FullName + "\n")));
            else if (run.Count == 1)
                outputs.Display(item);
            else
                outputs.Display(run);
            i = end;
        }
    }

    /// <summary>A table of [pscustomobject] rows: text/plain like Format-Table, text/html as a table.</summary>
    private static Dictionary<string, string> CustomObjects(List<PSObject> rows)
    {
        var (plain, html) = PropertyTable.Render(
            [.. rows.Select(r => (IReadOnlyList<KeyValuePair<string, object?>>)[.. r.Properties.Select(p => new KeyValuePair<string, object?>(p.Name, p.Value is PSObject o ? o.BaseObject : p.Value))])],
            Display.MaxRows);
        return new Dictionary<string, string> { ["text/plain"] = plain, ["text/html"] = html };
    }

    private static void ReportError(ErrorRecord error, CellOutputs outputs)
    {
        string message = error.ErrorDetails?.Message ?? error.Exception?.Message ?? error.ToString();
        var trace = new List<string> { $"{error.FullyQualifiedErrorId}: {message}" };
        if (error.InvocationInfo?.PositionMessage is { Length: > 0 } position)
            trace.AddRange(position.Split('\n').Select(l => l.TrimEnd('\r')));
        if (error.ScriptStackTrace is { Length: > 0 } stack)
            trace.AddRange(stack.Split('\n').Select(l => l.TrimEnd('\r')));
        outputs.Error(error.FullyQualifiedErrorId.Split(',')[0], message, trace);
    }
}
