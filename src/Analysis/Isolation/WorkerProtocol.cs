using System.Buffers.Binary;
using System.Text;

namespace Analysis.Isolation;

/// <summary>What a frame between a session and its worker carries.</summary>
internal enum FrameKind : byte
{
    /// <summary>Worker → session, once at start: protocol version, process id.</summary>
    Ready = 1,
    /// <summary>Session → worker: operation name, then its arguments.</summary>
    Request = 2,
    /// <summary>Worker → session: activity, status, done, total of the request with this id.</summary>
    Progress = 3,
    /// <summary>Worker → session: the request's answer (operation-specific bytes).</summary>
    Result = 4,
    /// <summary>Worker → session: the request failed (see <see cref="WorkerError"/>).</summary>
    Error = 5,
    /// <summary>Session → worker: stop the request with this id.</summary>
    Cancel = 6,
    /// <summary>Session → worker: finish and exit.</summary>
    Shutdown = 7,
    /// <summary>
    /// Worker → session: a piece of the request's answer, sent as soon as the worker has written it (the Result frame
    /// carries the last piece), so the session reads an answer while the worker is still writing it.
    /// </summary>
    Part = 8,
}

/// <summary>One frame: kind, request id (0 for none) and payload.</summary>
internal readonly record struct Frame(FrameKind Kind, int Id, byte[] Payload);

/// <summary>
/// The wire between a session and a worker process: length-prefixed frames on the worker's stdin/stdout,
/// [payload length: int32 LE][kind: byte][request id: int32 LE][payload]. One writer at a time per direction.
/// </summary>
internal static class WorkerProtocol
{
    // 2: root paths carry their tier; objects, collections, sizes, layout, handles, object batches, out-of-memory (issue 14)
    // 3: a worker holds several dumps; dump operations name theirs by the handle dump.open answered
    // 4: answers of more than a piece come in Part frames, then the Result frame with the rest
    public const int Version = 4;
    public const int HeaderSize = 9;

    /// <summary>The largest frame anyone may send: the largest array .NET makes.</summary>
    public const int MaxPayload = 0x7FFFFFC7;

    /// <summary>The largest request a worker takes (requests carry paths and options, never data).</summary>
    public const int MaxRequest = 16 << 20;

    /// <summary>
    /// Writes one frame. Up to <see cref="OneWrite"/> bytes go out in a single write: a header written on its own
    /// woke the reader, which then waited again for the payload (the worker's stdout is not buffered).
    /// </summary>
    public static void Write(Stream output, FrameKind kind, int id, ReadOnlySpan<byte> payload)
    {
        int size = HeaderSize + payload.Length;
        byte[]? rented = size <= OneWrite ? System.Buffers.ArrayPool<byte>.Shared.Rent(size) : null;
        Span<byte> header = rented is null ? stackalloc byte[HeaderSize] : rented.AsSpan(0, HeaderSize);
        BinaryPrimitives.WriteInt32LittleEndian(header, payload.Length);
        header[4] = (byte)kind;
        BinaryPrimitives.WriteInt32LittleEndian(header[5..], id);
        if (rented is not null)
        {
            payload.CopyTo(rented.AsSpan(HeaderSize));
            output.Write(rented, 0, size);
            System.Buffers.ArrayPool<byte>.Shared.Return(rented);
        }
        else
        {
            output.Write(header);
            output.Write(payload);
        }

        output.Flush();
    }

    /// <summary>The largest frame written in one piece (a pipe's buffer).</summary>
    private const int OneWrite = 64 * 1024;

    /// <summary>The most an answer's frame carries: a Part frame is written in one piece.</summary>
    public const int Piece = OneWrite - HeaderSize;

    /// <summary>
    /// The next frame, or null when the stream ended cleanly between frames. A length over <paramref name="maxPayload"/>
    /// is refused before anything is allocated for it (a garbled stream must not cost memory).
    /// </summary>
    public static Frame? Read(Stream input, long maxPayload = MaxPayload)
    {
        Span<byte> header = stackalloc byte[HeaderSize];
        int got = input.ReadAtLeast(header, HeaderSize, throwOnEndOfStream: false);
        if (got == 0)
            return null;
        if (got < HeaderSize)
            throw new EndOfStreamException($"the stream ended inside a frame header ({got} of {HeaderSize} bytes)");
        int length = BinaryPrimitives.ReadInt32LittleEndian(header);
        var kind = (FrameKind)header[4];
        if (length < 0 || length > Math.Min(maxPayload, MaxPayload) || !Enum.IsDefined(kind))
            throw new InvalidDataException($"garbled frame header (kind {header[4]}, length {length})");
        var payload = length == 0 ? [] : GC.AllocateUninitializedArray<byte>(length); // filled next
        input.ReadExactly(payload);
        return new Frame(kind, BinaryPrimitives.ReadInt32LittleEndian(header[5..]), payload);
    }

    public static byte[] Encode(Action<BinaryWriter> write)
    {
        using var buffer = new MemoryStream();
        using (var w = new BinaryWriter(buffer, Encoding.UTF8, leaveOpen: true))
            write(w);
        return buffer.ToArray();
    }

    public static BinaryReader Decode(byte[] payload) => new(new MemoryStream(payload, writable: false), Encoding.UTF8);

    /// <summary>
    /// Reads a worker's answer to the last byte; an answer that does not read (or has bytes left over) is one
    /// AnalysisException (EngineFailed) naming the file and what was asked: the session and the worker are of mixed builds.
    /// </summary>
    public static T DecodeAnswer<T>(byte[] answer, string path, string what, Func<BinaryReader, T> read) =>
        ReadAnswer(new MemoryStream(answer, writable: false), path, what, read);

    /// <summary>
    /// <see cref="DecodeAnswer"/> for an answer as a stream: a whole one (seekable), or one read as it comes
    /// (<see cref="EngineWorker.Invoke{T}"/>), whose end is known only by reading past it.
    /// </summary>
    public static T ReadAnswer<T>(Stream answer, string path, string what, Func<BinaryReader, T> read)
    {
        try
        {
            using var r = new BinaryReader(answer, Encoding.UTF8, leaveOpen: true);
            var result = read(r);
            if (answer.CanSeek ? answer.Position != answer.Length : answer.ReadByte() >= 0)
                throw new InvalidDataException(answer.CanSeek ? $"{answer.Length - answer.Position} bytes left over" : "bytes left over");
            return result;
        }
        catch (Exception e) when (e is InvalidDataException or EndOfStreamException or IOException or ArgumentException or OverflowException or IndexOutOfRangeException)
        {
            string damaged = answer.CanSeek
                ? $"the worker's answer ({answer.Length:N0} bytes) is damaged"
                : $"the worker's answer is damaged near byte {answer.Position:N0}";
            throw new AnalysisException(AnalysisErrorKind.EngineFailed, path,
                $"{char.ToUpperInvariant(what[0])}{what[1..]} '{path}': {damaged} ({e.Message}); the session and the worker are probably of mixed builds. Reinstall the module or package.", e);
        }
    }

    public static byte[] EncodeProgress(WorkProgress p) => Encode(w =>
    {
        w.WriteText(p.Activity);
        w.WriteText(p.Status);
        w.Write(p.Done);
        w.Write(p.Total);
    });

    public static WorkProgress DecodeProgress(byte[] payload)
    {
        using var r = Decode(payload);
        return new WorkProgress(r.ReadString(), r.ReadString(), r.ReadInt64(), r.ReadInt64());
    }
}

/// <summary>A failed request as the worker reports it: our error kind (or none), the path, the message, and the cause.</summary>
internal sealed record WorkerError(AnalysisErrorKind? Kind, bool Cancelled, string? Path, string Message, string ExceptionType, string Detail)
{
    /// <summary>Our error as it is, with the engine's exception inside it as the cause (or the exception itself when it is not ours).</summary>
    public static WorkerError From(Exception e, bool cancelled)
    {
        var cause = e is AnalysisException { InnerException: { } inner } ? inner : e;
        return new(e is AnalysisException a ? a.Kind : null, cancelled, (e as AnalysisException)?.Path, e.Message, cause.GetType().FullName ?? cause.GetType().Name, cause.ToString());
    }

    public byte[] Encode() => WorkerProtocol.Encode(w =>
    {
        w.Write(Kind.HasValue ? (int)Kind.Value : -1);
        w.Write(Cancelled);
        w.WriteOptional(Path);
        w.WriteText(Message);
        w.WriteText(ExceptionType);
        w.WriteText(Detail);
    });

    public static WorkerError Decode(byte[] payload)
    {
        using var r = WorkerProtocol.Decode(payload);
        int kind = r.ReadInt32();
        return new WorkerError(kind >= 0 && Enum.IsDefined((AnalysisErrorKind)kind) ? (AnalysisErrorKind)kind : null, r.ReadBoolean(), r.ReadOptional(), r.ReadString(), r.ReadString(), r.ReadString());
    }
}
