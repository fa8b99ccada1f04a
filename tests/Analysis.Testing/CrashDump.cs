using System.Diagnostics;

namespace Analysis.Testing;

/// <summary>
/// A dump the runtime wrote itself when DumpTarget's "crash" mode died of an unhandled exception (DOTNET_DbgEnableMiniDump,
/// DOTNET_DbgMiniDumpType=2: with heap), with the crash report createdump writes beside it (DOTNET_EnableCrashReport=1).
/// Made once per test run, deleted when the test process exits.
/// </summary>
public sealed class CrashDump
{
    private static readonly Lazy<CrashDump> s_shared = new(() => new CrashDump("crash", null));
    private static readonly Lazy<CrashDump> s_outOfMemory = new(() => new CrashDump("oom", "0x4000000"));

    private CrashDump(string mode, string? heapHardLimit)
    {
        Folder = RepoPaths.NewScratchDirectory("analysis-" + mode);
        Dump = Path.Combine(Folder, "crash.dmp");
        var psi = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        psi.ArgumentList.Add(RepoPaths.TargetDll("DumpTarget"));
        psi.ArgumentList.Add(mode);
        if (heapHardLimit is not null)
            psi.Environment["DOTNET_GCHeapHardLimit"] = heapHardLimit;
        psi.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        psi.Environment["DOTNET_DbgEnableMiniDump"] = "1";
        psi.Environment["DOTNET_DbgMiniDumpType"] = "2";
        psi.Environment["DOTNET_DbgMiniDumpName"] = Dump;
        psi.Environment["DOTNET_EnableCrashReport"] = "1";
        using var process = Process.Start(psi) ?? throw new InvalidOperationException("dotnet did not start");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(TimeSpan.FromMinutes(3)))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"DumpTarget {mode} did not end within 3 minutes");
        }

        process.WaitForExit();
        Output = stdout.Result + stderr.Result;
        ExitCode = process.ExitCode;
        if (!File.Exists(Dump) || new FileInfo(Dump).Length == 0)
            throw new InvalidOperationException($"DumpTarget {mode} (exit {ExitCode}) wrote no dump at {Dump}: {Output}");
        AppDomain.CurrentDomain.ProcessExit += (_, _) => Delete();
    }

    /// <summary>The dump of the crash ("crash" mode), shared by the tests of one run.</summary>
    public static CrashDump Shared => s_shared.Value;

    /// <summary>
    /// The dump of a death by OutOfMemoryException ("oom" mode under a 64 MB GC heap hard limit), shared by the tests of
    /// one run.
    /// </summary>
    public static CrashDump OutOfMemory => s_outOfMemory.Value;

    public string Folder { get; }

    public string Dump { get; }

    /// <summary>The crash report createdump wrote beside the dump (<c>crash.dmp.crashreport.json</c>).</summary>
    public string CrashReport => Dump + ".crashreport.json";

    /// <summary>What the crashing process and createdump printed.</summary>
    public string Output { get; }

    public int ExitCode { get; }

    private void Delete()
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
