using System.Text.Json;
using System.Text.Json.Serialization;

namespace Analysis.Notebooks.Jupyter;

/// <summary>
/// A Jupyter connection file: where the kernel binds its five sockets and the key its messages are signed with
/// (jupyter_client writes it and passes its path as <c>{connection_file}</c>).
/// </summary>
public sealed record ConnectionInfo
{
    /// <summary>The address to bind ("127.0.0.1"); for ipc transport the socket path prefix.</summary>
    [JsonPropertyName("ip")]
    public string Ip { get; init; } = "127.0.0.1";

    /// <summary>"tcp" or "ipc".</summary>
    [JsonPropertyName("transport")]
    public string Transport { get; init; } = "tcp";

    /// <summary>The shell channel's port (requests and replies).</summary>
    [JsonPropertyName("shell_port")]
    public int ShellPort { get; init; }

    /// <summary>The control channel's port (interrupt, shutdown, kernel_info out of band).</summary>
    [JsonPropertyName("control_port")]
    public int ControlPort { get; init; }

    /// <summary>The stdin channel's port (input_request to the client).</summary>
    [JsonPropertyName("stdin_port")]
    public int StdinPort { get; init; }

    /// <summary>The iopub channel's port (status, outputs, published to every client).</summary>
    [JsonPropertyName("iopub_port")]
    public int IopubPort { get; init; }

    /// <summary>The heartbeat's port (echo).</summary>
    [JsonPropertyName("hb_port")]
    public int HeartbeatPort { get; init; }

    /// <summary>The HMAC key; empty turns signing off (as the protocol says).</summary>
    [JsonPropertyName("key")]
    public string Key { get; init; } = "";

    /// <summary>"hmac-sha256" (the only scheme supported), or empty with an empty key.</summary>
    [JsonPropertyName("signature_scheme")]
    public string SignatureScheme { get; init; } = "hmac-sha256";

    /// <summary>The kernel's name as the client knows it (informational).</summary>
    [JsonPropertyName("kernel_name")]
    public string? KernelName { get; init; }

    /// <summary>The address one channel binds to, as ZeroMQ spells it ("tcp://127.0.0.1:5555", "ipc://path-5555").</summary>
    public string Address(int port) => Transport == "ipc" ? $"ipc://{Ip}-{port}" : $"tcp://{(Ip.Contains(':', StringComparison.Ordinal) ? "[" + Ip + "]" : Ip)}:{port}";

    /// <summary>Reads and checks a connection file; throws <see cref="AnalysisException"/> naming the file and what is wrong.</summary>
    public static ConnectionInfo Load(string path)
    {
        if (!File.Exists(path))
            throw new AnalysisException(AnalysisErrorKind.FileNotFound, path, $"Connection file '{path}' does not exist; Jupyter passes the one it wrote as {{connection_file}}.");
        ConnectionInfo? info;
        try
        {
            info = JsonSerializer.Deserialize<ConnectionInfo>(File.ReadAllText(path));
        }
        catch (JsonException e)
        {
            throw new AnalysisException(AnalysisErrorKind.WrongFormat, path, $"Connection file '{path}' is not JSON ({e.Message}); expected Jupyter's connection file (ip, transport, *_port, key, signature_scheme).");
        }

        if (info is null)
            throw new AnalysisException(AnalysisErrorKind.WrongFormat, path, $"Connection file '{path}' is empty JSON; expected Jupyter's connection file.");
        if (info.Transport is not ("tcp" or "ipc"))
            throw new AnalysisException(AnalysisErrorKind.WrongFormat, path, $"Connection file '{path}': transport '{info.Transport}' is not supported; use tcp or ipc.");
        if (info.Key.Length > 0 && !string.Equals(info.SignatureScheme, "hmac-sha256", StringComparison.OrdinalIgnoreCase))
            throw new AnalysisException(AnalysisErrorKind.WrongFormat, path, $"Connection file '{path}': signature_scheme '{info.SignatureScheme}' is not supported; use hmac-sha256.");
        foreach (var (name, port) in new[] { ("shell_port", info.ShellPort), ("control_port", info.ControlPort), ("stdin_port", info.StdinPort), ("iopub_port", info.IopubPort), ("hb_port", info.HeartbeatPort) })
        {
            if (port is <= 0 or > 65535)
                throw new AnalysisException(AnalysisErrorKind.WrongFormat, path, $"Connection file '{path}': {name} is {port}; expected a port from 1 to 65535.");
        }

        return info;
    }
}
