using System.Buffers.Binary;
using System.Text;

namespace Analysis.Go.Core;

/// <summary>What a Linux core's notes say: each thread's registers, the signal, the mapped files, the process.</summary>
internal sealed class CoreNotes
{
    private const uint NtPrstatus = 1;
    private const uint NtPrpsinfo = 3;
    private const uint NtSiginfo = 0x53494749;
    private const uint NtFile = 0x46494c45;
    private const int RegsAt = 112;

    public List<CoreThread> Threads { get; } = [];

    public List<(ulong Start, ulong End, ulong PageOffset, string Path)> Files { get; } = [];

    public int SignalNumber { get; private set; }

    public int SignalCode { get; private set; }

    public ulong SignalAddress { get; private set; }

    public int ProcessId { get; private set; }

    public string? CommandName { get; private set; }

    public string? CommandLine { get; private set; }

    public static CoreNotes Read(ElfImage core)
    {
        var notes = new CoreNotes();
        foreach (var note in core.Notes())
        {
            ReadOnlySpan<byte> d = note.Desc.Span;
            if (note.Name != "CORE")
                continue;
            switch (note.Type)
            {
                case NtPrstatus when d.Length >= RegsAt + 184:
                    notes.Threads.Add(new CoreThread(
                        BinaryPrimitives.ReadInt32LittleEndian(d[32..]),
                        BinaryPrimitives.ReadInt16LittleEndian(d[12..]),
                        Reg(d, 16), Reg(d, 19), Reg(d, 4), Reg(d, 21), Reg(d, 1)));
                    break;
                case NtSiginfo when d.Length >= 24:
                    notes.SignalNumber = BinaryPrimitives.ReadInt32LittleEndian(d);
                    notes.SignalCode = BinaryPrimitives.ReadInt32LittleEndian(d[8..]);
                    notes.SignalAddress = BinaryPrimitives.ReadUInt64LittleEndian(d[16..]);
                    break;
                case NtPrpsinfo when d.Length >= 136:
                    notes.ProcessId = BinaryPrimitives.ReadInt32LittleEndian(d[24..]);
                    notes.CommandName = Text(d.Slice(40, 16));
                    notes.CommandLine = Text(d.Slice(56, 80));
                    break;
                case NtFile when d.Length >= 16:
                    ReadFiles(d, notes.Files);
                    break;
            }
        }

        return notes;
    }

    private static ulong Reg(ReadOnlySpan<byte> d, int index) => BinaryPrimitives.ReadUInt64LittleEndian(d[(RegsAt + (8 * index))..]);

    private static string Text(ReadOnlySpan<byte> d)
    {
        int end = d.IndexOf((byte)0);
        return Encoding.UTF8.GetString(end < 0 ? d : d[..end]).Trim();
    }

    private static void ReadFiles(ReadOnlySpan<byte> d, List<(ulong, ulong, ulong, string)> files)
    {
        ulong count = BinaryPrimitives.ReadUInt64LittleEndian(d);
        if (count > 100_000 || 16 + (count * 24) > (ulong)d.Length)
            return;
        int names = 16 + ((int)count * 24);
        for (int i = 0; i < (int)count && names < d.Length; i++)
        {
            ReadOnlySpan<byte> e = d.Slice(16 + (i * 24), 24);
            int end = d[names..].IndexOf((byte)0);
            if (end < 0)
                end = d.Length - names;
            files.Add((BinaryPrimitives.ReadUInt64LittleEndian(e), BinaryPrimitives.ReadUInt64LittleEndian(e[8..]), BinaryPrimitives.ReadUInt64LittleEndian(e[16..]),
                Encoding.UTF8.GetString(d.Slice(names, end))));
            names += end + 1;
        }
    }
}

/// <summary>One thread of a core: its id (LWP), the signal it stopped with, and the registers the unwinder needs.</summary>
internal sealed record CoreThread(int Id, short CurrentSignal, ulong Rip, ulong Rsp, ulong Rbp, ulong FsBase, ulong R14);
