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

    /// <summary>A fresh scratch directory under the system temp folder.</summary>
    public static string NewScratchDirectory(string prefix)
    {
        string dir = Path.Combine(Path.GetTempPath(), $"{prefix}-{Guid.NewGuid():N}");
        Directory.CreateDirectory(dir);
        return dir;
    }
}
