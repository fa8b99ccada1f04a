using System.Buffers.Binary;
using System.Globalization;
using System.Text;

namespace Analysis.Dumps;

/// <summary>The container format of a dump file.</summary>
public enum DumpFormat
{
    /// <summary>Linux core file (createdump, DiagnosticsClient.WriteDump, gcore).</summary>
    ElfCore,
    /// <summary>Windows minidump (MDMP).</summary>
    Minidump,
    /// <summary>macOS Mach-O core file.</summary>
    MachOCore,
}

/// <summary>
/// Validation at the door: checks that a path names a complete dump file before any engine sees it.
/// Opens the file read-only and reads headers only.
/// </summary>
public static partial class DumpFile
{
    private const string Expected =
        "expected a process dump: a Linux core file (from createdump, dotnet-dump or DiagnosticsClient.WriteDump), a Windows minidump or a macOS core";

    /// <summary>Checks the file and returns its format, or throws <see cref="AnalysisException"/> saying what is wrong.</summary>
    public static DumpFormat Validate(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        long length = InputFile.CheckExists(path, "Dump file", Expected);
        using var stream = InputFile.OpenRead(path, "Dump file");
        try
        {
            return Validate(path, stream, length);
        }
        catch (IOException e)
        {
            // A read error, or a header field that sent a read past the end (EndOfStreamException).
            throw new AnalysisException(e is EndOfStreamException ? AnalysisErrorKind.Truncated : AnalysisErrorKind.ReadFailed, path,
                $"Dump file '{path}' could not be read while checking its headers ({e.Message}); the file is {length:N0} bytes. " +
                "Check that the file is readable and complete, or capture or copy it again.", e);
        }
    }

    private static DumpFormat Validate(string path, FileStream stream, long length)
    {
        Span<byte> head = stackalloc byte[16];
        int got = stream.ReadAtLeast(head, head.Length, throwOnEndOfStream: false);
        head = head[..got];

        if (ElfFile.HasElfMagic(head))
            return ValidateElf(path, stream, length);
        if (head.Length >= 4 && head[..4].SequenceEqual("MDMP"u8))
            return ValidateMinidump(path, stream, length);
        if (head.Length >= 16 && BinaryPrimitives.ReadUInt32LittleEndian(head) == 0xfeedfacf)
        {
            uint fileType = BinaryPrimitives.ReadUInt32LittleEndian(head[12..]);
            if (fileType == 4)
                return DumpFormat.MachOCore;
            throw new AnalysisException(AnalysisErrorKind.WrongFormat, path, $"'{path}' is a Mach-O file of type {fileType}, not a core dump (type 4); {Expected}.");
        }

        throw new AnalysisException(AnalysisErrorKind.WrongFormat, path,
            $"'{path}' is not a dump file: it starts with {InputFile.Describe(head)}{(InputFile.Guess(head) is { } g ? $", which looks like {g}" : "")}; {Expected}.");
    }

    private static DumpFormat ValidateElf(string path, FileStream stream, long length)
    {
        ElfFile? elf = ElfFile.TryRead(stream, out string? problem, out bool cutOff);
        if (elf is null)
        {
            throw new AnalysisException(cutOff ? AnalysisErrorKind.Truncated : AnalysisErrorKind.WrongFormat, path,
                $"'{path}' starts like an ELF file but {problem}; the file is {length:N0} bytes. It is {(cutOff ? "cut off" : "corrupted")}: capture the dump again.");
        }

        if (elf.Type != ElfFile.TypeCore)
        {
            string kind = elf.Type switch
            {
                ElfFile.TypeExecutable => "an executable",
                ElfFile.TypeSharedObject => "a shared library or position-independent executable",
                _ => $"an ELF file of type {elf.Type}",
            };
            throw new AnalysisException(AnalysisErrorKind.WrongFormat, path, $"'{path}' is {kind}, not a core dump (ELF type 4); {Expected}.");
        }

        if (elf.RequiredLength > length)
        {
            throw new AnalysisException(AnalysisErrorKind.Truncated, path,
                $"Dump file '{path}' is truncated: its headers describe {elf.RequiredLength:N0} bytes but the file has {length:N0}. " +
                "It was cut off while being written or copied (full disk, interrupted transfer): capture or copy it again.");
        }

        if (elf.ProgramHeaderCount == 0 || elf.NoteSegmentCount == 0)
        {
            throw new AnalysisException(AnalysisErrorKind.WrongFormat, path,
                $"'{path}' is an ELF core file without {(elf.ProgramHeaderCount == 0 ? "program headers (its header counts none at offset 56)" : "a note segment (PT_NOTE)")}, " +
                "so it holds no threads, auxiliary vector or module list to analyze. It is corrupted or was not written by a dump tool: capture the dump again (createdump, dotnet-dump collect).");
        }

        return DumpFormat.ElfCore;
    }

    // ClrMD's own bounds (DataTargetLimits): a header past them is not a dump ClrMD would read.
    private const uint MaxMinidumpStreams = 10_000;
    private const ulong MaxMinidumpMemoryRanges = 10_000_000;
    private const int MinidumpHeaderSize = 32;
    private const int MinidumpDirectoryEntrySize = 12;
    private const int Memory64ListStream = 9;

    private static DumpFormat ValidateMinidump(string path, FileStream stream, long length)
    {
        Span<byte> header = stackalloc byte[MinidumpHeaderSize];
        stream.Position = 0;
        if (stream.ReadAtLeast(header, header.Length, throwOnEndOfStream: false) < MinidumpHeaderSize)
            throw Truncated(path, MinidumpHeaderSize, length);

        uint streams = BinaryPrimitives.ReadUInt32LittleEndian(header[8..]);
        uint directoryRva = BinaryPrimitives.ReadUInt32LittleEndian(header[12..]);
        if (streams > MaxMinidumpStreams)
        {
            throw new AnalysisException(AnalysisErrorKind.WrongFormat, path,
                $"'{path}' starts like a minidump but its header (offset 8) says it has {streams:N0} streams; a minidump has at most {MaxMinidumpStreams:N0}. The file is corrupted: capture the dump again.");
        }

        // Every sum below is of values under 2^32 (or checked against the length first), held in longs: no overflow.
        long directoryEnd = directoryRva + ((long)streams * MinidumpDirectoryEntrySize);
        if (directoryEnd > length)
            throw Truncated(path, directoryEnd, length, $"its stream directory (offset {directoryRva:N0}, {streams:N0} entries)");

        var directory = new byte[streams * MinidumpDirectoryEntrySize];
        stream.Position = directoryRva;
        stream.ReadExactly(directory);
        long required = directoryEnd;
        Span<byte> list = stackalloc byte[16];
        for (int i = 0; i < streams; i++)
        {
            ReadOnlySpan<byte> entry = directory.AsSpan(i * MinidumpDirectoryEntrySize, MinidumpDirectoryEntrySize);
            uint type = BinaryPrimitives.ReadUInt32LittleEndian(entry);
            uint size = BinaryPrimitives.ReadUInt32LittleEndian(entry[4..]);
            uint rva = BinaryPrimitives.ReadUInt32LittleEndian(entry[8..]);
            required = Math.Max(required, rva + (long)size);
            if (type != Memory64ListStream || rva + 16L > length)
                continue;

            // Memory64ListStream: a count, then the file offset (BaseRva) where the ranges' bytes start, one after another.
            stream.Position = rva;
            stream.ReadExactly(list);
            ulong count = BinaryPrimitives.ReadUInt64LittleEndian(list);
            ulong baseRva = BinaryPrimitives.ReadUInt64LittleEndian(list[8..]);
            if (count == 0)
                continue;
            if (count > MaxMinidumpMemoryRanges)
            {
                throw new AnalysisException(AnalysisErrorKind.WrongFormat, path,
                    $"'{path}' is a minidump whose memory list (stream {i}, offset {rva:N0}) says it has {count:N0} memory ranges; at most {MaxMinidumpMemoryRanges:N0} are possible. The file is corrupted: capture the dump again.");
            }

            long listEnd = rva + 16L + ((long)count * 16);
            if (listEnd > length)
                throw Truncated(path, listEnd, length, $"its memory list (stream {i} at offset {rva:N0}, {count:N0} ranges)");

            var ranges = new byte[count * 16];
            stream.ReadExactly(ranges);
            // The ranges' bytes start at BaseRva; their sizes are 64-bit and untrusted: add them saturating.
            ulong end = baseRva;
            for (int r = 0; r < (int)count; r++)
            {
                ulong rangeSize = BinaryPrimitives.ReadUInt64LittleEndian(ranges.AsSpan((r * 16) + 8));
                end = rangeSize > ulong.MaxValue - end ? ulong.MaxValue : end + rangeSize;
            }

            long memoryEnd = end > long.MaxValue ? long.MaxValue : (long)end;
            if (memoryEnd > length)
                throw Truncated(path, memoryEnd, length, $"its memory ranges (from offset {baseRva:N0})");
            required = Math.Max(required, memoryEnd);
        }

        if (required > length)
            throw Truncated(path, required, length);
        return DumpFormat.Minidump;
    }

    private static AnalysisException Truncated(string path, long required, long length, string what) =>
        new(AnalysisErrorKind.Truncated, path,
            $"Dump file '{path}' is truncated or corrupted: {what} reach{(required == long.MaxValue ? " past any file length" : $" byte {required:N0}")} but the file has {length:N0}. " +
            "It was cut off while being written or copied, or damaged: capture or copy it again.");

    private static AnalysisException Truncated(string path, long required, long length) =>
        new(AnalysisErrorKind.Truncated, path,
            $"Dump file '{path}' is truncated: its headers describe {required:N0} bytes but the file has {length:N0}. " +
            "It was cut off while being written or copied: capture or copy it again.");
}
