using System.Runtime.CompilerServices;

namespace Analysis.Testing;

/// <summary>
/// Points the object-graph index cache (ANALYSIS_CACHE_DIR) of every test process at its own scratch folder, so
/// tests never read an index from an earlier run or litter the user's ~/.cache.
/// </summary>
public static class TestCache
{
    public static string Directory { get; private set; } = "";

#pragma warning disable CA2255 // test infrastructure: every test process must isolate its cache before any dump is opened
    [ModuleInitializer]
#pragma warning restore CA2255
    internal static void Initialize()
    {
        Directory = RepoPaths.NewScratchDirectory("analysis-cache");
        Environment.SetEnvironmentVariable("ANALYSIS_CACHE_DIR", Directory);
        AppDomain.CurrentDomain.ProcessExit += (_, _) =>
        {
            try
            {
                System.IO.Directory.Delete(Directory, recursive: true);
            }
            catch (IOException)
            {
            }
            catch (UnauthorizedAccessException)
            {
            }
        };
    }
}
