using System.Globalization;
using System.Text.Json;

namespace Analysis.Dumps;

/// <summary>One frame of a thread in a createdump crash report: a managed method or a native function.</summary>
/// <param name="Function">The managed method with its parameter types, or the native function (or module offset when unnamed).</param>
/// <param name="Module">The module file name (Contoso.dll, libcoreclr.so).</param>
/// <param name="IsManaged">Whether it is managed code.</param>
/// <param name="ILOffset">The IL offset of a managed frame; -1 for native frames or when not recorded.</param>
public sealed record CrashReportFrame(string Function, string? Module, bool IsManaged, int ILOffset = -1)
{
    /// <summary>"Module!Function".</summary>
    public override string ToString() => Module is null ? Function : $"{Module}!{Function}";
}

/// <summary>
/// The crash report the runtime's createdump writes beside a dump it took on a crash (<c>&lt;dump&gt;.crashreport.json</c>,
/// when the process ran with DOTNET_DbgEnableMiniDump=1 and DOTNET_EnableCrashReport=1): the crashing thread, the
/// managed exception that ended the process, and that thread's frames.
/// </summary>
public sealed record CrashReport
{
    /// <summary>The report file.</summary>
    public required string Path { get; init; }

    /// <summary>The process's name as the report gives it.</summary>
    public string? ProcessName { get; init; }

    /// <summary>The OS id of the thread that crashed; null when the report marks none.</summary>
    public uint? CrashedThreadId { get; init; }

    /// <summary>The type of the managed exception that crashed the process (full name); null for a native crash.</summary>
    public string? ExceptionType { get; init; }

    /// <summary>Its HResult; null when not recorded.</summary>
    public int? ExceptionHResult { get; init; }

    /// <summary>Address of the exception object; 0 when not recorded.</summary>
    public ulong ExceptionAddress { get; init; }

    /// <summary>createdump's crash code (the report's parameters.ExceptionType, e.g. "0x05000000"); null when absent.</summary>
    public string? CrashCode { get; init; }

    /// <summary>The crashed thread's frames, top first, native ones included.</summary>
    public ItemList<CrashReportFrame> Frames { get; init; } = [];

    /// <summary>The report file beside <paramref name="dumpPath"/>: <c>&lt;dump&gt;.crashreport.json</c>.</summary>
    public static string PathFor(string dumpPath) => dumpPath + ".crashreport.json";

    /// <summary>
    /// Reads the crash report beside the dump. Null when there is none; when the file cannot be read or parsed, null with
    /// <paramref name="problem"/> saying why (a report is a hint, never a reason to fail the dump's analysis).
    /// </summary>
    public static CrashReport? TryRead(string dumpPath, out string? problem)
    {
        ArgumentNullException.ThrowIfNull(dumpPath);
        problem = null;
        string path = PathFor(dumpPath);
        if (!File.Exists(path))
            return null;
        try
        {
            using var stream = File.OpenRead(path);
            if (stream.Length > 64 << 20)
            {
                problem = $"Crash report '{path}' is {stream.Length:N0} bytes, more than a crash report holds; it was not read.";
                return null;
            }

            using var json = JsonDocument.Parse(stream);
            return Parse(path, json.RootElement);
        }
        catch (Exception e) when (e is JsonException or IOException or UnauthorizedAccessException or InvalidOperationException or FormatException)
        {
            problem = $"Crash report '{path}' could not be read ({e.Message}); the crash reason comes from the dump alone.";
            return null;
        }
    }

    private static CrashReport Parse(string path, JsonElement root)
    {
        if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("payload", out var payload) || payload.ValueKind != JsonValueKind.Object)
            throw new FormatException("no \"payload\" object at the top");
        JsonElement? crashed = null;
        if (payload.TryGetProperty("threads", out var threads) && threads.ValueKind == JsonValueKind.Array)
        {
            foreach (var t in threads.EnumerateArray())
            {
                if (Text(t, "crashed") == "true")
                {
                    crashed = t;
                    break;
                }
            }
        }

        string? code = root.TryGetProperty("parameters", out var parameters) ? Text(parameters, "ExceptionType") : null;
        if (crashed is not { } c)
            return new CrashReport { Path = path, ProcessName = Text(payload, "process_name"), CrashCode = code };
        var frames = new List<CrashReportFrame>();
        if (c.TryGetProperty("stack_frames", out var stack) && stack.ValueKind == JsonValueKind.Array)
        {
            foreach (var f in stack.EnumerateArray())
            {
                bool managed = Text(f, "is_managed") == "true";
                string? module = managed ? Text(f, "filename") : Text(f, "native_module");
                string function = (managed ? Text(f, "method_name") : Text(f, "unmanaged_name")) ?? "+" + (Text(f, "native_image_offset") ?? Text(f, "native_address") ?? "?");
                frames.Add(new CrashReportFrame(function, module, managed, managed && Hex(Text(f, "il_offset")) is { } il ? (int)il : -1));
            }
        }

        return new CrashReport
        {
            Path = path,
            ProcessName = Text(payload, "process_name"),
            CrashedThreadId = Hex(Text(c, "native_thread_id")) is { } tid ? (uint)tid : null,
            ExceptionType = Text(c, "managed_exception_type") is { Length: > 0 } type ? type : null,
            ExceptionHResult = Hex(Text(c, "managed_exception_hresult")) is { } hr ? unchecked((int)hr) : null,
            ExceptionAddress = Hex(Text(c, "managed_exception_object")) ?? 0,
            CrashCode = code,
            Frames = frames,
        };
    }

    private static string? Text(JsonElement e, string name) =>
        e.ValueKind == JsonValueKind.Object && e.TryGetProperty(name, out var v) ? v.ValueKind switch
        {
            JsonValueKind.String => v.GetString(),
            JsonValueKind.Number or JsonValueKind.True or JsonValueKind.False => v.GetRawText(),
            _ => null,
        } : null;

    private static ulong? Hex(string? text) =>
        text is null ? null
        : text.StartsWith("0x", StringComparison.OrdinalIgnoreCase) && ulong.TryParse(text.AsSpan(2), NumberStyles.HexNumber, CultureInfo.InvariantCulture, out ulong h) ? h
        : ulong.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out ulong d) ? d : null;

    /// <summary>"Type on OS thread 0x… (crash code …)".</summary>
    public override string ToString() =>
        string.Create(CultureInfo.InvariantCulture, $"{ExceptionType ?? "native crash"}{(CrashedThreadId is uint t ? $" on OS thread 0x{t:x}" : "")}{(CrashCode is null ? "" : $" (crash code {CrashCode})")}");
}
