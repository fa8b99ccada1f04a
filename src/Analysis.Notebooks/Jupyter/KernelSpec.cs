using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Analysis.Notebooks.Jupyter;

/// <summary>
/// A Jupyter kernelspec (<c>&lt;data dir&gt;/kernels/&lt;name&gt;/kernel.json</c>): how Jupyter, VS Code and nbclient start
/// this kernel, under which display name and language.
/// </summary>
public static class KernelSpec
{
    /// <summary>The kernel's name when none is given ("analysis").</summary>
    public const string DefaultName = "analysis";

    /// <summary>The display name when none is given.</summary>
    public const string DefaultDisplayName = "Analysis (PowerShell, C#)";

    /// <summary>
    /// The user's Jupyter data directory, where <c>jupyter kernelspec list</c> looks without JUPYTER_PATH: JUPYTER_DATA_DIR
    /// when set, else ~/.local/share/jupyter (Linux; $XDG_DATA_HOME/jupyter when that is set), ~/Library/Jupyter (macOS),
    /// %APPDATA%\jupyter (Windows).
    /// </summary>
    public static string UserDataDirectory
    {
        get
        {
            if (Environment.GetEnvironmentVariable("JUPYTER_DATA_DIR") is { Length: > 0 } explicitDir)
                return explicitDir;
            string home = Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);
            if (OperatingSystem.IsWindows())
                return Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.ApplicationData), "jupyter");
            if (OperatingSystem.IsMacOS())
                return Path.Combine(home, "Library", "Jupyter");
            return Environment.GetEnvironmentVariable("XDG_DATA_HOME") is { Length: > 0 } xdg
                ? Path.Combine(xdg, "jupyter")
                : Path.Combine(home, ".local", "share", "jupyter");
        }
    }

    /// <summary>Whether <paramref name="name"/> is a valid kernel name for Jupyter (letters, digits, '.', '_', '-').</summary>
    public static bool IsValidName(string name) =>
        name.Length > 0 && name.All(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '_' or '-');

    /// <summary>The folder of kernel <paramref name="name"/> under a Jupyter data directory.</summary>
    public static string Folder(string dataDirectory, string name) => Path.Combine(dataDirectory, "kernels", name);

    /// <summary>The kernel.json for a kernel started by <paramref name="argv"/> (with <c>{connection_file}</c> in it), interrupted by SIGINT (by message on Windows).</summary>
    public static JsonObject Create(IReadOnlyList<string> argv, string displayName) => new()
    {
        ["argv"] = new JsonArray([.. argv.Select(a => (JsonNode?)JsonValue.Create(a))]),
        ["display_name"] = displayName,
        ["language"] = "powershell",
        // SIGINT where there are signals; on Windows jupyter_client signals through an event handle (JPY_INTERRUPT_EVENT)
        // this kernel does not watch, so there the interrupt comes as interrupt_request on the control channel
        ["interrupt_mode"] = OperatingSystem.IsWindows() ? "message" : "signal",
        ["metadata"] = new JsonObject
        {
            ["debugger"] = false,
            ["analysis"] = new JsonObject { ["languages"] = new JsonArray("pwsh", "csharp") },
        },
    };

    /// <summary>Writes <paramref name="spec"/> as <c>&lt;dataDirectory&gt;/kernels/&lt;name&gt;/kernel.json</c> (creating the folders); returns its path.</summary>
    public static string Write(string dataDirectory, string name, JsonObject spec)
    {
        if (!IsValidName(name))
            throw new ArgumentException($"'{name}' is not a Jupyter kernel name; use letters, digits, '.', '_' and '-'.", nameof(name));
        string folder = Folder(dataDirectory, name);
        Directory.CreateDirectory(folder);
        string path = Path.Combine(folder, "kernel.json");
        File.WriteAllText(path, spec.ToJsonString(new JsonSerializerOptions { WriteIndented = true }) + "\n", new UTF8Encoding(false));
        return path;
    }
}
