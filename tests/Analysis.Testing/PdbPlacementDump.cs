namespace Analysis.Testing;

/// <summary>
/// A dump of DumpTarget run from a copy without its DumpTarget.pdb beside it: the right PDB sits in another folder
/// (<see cref="SymbolFolder"/>, for -SymbolPath), and a PDB of another build under the same name in a third
/// (<see cref="WrongSymbolFolder"/>). Contoso.Async.dll keeps its embedded PDB.
/// </summary>
public sealed class PdbPlacementDump : IDisposable
{
    public PdbPlacementDump()
    {
        Folder = RepoPaths.NewScratchDirectory("analysis-pdb-placement");
        AppFolder = Path.Combine(Folder, "app");
        SymbolFolder = Path.Combine(Folder, "symbols");
        WrongSymbolFolder = Path.Combine(Folder, "other-build");
        string built = Path.GetDirectoryName(RepoPaths.TargetDll("DumpTarget"))!;
        foreach (string dir in new[] { AppFolder, SymbolFolder, WrongSymbolFolder })
            Directory.CreateDirectory(dir);
        foreach (string file in Directory.GetFiles(built))
        {
            string name = Path.GetFileName(file);
            File.Copy(file, Path.Combine(name == "DumpTarget.pdb" ? SymbolFolder : AppFolder, name));
        }

        // A portable PDB of another build under DumpTarget's name: its id cannot match DumpTarget.dll's.
        File.Copy(Path.Combine(AppContext.BaseDirectory, "Analysis.Testing.pdb"), Path.Combine(WrongSymbolFolder, "DumpTarget.pdb"));
        Dump = Path.Combine(Folder, "moved-pdb.dmp");
        using var target = TargetProcess.StartDll(Path.Combine(AppFolder, "DumpTarget.dll"), TimeSpan.FromSeconds(180), null, "facts");
        target.WaitUntilMainThreadSleeps(TimeSpan.FromSeconds(10)); // Main at s_never.WaitOne(), as the line tests say
        DumpSet.WriteDump(target.Id, CapturedDump.CreateDumpWithHeap, Dump);
    }

    public string Folder { get; }

    /// <summary>Where the target ran from: its modules without DumpTarget.pdb.</summary>
    public string AppFolder { get; }

    /// <summary>Holds the DumpTarget.pdb of the build that ran.</summary>
    public string SymbolFolder { get; }

    /// <summary>Holds a DumpTarget.pdb of another build (the id does not match).</summary>
    public string WrongSymbolFolder { get; }

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
        catch (UnauthorizedAccessException)
        {
        }
    }
}
