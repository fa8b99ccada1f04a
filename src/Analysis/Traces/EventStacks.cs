using System.Reflection;
using System.Reflection.Emit;
using Microsoft.Diagnostics.Tracing;

namespace Analysis.Traces;

/// <summary>
/// Reads the raw call stack (instruction pointers, leaf first) that EventPipeEventSource attaches to an event.
/// </summary>
/// <remarks>
/// TraceEvent exposes resolved stacks only through TraceLog, which first converts the whole trace into an .etlx file
/// (about 2.4× the trace's size, most of the time spent). EventPipeEventSource already attaches each event's stack
/// as an ETW-style extended data item (EVENT_HEADER_EXT_TYPE_STACK_TRACE64) on the public
/// <c>TraceEvent.eventRecord</c> field; its type is internal, so the pointer is read with a small compiled accessor
/// and the record is read with the documented Windows EVENT_RECORD layout that TraceEvent mirrors. This lets one
/// streaming pass collect stacks and resolve them at the end from the method load/rundown events.
/// </remarks>
internal static unsafe class EventStacks
{
    private const int ExtendedDataCountOffset = 84; // EVENT_RECORD: EVENT_HEADER (80) + ETW_BUFFER_CONTEXT (4)
    private const int ExtendedDataOffset = 88;
    private const int ItemSize = 16;                // EVENT_HEADER_EXTENDED_DATA_ITEM
    private const ushort StackTrace32 = 5;
    private const ushort StackTrace64 = 6;
    private const int MaxItems = 8;                 // EventPipe attaches at most one stack; more is a damaged record

    private static readonly Func<TraceEvent, IntPtr> s_record = CompileRecordAccessor();

    /// <summary>Whether this TraceEvent build exposes event records the way we read them.</summary>
    public static bool IsSupported => s_record is not null;

    /// <summary>Copies the event's stack into <paramref name="buffer"/> (resized as needed); returns the frame count, 0 when none.</summary>
    public static int Read(TraceEvent data, ref ulong[] buffer)
    {
        byte* record = (byte*)s_record(data);
        if (record == null)
            return 0;
        ushort count = *(ushort*)(record + ExtendedDataCountOffset);
        byte* items = *(byte**)(record + ExtendedDataOffset);
        if (count == 0 || items == null)
            return 0;

        // Bounds: the item count and each item's size come from the file through TraceEvent. The size is 16 bits, so a
        // stack is at most 8,191 frames (64 KB) however damaged the file; the count is capped so a damaged record cannot
        // walk far past the items TraceEvent allocated. (Whether TraceEvent's data pointer stays inside its buffer we
        // cannot see; the worker process (Isolation) contains a read that does not.)
        for (int i = 0; i < Math.Min((int)count, MaxItems); i++)
        {
            byte* item = items + (i * ItemSize);
            ushort type = *(ushort*)(item + 2);
            ushort size = *(ushort*)(item + 6);
            byte* data_ = (byte*)*(ulong*)(item + 8);
            if (data_ == null || size < 8)
                continue;
            if (type == StackTrace64)
            {
                int frames = (size - 8) / 8; // a 64-bit match id precedes the addresses
                EnsureCapacity(ref buffer, frames);
                new ReadOnlySpan<ulong>(data_ + 8, frames).CopyTo(buffer);
                return frames;
            }

            if (type == StackTrace32)
            {
                int frames = (size - 8) / 4;
                EnsureCapacity(ref buffer, frames);
                var source = new ReadOnlySpan<uint>(data_ + 8, frames);
                for (int f = 0; f < frames; f++)
                    buffer[f] = source[f];
                return frames;
            }
        }

        return 0;
    }

    private static void EnsureCapacity(ref ulong[] buffer, int frames)
    {
        if (buffer.Length < frames)
            buffer = new ulong[Math.Max(frames, buffer.Length * 2)];
    }

    private static Func<TraceEvent, IntPtr> CompileRecordAccessor()
    {
        FieldInfo field = typeof(TraceEvent).GetField("eventRecord", BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Instance)
            ?? throw new MissingFieldException(nameof(TraceEvent), "eventRecord");
        var method = new DynamicMethod("ReadEventRecord", typeof(IntPtr), [typeof(TraceEvent)], typeof(EventStacks).Module, skipVisibility: true);
        var il = method.GetILGenerator();
        il.Emit(OpCodes.Ldarg_0);
        il.Emit(OpCodes.Ldfld, field);
        il.Emit(OpCodes.Conv_I);
        il.Emit(OpCodes.Ret);
        return method.CreateDelegate<Func<TraceEvent, IntPtr>>();
    }
}
