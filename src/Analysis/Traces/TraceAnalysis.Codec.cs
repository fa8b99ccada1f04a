using System.Buffers.Binary;
using System.Text;

namespace Analysis.Traces;

/// <summary>
/// The binary form of a read trace: what the reading pass built (method and stack tables, samples, exceptions, messages,
/// contention, GCs, warnings), so the pass can run in a worker process and the session gets the same model back. Every
/// question reads only this model, so answers are identical whichever process read the file.
/// </summary>
public sealed partial class TraceAnalysis
{
    private const int CodecVersion = 3;
    private static ReadOnlySpan<byte> CodecMagic => "ATRM"u8;

    /// <summary>Writes the model for <see cref="ReadModel"/>.</summary>
    internal void WriteModel(Stream output)
    {
        using var w = new BinaryWriter(output, Encoding.UTF8, leaveOpen: true);
        w.Write(CodecMagic);
        w.Write(CodecVersion);
        w.Write(ProcessId);
        w.WriteOptional(RuntimeVersion);
        w.Write(DurationMs);
        w.Write(EventCount);
        w.Write(EventsLost);
        w.Write(TotalAllocatedMB);
        w.Write(_truncatedAt ?? -1);
        ModelCodec.WriteStrings(w, Warnings);
        w.Write(Gcs.Count);
        foreach (var gc in Gcs)
        {
            w.Write(gc.Number);
            w.Write(gc.Generation);
            w.WriteText(gc.Type);
            w.WriteText(gc.Reason);
            w.Write(gc.StartMs);
            w.Write(gc.PauseMs);
            w.Write(gc.SuspendMs);
            w.Write(gc.DurationMs);
            w.Write(gc.HeapSizeBeforeMB);
            w.Write(gc.HeapSizeAfterMB);
            w.Write(gc.PromotedMB);
            w.Write(gc.AllocatedSinceLastGcMB);
            w.Write(gc.GenerationSizesAfterMB.Count);
            foreach (double size in gc.GenerationSizesAfterMB)
                w.Write(size);
        }

        ModelCodec.WriteStrings(w, _strings);
        _methods.WriteTo(w);
        _stacks.WriteTo(w);
        w.Write(_samples.Count);
        foreach (var ((stack, thread, managed), count) in _samples)
        {
            w.Write(stack);
            w.Write(thread);
            w.Write(managed);
            w.Write(count);
        }

        w.Write(_exceptions.Count);
        _exceptions.WriteItems(w); // as they lie in memory: the session that reads them is this build on this machine

        _messages.WriteTo(w);
        w.Write(_contention.Count);
        foreach (var c in _contention)
        {
            w.Write(c.TimeMs);
            w.Write(c.Thread);
            w.Write(c.Native);
            w.Write(c.Lock);
            w.Write(c.Owner.HasValue);
            w.Write(c.Owner ?? 0);
            w.Write(c.Stack);
            w.Write(c.DurationMs);
        }

        // the wall clock (timelines): the trace's start in UTC, each GC's pause start
        w.Write(StartTimeUtc is { } start ? start.UtcTicks : -1);
        foreach (var gc in Gcs)
            w.Write(gc.PauseStartMs);

        // the threads the sample profiler saw, each from its first to its last sample (timelines' thread counts)
        w.Write(_threadSpans.Count);
        foreach (var (thread, (first, last)) in _threadSpans)
        {
            w.Write(thread);
            w.Write(first);
            w.Write(last);
        }
    }

    /// <summary>Reads what <see cref="WriteModel"/> wrote; throws <see cref="InvalidDataException"/> or <see cref="EndOfStreamException"/> on a damaged form.</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    internal static TraceAnalysis ReadModel(Stream input, string path, long length)
    {
        using var r = new BinaryReader(input, Encoding.UTF8, leaveOpen: true);
        Span<byte> magic = stackalloc byte[4];
        r.BaseStream.ReadExactly(magic);
        if (!magic.SequenceEqual(CodecMagic) || r.ReadInt32() is var version && version != CodecVersion)
            throw new InvalidDataException("not a trace model of this version");
        var m = new Reader(path, length)
        {
            ProcessId = r.ReadInt32(),
            RuntimeVersion = r.ReadOptional(),
            DurationMs = r.ReadDouble(),
            EventCount = r.ReadInt64(),
            EventsLost = r.ReadInt32(),
            TotalAllocatedMB = r.ReadDouble(),
        };
        long truncatedAt = r.ReadInt64();
        m.TruncatedAt = truncatedAt < 0 ? null : truncatedAt;
        m.Warnings.AddRange(ModelCodec.ReadStrings(r));
        int gcs = ModelCodec.Count(r, 80);
        for (int i = 0; i < gcs; i++)
        {
            var gc = new GcEvent
            {
                Number = r.ReadInt32(),
                Generation = r.ReadInt32(),
                Type = r.ReadString(),
                Reason = r.ReadString(),
                StartMs = r.ReadDouble(),
                PauseMs = r.ReadDouble(),
                SuspendMs = r.ReadDouble(),
                DurationMs = r.ReadDouble(),
                HeapSizeBeforeMB = r.ReadDouble(),
                HeapSizeAfterMB = r.ReadDouble(),
                PromotedMB = r.ReadDouble(),
                AllocatedSinceLastGcMB = r.ReadDouble(),
            };
            var sizes = new double[ModelCodec.Count(r, 8)];
            for (int s = 0; s < sizes.Length; s++)
                sizes[s] = r.ReadDouble();
            m.Gcs.Add(gc with { GenerationSizesAfterMB = sizes });
        }

        m.Strings.AddRange(ModelCodec.ReadStrings(r));
        m.Methods.ReadFrom(r);
        m.Stacks.ReadFrom(r);
        // the tables' rows are read a block at a time (ModelCodec.ReadRows), in the layout BinaryWriter wrote them
        int samples = ModelCodec.Count(r, 17);
        m.Samples.EnsureCapacity(samples);
        ModelCodec.ReadRows(r, samples, 17, row =>
            m.Samples[(Stack(I32(row, 0), m), I32(row, 4), row[8] != 0)] = I64(row, 9));
        // exceptions can be millions: their rows come as they lie in memory (one copy), then each is checked
        int exceptions = ModelCodec.Count(r, System.Runtime.CompilerServices.Unsafe.SizeOf<ExceptionRow>());
        m.Exceptions.ReadItems(r.BaseStream, exceptions);
        m.Messages.ReadFrom(r);
        for (int i = 0; i < m.Exceptions.Count; i++)
        {
            ref var e = ref m.Exceptions[i];
            StringId(e.Type, m);
            Stack(e.Stack, m);
            if (!m.Messages.Holds(e.Message))
                throw new InvalidDataException($"exception {i}'s message is outside the model's strings");
        }
        int contention = ModelCodec.Count(r, 42);
        ModelCodec.ReadRows(r, contention, 42, row =>
            m.Contention.Add(new ContentionRow(F64(row, 0), I32(row, 8), row[12] != 0, (ulong)I64(row, 13), row[21] != 0 ? I64(row, 22) : null, Stack(I32(row, 30), m)) { DurationMs = F64(row, 34) }));
        long startTicks = r.ReadInt64();
        m.StartTimeUtc = startTicks < 0 ? null : new DateTimeOffset(startTicks, TimeSpan.Zero);
        for (int i = 0; i < m.Gcs.Count; i++)
            m.Gcs[i] = m.Gcs[i] with { PauseStartMs = r.ReadDouble() };
        int spans = ModelCodec.Count(r, 20);
        for (int i = 0; i < spans; i++)
            m.ThreadSpans[r.ReadInt32()] = (r.ReadDouble(), r.ReadDouble());

        if (r.BaseStream.Position != r.BaseStream.Length)
            throw new InvalidDataException($"{r.BaseStream.Length - r.BaseStream.Position} bytes after the model");
        // the state the reading pass leaves in the tables (Finish resolves every sampled stack): questions then cost the same
        foreach (var ((stack, _, _), _) in m.Samples)
            m.Stacks.Methods(stack, m.Methods);
        return new TraceAnalysis(m);
    }

    private static int I32(ReadOnlySpan<byte> row, int at) => BinaryPrimitives.ReadInt32LittleEndian(row[at..]);

    private static long I64(ReadOnlySpan<byte> row, int at) => BinaryPrimitives.ReadInt64LittleEndian(row[at..]);

    private static double F64(ReadOnlySpan<byte> row, int at) => BinaryPrimitives.ReadDoubleLittleEndian(row[at..]);

    private static int Stack(int id, Reader m) =>
        id >= -1 && id < m.Stacks.Count ? id : throw new InvalidDataException($"stack id {id} out of range");

    private static int StringId(int id, Reader m) =>
        id >= 0 && id < m.Strings.Count ? id : throw new InvalidDataException($"string id {id} out of range");
}
