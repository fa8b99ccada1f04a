using Analysis.Testing;
using Analysis.Traces;

namespace Analysis.Tests.Traces;

/// <summary>A trace of TraceTarget's known workload, captured once per test run with our own capture code.</summary>
public static class TraceCaptures
{
    private static readonly Lazy<string> s_folder = new(() =>
    {
        string dir = RepoPaths.NewScratchDirectory("analysis-traces");
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
        return dir;
    });

    private static readonly Lazy<string> s_facts = new(() =>
    {
        string path = Path.Combine(Folder, "facts.nettrace");
        TraceRecording? recording = null;
        s_factsOutput = TraceFacts.RunTraced("facts", pid => recording = TraceRecording.Start(pid, path, TraceProfile.All), () => recording?.Dispose());
        return path;
    });

    private static readonly Lazy<TraceAnalysis> s_analysis = new(() => TraceAnalysis.Read(Facts));

    public static string Folder => s_folder.Value;

    public static string Facts => s_facts.Value;

    public static TraceAnalysis FactsAnalysis => s_analysis.Value;

    private static IReadOnlyList<string> s_factsOutput = [];

    /// <summary>What the target of <see cref="Facts"/> printed (its "INDUCED-GC" lines among them).</summary>
    public static IReadOnlyList<string> FactsOutput
    {
        get
        {
            _ = Facts;
            return s_factsOutput;
        }
    }

    public static string Scratch(string name, byte[] content)
    {
        string path = Path.Combine(Folder, name);
        File.WriteAllBytes(path, content);
        return path;
    }
}
