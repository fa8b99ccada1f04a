using System.Collections.Concurrent;
using System.Collections.Immutable;
using System.Globalization;
using System.Runtime.InteropServices;
using Microsoft.Diagnostics.Runtime;

namespace Analysis.Dumps;

/// <summary>
/// Finds module files (assemblies, native libraries) that a dump references but does not hold in full, for ClrMD.
/// Offline unless asked: it looks in the folders of <see cref="DumpOpenOptions.SymbolPaths"/> and asks a symbol server
/// only when <see cref="DumpOpenOptions.SymbolServers"/> names one. ClrMD's own default would ask Microsoft's public
/// server for every missing file, from inside the DAC's callbacks, where a failed download ends the process.
/// Never throws: ClrMD calls it from native callbacks.
/// </summary>
internal sealed class ModuleFileLocator : IFileLocator
{
    private readonly IReadOnlyList<string> _folders;
    private readonly IReadOnlyList<(string Url, IFileLocator? Locator)> _servers;
    private readonly ConcurrentDictionary<string, string> _problems = new(StringComparer.Ordinal);

    public ModuleFileLocator(DumpOpenOptions options)
    {
        _folders = options.SymbolPaths ?? [];
        foreach (string folder in _folders)
        {
            // a mistyped folder would otherwise only show as the files it should have held being missing
            if (!Directory.Exists(folder))
                _problems.TryAdd("folder " + folder, $"Symbol path '{folder}' is not a folder on this machine; it is not searched. Pass -SymbolPath with an existing folder.");
        }

        string cache = options.SymbolCacheDirectory ?? Path.Combine(HeapGraphCache.DefaultDirectory(), "symbols");
        var servers = new List<(string, IFileLocator?)>();
        foreach (string url in options.SymbolServers ?? [])
        {
            IFileLocator? locator = null;
            try
            {
                // ClrMD's symbol-store client, one per server. A server the user names is trusted: it may be plain HTTP or
                // on a private address (ClrMD refuses both by default); Microsoft's public server keeps the default checks.
                var clrmd = new DataTargetOptions
                {
                    SymbolPaths = [url],
                    SymbolCachePath = cache,
                    AllowPrivateSymbolServers = !IsMicrosoftServer(url),
                };
                locator = clrmd.FileLocator;
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                _problems.TryAdd("server " + url, $"Symbol server '{url}' could not be used ({e.Message}); files are looked up in the -SymbolPath folders only.");
            }

            servers.Add((url, locator));
        }

        _servers = servers;
    }

    /// <summary>Whether any symbol server is configured (the only way this locator reaches the network).</summary>
    public bool UsesNetwork => _servers.Any(s => s.Locator is not null);

    /// <summary>What went wrong while looking for files (servers that failed), one line each.</summary>
    public IReadOnlyList<string> Problems => _problems.Values.Order(StringComparer.Ordinal).ToArray();

    public string? FindPEImage(string fileName, int buildTimeStamp, int imageSize, bool checkProperties)
    {
        string key = string.Create(CultureInfo.InvariantCulture, $"{buildTimeStamp:x8}{imageSize:x}");
        return Find(fileName, key, l => l.FindPEImage(fileName, buildTimeStamp, imageSize, checkProperties));
    }

    public string? FindPEImage(string fileName, SymbolProperties archivedUnder, ImmutableArray<byte> buildIdOrUUID, OSPlatform originalPlatform, bool checkProperties)
    {
        string id = buildIdOrUUID.IsDefaultOrEmpty ? "" : Convert.ToHexString(buildIdOrUUID.AsSpan()).ToLowerInvariant();
        string key = (originalPlatform == OSPlatform.OSX ? "mach-uuid-" : "elf-buildid-") + (archivedUnder == SymbolProperties.Coreclr ? "coreclr-" : "") + id;
        return Find(fileName, key, l => l.FindPEImage(fileName, archivedUnder, buildIdOrUUID, originalPlatform, checkProperties));
    }

    /// <summary>A file in a -SymbolPath folder: by its name, or in symbol-store layout (name/key/name).</summary>
    public string? FindInFolders(string fileName, string? key)
    {
        string name = FileName(fileName);
        if (name.Length == 0)
            return null;
        foreach (string folder in _folders)
        {
            try
            {
                string plain = Path.Combine(folder, name);
                if (File.Exists(plain))
                    return plain;
                if (key is null)
                    continue;
                foreach (string n in new[] { name, name.ToLowerInvariant() })
                {
                    string stored = Path.Combine(folder, n, key, n);
                    if (File.Exists(stored))
                        return stored;
                }
            }
            catch (Exception e) when (e is ArgumentException or IOException or UnauthorizedAccessException or NotSupportedException)
            {
                // A folder name this platform cannot combine or read: not a place to find files.
            }
        }

        return null;
    }

    private string? Find(string fileName, string key, Func<IFileLocator, string?> ask)
    {
        try
        {
            if (FindInFolders(fileName, key) is { } local)
                return local;
            foreach (var (url, locator) in _servers)
            {
                // A server that failed once is not asked again in this session: one timeout, not one per file.
                if (locator is null || _problems.ContainsKey("server " + url))
                    continue;
                try
                {
                    if (ask(locator) is { Length: > 0 } found && File.Exists(found))
                        return found;
                }
                catch (Exception e) when (e is not OutOfMemoryException)
                {
                    // ClrMD's client lets network errors through (AggregateException of HttpRequestException, SocketException).
                    Exception cause = e is AggregateException { InnerException: { } inner } ? inner.GetBaseException() : e;
                    _problems.TryAdd("server " + url, $"Symbol server '{url}' could not be reached ({cause.Message}); module files were not downloaded from it.");
                }
            }
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            _problems.TryAdd("locator " + e.GetType().Name, $"Looking for module file '{fileName}' failed ({e.Message}).");
        }

        return null;
    }

    private static string FileName(string path)
    {
        int slash = Math.Max(path.LastIndexOf('/'), path.LastIndexOf('\\'));
        return slash < 0 ? path : path[(slash + 1)..];
    }

    private static bool IsMicrosoftServer(string url) =>
        Uri.TryCreate(url, UriKind.Absolute, out var uri) && uri.Host.Equals("msdl.microsoft.com", StringComparison.OrdinalIgnoreCase);
}
