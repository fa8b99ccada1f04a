namespace Analysis.Testing;

/// <summary>Where things are in the repository and its artifacts folder, found from the running test assembly.</summary>
public static class RepoPaths
{
    private static readonly Lazy<string> s_root = new(() =>
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Analysis.sln")))
                return dir.FullName;
        }

        throw new InvalidOperationException($"Analysis.sln not found above {AppContext.BaseDirectory}");
    });

    public static string Root => s_root.Value;

    /// <summary>The build configuration of the running tests ("release" or "debug"), from artifacts/bin/&lt;project&gt;/&lt;config&gt;/.</summary>
    public static string Configuration => new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar)).Name;

    /// <summary>The built dll of a target program under tests/TestTargets.</summary>
    public static string TargetDll(string name)
    {
        string path = Path.Combine(Root, "artifacts", "bin", name, Configuration, name + ".dll");
        if (!File.Exists(path))
            throw new FileNotFoundException($"Target program not built: {path}. Build the solution first.", path);
        return path;
    }

    /// <summary>The importable module manifest produced by the build.</summary>
    public static string ModuleManifest => Path.Combine(Root, "artifacts", "module", "Analysis", "Analysis.psd1");

    /// <summary>A fresh scratch directory in this test process's scratch folder (<see cref="ScratchRoot"/>).</summary>
    public static string NewScratchDirectory(string prefix)
    {
        string dir = Path.Combine(ScratchRoot, $"{prefix}-{Guid.NewGuid():N}");
        Directory.CreateDirectory(dir);
        return dir;
    }

    /// <summary>
    /// The scratch folder of this process, artifacts/scratch/&lt;pid&gt;, removed when the process exits. Dumps made by the
    /// tests are hundreds of MB, and a test host that is ended before its exit handlers finish (vstest stops it after the
    /// run; a killed run) would leave them behind: the first process that asks removes the folders of processes that are
    /// gone, so repeated runs never fill the disk and a clean clone's leftovers stay inside its own artifacts folder.
    /// </summary>
    public static string ScratchRoot => s_scratchRoot.Value;

    private static readonly Lazy<string> s_scratchRoot = new(() =>
    {
        string parent = Path.Combine(Root, "artifacts", "scratch");
        Directory.CreateDirectory(parent);
        foreach (string dir in Directory.GetDirectories(parent))
        {
            if (int.TryParse(Path.GetFileName(dir), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out int pid)
                && (pid == Environment.ProcessId || !IsRunning(pid)))
                TryDelete(dir);
        }

        string mine = Path.Combine(parent, Environment.ProcessId.ToString(System.Globalization.CultureInfo.InvariantCulture));
        Directory.CreateDirectory(mine);
        AppDomain.CurrentDomain.ProcessExit += (_, _) => TryDelete(mine);
        return mine;
    });

    private static bool IsRunning(int pid)
    {
        if (OperatingSystem.IsLinux())
            return Directory.Exists($"/proc/{pid}");
        try
        {
            using var p = System.Diagnostics.Process.GetProcessById(pid);
            return !p.HasExited;
        }
        catch (ArgumentException)
        {
            return false;
        }
        catch (InvalidOperationException)
        {
            return false;
        }
    }

    private static void TryDelete(string dir)
    {
        try
        {
            Directory.Delete(dir, recursive: true);
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
    }
}
