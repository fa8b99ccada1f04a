using System.Globalization;
using System.Management.Automation;
using System.Management.Automation.Runspaces;

namespace Analysis.Shell;

/// <summary>
/// analysis-shell [-Module &lt;psd1&gt;] (-Command &lt;script&gt; | -File &lt;script.ps1&gt; [args…])
/// Runs PowerShell with the Analysis module imported and prints each output object's text, errors with their
/// ids on stderr, warnings and throttled progress. Exit code 1 when any error was written.
/// Ctrl+C stops the running command.
/// </summary>
public static class Program
{
    public static int Main(string[] args)
    {
        string? module = null, command = null, file = null;
        var scriptArgs = new List<string>();
        for (int i = 0; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "-Module" when i + 1 < args.Length:
                    module = args[++i];
                    break;
                case "-Command" when i + 1 < args.Length:
                    command = args[++i];
                    break;
                case "-File" when i + 1 < args.Length:
                    file = args[++i];
                    scriptArgs.AddRange(args[(i + 1)..]);
                    i = args.Length;
                    break;
                default:
                    return Usage($"unexpected argument '{args[i]}'");
            }
        }

        if ((command is null) == (file is null))
            return Usage("give exactly one of -Command or -File");
        module ??= FindModule();
        if (module is null || !File.Exists(module))
            return Usage($"module manifest not found ({module ?? "searched artifacts/module/Analysis above " + AppContext.BaseDirectory}); build the solution or pass -Module");

        using var runspace = RunspaceFactory.CreateRunspace(InitialSessionState.CreateDefault2());
        runspace.Open();
        runspace.SessionStateProxy.Path.SetLocation(Environment.CurrentDirectory);
        using var ps = System.Management.Automation.PowerShell.Create(runspace);
        ps.AddCommand("Import-Module").AddParameter("Name", module).AddParameter("ErrorAction", "Stop").AddStatement();
        if (file is not null)
        {
            ps.AddCommand(Path.GetFullPath(file));
            for (int i = 0; i < scriptArgs.Count; i++)
            {
                string a = scriptArgs[i];
                bool isName = a.Length > 1 && a[0] == '-' && !char.IsDigit(a[1]);
                if (!isName)
                    ps.AddArgument(a);
                else if (i + 1 < scriptArgs.Count && !(scriptArgs[i + 1].Length > 1 && scriptArgs[i + 1][0] == '-' && !char.IsDigit(scriptArgs[i + 1][1])))
                    ps.AddParameter(a[1..], scriptArgs[++i]);
                else
                    ps.AddParameter(a[1..]);
            }
        }
        else
        {
            ps.AddScript(command);
        }

        int errors = 0;
        ps.Streams.Error.DataAdded += (s, e) =>
        {
            var record = ((PSDataCollection<ErrorRecord>)s!)[e.Index];
            errors++;
            Console.Error.WriteLine($"error [{record.FullyQualifiedErrorId}]: {record.Exception.Message}");
        };
        ps.Streams.Warning.DataAdded += (s, e) => Console.Error.WriteLine($"warning: {((PSDataCollection<WarningRecord>)s!)[e.Index].Message}");
        var lastProgress = DateTime.UtcNow; // quick work prints no progress at all
        ps.Streams.Progress.DataAdded += (s, e) =>
        {
            var p = ((PSDataCollection<ProgressRecord>)s!)[e.Index];
            if (p.RecordType == ProgressRecordType.Completed || (DateTime.UtcNow - lastProgress).TotalSeconds < 1)
                return;
            lastProgress = DateTime.UtcNow;
            Console.Error.WriteLine(p.PercentComplete >= 0
                ? string.Create(CultureInfo.InvariantCulture, $"{p.Activity}: {p.StatusDescription} ({p.PercentComplete}%)")
                : $"{p.Activity}: {p.StatusDescription}");
        };

        var output = new PSDataCollection<PSObject>();
        output.DataAdded += (s, e) => Console.WriteLine(((PSDataCollection<PSObject>)s!)[e.Index]?.ToString() ?? "");
        Console.CancelKeyPress += (_, e) =>
        {
            e.Cancel = true;
            ps.BeginStop(null, null);
        };

        try
        {
            ps.Invoke(null, output);
        }
        catch (RuntimeException e)
        {
            Console.Error.WriteLine($"error [{e.ErrorRecord?.FullyQualifiedErrorId}]: {e.Message}");
            return 1;
        }

        return errors == 0 && !ps.HadErrors ? 0 : 1;
    }

    private static string? FindModule()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            string candidate = Path.Combine(dir.FullName, "module", "Analysis", "Analysis.psd1");
            if (dir.Name == "artifacts" && File.Exists(candidate))
                return candidate;
            string underArtifacts = Path.Combine(dir.FullName, "artifacts", "module", "Analysis", "Analysis.psd1");
            if (File.Exists(underArtifacts))
                return underArtifacts;
        }

        return null;
    }

    private static int Usage(string problem)
    {
        Console.Error.WriteLine($"analysis-shell: {problem}");
        Console.Error.WriteLine("usage: analysis-shell [-Module <Analysis.psd1>] (-Command <script> | -File <script.ps1> [args...])");
        return 2;
    }
}
