namespace Analysis.Testing;

/// <summary>
/// A WithHeap dump of the facts target run with the runtime's segments GC (DOTNET_GCName=libclrgc.so, shipped beside
/// the runtime) instead of regions: one ephemeral segment holding generations 0, 1 and 2, as older runtimes and
/// processes that opt out of regions have. Captured once per test run, deleted when the test process exits.
/// </summary>
public static class SegmentsGcDump
{
    private static readonly Lazy<string> s_path = new(Capture);

    /// <summary>The dump's path.</summary>
    public static string Path => s_path.Value;

    private static string Capture()
    {
        string dir = RepoPaths.NewScratchDirectory("analysis-segments-gc");
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
        using var target = TargetProcess.Start("DumpTarget", TimeSpan.FromSeconds(180), new Dictionary<string, string> { ["DOTNET_GCName"] = "libclrgc.so" }, "facts");
        string path = System.IO.Path.Combine(dir, "segments-gc.dmp");
        DumpSet.WriteDump(target.Id, CapturedDump.ClientWithHeap, path);
        return path;
    }
}
