using System.Buffers.Binary;

namespace Analysis.Dumps;

/// <summary>
/// The few facts we need from an ELF file's headers: its type, the file length its program headers
/// require (to detect truncated core dumps) and the GNU build id (to match a runtime with its DAC).
/// Reads headers only; never the whole file.
/// </summary>
internal sealed class ElfFile
{
    public const ushort TypeExecutable = 2;
    public const ushort TypeSharedObject = 3;
    public const ushort TypeCore = 4;

    private const uint PtLoad = 1;
    private const uint PtNote = 4;
    private const uint NtGnuBuildId = 3;

    private ElfFile(bool is64, ushort type, ushort machine, long requiredLength, IReadOnlyList<(long Offset, long Size)> notes)
    {
        Is64Bit = is64;
        Type = type;
        Machine = machine;
        RequiredLength = requiredLength;
        _notes = notes;
    }

    private readonly IReadOnlyList<(long Offset, long Size)> _notes;

    public bool Is64Bit { get; }

    /// <summary>e_type: 2 executable, 3 shared object, 4 core.</summary>
    public ushort Type { get; }

    public ushort Machine { get; }

    /// <summary>The smallest file length that holds every byte the program headers point at.</summary>
    public long RequiredLength { get; }

    public static bool HasElfMagic(ReadOnlySpan<byte> head) =>
        head.Length >= 4 && head[0] == 0x7f && head[1] == (byte)'E' && head[2] == (byte)'L' && head[3] == (byte)'F';

    /// <summary>Reads the ELF headers of an open stream. Returns null with a reason when they are malformed.</summary>
    public static ElfFile? TryRead(Stream stream, out string? problem)
    {
        problem = null;
        Span<byte> ident = stackalloc byte[64];
        stream.Position = 0;
        int got = ReadAtMost(stream, ident);
        if (got < 52 || !HasElfMagic(ident))
        {
            problem = $"the ELF header is incomplete ({got} bytes)";
            return null;
        }

        bool is64 = ident[4] == 2;
        if (ident[4] is not (1 or 2))
        {
            problem = $"unknown ELF class {ident[4]} at offset 4";
            return null;
        }

        if (ident[5] != 1)
        {
            problem = "big-endian ELF files are not supported";
            return null;
        }

        if (is64 && got < 64)
        {
            problem = $"the ELF64 header is incomplete ({got} bytes)";
            return null;
        }

        ushort type = BinaryPrimitives.ReadUInt16LittleEndian(ident[16..]);
        ushort machine = BinaryPrimitives.ReadUInt16LittleEndian(ident[18..]);
        long phoff = is64 ? (long)BinaryPrimitives.ReadUInt64LittleEndian(ident[32..]) : BinaryPrimitives.ReadUInt32LittleEndian(ident[28..]);
        int phentsize = BinaryPrimitives.ReadUInt16LittleEndian(ident[(is64 ? 54 : 42)..]);
        int phnum = BinaryPrimitives.ReadUInt16LittleEndian(ident[(is64 ? 56 : 44)..]);
        int minEntry = is64 ? 56 : 32;
        if (phnum > 0 && (phentsize < minEntry || phoff <= 0))
        {
            problem = $"program header table is malformed (offset {phoff}, entry size {phentsize})";
            return null;
        }

        long required = phoff + (long)phentsize * phnum;
        var notes = new List<(long, long)>();
        if (phnum > 0)
        {
            if (required > stream.Length)
                return new ElfFile(is64, type, machine, required, notes);

            var table = new byte[phentsize * phnum];
            stream.Position = phoff;
            if (ReadAtMost(stream, table) != table.Length)
            {
                problem = "program header table could not be read";
                return null;
            }

            for (int i = 0; i < phnum; i++)
            {
                ReadOnlySpan<byte> ph = table.AsSpan(i * phentsize, phentsize);
                uint ptype = BinaryPrimitives.ReadUInt32LittleEndian(ph);
                long offset, filesz;
                if (is64)
                {
                    offset = (long)BinaryPrimitives.ReadUInt64LittleEndian(ph[8..]);
                    filesz = (long)BinaryPrimitives.ReadUInt64LittleEndian(ph[32..]);
                }
                else
                {
                    offset = BinaryPrimitives.ReadUInt32LittleEndian(ph[4..]);
                    filesz = BinaryPrimitives.ReadUInt32LittleEndian(ph[16..]);
                }

                if (offset < 0 || filesz < 0)
                {
                    problem = $"program header {i} has an impossible offset or size";
                    return null;
                }

                if (ptype is PtLoad or PtNote && filesz > 0)
                    required = Math.Max(required, offset + filesz);
                if (ptype == PtNote && filesz > 0)
                    notes.Add((offset, filesz));
            }
        }

        return new ElfFile(is64, type, machine, required, notes);
    }

    /// <summary>The GNU build id of an ELF file on disk (executable or shared object), or null.</summary>
    public static byte[]? TryReadBuildId(string path)
    {
        try
        {
            using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
            ElfFile? elf = TryRead(stream, out _);
            return elf?.ReadBuildId(stream);
        }
        catch (IOException)
        {
            return null;
        }
        catch (UnauthorizedAccessException)
        {
            return null;
        }
    }

    private byte[]? ReadBuildId(Stream stream)
    {
        foreach (var (offset, size) in _notes)
        {
            if (offset + size > stream.Length || size > 1 << 20)
                continue;
            var data = new byte[size];
            stream.Position = offset;
            if (ReadAtMost(stream, data) != data.Length)
                continue;

            int pos = 0;
            while (pos + 12 <= data.Length)
            {
                int nameSize = (int)BinaryPrimitives.ReadUInt32LittleEndian(data.AsSpan(pos));
                int descSize = (int)BinaryPrimitives.ReadUInt32LittleEndian(data.AsSpan(pos + 4));
                uint noteType = BinaryPrimitives.ReadUInt32LittleEndian(data.AsSpan(pos + 8));
                int nameStart = pos + 12;
                int descStart = nameStart + Align4(nameSize);
                int next = descStart + Align4(descSize);
                if (nameSize < 0 || descSize < 0 || next > data.Length || next <= pos)
                    break;
                if (noteType == NtGnuBuildId && nameSize == 4 && data.AsSpan(nameStart, 3).SequenceEqual("GNU"u8))
                    return data.AsSpan(descStart, descSize).ToArray();
                pos = next;
            }
        }

        return null;
    }

    private static int Align4(int n) => (n + 3) & ~3;

    private static int ReadAtMost(Stream stream, Span<byte> buffer)
    {
        int total = 0;
        while (total < buffer.Length)
        {
            int n = stream.Read(buffer[total..]);
            if (n == 0)
                break;
            total += n;
        }

        return total;
    }
}
