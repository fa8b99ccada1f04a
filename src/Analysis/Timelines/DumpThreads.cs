using System.Buffers.Binary;
using Analysis.Dumps;

namespace Analysis.Timelines;

/// <summary>
/// How many threads a dump's process had when it was written, from the dump's own thread list (no runtime needed): a
/// minidump's ThreadListStream, an ELF core's NT_PRSTATUS notes (one per thread), a Mach-O core's LC_THREAD commands.
/// </summary>
internal static class DumpThreads
{
    private const uint MinidumpThreadListStream = 3;
    private const uint MachOThread = 0x4, MachOUnixThread = 0x5;

    /// <summary>The count and where it was read from; null when the dump has no thread list (a header-only minidump) or it cannot be read.</summary>
    public static (int Count, string From)? Count(string path, DumpFormat format)
    {
        try
        {
            return format switch
            {
                DumpFormat.Minidump => Minidump(path),
                DumpFormat.ElfCore => Elf(path),
                DumpFormat.MachOCore => MachO(path),
                _ => null,
            };
        }
        catch (Exception e) when (e is IOException or AnalysisException or ArgumentOutOfRangeException)
        {
            return null; // a damaged thread list: the dump's marker still stands, without a count
        }
    }

    private static (int, string)? Elf(string path)
    {
        using var image = ElfImage.Open(path, "Core", "an ELF core was expected");
        int n = Go.Core.CoreNotes.Read(image).Threads.Count;
        return n > 0 ? (n, "the ELF core's NT_PRSTATUS notes, one per thread") : null;
    }

    private static (int, string)? Minidump(string path)
    {
        using var stream = InputFile.OpenRead(path, "Dump file");
        Span<byte> header = stackalloc byte[32];
        stream.ReadExactly(header);
        uint streams = BinaryPrimitives.ReadUInt32LittleEndian(header[8..]);
        uint directory = BinaryPrimitives.ReadUInt32LittleEndian(header[12..]);
        Span<byte> entry = stackalloc byte[12];
        for (uint i = 0; i < Math.Min(streams, 4096u); i++)
        {
            stream.Position = directory + (12L * i);
            stream.ReadExactly(entry);
            if (BinaryPrimitives.ReadUInt32LittleEndian(entry) != MinidumpThreadListStream)
                continue;
            stream.Position = BinaryPrimitives.ReadUInt32LittleEndian(entry[8..]);
            Span<byte> count = stackalloc byte[4];
            stream.ReadExactly(count);
            return ((int)Math.Min(BinaryPrimitives.ReadUInt32LittleEndian(count), int.MaxValue), "the minidump's thread list (ThreadListStream)");
        }

        return null;
    }

    private static (int, string)? MachO(string path)
    {
        using var stream = InputFile.OpenRead(path, "Dump file");
        Span<byte> header = stackalloc byte[32];
        stream.ReadExactly(header);
        uint commands = BinaryPrimitives.ReadUInt32LittleEndian(header[16..]);
        long at = 32;
        int threads = 0;
        Span<byte> command = stackalloc byte[8];
        for (uint i = 0; i < Math.Min(commands, 1u << 20); i++)
        {
            stream.Position = at;
            stream.ReadExactly(command);
            uint kind = BinaryPrimitives.ReadUInt32LittleEndian(command);
            uint size = BinaryPrimitives.ReadUInt32LittleEndian(command[4..]);
            if (kind is MachOThread or MachOUnixThread)
                threads++;
            if (size < 8)
                break;
            at += size;
        }

        return threads > 0 ? (threads, "the Mach-O core's LC_THREAD commands, one per thread") : null;
    }
}
