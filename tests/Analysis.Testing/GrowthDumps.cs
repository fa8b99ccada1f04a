namespace Analysis.Testing;

/// <summary>
/// Two WithHeap dumps of one DumpTarget process: before and after it added <see cref="GrowBy"/> CachedReport
/// objects (each with a byte[] body), the memory-growth scenario. Captured once per test run.
/// </summary>
public sealed class GrowthDumps
{
    public const int GrowBy = 5000;

    /// <summary>Size of each CachedReport's byte[] body.</summary>
    public const int BodySize = 512;

    private static readonly Lazy<GrowthDumps> s_instance = new(Capture);

    private GrowthDumps(string before, string after)
    {
        Before = before;
        After = after;
    }

    public static GrowthDumps Instance => s_instance.Value;

    public string Before { get; }

    public string After { get; }

    private static GrowthDumps Capture()
    {
        string dir = RepoPaths.NewScratchDirectory("analysis-growth");
        AppDomain.CurrentDomain.ProcessExit += (_, _) =>
        {
            try
            {
                Directory.Delete(dir, recursive: true);
            }
            catch (IOException)
            {
            }
        };
        using var target = TargetProcess.Start("DumpTarget", TimeSpan.FromSeconds(180), "facts", "--watch-stdin");
        string before = Path.Combine(dir, "before.dmp");
        string after = Path.Combine(dir, "after.dmp");
        DumpSet.WriteDump(target.Id, CapturedDump.ClientWithHeap, before);
        target.Send($"grow {GrowBy}");
        target.WaitForLine($"GREW {GrowBy}", TimeSpan.FromSeconds(60));
        DumpSet.WriteDump(target.Id, CapturedDump.ClientWithHeap, after);
        return new GrowthDumps(before, after);
    }
}
