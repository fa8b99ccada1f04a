namespace Analysis.Dumps;

/// <summary>Open dump sessions reused between questions (see <see cref="SessionCache{TSession}"/>).</summary>
public sealed class DumpSessionCache(int implicitCapacity = 3) : SessionCache<DumpSession>(implicitCapacity)
{
    /// <summary>Returns the open session for this dump and options, or opens one (<paramref name="cancellationToken"/> stops an open in the worker).</summary>
    public DumpSession GetOrOpen(string path, DumpOpenOptions? options = null, bool keepOpen = false, CancellationToken cancellationToken = default)
    {
        options ??= new DumpOpenOptions();
        string key = (options.DacPath is null ? "" : Path.GetFullPath(options.DacPath)) + "\n" +
            (options.RuntimeSearchRoots is null ? "<default roots>" : string.Join("\n", options.RuntimeSearchRoots)) + "\n" +
            (options.NoCache ? "<no cache>" : options.CacheDirectory is null ? "<default cache>" : Path.GetFullPath(options.CacheDirectory)) + "\n" +
            "symbols: " + string.Join("|", options.SymbolPaths ?? []) + "\nservers: " + string.Join("|", options.SymbolServers ?? []) + "\n" + options.SymbolCacheDirectory;
        return GetOrOpen(path, key, p => DumpFile.Validate(p), p => DumpSession.Open(p, options, cancellationToken), keepOpen);
    }
}
