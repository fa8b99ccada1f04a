using System.Collections.Concurrent;
using System.Reflection.Metadata;
using System.Reflection.Metadata.Ecma335;
using System.Reflection.PortableExecutable;
using Microsoft.Diagnostics.Runtime;

namespace Analysis.Dumps;

/// <summary>
/// Source file and line of managed frames, from portable PDBs: embedded in the module, beside the module file at its
/// recorded path, or in a <see cref="DumpOpenOptions.SymbolPaths"/> folder (by name, or in symbol-store layout
/// name.pdb/&lt;guid&gt;FFFFFFFF/name.pdb). A PDB is used only when its id equals the module's CodeView id as the dump
/// records it, so a PDB of another build never gives wrong lines. Offline: no server is asked. Each module's PDB is read
/// once and its methods' sequence points once (a dump has thousands of frames over a few hundred methods).
/// Never throws: a PDB that cannot be read leaves its frames without lines.
/// </summary>
internal sealed class SourceLines : IDisposable
{
    private readonly IReadOnlyList<string> _folders;
    private readonly ModuleFileLocator _locator;
    private readonly Action<string>? _warn;
    private readonly ConcurrentDictionary<ulong, ModulePdb?> _modules = new();
    private readonly List<MetadataReaderProvider> _providers = new();
    private string? _frameworkFolder;
    private bool _disposed;

    /// <param name="options">The dump's open options: the -SymbolPath folders.</param>
    /// <param name="locator">Finds module files moved off their recorded paths (the same folders).</param>
    /// <param name="warn">Receives one warning per app module whose PDB was not found; called only when the user named symbol folders.</param>
    public SourceLines(DumpOpenOptions options, ModuleFileLocator locator, Action<string>? warn)
    {
        _folders = options.SymbolPaths ?? [];
        _locator = locator;
        // Missing PDBs are worth a word only when the user pointed us at symbols; otherwise frames just show no line.
        _warn = _folders.Count > 0 ? warn : null;
    }

    /// <summary>The file and line of <paramref name="method"/> at <paramref name="instructionPointer"/>; null when no PDB or no sequence point answers.</summary>
    /// <param name="method">The frame's method.</param>
    /// <param name="instructionPointer">The frame's native instruction pointer (a return address for callers).</param>
    /// <param name="isCallSite">The address is a return address: the line of the call before it is meant.</param>
    public (string File, int Line)? Find(ClrMethod method, ulong instructionPointer, bool isCallSite)
    {
        try
        {
            if (_disposed || method.Type?.Module is not { } module || module.IsDynamic || method.MetadataToken == 0)
                return null;
            var pdb = _modules.GetOrAdd(module.Address, _ => Load(module));
            if (pdb is null)
                return null;
            // A return address belongs to the instruction after the call; the call itself is one byte before it.
            ulong ip = isCallSite && instructionPointer > 0 ? instructionPointer - 1 : instructionPointer;
            int ilOffset = method.GetILOffset(ip);
            if (ilOffset < 0)
                return null;
            return pdb.Find(method.MetadataToken, ilOffset);
        }
        catch (Exception e) when (e is BadImageFormatException or InvalidOperationException or ArgumentException or IOException or ClrDiagnosticsException)
        {
            return null;
        }
    }

    public void Dispose()
    {
        lock (_providers)
        {
            _disposed = true;
            foreach (var p in _providers)
                p.Dispose();
            _providers.Clear();
        }
    }

    private ModulePdb? Load(ClrModule module)
    {
        string? path = module.Name;
        string name = FileName(path ?? module.AssemblyName ?? "");
        PdbInfo? expected = null;
        try
        {
            expected = module.Pdb;
        }
        catch (Exception e) when (DumpEngine.IsEngineFailure(e))
        {
        }

        var tried = new List<string>();
        // 1. Embedded in the module: the file at its recorded path (or found in a -SymbolPath folder), checked to be the
        //    build the dump ran by its CodeView id.
        foreach (string file in ModuleFiles(path, name))
        {
            if (FromEmbedded(file, expected) is { } embedded)
                return embedded;
        }

        if (expected is null || expected.Guid == Guid.Empty)
            return null; // without the module's id no PDB file can be matched
        string pdbName = Path.ChangeExtension(FileName(expected.Path is { Length: > 0 } p ? p : name), ".pdb");
        // 2. Beside the module at its recorded path, 3. in the -SymbolPath folders (plain or symbol-store layout).
        var candidates = new List<string>();
        if (path is { Length: > 0 } && Path.GetDirectoryName(path) is { Length: > 0 } dir)
            candidates.Add(Path.Combine(dir, pdbName));
        string key = expected.Guid.ToString("N").ToUpperInvariant() + "FFFFFFFF";
        foreach (string folder in _folders)
        {
            candidates.Add(Path.Combine(folder, pdbName));
            candidates.Add(Path.Combine(folder, pdbName, key, pdbName));
            candidates.Add(Path.Combine(folder, pdbName.ToLowerInvariant(), key.ToLowerInvariant(), pdbName.ToLowerInvariant()));
        }

        foreach (string candidate in candidates.Distinct(StringComparer.Ordinal))
        {
            if (!File.Exists(candidate))
                continue;
            if (FromFile(candidate, expected.Guid) is { } found)
                return found;
            tried.Add(candidate);
        }

        Warn(module, name, tried);
        return null;
    }

    private IEnumerable<string> ModuleFiles(string? path, string name)
    {
        if (path is { Length: > 0 } && File.Exists(path))
            yield return path;
        if (name.Length > 0 && _locator.FindInFolders(name, null) is { } moved && moved != path)
            yield return moved;
    }

    private ModulePdb? FromEmbedded(string moduleFile, PdbInfo? expected)
    {
        try
        {
            using var stream = File.OpenRead(moduleFile);
            using var pe = new PEReader(stream);
            var entries = pe.ReadDebugDirectory();
            // The file must be the very build the dump ran: same CodeView id (a rebuilt file at the same path is not).
            var codeView = entries.FirstOrDefault(e => e.Type == DebugDirectoryEntryType.CodeView);
            if (expected is not null && expected.Guid != Guid.Empty &&
                (codeView.Type != DebugDirectoryEntryType.CodeView || pe.ReadCodeViewDebugDirectoryData(codeView).Guid != expected.Guid))
                return null;
            var embedded = entries.FirstOrDefault(e => e.Type == DebugDirectoryEntryType.EmbeddedPortablePdb);
            if (embedded.Type != DebugDirectoryEntryType.EmbeddedPortablePdb)
                return null;
            var provider = pe.ReadEmbeddedPortablePdbDebugDirectoryData(embedded);
            return Keep(provider);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or BadImageFormatException or InvalidOperationException or ArgumentException)
        {
            return null;
        }
    }

    private ModulePdb? FromFile(string pdbFile, Guid expected)
    {
        MetadataReaderProvider? provider = null;
        try
        {
            using var stream = File.OpenRead(pdbFile);
            provider = MetadataReaderProvider.FromPortablePdbStream(stream, MetadataStreamOptions.PrefetchMetadata);
            var reader = provider.GetMetadataReader();
            // The PDB id is the module's CodeView guid followed by its stamp: a PDB of another build has another.
            var id = reader.DebugMetadataHeader?.Id ?? default;
            if (id.Length < 16 || new Guid(id.AsSpan(0, 16)) != expected)
            {
                provider.Dispose();
                return null;
            }

            var pdb = Keep(provider);
            provider = null;
            return pdb;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or BadImageFormatException or InvalidOperationException or ArgumentException)
        {
            provider?.Dispose();
            return null; // a Windows PDB or a damaged file: not usable
        }
    }

    private ModulePdb? Keep(MetadataReaderProvider provider)
    {
        lock (_providers)
        {
            if (_disposed)
            {
                provider.Dispose();
                return null;
            }

            _providers.Add(provider);
            return new ModulePdb(provider.GetMetadataReader());
        }
    }

    private void Warn(ClrModule module, string name, List<string> tried)
    {
        if (_warn is null || IsFramework(module))
            return;
        string where = tried.Count > 0
            ? $"the PDB found ({string.Join(", ", tried)}) is from another build"
            : "no portable PDB was found beside the module, embedded in it or in the -SymbolPath folders";
        _warn($"Module '{name}': {where}; its frames have no source file and line. Pass -SymbolPath with the folder of the PDB of exactly that build.");
    }

    /// <summary>A module of the shared framework (beside System.Private.CoreLib): its PDBs are on symbol servers, not beside it.</summary>
    private bool IsFramework(ClrModule module)
    {
        try
        {
            _frameworkFolder ??= module.AppDomain?.Runtime.BaseClassLibrary.Name is { } bcl ? Path.GetDirectoryName(bcl) ?? "" : "";
            return _frameworkFolder.Length > 0 && string.Equals(Path.GetDirectoryName(module.Name), _frameworkFolder, StringComparison.Ordinal);
        }
        catch (Exception e) when (DumpEngine.IsEngineFailure(e))
        {
            return false;
        }
    }

    private static string FileName(string path)
    {
        int slash = Math.Max(path.LastIndexOf('/'), path.LastIndexOf('\\'));
        return slash < 0 ? path : path[(slash + 1)..];
    }

    /// <summary>One module's PDB: sequence points per method, read on first use.</summary>
    private sealed class ModulePdb(MetadataReader reader)
    {
        private readonly ConcurrentDictionary<int, SequencePoint[]> _points = new();
        private readonly ConcurrentDictionary<DocumentHandle, string> _documents = new();

        public (string File, int Line)? Find(int methodToken, int ilOffset)
        {
            var points = _points.GetOrAdd(methodToken, Read);
            // The last visible sequence point at or before the IL offset (hidden ones, 0xfeefee, skipped), as SOS does.
            SequencePoint? best = null;
            foreach (var p in points)
            {
                if (p.Offset > ilOffset)
                    break;
                best = p;
            }

            if (best is not { } sp)
                return null;
            return (_documents.GetOrAdd(sp.Document, d => reader.GetString(reader.GetDocument(d).Name)), sp.StartLine);
        }

        private SequencePoint[] Read(int methodToken)
        {
            try
            {
                var handle = MetadataTokens.MethodDefinitionHandle(methodToken & 0x00ffffff);
                var info = reader.GetMethodDebugInformation(handle);
                return info.SequencePointsBlob.IsNil ? [] : info.GetSequencePoints().Where(p => !p.IsHidden).OrderBy(p => p.Offset).ToArray();
            }
            catch (Exception e) when (e is BadImageFormatException or ArgumentException or InvalidOperationException)
            {
                return [];
            }
        }
    }
}
