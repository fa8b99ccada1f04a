using System.Diagnostics;
using System.Management.Automation;
using System.Management.Automation.Runspaces;

namespace Analysis.HelpGen;

/// <summary>
/// HelpGen --module &lt;Analysis.psd1&gt; --out &lt;en-US/X.dll-Help.xml&gt; --xmldoc &lt;file&gt;… [--source &lt;dir&gt;] [--require-parameter-text]
/// Imports the built module in a hosted runspace and writes MAML help for every exported cmdlet from what PowerShell
/// reports about it and from the XML doc comments. Exit code 1 when text is missing (see <see cref="Diagnostics"/>).
/// </summary>
internal static class Program
{
    public static int Main(string[] args)
    {
        string? module = null, output = null, source = null;
        var xmlDocs = new List<string>();
        bool requireParameterText = false;
        for (int i = 0; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "--module" when i + 1 < args.Length:
                    module = args[++i];
                    break;
                case "--out" when i + 1 < args.Length:
                    output = args[++i];
                    break;
                case "--xmldoc" when i + 1 < args.Length:
                    xmlDocs.Add(args[++i]);
                    break;
                case "--source" when i + 1 < args.Length:
                    source = args[++i];
                    break;
                case "--require-parameter-text":
                    requireParameterText = true;
                    break;
                default:
                    Console.Error.WriteLine($"HelpGen : error HELP000: unknown argument '{args[i]}'. Usage: HelpGen --module <psd1> --out <help.xml> --xmldoc <file>... [--source <dir>] [--require-parameter-text]");
                    return 2;
            }
        }

        if (module is null || output is null)
        {
            Console.Error.WriteLine("HelpGen : error HELP000: --module and --out are required.");
            return 2;
        }

        var sw = Stopwatch.StartNew();
        var diagnostics = new Diagnostics(requireParameterText, Console.Out);
        var docs = XmlDocs.Load(xmlDocs.Where(File.Exists));
        var iss = InitialSessionState.CreateDefault2();
        if (OperatingSystem.IsWindows())
            iss.ExecutionPolicy = Microsoft.PowerShell.ExecutionPolicy.Bypass;
        using var runspace = RunspaceFactory.CreateRunspace(iss);
        runspace.Open();
        Runspace.DefaultRunspace = runspace;
        using var ps = PowerShell.Create(runspace);
        ps.AddCommand("Import-Module").AddParameter("Name", Path.GetFullPath(module)).AddParameter("PassThru").AddParameter("ErrorAction", "Stop");
        PSModuleInfo imported;
        try
        {
            imported = ps.Invoke<PSModuleInfo>().Single();
        }
        catch (RuntimeException e)
        {
            Console.Out.WriteLine($"HelpGen : error HELP000: Import-Module '{module}' failed: {e.Message}");
            return 1;
        }

        var cmdlets = imported.ExportedCmdlets.Values.ToList();
        var builder = new HelpBuilder(docs, new SourceIndex(source), diagnostics);
        var help = cmdlets.Select(builder.Build).ToList();
        if (diagnostics.Errors > 0)
        {
            Console.Out.WriteLine($"HelpGen : error HELP000: {diagnostics.Errors} problem(s) in the cmdlets' help text; {output} not written.");
            return 1;
        }

        MamlWriter.Write(help, output);
        Console.Out.WriteLine($"HelpGen: {help.Count} cmdlets, {help.Sum(h => h.Examples.Count)} examples, {diagnostics.Warnings} warning(s) -> {output} ({sw.Elapsed.TotalSeconds:0.0} s)");
        return 0;
    }
}
