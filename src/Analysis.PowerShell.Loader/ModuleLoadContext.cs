using System.Collections.Concurrent;
using System.Reflection;
using System.Runtime.Loader;

namespace Analysis.PowerShell.Loader;

/// <summary>
/// The module's private dependencies (our libraries, ClrMD, TraceEvent, Roslyn, Plotly.NET with its FSharp.Core,
/// Markdig …) live in the module's <c>lib</c> folder and load into this context, never into the host's default one
/// (PowerShell's documented answer to module dependency conflicts). The cmdlet assembly sits in the host's default
/// context like any binary module; when it — or code compiled against our libraries, such as a notebook's C# cells —
/// asks for a name the host cannot find, <see cref="Register"/>'s handler answers from here. Inside this context every
/// name in <c>lib</c> resolves to our copy (so pwsh's Microsoft.CodeAnalysis 5.0 never shadows our 5.12); everything
/// else — the framework, System.Management.Automation — comes from the host, and the host's own lookups that it can
/// answer itself never reach us.
/// </summary>
internal sealed class ModuleLoadContext : AssemblyLoadContext
{
    private static readonly ConcurrentDictionary<string, ModuleLoadContext> s_byFolder = new(StringComparer.Ordinal);
    private static readonly object s_gate = new();
    private static bool s_registered;

    private readonly string _folder;
    private readonly HashSet<string> _names;

    private ModuleLoadContext(string folder)
        : base("Analysis module (" + folder + ")")
    {
        _folder = folder;
        _names = Directory.Exists(folder)
            ? Directory.EnumerateFiles(folder, "*.dll").Select(Path.GetFileNameWithoutExtension).OfType<string>().ToHashSet(StringComparer.OrdinalIgnoreCase)
            : [];
    }

    /// <summary>The <c>lib</c> folder beside this (the loader) assembly, at the module's top.</summary>
    public static string LibraryFolder => Path.Combine(Path.GetDirectoryName(typeof(ModuleLoadContext).Assembly.Location) ?? ".", "lib");

    /// <summary>The one context for this module folder.</summary>
    public static ModuleLoadContext Instance => s_byFolder.GetOrAdd(LibraryFolder, f => new ModuleLoadContext(f));

    /// <summary>
    /// Answers the default context's failed lookups for the names this module ships. Called when the manifest
    /// imports the loader, before PowerShell reflects on the cmdlet assembly (whose cmdlets have fields of our enum
    /// types, so loading them needs our core). Idempotent.
    /// </summary>
    public static void Register()
    {
        // runspaces importing at the same time (ForEach-Object -Parallel) all wait until the handler is in place
        lock (s_gate)
        {
            if (s_registered)
                return;
            if (GetLoadContext(typeof(ModuleLoadContext).Assembly) is not ModuleLoadContext)
                Default.Resolving += (_, name) => Instance.Ships(name) ? Instance.LoadFromAssemblyName(name) : null;
            s_registered = true; // (loaded inside our own context, as a nested import, there is nothing to bridge)
        }
    }

    private bool Ships(AssemblyName name) => name.Name is { } n && _names.Contains(n);

    /// <summary>Our copy from lib/ for a name the module ships; null (the host's copy) for anything else.</summary>
    protected override Assembly? Load(AssemblyName assemblyName)
    {
        if (!Ships(assemblyName))
            return null; // the framework and PowerShell come from the host
        string path = Path.Combine(_folder, assemblyName.Name + ".dll");
        return LoadFromAssemblyPath(path);
    }

    /// <summary>A native library from lib/ when it is there; otherwise the default probing.</summary>
    protected override IntPtr LoadUnmanagedDll(string unmanagedDllName)
    {
        string candidate = Path.Combine(_folder, unmanagedDllName);
        return File.Exists(candidate) ? LoadUnmanagedDllFromPath(candidate) : IntPtr.Zero;
    }
}
