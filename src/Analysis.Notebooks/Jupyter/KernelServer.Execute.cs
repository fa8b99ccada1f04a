using System.Text.Json.Nodes;
using Analysis.Reporting;

namespace Analysis.Notebooks.Jupyter;

/// <summary>execute, complete, inspect and is_complete: what a cell's code goes through.</summary>
public sealed partial class KernelServer
{
    /// <summary>How long an interrupted cell may take to stop before it is reported interrupted and left to finish.</summary>
    private const int InterruptGraceMilliseconds = 3000;

    private readonly Dictionary<string, Task<bool>> _running = new(StringComparer.Ordinal);
    private long _interruptedAt;

    private async Task ExecuteAsync(JupyterMessage request)
    {
        string code = request.Content["code"]?.GetValue<string>() ?? "";
        bool silent = request.Content["silent"]?.GetValue<bool>() ?? false;
        bool storeHistory = !silent && (request.Content["store_history"]?.GetValue<bool>() ?? true);
        bool allowStdin = request.Content["allow_stdin"]?.GetValue<bool>() ?? false;
        int count = storeHistory ? Interlocked.Increment(ref _executionCount) : Volatile.Read(ref _executionCount);
        if (storeHistory)
            Remember(count, code);
        if (!silent)
            Publish(request, "execute_input", new JsonObject { ["code"] = code, ["execution_count"] = count });

        using var cell = new CancellationTokenSource();
        lock (_cellGate)
            _cell = cell;
        CellOutput? lastError = null;
        bool ok;
        using var streams = new StreamBatcher((name, text) => PublishOutput(request, CellOutput.Stream(name, text), count));
        try
        {
            var outputs = new CellOutputs(
                output =>
                {
                    if (output.OutputType == "error")
                        lastError = output;
                    if (silent)
                        return;
                    if (output.OutputType == "stream")
                        streams.Add(output.Name ?? "stdout", output.Text ?? "");
                    else
                        streams.FlushThen(() => PublishOutput(request, output, count));
                },
                (prompt, password, ct) =>
                {
                    streams.FlushThen(() => { });
                    return ReadInput(request, allowStdin, prompt, password, ct);
                });
            ok = await RunCellAsync(code, outputs, cell.Token).ConfigureAwait(false);
        }
        finally
        {
            streams.FlushThen(() => { });
            lock (_cellGate)
            {
                _cell = null;
                _pendingInput = null;
            }
        }

        if (ok)
        {
            Reply(Socket.Shell, request, "execute_reply", new JsonObject
            {
                ["status"] = "ok",
                ["execution_count"] = count,
                ["payload"] = new JsonArray(),
                ["user_expressions"] = new JsonObject(),
            });
            return;
        }

        _abortQueued = request.Content["stop_on_error"]?.GetValue<bool>() ?? true;
        var reply = ErrorContent(NoAnsi(lastError?.ErrorName ?? "CellFailed"), NoAnsi(lastError?.ErrorValue ?? "The cell failed."), lastError?.Traceback.Select(NoAnsi) ?? []);
        reply["execution_count"] = count;
        Reply(Socket.Shell, request, "execute_reply", reply);
    }

    /// <summary>Runs one cell in its language's kernel (after its #!set / #!share copies); false when it failed (the error is in the outputs).</summary>
    private async Task<bool> RunCellAsync(string code, CellOutputs outputs, CancellationToken cancellationToken)
    {
        var plan = CellPlan.Parse(code, _options.DefaultLanguage);
        if (plan.Error is { } problem)
        {
            outputs.Error("MagicError", problem, [problem]);
            return false;
        }

        try
        {
            var kernel = await KernelAsync(plan.Language).WaitAsync(cancellationToken).ConfigureAwait(false);
            foreach (var share in plan.Shares)
            {
                if (await ShareAsync(share, kernel).ConfigureAwait(false) is { } why)
                {
                    outputs.Error("ShareFailed", why, [why]);
                    return false;
                }
            }

            // a cell of this language that an interrupt left running (code that ignores cancellation) finishes first
            if (_running.TryGetValue(plan.Language, out var previous) && !previous.IsCompleted)
            {
                outputs.Stream("stderr", $"Waiting for the interrupted {plan.Language} cell that is still running (interrupt again to stop waiting).\n");
                await Task.WhenAny(previous).WaitAsync(cancellationToken).ConfigureAwait(false);
            }

            var run = kernel.RunAsync(plan.Code, outputs, cancellationToken);
            _running[plan.Language] = run;
            using (cancellationToken.Register(() => _interruptedAt = Environment.TickCount64))
            {
                // an interrupt stops our cmdlets and PowerShell at once; code that ignores it (a C# loop) gets a grace
                // period, then the cell is reported interrupted and the code finishes in the background
                while (!run.IsCompleted)
                {
                    await Task.WhenAny(run, Task.Delay(200, CancellationToken.None)).ConfigureAwait(false);
                    if (!run.IsCompleted && cancellationToken.IsCancellationRequested && Environment.TickCount64 - _interruptedAt > InterruptGraceMilliseconds)
                    {
                        string message = $"The cell was interrupted, but its code does not observe cancellation and still runs in the background; the next {plan.Language} cell waits for it (restart the kernel to stop it).";
                        outputs.Error("Interrupted", message, [message]);
                        return false;
                    }
                }
            }

            return await run.ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            const string message = "The cell was interrupted (interrupt_request or SIGINT); the kernel and its variables live on.";
            outputs.Error("Interrupted", message, [message]);
            return false;
        }
        catch (Exception e)
        {
            string message = $"{e.GetType().Name}: {e.Message}";
            outputs.Error(e.GetType().Name, e.Message, [message, .. (e.StackTrace ?? "").Split('\n').Select(l => l.TrimEnd('\r')).Where(l => l.Length > 0)]);
            return false;
        }
    }

    /// <summary>Copies one variable into <paramref name="target"/>; the reason when it cannot.</summary>
    private async Task<string?> ShareAsync(VariableShare share, INotebookKernel target)
    {
        if (target is not IInteractiveKernel into)
            return $"The {target.Language} kernel cannot receive shared variables (it does not implement IInteractiveKernel).";
        object? value = share.Literal;
        if (share.FromLanguage is { } from)
        {
            var source = await KernelAsync(from).ConfigureAwait(false);
            if (source is not IInteractiveKernel other)
                return $"The {from} kernel cannot share variables (it does not implement IInteractiveKernel).";
            if (!other.TryGetVariable(share.FromName!, out value))
                return $"The {from} kernel has no variable '{share.FromName}'; run the cell that sets it first.";
        }

        into.SetVariable(share.ToName, value);
        return null;
    }

    private void PublishOutput(JupyterMessage request, CellOutput output, int count)
    {
        switch (output.OutputType)
        {
            case "stream":
                Publish(request, "stream", new JsonObject { ["name"] = output.Name ?? "stdout", ["text"] = NoAnsi(output.Text ?? "") });
                break;
            case "error":
                var error = ErrorContent(NoAnsi(output.ErrorName ?? "Error"), NoAnsi(output.ErrorValue ?? ""), output.Traceback.Select(NoAnsi));
                error.Remove("status");
                Publish(request, "error", error);
                break;
            default:
                var data = new JsonObject();
                foreach (var (mime, text) in output.Data)
                    data[mime] = mime == "text/html" ? WithPlotly(text) : mime.StartsWith("text/", StringComparison.Ordinal) ? NoAnsi(text) : text;
                var content = new JsonObject { ["data"] = data, ["metadata"] = new JsonObject() };
                if (output.OutputType == "execute_result")
                {
                    content["execution_count"] = count;
                    Publish(request, "execute_result", content);
                }
                else
                {
                    content["transient"] = new JsonObject();
                    Publish(request, "display_data", content);
                }

                break;
        }
    }

    /// <summary>
    /// The first output of the session that draws a chart carries plotly.js (embedded: no network needed). It is wrapped
    /// so that it defines window.Plotly even under require.js (classic Notebook), where its UMD header would otherwise
    /// register an anonymous AMD module and leave Plotly undefined.
    /// </summary>
    private string WithPlotly(string html)
    {
        if (!html.Contains("Plotly.newPlot", StringComparison.Ordinal) || Interlocked.Exchange(ref _plotlyDelivered, 1) == 1)
            return html;
        return "<script type=\"text/javascript\">(function () { var define, module, exports; "
            + HtmlReport.PlotlyJs.Replace("</script", "<\\/script", StringComparison.OrdinalIgnoreCase)
            + "\n}).call(window);</script>\n" + html;
    }

    private string ReadInput(JupyterMessage request, bool allowStdin, string prompt, bool password, CancellationToken cancellationToken)
    {
        if (!allowStdin)
            throw new InvalidOperationException("This client does not accept input (its execute_request had allow_stdin false, e.g. nbclient or papermill): set the value in a variable instead of asking for it.");
        var answer = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        CancellationToken cell;
        lock (_cellGate)
        {
            if (_cell is null)
                throw new InvalidOperationException("Input can only be asked for while a cell runs.");
            cell = _cell.Token;
            _pendingInput = answer;
        }

        _outgoing.Enqueue(new Outgoing(Socket.Stdin, new JupyterMessage
        {
            Identities = request.Identities,
            Header = JupyterMessage.NewHeader("input_request", _session),
            ParentHeader = request.Header.DeepClone().AsObject(),
            Content = new JsonObject { ["prompt"] = prompt, ["password"] = password },
        }));
        using var both = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, cell);
        try
        {
            return answer.Task.WaitAsync(both.Token).GetAwaiter().GetResult();
        }
        catch (TaskCanceledException)
        {
            throw new OperationCanceledException("The input request was interrupted.", both.Token);
        }
    }

    private async Task<JsonObject> CompleteAsync(JsonObject content)
    {
        string code = content["code"]?.GetValue<string>() ?? "";
        int cursor = CodePoints.ToUtf16(code, content["cursor_pos"]?.GetValue<int>() ?? code.Length);
        var (kernel, plan) = await InteractiveKernelAsync(code).ConfigureAwait(false);
        var set = kernel is null ? CompletionSet.None(cursor) : await kernel.CompleteAsync(plan.Code, cursor, _stopping.Token).ConfigureAwait(false);
        var reply = new JsonObject
        {
            ["status"] = "ok",
            ["matches"] = new JsonArray([.. set.Matches.Select(m => (JsonNode?)JsonValue.Create(m))]),
            ["cursor_start"] = CodePoints.FromUtf16(code, set.Start),
            ["cursor_end"] = CodePoints.FromUtf16(code, set.End),
            ["metadata"] = new JsonObject(),
        };
        if (set.Kinds.Count == set.Matches.Count && set.Matches.Count > 0)
        {
            // JupyterLab's completer shows the kind beside each match
            reply["metadata"]!["_jupyter_types_experimental"] = new JsonArray([.. set.Matches.Select((m, i) => (JsonNode?)new JsonObject
            {
                ["start"] = CodePoints.FromUtf16(code, set.Start),
                ["end"] = CodePoints.FromUtf16(code, set.End),
                ["text"] = m,
                ["type"] = set.Kinds[i],
            })]);
        }

        return reply;
    }

    private async Task<JsonObject> InspectAsync(JsonObject content)
    {
        string code = content["code"]?.GetValue<string>() ?? "";
        int cursor = CodePoints.ToUtf16(code, content["cursor_pos"]?.GetValue<int>() ?? code.Length);
        int detail = content["detail_level"]?.GetValue<int>() ?? 0;
        var (kernel, plan) = await InteractiveKernelAsync(code).ConfigureAwait(false);
        var found = kernel is null ? null : await kernel.InspectAsync(plan.Code, cursor, detail, _stopping.Token).ConfigureAwait(false);
        var data = new JsonObject();
        foreach (var (mime, text) in found?.Data ?? new Dictionary<string, string>())
            data[mime] = mime == "text/html" ? text : NoAnsi(text);
        return new JsonObject { ["status"] = "ok", ["found"] = found is not null, ["data"] = data, ["metadata"] = new JsonObject() };
    }

    private async Task<JsonObject> IsCompleteAsync(JsonObject content)
    {
        string code = content["code"]?.GetValue<string>() ?? "";
        var (kernel, plan) = await InteractiveKernelAsync(code).ConfigureAwait(false);
        var answer = plan.Error is not null ? CodeCompleteness.Invalid : kernel?.IsComplete(plan.Code) ?? CodeCompleteness.Unknown;
        var reply = new JsonObject { ["status"] = answer.ToString().ToLowerInvariant() };
        if (answer == CodeCompleteness.Incomplete)
            reply["indent"] = "    ";
        return reply;
    }

    /// <summary>The cell's kernel when it answers an editor's questions; null when it does not (or cannot start).</summary>
    private async Task<(IInteractiveKernel? Kernel, CellPlan Plan)> InteractiveKernelAsync(string code)
    {
        var plan = CellPlan.Parse(code, _options.DefaultLanguage);
        try
        {
            return (await KernelAsync(plan.Language).ConfigureAwait(false) as IInteractiveKernel, plan);
        }
        catch (Exception e)
        {
            Log($"the {plan.Language} kernel could not start: {e.Message}");
            return (null, plan);
        }
    }
}

/// <summary>Positions in Jupyter's unit (Unicode code points) and .NET's (UTF-16 code units).</summary>
public static class CodePoints
{
    /// <summary>The UTF-16 index of code point <paramref name="codePoint"/> in <paramref name="text"/> (clamped to its length).</summary>
    public static int ToUtf16(string text, int codePoint)
    {
        ArgumentNullException.ThrowIfNull(text);
        int index = 0;
        for (int n = 0; n < codePoint && index < text.Length; n++)
            index += char.IsHighSurrogate(text[index]) && index + 1 < text.Length && char.IsLowSurrogate(text[index + 1]) ? 2 : 1;
        return index;
    }

    /// <summary>The code point index of UTF-16 index <paramref name="utf16"/> in <paramref name="text"/> (clamped to its length).</summary>
    public static int FromUtf16(string text, int utf16)
    {
        ArgumentNullException.ThrowIfNull(text);
        int n = 0;
        for (int index = 0; index < Math.Min(utf16, text.Length); n++)
            index += char.IsHighSurrogate(text[index]) && index + 1 < text.Length && char.IsLowSurrogate(text[index + 1]) ? 2 : 1;
        return n;
    }
}

/// <summary>
/// Stream text of one cell gathered into fewer iopub messages (as ipykernel does): written out after 50 ms of quiet,
/// at 64 KB, when the stream changes, before any other output and at the cell's end, so the order is kept.
/// </summary>
internal sealed class StreamBatcher : IDisposable
{
    private const int QuietMilliseconds = 50;
    private const int MaxChars = 64 * 1024;
    private readonly object _gate = new();
    private readonly System.Text.StringBuilder _text = new();
    private readonly Action<string, string> _emit;
    private readonly Timer _timer;
    private string? _name;
    private bool _disposed;

    public StreamBatcher(Action<string, string> emit)
    {
        _emit = emit;
        _timer = new Timer(_ => FlushThen(() => { }), null, Timeout.Infinite, Timeout.Infinite);
    }

    public void Add(string name, string text)
    {
        lock (_gate)
        {
            if (_disposed)
            {
                _emit(name, text); // a cell left running after an interrupt: its late output goes out as written
                return;
            }

            if (_name is not null && _name != name)
                FlushLocked();
            _name = name;
            _text.Append(text);
            if (_text.Length >= MaxChars)
                FlushLocked();
            else
                _timer.Change(QuietMilliseconds, Timeout.Infinite);
        }
    }

    /// <summary>Writes the pending text, then runs <paramref name="next"/> (another output) before any later text.</summary>
    public void FlushThen(Action next)
    {
        lock (_gate)
        {
            FlushLocked();
            next();
        }
    }

    public void Dispose()
    {
        lock (_gate)
        {
            FlushLocked();
            _disposed = true;
            _timer.Dispose();
        }
    }

    private void FlushLocked()
    {
        if (_name is null || _text.Length == 0)
            return;
        string name = _name, text = _text.ToString();
        _text.Clear();
        _name = null;
        _emit(name, text);
    }
}
