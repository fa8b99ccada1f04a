using System.Diagnostics;
using Microsoft.Diagnostics.NETCore.Client;

namespace Analysis.Testing;

/// <summary>How a test dump was captured.</summary>
public enum CapturedDump
{
    /// <summary>createdump --withheap (the runtime's own tool; its default kind).</summary>
    CreateDumpWithHeap,
    /// <summary>createdump --full.</summary>
    CreateDumpFull,
    /// <summary>DiagnosticsClient.WriteDump(DumpType.WithHeap) (what dotnet-dump collect does).</summary>
    ClientWithHeap,
    /// <summary>DiagnosticsClient.WriteDump(DumpType.Full).</summary>
    ClientFull,
    /// <summary>DiagnosticsClient.WriteDump(DumpType.Normal): stacks but no GC heap.</summary>
    ClientMini,
}

/// <summary>
/// Dumps of one DumpTarget run, captured once per test run with the runtime's tools (not with the code under
/// test), shared by all tests of an assembly and deleted when the test process exits.
/// </summary>
public sealed class DumpSet : IDisposable
{
    private static readonly Lazy<DumpSet> s_facts = new(() => Capture(["facts"], Enum.GetValues<CapturedDump>()));
    private static readonly Lazy<DumpSet> s_factsLite = new(() => Capture(["facts"], [CapturedDump.ClientWithHeap, CapturedDump.CreateDumpWithHeap, CapturedDump.ClientMini]));
    private static readonly Lazy<DumpSet> s_bulk = new(() => Capture(["bulk", BulkObjectCount.ToString(System.Globalization.CultureInfo.InvariantCulture)], [CapturedDump.ClientWithHeap]));

    /// <summary>Live BulkNode objects in the <see cref="Bulk"/> dump: enough for a heap walk that takes a while.</summary>
    public const int BulkObjectCount = 5_000_000;
    private readonly Dictionary<CapturedDump, string> _paths;

    private DumpSet(string directory, int processId, Dictionary<CapturedDump, string> paths, TimeSpan elapsed)
    {
        Folder = directory;
        ProcessId = processId;
        _paths = paths;
        CaptureTime = elapsed;
    }

    /// <summary>Dumps of the "facts" target in every capture kind, captured on first use.</summary>
    public static DumpSet Facts => s_facts.Value;

    /// <summary>Dumps of the "facts" target: WithHeap from both tools and a mini dump.</summary>
    public static DumpSet FactsLite => s_factsLite.Value;

    /// <summary>A WithHeap dump of the target holding <see cref="BulkObjectCount"/> extra objects.</summary>
    public static DumpSet Bulk => s_bulk.Value;

    public string Folder { get; }

    public int ProcessId { get; }

    public TimeSpan CaptureTime { get; }

    public string this[CapturedDump kind] => _paths[kind];

    /// <summary>A scratch directory for files a test makes (bad inputs); removed with the dumps.</summary>
    public string Scratch => Path.Combine(Folder, "scratch");

    /// <summary>
    /// The runtime's tiered-compilation worker is a thread alive in native code with no managed frame (NativeCode), but
    /// it exits after 4 s without work, so on a loaded machine a later capture missed it (measured: with
    /// DOTNET_TC_BackgroundWorkerTimeoutMs=1 it is gone, with DOTNET_TieredCompilation=0 it never exists). Kept alive
    /// for the target's lifetime, every capture has it.
    /// </summary>
    private static readonly Dictionary<string, string> TargetEnvironment = new() { ["DOTNET_TC_BackgroundWorkerTimeoutMs"] = "3600000" };

    public static DumpSet Capture(string[] targetArgs, IReadOnlyCollection<CapturedDump> kinds)
    {
        var sw = Stopwatch.StartNew();
        var startedAt = DateTimeOffset.UtcNow;
        string dir = RepoPaths.NewScratchDirectory("analysis-dumps");
        Directory.CreateDirectory(Path.Combine(dir, "scratch"));
        using var target = TargetProcess.Start("DumpTarget", TimeSpan.FromSeconds(180), TargetEnvironment, targetArgs);
        // Main is where the facts say (s_never.WaitOne()), not still returning from printing READY
        target.WaitUntilMainThreadSleeps(TimeSpan.FromSeconds(10));
        var paths = new Dictionary<CapturedDump, string>();
        foreach (var kind in kinds)
        {
            string path = Path.Combine(dir, $"{kind}.dmp");
            WriteDump(target.Id, kind, path);
            paths[kind] = path;
        }

        var set = new DumpSet(dir, target.Id, paths, sw.Elapsed) { CapturedFrom = startedAt, CapturedUntil = DateTimeOffset.UtcNow };
        AppDomain.CurrentDomain.ProcessExit += (_, _) => set.Dispose();
        return set;
    }

    /// <summary>Captures one dump of a live process with createdump or the diagnostics client.</summary>
    public static void WriteDump(int processId, CapturedDump kind, string path)
    {
        switch (kind)
        {
            case CapturedDump.CreateDumpWithHeap:
                RunCreateDump(processId, "--withheap", path);
                break;
            case CapturedDump.CreateDumpFull:
                RunCreateDump(processId, "--full", path);
                break;
            default:
                var type = kind switch
                {
                    CapturedDump.ClientWithHeap => DumpType.WithHeap,
                    CapturedDump.ClientFull => DumpType.Full,
                    _ => DumpType.Normal,
                };
                new DiagnosticsClient(processId).WriteDump(type, path, logDumpGeneration: false);
                break;
        }

        if (!File.Exists(path) || new FileInfo(path).Length == 0)
            throw new InvalidOperationException($"{kind} capture of {processId} produced no file at {path}");
    }

    private static void RunCreateDump(int processId, string kindFlag, string path)
    {
        string createDump = Path.Combine(System.Runtime.InteropServices.RuntimeEnvironment.GetRuntimeDirectory(), "createdump");
        var psi = new ProcessStartInfo(createDump) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (string a in new[] { kindFlag, "-f", path, processId.ToString(System.Globalization.CultureInfo.InvariantCulture) })
            psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        string output = p.StandardOutput.ReadToEnd() + p.StandardError.ReadToEnd();
        p.WaitForExit();
        if (p.ExitCode != 0)
            throw new InvalidOperationException($"createdump {kindFlag} failed ({p.ExitCode}): {output}");
    }

    /// <summary>The wall time (UTC) before the first dump's capture began.</summary>
    public DateTimeOffset CapturedFrom { get; private init; }

    /// <summary>The wall time (UTC) after the last dump's capture ended.</summary>
    public DateTimeOffset CapturedUntil { get; private init; }

    public void Dispose()
    {
        try
        {
            Directory.Delete(Folder, recursive: true);
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
    }
}
