using System.Diagnostics;
using System.Runtime.InteropServices;
using Microsoft.Diagnostics.NETCore.Client;

namespace Analysis.Dumps;

/// <summary>How much memory a captured dump holds.</summary>
public enum DumpKind
{
    /// <summary>All process memory.</summary>
    Full,
    /// <summary>Stacks, runtime data and the GC heap (what heap questions need). The usual choice.</summary>
    WithHeap,
    /// <summary>Stacks and runtime data only: threads work, heap questions don't.</summary>
    Mini,
    /// <summary>A mini dump with personal data removed.</summary>
    Triage,
}

/// <summary>Which tool writes the dump.</summary>
public enum DumpCaptureTool
{
    /// <summary>Ask the runtime over its diagnostics IPC channel (what dotnet-dump does).</summary>
    DiagnosticsClient,
    /// <summary>Run the runtime's createdump program next to libcoreclr.</summary>
    CreateDump,
}

/// <summary>Writes a dump of a live .NET process.</summary>
public static class DumpCapture
{
    /// <summary>Writes a dump of process <paramref name="processId"/> to <paramref name="outputPath"/>.</summary>
    /// <exception cref="AnalysisException">The process is gone or has diagnostics disabled, or the capture failed.</exception>
    public static void Write(int processId, string outputPath, DumpKind kind = DumpKind.WithHeap,
        DumpCaptureTool tool = DumpCaptureTool.DiagnosticsClient, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(outputPath);
        string fullPath = Path.GetFullPath(outputPath);
        if (Path.GetDirectoryName(fullPath) is { } dir)
            Directory.CreateDirectory(dir);
        EnsureProcessExists(processId);

        if (tool == DumpCaptureTool.CreateDump)
            RunCreateDump(processId, fullPath, kind, cancellationToken);
        else
            WriteThroughDiagnosticsClient(processId, fullPath, kind, cancellationToken);

        if (!File.Exists(fullPath) || new FileInfo(fullPath).Length == 0)
            throw new AnalysisException(AnalysisErrorKind.CaptureFailed, fullPath, $"Capturing a dump of process {processId} reported success but '{fullPath}' is missing or empty. Check free disk space.");
    }

    private static void EnsureProcessExists(int processId)
    {
        try
        {
            using var p = Process.GetProcessById(processId);
            if (p.HasExited)
                throw new ArgumentException("exited");
        }
        catch (ArgumentException)
        {
            throw new AnalysisException(AnalysisErrorKind.ProcessNotFound, null, $"No process with id {processId} is running.");
        }
    }

    private static void WriteThroughDiagnosticsClient(int processId, string fullPath, DumpKind kind, CancellationToken cancellationToken)
    {
        var type = kind switch
        {
            DumpKind.Full => DumpType.Full,
            DumpKind.WithHeap => DumpType.WithHeap,
            DumpKind.Mini => DumpType.Normal,
            _ => DumpType.Triage,
        };
        try
        {
            var client = new DiagnosticsClient(processId);
            client.WriteDumpAsync(type, fullPath, WriteDumpFlags.None, cancellationToken).GetAwaiter().GetResult();
        }
        catch (ServerNotAvailableException e)
        {
            throw new AnalysisException(AnalysisErrorKind.ProcessNotFound, null,
                $"Process {processId} has no .NET diagnostics endpoint: it is not a .NET process, runs as another user, or has DOTNET_EnableDiagnostics=0. ({e.Message})", e);
        }
        catch (DiagnosticsClientException e)
        {
            throw new AnalysisException(AnalysisErrorKind.CaptureFailed, fullPath, $"The runtime of process {processId} failed to write '{fullPath}': {e.Message}", e);
        }
    }

    private static void RunCreateDump(int processId, string fullPath, DumpKind kind, CancellationToken cancellationToken)
    {
        string createDump = FindCreateDump(processId);
        string kindFlag = kind switch
        {
            DumpKind.Full => "--full",
            DumpKind.WithHeap => "--withheap",
            DumpKind.Mini => "--normal",
            _ => "--triage",
        };
        var psi = new ProcessStartInfo(createDump)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        psi.ArgumentList.Add(kindFlag);
        psi.ArgumentList.Add("-f");
        psi.ArgumentList.Add(fullPath);
        psi.ArgumentList.Add(processId.ToString(System.Globalization.CultureInfo.InvariantCulture));
        using var p = Process.Start(psi) ?? throw new AnalysisException(AnalysisErrorKind.CaptureFailed, fullPath, $"Could not start '{createDump}'.");
        var stdout = p.StandardOutput.ReadToEndAsync(cancellationToken);
        var stderr = p.StandardError.ReadToEndAsync(cancellationToken);
        try
        {
            p.WaitForExitAsync(cancellationToken).GetAwaiter().GetResult();
        }
        catch (OperationCanceledException)
        {
            p.Kill(entireProcessTree: true);
            throw;
        }

        if (p.ExitCode != 0)
        {
            throw new AnalysisException(AnalysisErrorKind.CaptureFailed, fullPath,
                $"createdump exited with code {p.ExitCode} while dumping process {processId}: {(stderr.Result + stdout.Result).Trim()}");
        }
    }

    /// <summary>createdump of the target's own runtime (from /proc/pid/maps), else of the runtime we run on.</summary>
    private static string FindCreateDump(int processId)
    {
        string name = OperatingSystem.IsWindows() ? "createdump.exe" : "createdump";
        try
        {
            string maps = $"/proc/{processId}/maps";
            if (File.Exists(maps))
            {
                foreach (string line in File.ReadLines(maps))
                {
                    int slash = line.IndexOf('/', StringComparison.Ordinal);
                    if (slash < 0 || !line.EndsWith("/libcoreclr.so", StringComparison.Ordinal))
                        continue;
                    string candidate = Path.Combine(Path.GetDirectoryName(line[slash..])!, name);
                    if (File.Exists(candidate))
                        return candidate;
                }
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // fall back to our own runtime's createdump
        }

        string own = Path.Combine(RuntimeEnvironment.GetRuntimeDirectory(), name);
        if (File.Exists(own))
            return own;
        throw new AnalysisException(AnalysisErrorKind.CaptureFailed, null, $"createdump was not found next to the runtime of process {processId} nor at '{own}'. Use the DiagnosticsClient tool instead.");
    }
}
