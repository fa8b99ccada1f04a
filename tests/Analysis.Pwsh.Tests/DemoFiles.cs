using Analysis.Testing;

namespace Analysis.Pwsh.Tests;

/// <summary>
/// One folder holding every kind of artifact under the names the README and the help examples use (app.dmp,
/// before.dmp, after.dmp, app.nettrace, goroutines.txt, heap-1.pb.gz …), made once per test run: dumps of the facts
/// target (captured with the runtime's tools), a trace captured with the module in real pwsh, the committed Go
/// fixtures and the repository's notebooks (./notebooks). Large files are symbolic links. Scripts run with this folder
/// as their location.
/// </summary>
public static class DemoFiles
{
    private static readonly Lazy<string> s_folder = new(Make);

    public static string Folder => s_folder.Value;

    public static string File(string name) => Path.Combine(Folder, name);

    /// <summary>The names of the inputs made here (tests may add outputs of their own to the folder).</summary>
    public static IEnumerable<string> Inputs => ["app.dmp", "app2.dmp", "mini.dmp", "before.dmp", "after.dmp", "app.nettrace", .. GoFiles.Keys, .. GoCoreFiles.Keys];

    /// <summary>
    /// The Go core fixtures (GoCoreSet, Go 1.23) under the names the help and README use: crash.core, segv.core,
    /// hang.core, many.core and their executable ./leaky; none when the fixtures cannot be made here (GoCoreSet.Missing).
    /// </summary>
    public static IReadOnlyDictionary<string, string> GoCoreFiles { get; } = GoCoreSet.Missing is not null ? new Dictionary<string, string>() : new Dictionary<string, string>
    {
        ["crash.core"] = GoCoreSet.Instance["go1.23", GoCoreMode.Crash].CorePath,
        ["segv.core"] = GoCoreSet.Instance["go1.23", GoCoreMode.Segv].CorePath,
        ["hang.core"] = GoCoreSet.Instance["go1.23", GoCoreMode.Hang].CorePath,
        ["many.core"] = GoCoreSet.Instance["go1.23", GoCoreMode.Many].CorePath,
        ["leaky"] = GoCoreSet.Instance["go1.23"].Executable,
    };

    /// <summary>The Go fixtures under their README names.</summary>
    public static readonly IReadOnlyDictionary<string, string> GoFiles = new Dictionary<string, string>
    {
        ["goroutines.txt"] = "goroutines-debug2.txt",
        ["goroutines-debug1.txt"] = "goroutines-debug1.txt",
        ["panic.txt"] = "panic.txt",
        ["heap-1.pb.gz"] = "heap-1.pb.gz",
        ["heap-2.pb.gz"] = "heap-2.pb.gz",
        ["cpu.pb.gz"] = "cpu.pb.gz",
        ["allocs.pb.gz"] = "allocs.pb.gz",
        ["block.pb.gz"] = "block.pb.gz",
        ["mutex.pb.gz"] = "mutex.pb.gz",
        ["goroutine.pb.gz"] = "goroutine.pb.gz",
        ["stderr.log"] = "gctrace.log",
        ["gctrace.log"] = "gctrace.log",
        ["trace.out"] = "trace.out",
    };

    private static string Make()
    {
        string dir = RepoPaths.NewScratchDirectory("analysis-pwsh-demo");
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
        void Link(string name, string target) => System.IO.File.CreateSymbolicLink(Path.Combine(dir, name), target);

        Link("app.dmp", DumpSet.FactsLite[CapturedDump.ClientWithHeap]);
        Link("app2.dmp", DumpSet.FactsLite[CapturedDump.CreateDumpWithHeap]);
        Link("mini.dmp", DumpSet.FactsLite[CapturedDump.ClientMini]);
        Link("before.dmp", GrowthDumps.Instance.Before);
        Link("after.dmp", GrowthDumps.Instance.After);
        string go = Path.Combine(RepoPaths.Root, "tests", "testdata", "go");
        foreach (var (name, fixture) in GoFiles)
            Link(name, Path.Combine(go, fixture));
        foreach (var (name, fixture) in GoCoreFiles)
            Link(name, fixture);
        Directory.CreateSymbolicLink(Path.Combine(dir, "notebooks"), Path.Combine(RepoPaths.Root, "notebooks"));
        // the app's build output, as Open-Dump -SymbolPath's example names it
        Directory.CreateSymbolicLink(Path.Combine(dir, "app-build-output"), Path.GetDirectoryName(RepoPaths.TargetDll("DumpTarget"))!);

        string trace = Path.Combine(dir, "app.nettrace");
        using (var pwsh = new RealPwsh())
        {
            TraceFacts.RunTraced("facts",
                pid => Check(pwsh.Run("$recording = Start-TraceCapture -ProcessId $id -OutFile $path", new Dictionary<string, object?> { ["id"] = pid, ["path"] = trace })),
                () => Check(pwsh.Run("$null = $recording | Stop-TraceCapture")));
        }

        return dir;

        static void Check(RealPwsh.Result r)
        {
            if (r.Errors.Count > 0)
                throw new InvalidOperationException("capturing the demo trace: " + r.Errors[0]);
        }
    }
}
