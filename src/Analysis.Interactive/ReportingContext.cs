using System.Reflection;
using System.Runtime.Loader;

namespace Analysis.Interactive;

/// <summary>
/// Analysis.Reporting (tables and Plotly.NET charts) with its private dependencies — Plotly.NET, its FSharp.Core 10.1,
/// DynamicObj, Giraffe.ViewEngine, Fable.Core — in an AssemblyLoadContext of the extension, so the kernel's own
/// FSharp.Core (10.0, loaded at start-up) never meets Plotly.NET. Every other name (our core, whose result types the
/// charts read; the framework) resolves in the context the extension itself was loaded into, so the objects a cell
/// makes and the ones Reporting sees are one type.
/// </summary>
internal sealed class ReportingContext : AssemblyLoadContext
{
    /// <summary>The folder of the private dependencies: beside the extension (build output), or at the package's root.</summary>
    public const string FolderName = "reporting";

    private readonly string _folder;
    private readonly HashSet<string> _names;
    private readonly AssemblyLoadContext _host;

    private ReportingContext(string folder, AssemblyLoadContext host)
        : base("Analysis.Interactive reporting (" + folder + ")")
    {
        _folder = folder;
        _host = host;
        _names = Directory.EnumerateFiles(folder, "*.dll").Select(Path.GetFileNameWithoutExtension).OfType<string>().ToHashSet(StringComparer.OrdinalIgnoreCase);
    }

    /// <summary>The private folder for an extension assembly at <paramref name="assemblyPath"/>, if there is one.</summary>
    public static string? FindFolder(string assemblyPath)
    {
        string? dir = Path.GetDirectoryName(assemblyPath);
        if (dir is null)
            return null;

        // build output: <bin>/reporting; package: <root>/lib/net10.0/Analysis.Interactive.dll and <root>/reporting
        foreach (string candidate in new[] { Path.Combine(dir, FolderName), Path.Combine(dir, "..", "..", FolderName) })
        {
            if (File.Exists(Path.Combine(candidate, "Analysis.Reporting.dll")))
                return Path.GetFullPath(candidate);
        }

        return null;
    }

    /// <summary>
    /// <c>Analysis.Reporting.Display.Format</c> from the private folder, in a context of its own; without a folder (our
    /// own tests, which reference Reporting directly) from the context the extension lives in.
    /// </summary>
    public static (Func<object?, IReadOnlyDictionary<string, string>> Format, Assembly Reporting) Open(string? folder)
    {
        var host = GetLoadContext(typeof(ReportingContext).Assembly) ?? Default;
        var reporting = folder is null
            ? host.LoadFromAssemblyName(new AssemblyName("Analysis.Reporting"))
            : new ReportingContext(folder, host).LoadFromAssemblyName(new AssemblyName("Analysis.Reporting"));
        if (folder is not null && ReferenceEquals(host, Default))
        {
            // The kernel loads a package's assemblies into its default context, so our core is the copy every by-name
            // lookup of "Analysis" there gets — the PowerShell module's cmdlets too. Lookups of "Analysis.Reporting" that
            // the default context cannot answer (the module's cmdlet assembly, [Analysis.Reporting.Charts] in a cell) get
            // this copy, the one that reads those types; else they would get the module's own, bound to its own core, and
            // Charts.HeapByNamespace(Get-HeapTop …) would find no overload. (#r of the dll loads us elsewhere: the module
            // then keeps its own copies of both, consistently.)
            Default.Resolving += (_, name) => name.Name == "Analysis.Reporting" ? reporting : null;
        }

        var format = reporting.GetType("Analysis.Reporting.Display", throwOnError: true)!
            .GetMethod("Format", BindingFlags.Public | BindingFlags.Static, [typeof(object)])!
            .CreateDelegate<Func<object?, IReadOnlyDictionary<string, string>>>();
        return (format, reporting);
    }

    protected override Assembly? Load(AssemblyName assemblyName)
    {
        if (assemblyName.Name is { } name && _names.Contains(name))
            return LoadFromAssemblyPath(Path.Combine(_folder, name + ".dll"));

        // our core and the rest: the extension's own copy (the kernel loads package assemblies into a context of its own)
        var loaded = _host.Assemblies.FirstOrDefault(a => string.Equals(a.GetName().Name, assemblyName.Name, StringComparison.OrdinalIgnoreCase));
        if (loaded is not null)
            return loaded;
        return ReferenceEquals(_host, Default) ? null : _host.LoadFromAssemblyName(assemblyName);
    }

    protected override IntPtr LoadUnmanagedDll(string unmanagedDllName)
    {
        string candidate = Path.Combine(_folder, unmanagedDllName);
        return File.Exists(candidate) ? LoadUnmanagedDllFromPath(candidate) : IntPtr.Zero;
    }
}
