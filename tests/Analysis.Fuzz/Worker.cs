using System.Text;

namespace Analysis.Fuzz;

/// <summary>
/// The child side: reads case file paths from stdin, one per line, runs each through the path's target and answers
/// one line per case on stdout: "@@\t&lt;class&gt;\t&lt;kind&gt;\t&lt;detail&gt;". Anything the library prints goes nowhere.
/// </summary>
public static class Worker
{
    public const string Prefix = "@@\t";

    public static int Run(string path)
    {
        if (!FuzzTargets.IsKnown(path))
        {
            Console.Error.WriteLine($"unknown path '{path}'");
            return 2;
        }

        using var output = new StreamWriter(Console.OpenStandardOutput(), new UTF8Encoding(false)) { AutoFlush = true };
        Console.SetOut(TextWriter.Null);
        using var input = new StreamReader(Console.OpenStandardInput(), Encoding.UTF8);
        output.WriteLine(Prefix + "ready");
        string? file;
        while ((file = input.ReadLine()) is not null)
        {
            Outcome outcome;
            try
            {
                FuzzTargets.Run(path, file);
                outcome = Outcome.OkOutcome;
            }
            catch (Exception e)
            {
                outcome = Outcome.FromException(e);
            }

            output.WriteLine($"{Prefix}{outcome.Class}\t{outcome.Kind}\t{outcome.Detail}");
        }

        return 0;
    }
}
