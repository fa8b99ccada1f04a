using System.Buffers.Binary;

namespace Analysis.Dumps;

/// <summary>
/// The checks a dump's ELF headers get at the door: its type, the file length its program headers require (to detect
/// truncated core dumps, 32-bit ones too), its memory segments; and the GNU build id of a runtime library (to match it
/// with its DAC), read through <see cref="ElfImage"/>, the one reader of sections, symbols and notes.
/// Reads headers only; never the whole file.
/// </summary>
internal sealed class ElfFile
{
    public const ushort TypeExecutable = 2;
    public const ushort TypeSharedObject = 3;
    public const ushort TypeCore = 4;

    private const uint PtLoad = 1;
    private const uint PtNote = 4;

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

    /// <summary>Whether a file's first bytes are an ELF core's: the magic and e_type 4 (ET_CORE, little-endian, offset 16).</summary>
    public static bool IsCoreHeader(ReadOnlySpan<byte> head) =>
        HasElfMagic(head) && head.Length >= 18 && BinaryPrimitives.ReadUInt16LittleEndian(head[16..]) == TypeCore;

    /// <summary>Most program headers a file may have (ClrMD's DataTargetLimits.MaxElfProgramHeaders).</summary>
    public const int MaxProgramHeaders = 10_000;

    /// <summary>Number of program headers.</summary>
    public int ProgramHeaderCount { get; private init; }

    /// <summary>The PT_LOAD segments with bytes in the file (a core's memory): file offset, bytes in the file, virtual address.</summary>
    public IReadOnlyList<(long Offset, long Size, ulong Address)> LoadSegments { get; private init; } = [];

    /// <summary>Number of PT_NOTE segments (a core's threads, auxiliary vector and file list live in them).</summary>
    public int NoteSegmentCount => _notes.Count;

    /// <summary>Reads the ELF headers of an open stream. Returns null with a reason when they are malformed.</summary>
    public static ElfFile? TryRead(Stream stream, out string? problem) => TryRead(stream, out problem, out _);

    /// <summary>
    /// Reads the ELF headers of an open stream. Returns null with a reason when they are malformed; <paramref name="cutOff"/>
    /// tells whether the reason is that the file ends too early (rather than that a field is impossible).
    /// </summary>
    public static ElfFile? TryRead(Stream stream, out string? problem, out bool cutOff)
    {
        problem = null;
        cutOff = false;
        Span<byte> ident = stackalloc byte[64];
        stream.Position = 0;
        int got = stream.ReadAtLeast(ident, ident.Length, throwOnEndOfStream: false);
        if (got < 52 || !HasElfMagic(ident))
        {
            problem = $"the ELF header is incomplete ({got} bytes)";
            cutOff = true;
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
            cutOff = true;
            return null;
        }

        ushort type = BinaryPrimitives.ReadUInt16LittleEndian(ident[16..]);
        ushort machine = BinaryPrimitives.ReadUInt16LittleEndian(ident[18..]);
        ulong rawPhoff = is64 ? BinaryPrimitives.ReadUInt64LittleEndian(ident[32..]) : BinaryPrimitives.ReadUInt32LittleEndian(ident[28..]);
        int phentsize = BinaryPrimitives.ReadUInt16LittleEndian(ident[(is64 ? 54 : 42)..]);
        int phnum = BinaryPrimitives.ReadUInt16LittleEndian(ident[(is64 ? 56 : 44)..]);
        int minEntry = is64 ? 56 : 32;
        int phoffAt = is64 ? 32 : 28;
        if (phnum > 0 && (phentsize < minEntry || rawPhoff == 0))
        {
            problem = $"program header table is malformed (offset {rawPhoff}, entry size {phentsize})";
            return null;
        }

        if (phnum > MaxProgramHeaders)
        {
            problem = $"its header (offset {(is64 ? 56 : 44)}) counts {phnum:N0} program headers, more than the {MaxProgramHeaders:N0} any readable file has";
            return null;
        }

        long tableSize = (long)phentsize * phnum;
        if (phnum > 0 && rawPhoff > (ulong)(stream.Length - Math.Min(tableSize, stream.Length)))
        {
            // The table starts (or ends) past the end of the file: a cut-off file, or an absurd offset.
            long end = rawPhoff > long.MaxValue - (ulong)tableSize ? long.MaxValue : (long)rawPhoff + tableSize;
            if (rawPhoff > 1L << 40)
            {
                problem = $"its program header table offset (at offset {phoffAt}) is {rawPhoff:N0}, beyond any dump";
                return null;
            }

            return new ElfFile(is64, type, machine, end, []) { ProgramHeaderCount = phnum };
        }

        long phoff = (long)rawPhoff;
        long required = phoff + tableSize;
        var notes = new List<(long, long)>();
        var loads = new List<(long, long, ulong)>();
        if (phnum > 0)
        {
            var table = new byte[tableSize];
            stream.Position = phoff;
            if (stream.ReadAtLeast(table, table.Length, throwOnEndOfStream: false) != table.Length)
            {
                problem = "program header table could not be read";
                cutOff = true;
                return null;
            }

            for (int i = 0; i < phnum; i++)
            {
                ReadOnlySpan<byte> ph = table.AsSpan(i * phentsize, phentsize);
                uint ptype = BinaryPrimitives.ReadUInt32LittleEndian(ph);
                ulong offset, filesz, vaddr;
                if (is64)
                {
                    offset = BinaryPrimitives.ReadUInt64LittleEndian(ph[8..]);
                    vaddr = BinaryPrimitives.ReadUInt64LittleEndian(ph[16..]);
                    filesz = BinaryPrimitives.ReadUInt64LittleEndian(ph[32..]);
                }
                else
                {
                    offset = BinaryPrimitives.ReadUInt32LittleEndian(ph[4..]);
                    vaddr = BinaryPrimitives.ReadUInt32LittleEndian(ph[8..]);
                    filesz = BinaryPrimitives.ReadUInt32LittleEndian(ph[16..]);
                }

                if (offset > long.MaxValue || filesz > long.MaxValue)
                {
                    problem = $"program header {i} (at offset {phoff + ((long)i * phentsize):N0}) has an impossible offset or size ({offset:N0}, {filesz:N0})";
                    return null;
                }

                if (ptype is PtLoad or PtNote && filesz > 0)
                {
                    // Saturating: a corrupt size near 2^63 must read as "far past the end", not wrap to a small number.
                    long end = (long)offset > long.MaxValue - (long)filesz ? long.MaxValue : (long)offset + (long)filesz;
                    required = Math.Max(required, end);
                }

                if (ptype == PtNote && filesz > 0)
                    notes.Add(((long)offset, (long)filesz));
                if (ptype == PtLoad && filesz > 0)
                    loads.Add(((long)offset, (long)filesz, vaddr));
            }
        }

        return new ElfFile(is64, type, machine, required, notes) { ProgramHeaderCount = phnum, LoadSegments = loads };
    }

    /// <summary>The GNU build id of an ELF file on disk (executable or shared object), or null.</summary>
    public static byte[]? TryReadBuildId(string path)
    {
        try
        {
            using var image = ElfImage.Open(path, "Library", "an ELF file was expected");
            return image.BuildId() is { } hex ? Convert.FromHexString(hex) : null;
        }
        catch (AnalysisException)
        {
            return null;
        }
    }
}
