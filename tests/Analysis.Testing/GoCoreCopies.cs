using System.Text;

namespace Analysis.Testing;

/// <summary>Altered copies of the Go core fixtures, for the tests of what a core from elsewhere does.</summary>
public static class GoCoreCopies
{
    /// <summary>
    /// A copy of <paramref name="fixture"/>'s core in <paramref name="folder"/> as if written on another machine: every
    /// place it names its executable's path (NT_FILE's entries, the command line) names a path of the same length that
    /// does not exist. Returns the copy's path and the path it now names.
    /// </summary>
    public static (string Core, string NamedExecutable) FromAnotherMachine(GoCoreFixture fixture, string folder)
    {
        string copy = Path.Combine(folder, "moved-" + Path.GetFileName(fixture.CorePath));
        byte[] bytes = File.ReadAllBytes(fixture.CorePath);
        byte[] name = Encoding.UTF8.GetBytes(Path.GetFullPath(fixture.Executable));
        byte[] gone = Encoding.UTF8.GetBytes("/nonexistent".PadRight(name.Length, 'x'));
        int replaced = 0;
        for (int at; (at = bytes.AsSpan().IndexOf(name)) > 0; replaced++)
            gone.CopyTo(bytes, at);
        if (replaced == 0)
            throw new InvalidOperationException($"{fixture.CorePath} does not name {fixture.Executable}");
        File.WriteAllBytes(copy, bytes);
        return (copy, Encoding.UTF8.GetString(gone));
    }
}
