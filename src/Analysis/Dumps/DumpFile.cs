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
public static class DumpFile
{
    private const string Expected =
        "expected a process dump: a Linux core file (from createdump, dotnet-dump or DiagnosticsClient.WriteDump), a Windows minidump or a macOS core";

    /// <summary>Checks the file and returns its format, or throws <see cref="AnalysisException"/> saying what is wrong.</summary>
    public static DumpFormat Validate(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        long length = InputFile.CheckExists(path, "Dump file", Expected);
        using var stream = InputFile.OpenRead(path, "Dump file");
        Span<byte> head = stackalloc byte[16];
        int got = stream.Read(head);
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
        ElfFile? elf = ElfFile.TryRead(stream, out string? problem);
        if (elf is null)
            throw new AnalysisException(AnalysisErrorKind.Truncated, path, $"'{path}' starts like an ELF file but {problem}; the file is {length:N0} bytes. It is cut off or corrupted: capture the dump again.");

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

        return DumpFormat.ElfCore;
    }

    private static DumpFormat ValidateMinidump(string path, FileStream stream, long length)
    {
        Span<byte> header = stackalloc byte[32];
        stream.Position = 0;
        if (stream.Read(header) < 32)
            throw Truncated(path, 32, length);

        uint streams = BinaryPrimitives.ReadUInt32LittleEndian(header[8..]);
        uint directoryRva = BinaryPrimitives.ReadUInt32LittleEndian(header[12..]);
        long directoryEnd = directoryRva + (long)streams * 12;
        if (directoryEnd > length)
            throw Truncated(path, directoryEnd, length);

        var directory = new byte[streams * 12];
        stream.Position = directoryRva;
        stream.ReadExactly(directory);
        long required = directoryEnd;
        Span<byte> list = stackalloc byte[16];
        for (int i = 0; i < streams; i++)
        {
            ReadOnlySpan<byte> entry = directory.AsSpan(i * 12, 12);
            uint type = BinaryPrimitives.ReadUInt32LittleEndian(entry);
            uint size = BinaryPrimitives.ReadUInt32LittleEndian(entry[4..]);
            uint rva = BinaryPrimitives.ReadUInt32LittleEndian(entry[8..]);
            required = Math.Max(required, rva + (long)size);
            if (type == 9 && rva + 16L <= length) // Memory64ListStream: ranges stored from BaseRva onward
            {
                stream.Position = rva;
                stream.ReadExactly(list);
                ulong count = BinaryPrimitives.ReadUInt64LittleEndian(list);
                ulong baseRva = BinaryPrimitives.ReadUInt64LittleEndian(list[8..]);
                if (count > 0 && rva + 16 + (long)count * 16 <= length)
                {
                    var ranges = new byte[count * 16];
                    stream.ReadExactly(ranges);
                    ulong total = 0;
                    for (ulong r = 0; r < count; r++)
                        total += BinaryPrimitives.ReadUInt64LittleEndian(ranges.AsSpan((int)(r * 16) + 8));
                    required = Math.Max(required, (long)(baseRva + total));
                }
            }
        }

        if (required > length)
            throw Truncated(path, required, length);
        return DumpFormat.Minidump;
    }

    private static AnalysisException Truncated(string path, long required, long length) =>
        new(AnalysisErrorKind.Truncated, path,
            $"Dump file '{path}' is truncated: its headers describe {required:N0} bytes but the file has {length:N0}. " +
            "It was cut off while being written or copied: capture or copy it again.");
}
