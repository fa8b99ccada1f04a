namespace Analysis.Testing;

/// <summary>
/// A dump of DumpTarget run from a temporary copy that was deleted after the dump: its module files are recorded in the
/// dump but are on no disk, as for a dump brought from a production machine.
/// </summary>
public sealed class MissingModulesDump : IDisposable
{
    public MissingModulesDump()
    {
        Folder = RepoPaths.NewScratchDirectory("analysis-missing-modules");
        AppFolder = Path.Combine(Folder, "app");
        string built = Path.GetDirectoryName(RepoPaths.TargetDll("DumpTarget"))!;
        Directory.CreateDirectory(AppFolder);
        foreach (string file in Directory.GetFiles(built))
            File.Copy(file, Path.Combine(AppFolder, Path.GetFileName(file)));
        Dump = Path.Combine(Folder, "gone.dmp");
        using (var target = TargetProcess.StartDll(Path.Combine(AppFolder, "DumpTarget.dll"), TimeSpan.FromSeconds(180), null, "facts"))
            DumpSet.WriteDump(target.Id, CapturedDump.CreateDumpWithHeap, Dump);
        Directory.Delete(AppFolder, recursive: true);
    }

    public string Folder { get; }

    /// <summary>Where the target ran from; deleted.</summary>
    public string AppFolder { get; }

    public string Dump { get; }

    public void Dispose()
    {
        try
        {
            Directory.Delete(Folder, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
