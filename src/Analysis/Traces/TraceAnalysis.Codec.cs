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
        for (int i = 0; i < _exceptions.Count; i++)
        {
            var e = _exceptions[i];
            w.Write(e.TimeMs);
            w.Write(e.Thread);
            w.Write(e.Type);
            w.Write(e.Message);
            w.Write(e.HResult);
            w.Write(e.Stack);
        }

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
        int samples = ModelCodec.Count(r, 17);
        for (int i = 0; i < samples; i++)
        {
            var key = (Stack(r.ReadInt32(), m), r.ReadInt32(), r.ReadBoolean());
            m.Samples[key] = r.ReadInt64();
        }

        int exceptions = ModelCodec.Count(r, 36);
        for (int i = 0; i < exceptions; i++)
            m.Exceptions.Add(new ExceptionRow(r.ReadDouble(), r.ReadInt32(), StringId(r.ReadInt32(), m), r.ReadInt64(), r.ReadInt32(), Stack(r.ReadInt32(), m)));
        m.Messages.ReadFrom(r);
        int contention = ModelCodec.Count(r, 42);
        for (int i = 0; i < contention; i++)
        {
            double time = r.ReadDouble();
            int thread = r.ReadInt32();
            bool native = r.ReadBoolean();
            ulong lockAddress = r.ReadUInt64();
            bool hasOwner = r.ReadBoolean();
            long owner = r.ReadInt64();
            m.Contention.Add(new ContentionRow(time, thread, native, lockAddress, hasOwner ? owner : null, Stack(r.ReadInt32(), m)) { DurationMs = r.ReadDouble() });
        }

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

    private static int Stack(int id, Reader m) =>
        id >= -1 && id < m.Stacks.Count ? id : throw new InvalidDataException($"stack id {id} out of range");

    private static int StringId(int id, Reader m) =>
        id >= 0 && id < m.Strings.Count ? id : throw new InvalidDataException($"string id {id} out of range");
}
