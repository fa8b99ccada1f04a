using System.Runtime.InteropServices;
using Microsoft.Diagnostics.Runtime;

namespace Analysis.Dumps;

/// <summary>
/// Finds the DAC that matches a dump's runtime. On Linux ClrMD cannot find it by itself: we look for a runtime
/// folder whose libcoreclr has the dump's build id and take the DAC beside it.
/// </summary>
internal static class DacLocator
{
    public static string DacFileName =>
        OperatingSystem.IsWindows() ? "mscordaccore.dll" : OperatingSystem.IsMacOS() ? "libmscordaccore.dylib" : "libmscordaccore.so";

    private static string CoreClrFileName =>
        OperatingSystem.IsWindows() ? "coreclr.dll" : OperatingSystem.IsMacOS() ? "libcoreclr.dylib" : "libcoreclr.so";

    /// <summary>The runtime version of a dump for messages: "10.0.12", or the best we can tell.</summary>
    public static string RuntimeVersion(ClrInfo info, DataTarget target)
    {
        if (info.Version is { Major: > 0 } v)
            return v.ToString();
        string? dir = Path.GetFileName(Path.GetDirectoryName(info.ModuleInfo.FileName.Replace('\\', '/')));
        if (dir is { Length: > 0 } && char.IsDigit(dir[0]))
            return dir;
        var corelib = target.EnumerateModules().FirstOrDefault(m =>
            m.FileName.EndsWith("System.Private.CoreLib.dll", StringComparison.OrdinalIgnoreCase) && m.Version.Major > 0);
        return corelib is null ? "unknown" : $"{corelib.Version} (System.Private.CoreLib file version)";
    }

    public static string BuildIdText(ClrInfo info) =>
        info.BuildId.IsDefaultOrEmpty ? "unknown" : Convert.ToHexString(info.BuildId.AsSpan()).ToLowerInvariant();

    /// <summary>Returns the DAC path, or throws <see cref="AnalysisException"/> (DacNotFound) listing where it looked.</summary>
    public static string Locate(string dumpPath, ClrInfo info, DataTarget target, DumpOpenOptions options)
    {
        string version = RuntimeVersion(info, target);
        if (options.DacPath is { } explicitPath)
        {
            if (File.Exists(explicitPath))
                return Path.GetFullPath(explicitPath);
            throw new AnalysisException(AnalysisErrorKind.DacNotFound, dumpPath,
                $"The DAC given with -DacPath, '{explicitPath}', does not exist. Pass the {DacFileName} of .NET runtime {version} (build id {BuildIdText(info)}) that dump '{dumpPath}' was taken from.");
        }

        if (info.ModuleInfo.FileName.Contains('\\', StringComparison.Ordinal) && !OperatingSystem.IsWindows())
        {
            throw new AnalysisException(AnalysisErrorKind.DacNotFound, dumpPath,
                $"Dump '{dumpPath}' was taken on Windows (runtime {version}); its DAC only runs on Windows. Open it on a Windows machine.");
        }

        var searched = new List<string>();
        var sameVersionOtherBuild = new List<string>();
        byte[]? wanted = info.BuildId.IsDefaultOrEmpty ? null : info.BuildId.ToArray();
        foreach (string dir in CandidateDirectories(info, options))
        {
            searched.Add(dir);
            string dac = Path.Combine(dir, DacFileName);
            string coreclr = Path.Combine(dir, CoreClrFileName);
            if (!File.Exists(dac))
                continue;
            if (wanted is not null)
            {
                byte[]? id = File.Exists(coreclr) ? ElfFile.TryReadBuildId(coreclr) : null;
                if (id is not null && id.AsSpan().SequenceEqual(wanted))
                    return dac;
                if (Path.GetFileName(dir) == version)
                    sameVersionOtherBuild.Add(dir);
            }
            else if (Path.GetFileName(dir) == version)
            {
                return dac;
            }
        }

        string where = searched.Count == 0 ? "no .NET runtime folders were found" : "searched: " + string.Join(", ", searched.Distinct());
        string other = sameVersionOtherBuild.Count == 0 ? "" :
            $" Runtime {version} exists in {string.Join(", ", sameVersionOtherBuild)} but is a different build (its libcoreclr build id differs).";
        throw new AnalysisException(AnalysisErrorKind.DacNotFound, dumpPath,
            $"No DAC ({DacFileName}) matching .NET runtime {version} (libcoreclr build id {BuildIdText(info)}) of dump '{dumpPath}' was found; {where}.{other} " +
            $"Install that runtime version here (for example: dotnet-install.sh --runtime dotnet --version {version}) or pass -DacPath with the {DacFileName} from the machine that produced the dump.");
    }

    private static IEnumerable<string> CandidateDirectories(ClrInfo info, DumpOpenOptions options)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        IEnumerable<string> roots;
        if (options.RuntimeSearchRoots is { } explicitRoots)
        {
            roots = explicitRoots;
        }
        else
        {
            string? recorded = Path.GetDirectoryName(info.ModuleInfo.FileName);
            if (recorded is not null && Directory.Exists(recorded) && seen.Add(recorded))
                yield return recorded;
            roots = DefaultRoots();
        }

        foreach (string root in roots)
        {
            string shared = Path.Combine(root, "shared", "Microsoft.NETCore.App");
            if (!Directory.Exists(shared))
                continue;
            string[] versions;
            try
            {
                versions = Directory.GetDirectories(shared);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                continue;
            }

            Array.Sort(versions, StringComparer.Ordinal);
            foreach (string dir in versions)
            {
                if (seen.Add(dir))
                    yield return dir;
            }
        }
    }

    private static IEnumerable<string> DefaultRoots()
    {
        if (Environment.GetEnvironmentVariable("DOTNET_ROOT") is { Length: > 0 } env)
            yield return env;
        // The running runtime: <root>/shared/Microsoft.NETCore.App/<version>/
        string runtimeDir = RuntimeEnvironment.GetRuntimeDirectory().TrimEnd('/', '\\');
        if (Path.GetDirectoryName(Path.GetDirectoryName(Path.GetDirectoryName(runtimeDir))) is { } current)
            yield return current;
        string home = Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);
        if (OperatingSystem.IsWindows())
        {
            yield return Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.ProgramFiles), "dotnet");
        }
        else
        {
            yield return "/usr/share/dotnet";
            yield return "/usr/lib/dotnet";
            yield return "/usr/local/share/dotnet";
            yield return "/opt/dotnet";
            yield return "/usr/local/dotnet";
        }

        if (home.Length > 0)
            yield return Path.Combine(home, ".dotnet");
    }
}
