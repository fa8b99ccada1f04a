using System.Collections.Concurrent;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using NetMQ;
using NetMQ.Sockets;

namespace Analysis.Notebooks.Jupyter;

/// <summary>What a <see cref="KernelServer"/> runs and how it presents itself.</summary>
public sealed class KernelServerOptions
{
    /// <summary>Language ("pwsh", "csharp") → a factory for its one continuing kernel, created on first use.</summary>
    public required IReadOnlyDictionary<string, KernelFactory> Kernels { get; init; }

    /// <summary>The language of cells without a language magic.</summary>
    public string DefaultLanguage { get; init; } = "pwsh";

    /// <summary>The folder relative paths resolve against (Jupyter starts kernels in the notebook's folder).</summary>
    public string WorkingDirectory { get; init; } = Environment.CurrentDirectory;

    /// <summary>Create the default language's kernel in the background at start, so the first cell does not wait for it.</summary>
    public bool WarmUpDefaultKernel { get; init; } = true;

    /// <summary>Treat SIGINT as an interrupt of the running cell (the process lives on); Jupyter's interrupt_mode "signal".</summary>
    public bool HandleInterruptSignal { get; init; } = true;

    /// <summary>language_info.version of kernel_info (the default language's version).</summary>
    public string LanguageVersion { get; init; } = "";

    /// <summary>implementation_version of kernel_info.</summary>
    public string ImplementationVersion { get; init; } = typeof(KernelServer).Assembly.GetName().Version?.ToString() ?? "0.0";

    /// <summary>Where dropped messages and internal failures are logged (the kernel's stderr, which Jupyter shows in its log).</summary>
    public TextWriter Log { get; init; } = Console.Error;
}

/// <summary>
/// A Jupyter kernel (messaging protocol 5.3 over ZeroMQ, NetMQ): shell, control and stdin ROUTER sockets, iopub PUB and
/// the heartbeat REP, bound exactly where the connection file says. Shell requests run one at a time, in order, each
/// between a busy and an idle status on iopub; control requests (kernel_info, interrupt, shutdown) are answered while a
/// cell runs. Messages with a missing or wrong HMAC-SHA256 signature are dropped and logged. Cells run in the
/// <see cref="INotebookKernel"/> of their language (Polyglot's #!pwsh / #!csharp magics), one continuing kernel per
/// language; complete, inspect and is_complete go to kernels that implement <see cref="IInteractiveKernel"/>.
/// </summary>
public sealed partial class KernelServer : IDisposable
{
    private static readonly JsonObject s_empty = new();
    private readonly ConnectionInfo _connection;
    private readonly KernelServerOptions _options;
    private readonly MessageSigner _signer;
    private readonly string _session = Guid.NewGuid().ToString();
    private readonly ConcurrentDictionary<string, Lazy<Task<INotebookKernel>>> _kernels = new(StringComparer.Ordinal);
    private readonly NetMQQueue<Outgoing> _outgoing = new();
    private readonly System.Threading.Channels.Channel<JupyterMessage> _shellQueue = System.Threading.Channels.Channel.CreateUnbounded<JupyterMessage>(new() { SingleReader = true });
    private readonly CancellationTokenSource _stopping = new();
    private readonly TaskCompletionSource<bool> _finished = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly object _cellGate = new();
    private CancellationTokenSource? _cell;
    private TaskCompletionSource<string>? _pendingInput;
    private int _executionCount;
    private int _plotlyDelivered;
    private int _answeredKernelInfo;
    private bool _abortQueued;
    private bool _disposed;

    /// <summary>A kernel for <paramref name="connection"/>; nothing is bound until <see cref="RunAsync"/>.</summary>
    public KernelServer(ConnectionInfo connection, KernelServerOptions options)
    {
        _connection = connection ?? throw new ArgumentNullException(nameof(connection));
        _options = options ?? throw new ArgumentNullException(nameof(options));
        _signer = new MessageSigner(connection.Key);
    }

    private enum Socket
    {
        Shell,
        Control,
        Stdin,
        Iopub,
    }

    /// <summary>The number of the last execution that counted (store_history and not silent).</summary>
    public int ExecutionCount => Volatile.Read(ref _executionCount);

    /// <summary>
    /// Binds the sockets and serves until a shutdown_request (or <paramref name="cancellationToken"/>); returns the
    /// request's restart flag (the client starts a new process itself). Throws <see cref="AnalysisException"/> when a
    /// port cannot be bound.
    /// </summary>
    public async Task<bool> RunAsync(CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        using var linked = cancellationToken.Register(() => RequestStop(false));
        if (_options.WarmUpDefaultKernel && _options.Kernels.ContainsKey(_options.DefaultLanguage))
            _ = KernelAsync(_options.DefaultLanguage);

        var bound = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var io = new Thread(() => ServeSockets(bound)) { IsBackground = true, Name = "jupyter sockets" };
        var heartbeat = new Thread(ServeHeartbeat) { IsBackground = true, Name = "jupyter heartbeat" };
        io.Start();
        await bound.Task.ConfigureAwait(false);
        heartbeat.Start();
        using var signal = _options.HandleInterruptSignal ? PosixSignalRegistration.Create(PosixSignal.SIGINT, c =>
        {
            c.Cancel = true; // the process lives on: only the running cell stops
            Interrupt();
        }) : null;

        var shell = Task.Run(ProcessShellAsync, CancellationToken.None);
        bool restart = await _finished.Task.ConfigureAwait(false);
        _shellQueue.Writer.TryComplete();
        // a cell that ignores the interrupt must not keep the process from ending
        if (await Task.WhenAny(shell, Task.Delay(TimeSpan.FromSeconds(5), CancellationToken.None)).ConfigureAwait(false) != shell)
            Log("a cell was still running at shutdown; ending without it");
        io.Join(TimeSpan.FromSeconds(5));
        heartbeat.Join(TimeSpan.FromSeconds(2));
        return restart;
    }

    /// <summary>Cancels the running cell (and a pending input request); the kernel keeps serving. No-op when idle.</summary>
    public void Interrupt()
    {
        lock (_cellGate)
        {
            _cell?.Cancel();
            _pendingInput?.TrySetCanceled();
        }
    }

    /// <summary>Disposes the language kernels created so far.</summary>
    public void Dispose()
    {
        if (_disposed)
            return;
        _disposed = true;
        RequestStop(false);
        foreach (var kernel in _kernels.Values)
        {
            if (kernel.IsValueCreated && kernel.Value.IsCompletedSuccessfully)
            {
                try
                {
                    kernel.Value.Result.Dispose();
                }
                catch (Exception e)
                {
                    Log($"disposing the {kernel.Value.Result.Language} kernel failed: {e.Message}");
                }
            }
        }

        _outgoing.Dispose();
        _stopping.Dispose();
    }

    private void RequestStop(bool restart)
    {
        if (_finished.Task.IsCompleted)
            return;
        try
        {
            _stopping.Cancel();
        }
        catch (ObjectDisposedException)
        {
        }

        Interrupt();
        _outgoing.Enqueue(Outgoing.Stop(restart));
    }

    private void ServeSockets(TaskCompletionSource bound)
    {
        RouterSocket? shell = null, control = null, stdin = null;
        PublisherSocket? iopub = null;
        try
        {
            shell = Bind(new RouterSocket(), _connection.ShellPort);
            control = Bind(new RouterSocket(), _connection.ControlPort);
            stdin = Bind(new RouterSocket(), _connection.StdinPort);
            iopub = Bind(new PublisherSocket(), _connection.IopubPort);
            iopub.Options.SendHighWatermark = 0; // never drop an output because a client reads slowly
        }
        catch (Exception e) when (e is NetMQException or AnalysisException)
        {
            foreach (var s in new NetMQSocket?[] { shell, control, stdin, iopub })
                s?.Dispose();
            bound.TrySetException(e as AnalysisException ?? new AnalysisException(AnalysisErrorKind.ReadFailed, null,
                $"The kernel could not bind a socket where the connection file says ({e.Message}); another process may hold the port: let Jupyter start the kernel again with new ports."));
            _finished.TrySetResult(false);
            return;
        }

        var sockets = new Dictionary<Socket, NetMQSocket> { [Socket.Shell] = shell, [Socket.Control] = control, [Socket.Stdin] = stdin, [Socket.Iopub] = iopub };
        using var poller = new NetMQPoller { shell, control, stdin, _outgoing };
        bool restart = false;
        shell.ReceiveReady += (_, e) => Receive(e.Socket, Socket.Shell);
        control.ReceiveReady += (_, e) => Receive(e.Socket, Socket.Control);
        stdin.ReceiveReady += (_, e) => Receive(e.Socket, Socket.Stdin);
        _outgoing.ReceiveReady += (_, _) =>
        {
            while (_outgoing.TryDequeue(out var item, TimeSpan.Zero))
            {
                if (item.IsStop)
                {
                    restart = item.Restart;
                    poller.Stop();
                    return;
                }

                var message = new NetMQMessage();
                foreach (byte[] frame in item.Message!.ToFrames(_signer))
                    message.Append(frame);
                sockets[item.Socket].TrySendMultipartMessage(TimeSpan.FromSeconds(5), message);
            }
        };
        bound.TrySetResult();
        try
        {
            poller.Run();
        }
        catch (Exception e)
        {
            Log($"the socket loop failed: {e}");
        }
        finally
        {
            foreach (var s in sockets.Values)
            {
                s.Options.Linger = TimeSpan.FromSeconds(1);
                s.Dispose();
            }

            _finished.TrySetResult(restart);
        }
    }

    private T Bind<T>(T socket, int port)
        where T : NetMQSocket
    {
        socket.Options.Linger = TimeSpan.Zero;
        socket.Bind(_connection.Address(port));
        return socket;
    }

    private void ServeHeartbeat()
    {
        using var heartbeat = new ResponseSocket();
        try
        {
            heartbeat.Options.Linger = TimeSpan.Zero;
            heartbeat.Bind(_connection.Address(_connection.HeartbeatPort));
            while (!_stopping.IsCancellationRequested)
            {
                if (heartbeat.TryReceiveFrameBytes(TimeSpan.FromMilliseconds(200), out byte[]? ping, out bool more))
                {
                    var echo = new NetMQMessage();
                    echo.Append(ping);
                    while (more && heartbeat.TryReceiveFrameBytes(TimeSpan.FromSeconds(1), out byte[]? rest, out more))
                        echo.Append(rest);
                    heartbeat.TrySendMultipartMessage(TimeSpan.FromSeconds(1), echo);
                }
            }
        }
        catch (Exception e) when (e is NetMQException or ObjectDisposedException)
        {
            Log($"the heartbeat stopped: {e.Message}");
        }
    }

    private void Receive(NetMQSocket socket, Socket channel)
    {
        var frames = new NetMQMessage();
        while (socket.TryReceiveMultipartMessage(TimeSpan.Zero, ref frames))
        {
            var message = JupyterMessage.FromFrames(frames.Select(f => f.ToByteArray()).ToList(), _signer, out string? problem);
            frames = new NetMQMessage();
            if (message is null)
            {
                Log($"dropped a message on {channel.ToString().ToLowerInvariant()}: {problem}");
                continue;
            }

            try
            {
                switch (channel)
                {
                    case Socket.Shell:
                        _shellQueue.Writer.TryWrite(message);
                        break;
                    case Socket.Control:
                        HandleControl(message);
                        break;
                    case Socket.Stdin:
                        if (message.MessageType == "input_reply")
                        {
                            lock (_cellGate)
                                _pendingInput?.TrySetResult(message.Content["value"]?.GetValue<string>() ?? "");
                        }

                        break;
                }
            }
            catch (Exception e)
            {
                Log($"{message.MessageType} on {channel} failed: {e}");
            }
        }
    }

    private void HandleControl(JupyterMessage request)
    {
        Publish(request, "status", new JsonObject { ["execution_state"] = "busy" });
        switch (request.MessageType)
        {
            case "kernel_info_request":
                Reply(Socket.Control, request, "kernel_info_reply", KernelInfo());
                break;
            case "interrupt_request":
                Interrupt();
                Reply(Socket.Control, request, "interrupt_reply", new JsonObject { ["status"] = "ok" });
                break;
            case "shutdown_request":
                Shutdown(Socket.Control, request);
                return;
            default:
                Log($"unknown message type {request.MessageType} on control: ignored");
                break;
        }

        Publish(request, "status", new JsonObject { ["execution_state"] = "idle" });
    }

    private void Shutdown(Socket socket, JupyterMessage request)
    {
        bool restart = request.Content["restart"]?.GetValue<bool>() ?? false;
        Reply(socket, request, "shutdown_reply", new JsonObject { ["status"] = "ok", ["restart"] = restart });
        Publish(request, "status", new JsonObject { ["execution_state"] = "idle" });
        RequestStop(restart);
    }

    private async Task ProcessShellAsync()
    {
        await foreach (var request in _shellQueue.Reader.ReadAllAsync().ConfigureAwait(false))
        {
            if (_stopping.IsCancellationRequested)
                continue;
            if (request.MessageType == "shutdown_request")
            {
                Publish(request, "status", new JsonObject { ["execution_state"] = "busy" });
                Shutdown(Socket.Shell, request);
                continue;
            }

            await ServeAsync(request).ConfigureAwait(false);

            // a cell that failed with stop_on_error (Run All) cancels the execute requests already waiting, as ipykernel does
            while (_abortQueued && _shellQueue.Reader.TryRead(out var waiting))
            {
                if (waiting.MessageType == "shutdown_request")
                {
                    Publish(waiting, "status", new JsonObject { ["execution_state"] = "busy" });
                    Shutdown(Socket.Shell, waiting);
                    break;
                }

                if (waiting.MessageType != "execute_request")
                {
                    await ServeAsync(waiting).ConfigureAwait(false);
                    continue;
                }

                Publish(waiting, "status", new JsonObject { ["execution_state"] = "busy" });
                Reply(Socket.Shell, waiting, "execute_reply", new JsonObject { ["status"] = "aborted", ["execution_count"] = ExecutionCount });
                Publish(waiting, "status", new JsonObject { ["execution_state"] = "idle" });
            }

            _abortQueued = false;
        }
    }

    /// <summary>One shell request between its busy and idle status; a failure is logged and answered with an error reply.</summary>
    private async Task ServeAsync(JupyterMessage request)
    {
        Publish(request, "status", new JsonObject { ["execution_state"] = "busy" });
        try
        {
            await HandleShellAsync(request).ConfigureAwait(false);
        }
        catch (Exception e) when (e is InvalidOperationException or FormatException or System.Text.Json.JsonException)
        {
            // a field of the request's content of the wrong JSON type (System.Text.Json.Nodes' conversions): the client's mistake
            Log($"{request.MessageType}: malformed content: {e.Message}");
            string message = $"The {request.MessageType}'s content does not follow the Jupyter messaging protocol 5.3 ({e.Message}); the kernel ignored it.";
            Reply(Socket.Shell, request, request.MessageType.Replace("_request", "_reply", StringComparison.Ordinal), ErrorContent("MalformedRequest", message, [message]));
        }
        catch (Exception e)
        {
            Log($"{request.MessageType} failed: {e}");
            Reply(Socket.Shell, request, request.MessageType.Replace("_request", "_reply", StringComparison.Ordinal), ErrorContent(e.GetType().Name, e.Message, [e.ToString()]));
        }

        Publish(request, "status", new JsonObject { ["execution_state"] = "idle" });
    }

    private async Task HandleShellAsync(JupyterMessage request)
    {
        switch (request.MessageType)
        {
            case "kernel_info_request":
                Reply(Socket.Shell, request, "kernel_info_reply", KernelInfo());
                if (Interlocked.Exchange(ref _answeredKernelInfo, 1) == 0)
                    Log($"first kernel_info answered {(DateTime.Now - System.Diagnostics.Process.GetCurrentProcess().StartTime).TotalMilliseconds:N0} ms after the process started");
                break;
            case "execute_request":
                await ExecuteAsync(request).ConfigureAwait(false);
                break;
            case "complete_request":
                Reply(Socket.Shell, request, "complete_reply", await CompleteAsync(request.Content).ConfigureAwait(false));
                break;
            case "inspect_request":
                Reply(Socket.Shell, request, "inspect_reply", await InspectAsync(request.Content).ConfigureAwait(false));
                break;
            case "is_complete_request":
                Reply(Socket.Shell, request, "is_complete_reply", await IsCompleteAsync(request.Content).ConfigureAwait(false));
                break;
            case "comm_info_request":
                Reply(Socket.Shell, request, "comm_info_reply", new JsonObject { ["status"] = "ok", ["comms"] = new JsonObject() });
                break;
            case "history_request":
                Reply(Socket.Shell, request, "history_reply", HistoryReply(request.Content));
                break;
            default:
                Log($"unknown message type {request.MessageType} on shell: ignored");
                break;
        }
    }

    private JsonObject KernelInfo() => new()
    {
        ["status"] = "ok",
        ["protocol_version"] = JupyterMessage.ProtocolVersion,
        ["implementation"] = "analysis",
        ["implementation_version"] = _options.ImplementationVersion,
        ["language_info"] = new JsonObject
        {
            ["name"] = "powershell",
            ["version"] = _options.LanguageVersion,
            ["mimetype"] = "text/x-powershell",
            ["file_extension"] = ".ps1",
            ["pygments_lexer"] = "powershell",
            ["codemirror_mode"] = "powershell",
        },
        ["banner"] = "Analysis kernel: PowerShell cells with the Analysis module imported (the default), C# cells after #!csharp; share variables with #!share --from pwsh name.",
        ["help_links"] = new JsonArray
        {
            new JsonObject { ["text"] = "PowerShell", ["url"] = "https://learn.microsoft.com/powershell/" },
            new JsonObject { ["text"] = "C# scripting", ["url"] = "https://learn.microsoft.com/dotnet/csharp/" },
        },
        ["debugger"] = false,
    };

    private Task<INotebookKernel> KernelAsync(string language)
    {
        if (!_options.Kernels.TryGetValue(language, out var factory))
            return Task.FromException<INotebookKernel>(new InvalidOperationException($"No {language} kernel in this process; it runs {string.Join(", ", _options.Kernels.Keys.Order())}."));
        return _kernels.GetOrAdd(language, _ => new Lazy<Task<INotebookKernel>>(() => Task.Run(() => factory(_options.WorkingDirectory)))).Value;
    }

    private void Reply(Socket socket, JupyterMessage request, string type, JsonObject content) =>
        _outgoing.Enqueue(new Outgoing(socket, new JupyterMessage
        {
            Identities = request.Identities,
            Header = JupyterMessage.NewHeader(type, _session),
            ParentHeader = request.Header.DeepClone().AsObject(),
            Content = content,
        }));

    private void Publish(JupyterMessage parent, string type, JsonObject content) =>
        _outgoing.Enqueue(new Outgoing(Socket.Iopub, new JupyterMessage
        {
            Identities = [Encoding.UTF8.GetBytes($"kernel.{_session}.{type}")],
            Header = JupyterMessage.NewHeader(type, _session),
            ParentHeader = parent.Header.DeepClone().AsObject(),
            Content = content,
        }));

    private void Log(string text)
    {
        try
        {
            _options.Log.WriteLine($"[analysis kernel {DateTime.UtcNow:HH:mm:ss.fff}] {text}");
            _options.Log.Flush();
        }
        catch (ObjectDisposedException)
        {
        }
    }

    private static JsonObject ErrorContent(string name, string value, IEnumerable<string> traceback) => new()
    {
        ["status"] = "error",
        ["ename"] = name,
        ["evalue"] = value,
        ["traceback"] = new JsonArray([.. traceback.Select(l => (JsonNode?)JsonValue.Create(l))]),
    };

    /// <summary>Terminal escape sequences (colours, cursor moves): never sent to a notebook.</summary>
    [GeneratedRegex(@"\x1b(\[[0-9;?]*[ -/]*[@-~]|\][^\x07\x1b]*(\x07|\x1b\\)|[@-Z\\-_])")]
    private static partial Regex Ansi();

    private static string NoAnsi(string text) => text.Contains('\x1b', StringComparison.Ordinal) ? Ansi().Replace(text, "") : text;

    private readonly record struct Outgoing(Socket Socket, JupyterMessage? Message, bool IsStop = false, bool Restart = false)
    {
        public static Outgoing Stop(bool restart) => new(Socket.Shell, null, true, restart);
    }
}
