namespace Analysis.Stacks;

/// <summary>Where a frame's code lives.</summary>
public enum FrameKind
{
    /// <summary>A managed (.NET) method.</summary>
    Managed,
    /// <summary>A runtime-internal transition frame (e.g. InlinedCallFrame), shown in brackets.</summary>
    Runtime,
    /// <summary>A native function.</summary>
    Native,
    /// <summary>A Go function.</summary>
    Go,
}

/// <summary>
/// One frame of a stack, the same shape for .NET threads and Go goroutines so stacks from both runtimes
/// can be grouped and compared. <see cref="Function"/> is the full name (namespace, type, method and
/// parameter types for .NET; package path and function for Go).
/// </summary>
/// <param name="Function">The full name: namespace, type, method and parameter types (.NET); package path and function (Go).</param>
/// <param name="Module">The assembly, native library or Go package; null when unknown.</param>
/// <param name="Kind">Managed, runtime, native or Go code.</param>
public sealed record StackFrameInfo(string Function, string? Module, FrameKind Kind = FrameKind.Managed)
{
    /// <summary>
    /// Source file, when known: Go dumps and profiles record it; .NET dump frames get it from the module's portable PDB
    /// (embedded, beside the module, or in a -SymbolPath folder, of exactly the build the dump ran). Null otherwise.
    /// </summary>
    public string? File { get; init; }

    /// <summary>Source line (of the call, for a frame below the top), 0 when unknown (<see cref="File"/> is null then).</summary>
    public int Line { get; init; }

    /// <summary>Argument values as the runtime printed them (Go: "0xc000010000, 0x2?"; "..." for inlined frames).</summary>
    public string? Arguments { get; init; }

    /// <summary>A Go call the compiler inlined into its caller: the runtime prints it with "(...)" and no offset; it has no frame of its own.</summary>
    public bool Inlined { get; init; }

    /// <summary>Offset of the return address in the function (Go "+0x25"), 0 when unknown.</summary>
    public long Offset { get; init; }

    /// <summary>The frame's instruction address (a dump's IP, a pprof location's address); 0 when unknown, as in text goroutine dumps.</summary>
    public ulong InstructionPointer { get; init; }

    /// <summary>The frame's stack pointer (dumps only); 0 when unknown.</summary>
    public ulong StackPointer { get; init; }

    /// <summary>
    /// <c>Module!Function</c>, or the function alone when the module is unknown; runtime frames in brackets. With a source
    /// line: a .NET frame adds "(File.cs:42)" (the file name only; <see cref="File"/> has the path), a Go frame
    /// "Function (path/file.go:42)" as Go prints it.
    /// </summary>
    public override string ToString() => Kind switch
    {
        FrameKind.Runtime => $"[{Function}]",
        FrameKind.Managed when File is not null => $"{(Module is null ? "" : Module + "!")}{Function} ({System.IO.Path.GetFileName(File.Replace('\\', '/'))}:{Line})",
        _ when File is not null => $"{Function} ({File}:{Line})",
        _ when Module is not null => $"{Module}!{Function}",
        _ => Function,
    };
}
