using System.Buffers.Binary;

namespace Analysis.Dumps;

// What a dump's own headers tell beyond its format (the timeline's marker): when a minidump was written, and how many
// threads the process had. The minidump layout constants are DumpFile's, shared with the door check.
public static partial class DumpFile
{
    private const uint MinidumpThreadListStream = 3;
    private const int MachOHeaderSize = 32;
    private const uint MachOThread = 0x4, MachOUnixThread = 0x5;

    /// <summary>MINIDUMP_HEADER.TimeDateStamp (offset 20, seconds since 1970 UTC); the header was checked by <see cref="Validate(string)"/>.</summary>
    internal static uint MinidumpTimeStamp(string path)
    {
        Span<byte> header = stackalloc byte[MinidumpHeaderSize];
        using var stream = InputFile.OpenRead(path, "Dump file");
        try
        {
            stream.ReadExactly(header);
        }
        catch (IOException e)
        {
            throw new AnalysisException(e is EndOfStreamException ? AnalysisErrorKind.Truncated : AnalysisErrorKind.ReadFailed, path,
                $"Dump file '{path}': its minidump header (32 bytes) could not be read ({e.Message}). Check that the file is readable and complete, or capture it again.", e);
        }

        return BinaryPrimitives.ReadUInt32LittleEndian(header[20..]);
    }

    /// <summary>
    /// How many threads a dump's process had when it was written, from the dump's own thread list (no runtime needed):
    /// a minidump's ThreadListStream, an ELF core's NT_PRSTATUS notes (one per thread), a Mach-O core's LC_THREAD commands.
    /// </summary>
    /// <remarks>The count and where it was read from; null when the dump has no thread list (a header-only minidump) or it cannot be read.</remarks>
    internal static (int Count, string From)? ThreadCount(string path, DumpFormat format)
    {
        try
        {
            return format switch
            {
                DumpFormat.Minidump => MinidumpThreads(path),
                DumpFormat.ElfCore => ElfThreads(path),
                DumpFormat.MachOCore => MachOThreads(path),
                _ => null,
            };
        }
        catch (Exception e) when (e is IOException or AnalysisException or ArgumentOutOfRangeException)
        {
            return null; // a damaged thread list: the dump's marker still stands, without a count
        }
    }

    private static (int, string)? ElfThreads(string path)
    {
        using var image = ElfImage.Open(path, "Core", "an ELF core was expected");
        int n = Go.Core.CoreNotes.Read(image).Threads.Count;
        return n > 0 ? (n, "the ELF core's NT_PRSTATUS notes, one per thread") : null;
    }

    private static (int, string)? MinidumpThreads(string path)
    {
        using var stream = InputFile.OpenRead(path, "Dump file");
        Span<byte> header = stackalloc byte[MinidumpHeaderSize];
        stream.ReadExactly(header);
        uint streams = BinaryPrimitives.ReadUInt32LittleEndian(header[8..]);
        uint directory = BinaryPrimitives.ReadUInt32LittleEndian(header[12..]);
        Span<byte> entry = stackalloc byte[MinidumpDirectoryEntrySize];
        for (uint i = 0; i < Math.Min(streams, MaxMinidumpStreams); i++)
        {
            stream.Position = directory + ((long)MinidumpDirectoryEntrySize * i);
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

    private static (int, string)? MachOThreads(string path)
    {
        using var stream = InputFile.OpenRead(path, "Dump file");
        Span<byte> header = stackalloc byte[MachOHeaderSize];
        stream.ReadExactly(header);
        uint commands = BinaryPrimitives.ReadUInt32LittleEndian(header[16..]);
        long at = MachOHeaderSize;
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
