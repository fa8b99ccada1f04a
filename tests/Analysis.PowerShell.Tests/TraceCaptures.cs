using Analysis.Testing;

namespace Analysis.PowerShell.Tests;

/// <summary>A trace of TraceTarget's workload, captured once per run with the module's own Start/Stop-TraceCapture.</summary>
public static class TraceCaptures
{
    private static readonly Lazy<string> s_facts = new(() =>
    {
        string dir = RepoPaths.NewScratchDirectory("analysis-pwsh-traces");
        AppDomain.CurrentDomain.ProcessExit += (_, _) =>
        {
            try
            {
                Directory.Delete(dir, recursive: true);
            }
            catch (IOException)
            {
            }
        };
        Folder = dir;
        string path = Path.Combine(dir, "facts.nettrace");
        using var host = new PwshHost();
        TraceFacts.RunTraced("facts",
            pid =>
            {
                var r = host.Run("$global:recording = Start-TraceCapture -ProcessId $id -OutFile $p", new Dictionary<string, object?> { ["id"] = pid, ["p"] = path });
                if (r.Errors.Count > 0)
                    throw new InvalidOperationException(r.Errors[0].ToString());
            },
            () =>
            {
                var r = host.Run("$global:recording | Stop-TraceCapture | ForEach-Object FullName");
                if (r.Errors.Count > 0 || r.Strings.Single() != path)
                    throw new InvalidOperationException($"Stop-TraceCapture: {string.Join("; ", r.Errors)} {string.Join("; ", r.Strings)}");
            });
        return path;
    });

    public static string Facts => s_facts.Value;

    public static string Folder { get; private set; } = "";

    public static string Scratch(string name, byte[] content)
    {
        _ = Facts;
        string path = Path.Combine(Folder, name);
        File.WriteAllBytes(path, content);
        return path;
    }
}
