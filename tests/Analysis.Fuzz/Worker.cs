using System.Text;

namespace Analysis.Fuzz;

/// <summary>
/// The child side: reads case file paths from stdin, one per line, runs each through the path's target and answers
/// one line per case on stdout: "@@\t&lt;class&gt;\t&lt;kind&gt;\t&lt;new coverage&gt;\t&lt;detail&gt;". Anything the library prints goes nowhere.
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
        Coverage.Start();
        output.WriteLine(Prefix + "ready");
        string? file;
        while ((file = input.ReadLine()) is not null)
        {
            Outcome outcome;
            Coverage.Reset();
            try
            {
                FuzzTargets.Run(path, file);
                outcome = Outcome.OkOutcome;
            }
            catch (Exception e)
            {
                outcome = Outcome.FromException(e);
            }

            // new coverage first (a number), so the detail stays the last field
            output.WriteLine($"{Prefix}{outcome.Class}\t{outcome.Kind}\t{Coverage.NewBits()}\t{outcome.Detail}");
        }

        return 0;
    }
}
