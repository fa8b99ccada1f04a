using System.Management.Automation;
using Analysis.Dumps;

namespace Analysis.PowerShell.Commands;

/// <summary>Opens a .NET process dump and returns a session that later commands reuse.</summary>
/// <remarks>
/// <para>
/// Opens a dump read-only, finds the data-access library (DAC) matching the dump's runtime and returns a DumpSession.
/// Questions asked of the session (threads, heap statistics, root paths) are computed once and kept, so piping the
/// same session to several commands walks the heap at most once.
/// </para>
/// <para>
/// On Linux the DAC is looked up next to installed runtimes whose libcoreclr has the dump's build id; when the dump's
/// runtime is not installed here, copy its libmscordaccore.so and pass it with -DacPath.
/// </para>
/// <para>
/// Offline by default: module files the dump refers to but that are not on this machine are reported with a warning,
/// never downloaded. -SymbolPath names folders holding them; -SymbolServer names servers to download them from.
/// </para>
/// <para>
/// The object-graph index that Get-GcRoot, Get-HeapTop -Retained, Get-DumpTasks and Get-DumpTriage build on first use
/// is also saved in a cache folder, one file per dump content, so a later session on the same dump skips the heap pass.
/// </para>
/// </remarks>
/// <example>
/// <code>
/// $d = Open-Dump ./app.dmp
/// $d | Get-DumpThreads -State Deadlocked
/// $d | Get-HeapTop -Top 5
/// </code>
/// <para>Opens a dump once and asks it two questions; later questions reuse what the session has read.</para>
/// </example>
/// <example>
/// <code>
/// $dac = Join-Path ([System.Runtime.InteropServices.RuntimeEnvironment]::GetRuntimeDirectory()) 'libmscordaccore.so'
/// Open-Dump ./app.dmp -DacPath $dac
/// </code>
/// <para>
/// Names the DAC explicitly. For a dump from another machine, copy libmscordaccore.so from the folder of exactly the
/// runtime build the dump was taken from and pass its path; here the runtime PowerShell runs on stands in.
/// </para>
/// </example>
/// <example>
/// <code>Open-Dump ./app.dmp -SymbolPath ./app-build-output</code>
/// <para>
/// Opens a dump brought from another machine whose app files are not here at the paths recorded in it: the folder of
/// the app's build output supplies them. Without it, Open-Dump warns which module files are missing and uses the copy in
/// the dump; it never downloads anything unless -SymbolServer names a server.
/// </para>
/// </example>
/// <example>
/// <code>Open-Dump ./app.dmp -CacheDirectory ./analysis-cache | Get-GcRoot -TypeName 'Contoso.Retention.CustomerSession'</code>
/// <para>
/// Keeps the object-graph index in a folder of the ticket's own: a later session on the same dump, here or on a
/// colleague's machine with that folder, loads it instead of indexing the heap again.
/// </para>
/// </example>
[Cmdlet(VerbsCommon.Open, "Dump", DefaultParameterSetName = PathSet)]
[OutputType(typeof(DumpSession))]
public sealed class OpenDumpCommand : FileInputCmdlet
{
    /// <summary>The DAC (libmscordaccore.so; mscordaccore.dll on Windows) of exactly the runtime build the dump was taken from, when that runtime is not installed here.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? DacPath { get; set; }

    /// <summary>
    /// Folder for the object-graph index that Get-GcRoot, Get-HeapTop -Retained, Get-DumpTasks and Get-DumpTriage build
    /// on first use (one file per dump content, named by its XxHash128). Without it: $env:ANALYSIS_CACHE_DIR, else
    /// $XDG_CACHE_HOME/analysis, else ~/.cache/analysis, never the dump's own folder; there only heaps of 64 MB or more
    /// are cached (smaller ones index faster than the dump is identified). A folder named here is always used.
    /// </summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? CacheDirectory { get; set; }

    /// <summary>Neither read nor write the on-disk object-graph index (it is still kept in memory for the session).</summary>
    [Parameter]
    public SwitchParameter NoCache { get; set; }

    /// <summary>
    /// Folders holding module files (the app's assemblies, libraries) that the dump refers to but that are not at their
    /// recorded paths on this machine, as plain files or a symbol store. Searched before any -SymbolServer. Without it
    /// and -SymbolServer, the files missing here are named in a warning and the dump's own copy is used.
    /// </summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string[]? SymbolPath { get; set; }

    /// <summary>
    /// Symbol server URLs to download missing module files from; Microsoft's public one (the runtime's and framework's
    /// files) is https://msdl.microsoft.com/download/symbols (Tab offers it). Without this parameter nothing leaves this
    /// machine: no server is asked. A server named here may use plain HTTP or a private address.
    /// </summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(Completers.SymbolServerCompleter))]
    public string[]? SymbolServer { get; set; }

    /// <inheritdoc/>
    protected override string Artifact => "Dump";

    /// <inheritdoc/>
    protected override void ProcessFile(string path)
    {
        var options = new DumpOpenOptions
        {
            DacPath = DacPath is null ? null : ResolveFilePath(DacPath),
            CacheDirectory = CacheDirectory is null ? null : ResolveFilePath(CacheDirectory),
            NoCache = NoCache,
            SymbolPaths = SymbolPath?.Select(ResolveFilePath).ToArray(),
            SymbolServers = SymbolServer,
        };
        var session = RunspaceSessions.Current.Dumps.GetOrOpen(path, options, keepOpen: true, CancellationToken);
        foreach (string warning in session.Warnings)
            WriteWarning(warning);
        WriteObject(session);
    }
}
