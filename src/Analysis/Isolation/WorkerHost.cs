using System.Runtime.InteropServices;

namespace Analysis.Isolation;

/// <summary>The worker's files and the dotnet host that runs them.</summary>
internal sealed record WorkerHost(string Dotnet, string Worker, string RuntimeConfig, string Library)
{
    /// <summary>
    /// Where the worker finds the core and its dependencies: the core's folder, and, when its dependencies are not all
    /// there (a NuGet package: each dependency in its own package folder, as in the notebook kernel), their folders.
    /// </summary>
    public IReadOnlyList<string> Libraries { get; init; } = [Library];

    public const string WorkerFile = "Analysis.Worker.dll";

    /// <summary>
    /// The worker ships beside Analysis.dll (the module's lib/, test outputs) or in the package's worker/ folder
    /// (lib/net10.0/../../worker). It runs on the host of the runtime running us: the dotnet beside this runtime's
    /// shared folder (pwsh from the dotnet tool, the notebook kernel), else DOTNET_HOST_PATH, DOTNET_ROOT, PATH.
    /// </summary>
    public static WorkerHost? Find(out string? whyNot)
    {
        // the layout does not change while we run: looked up once
        var (host, why) = s_found.Value;
        whyNot = why;
        return host;
    }

    private static readonly Lazy<(WorkerHost? Host, string? WhyNot)> s_found = new(() => (Locate(out string? whyNot), whyNot));

    private static WorkerHost? Locate(out string? whyNot)
    {
        string library = Path.GetDirectoryName(typeof(WorkerHost).Assembly.Location) ?? "";
        if (library.Length == 0)
        {
            whyNot = "Analysis.dll was loaded from memory, so the worker beside it cannot be found";
            return null;
        }

        string[] candidates =
        [
            Path.Combine(library, WorkerFile),
            Path.Combine(library, "worker", WorkerFile),
            Path.GetFullPath(Path.Combine(library, "..", "..", "worker", WorkerFile)),
        ];
        string? worker = candidates.FirstOrDefault(File.Exists);
        if (worker is null)
        {
            whyNot = $"{WorkerFile} is not beside {Path.Combine(library, "Analysis.dll")} (nor in worker/)";
            return null;
        }

        string config = Path.ChangeExtension(worker, ".runtimeconfig.json");
        if (!File.Exists(config))
        {
            whyNot = $"{Path.GetFileName(config)} is missing beside {worker}";
            return null;
        }

        string? dotnet = FindDotnet();
        if (dotnet is null)
        {
            whyNot = "no dotnet host was found (beside the runtime, DOTNET_HOST_PATH, DOTNET_ROOT, PATH)";
            return null;
        }

        whyNot = null;
        return new WorkerHost(dotnet, worker, config, library) { Libraries = DependencyFolders(library) };
    }

    /// <summary>The core's folder, then the folders its non-framework dependencies load from when they are not beside it.</summary>
    private static string[] DependencyFolders(string library)
    {
        var folders = new List<string> { library };
        var context = System.Runtime.Loader.AssemblyLoadContext.GetLoadContext(typeof(WorkerHost).Assembly) ?? System.Runtime.Loader.AssemblyLoadContext.Default;
        string framework = Path.GetDirectoryName(typeof(object).Assembly.Location) ?? "";
        var seen = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        var pending = new Queue<System.Reflection.AssemblyName>(typeof(WorkerHost).Assembly.GetReferencedAssemblies());
        while (pending.TryDequeue(out var name))
        {
            if (name.Name is not { } simple || !seen.Add(simple) || File.Exists(Path.Combine(framework, simple + ".dll")))
                continue;
            if (File.Exists(Path.Combine(library, simple + ".dll")))
                continue; // beside the core: the worker finds it there (and its references are checked when it loads)
            try
            {
                var assembly = context.LoadFromAssemblyName(name);
                if (Path.GetDirectoryName(assembly.Location) is { Length: > 0 } folder && !folders.Contains(folder, StringComparer.Ordinal))
                    folders.Add(folder);
                foreach (var reference in assembly.GetReferencedAssemblies())
                    pending.Enqueue(reference);
            }
            catch (Exception e) when (e is FileNotFoundException or FileLoadException or BadImageFormatException)
            {
                // an optional dependency nobody ships; the worker fails the same way only if it is really needed
            }
        }

        return folders.ToArray();
    }

    private static string? FindDotnet()
    {
        string exe = OperatingSystem.IsWindows() ? "dotnet.exe" : "dotnet";
        if (Environment.ProcessPath is { } self && Path.GetFileName(self).Equals(exe, StringComparison.OrdinalIgnoreCase))
            return self;
        // <root>/shared/Microsoft.NETCore.App/<version>/ → <root>/dotnet
        string runtime = RuntimeEnvironment.GetRuntimeDirectory().TrimEnd(Path.DirectorySeparatorChar, Path.AltDirectorySeparatorChar);
        if (Path.GetDirectoryName(Path.GetDirectoryName(Path.GetDirectoryName(runtime))) is { } root && File.Exists(Path.Combine(root, exe)))
            return Path.Combine(root, exe);
        if (Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } hostPath && File.Exists(hostPath))
            return hostPath;
        if (Environment.GetEnvironmentVariable("DOTNET_ROOT") is { Length: > 0 } dotnetRoot && File.Exists(Path.Combine(dotnetRoot, exe)))
            return Path.Combine(dotnetRoot, exe);
        foreach (string dir in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries))
        {
            string candidate = Path.Combine(dir, exe);
            if (File.Exists(candidate))
                return candidate;
        }

        return null;
    }
}
