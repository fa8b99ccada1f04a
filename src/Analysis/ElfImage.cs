using System.Buffers.Binary;
using System.IO.Compression;
using System.Text;
using Microsoft.Win32.SafeHandles;

namespace Analysis;

/// <summary>
/// A 64-bit little-endian ELF file read on demand (never mapped, never read whole): program headers (a core's memory
/// and notes, an executable's loaded segments), section headers with names (an executable's .gopclntab, DWARF,
/// .symtab), zlib-compressed sections inflated, symbols by name, notes. Every length field is checked against the
/// file before anything is allocated; malformed parts read as absent and are listed in <see cref="Problems"/>.
/// </summary>
internal sealed class ElfImage : IDisposable
{
    public const ushort TypeExecutable = 2;
    public const ushort TypeDynamic = 3;
    public const ushort TypeCore = 4;
    public const ushort MachineX86_64 = 62;
    private const uint PtLoad = 1;
    private const uint PtNote = 4;
    private const uint ShtSymtab = 2;
    private const uint ShtNobits = 8;
    private const ulong ShfCompressed = 0x800;
    /// <summary>Largest section we inflate or read whole (DWARF and pclntab of very large binaries stay far below).</summary>
    private const long MaxSectionBytes = 1L << 30;
    private const int MaxHeaders = 65_535;

    private readonly SafeFileHandle _file;
    private readonly List<string> _problems = [];
    private Dictionary<string, (ulong Value, ulong Size)>? _symbols;

    private ElfImage(string path, SafeFileHandle file, long length)
    {
        Path = path;
        _file = file;
        Length = length;
    }

    public string Path { get; }

    public long Length { get; }

    public ushort Type { get; private set; }

    public ushort Machine { get; private set; }

    public ulong Entry { get; private set; }

    public IReadOnlyList<ElfSegment> Segments { get; private set; } = [];

    public IReadOnlyList<ElfSection> Sections { get; private set; } = [];

    /// <summary>What could not be read (a section header past the end, a note cut short…); the rest is usable.</summary>
    public IReadOnlyList<string> Problems => _problems;

    /// <summary>
    /// Opens an ELF file and reads its headers. Throws <see cref="AnalysisException"/> when the file is not a 64-bit
    /// little-endian ELF file at all (<paramref name="noun"/> names it in the message: "Core", "Executable").
    /// </summary>
    public static ElfImage Open(string path, string noun, string expected)
    {
        long length = InputFile.CheckExists(path, noun, expected);
        SafeFileHandle handle;
        try
        {
            handle = File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new AnalysisException(AnalysisErrorKind.ReadFailed, path, $"Could not open {noun.ToLowerInvariant()} '{path}' for reading: {e.Message}", e);
        }

        var image = new ElfImage(path, handle, length);
        try
        {
            image.ReadHeaders(noun, expected);
            return image;
        }
        catch
        {
            image.Dispose();
            throw;
        }
    }

    public void Dispose() => _file.Dispose();

    /// <summary>Reads up to buffer.Length bytes at a file offset; returns how many were read (short at the end of the file).</summary>
    public int ReadAt(long offset, Span<byte> buffer)
    {
        if (offset < 0 || offset >= Length)
            return 0;
        int total = 0;
        while (total < buffer.Length)
        {
            int n = RandomAccess.Read(_file, buffer[total..], offset + total);
            if (n <= 0)
                break;
            total += n;
        }

        return total;
    }

    private void ReadHeaders(string noun, string expected)
    {
        Span<byte> h = stackalloc byte[64];
        int got = ReadAt(0, h);
        if (!Dumps.ElfFile.HasElfMagic(h[..got]))
        {
            string guess = InputFile.Guess(h[..got]) is { } g ? $" It looks like {g}." : "";
            throw new AnalysisException(AnalysisErrorKind.WrongFormat, Path, $"{noun} '{Path}' is not an ELF file: it starts with {InputFile.Describe(h[..Math.Min(got, 16)])}; {expected}.{guess}");
        }

        if (got < 64 || h[4] != 2 || h[5] != 1)
            throw new AnalysisException(got < 64 ? AnalysisErrorKind.Truncated : AnalysisErrorKind.WrongFormat, Path,
                $"{noun} '{Path}' is {(got < 64 ? $"cut off inside its ELF header ({got} of 64 bytes)" : "not a 64-bit little-endian ELF file (ELF class " + h[4] + ", data " + h[5] + ")")}; {expected}. Only linux/amd64 Go programs are read.");

        Type = BinaryPrimitives.ReadUInt16LittleEndian(h[16..]);
        Machine = BinaryPrimitives.ReadUInt16LittleEndian(h[18..]);
        Entry = BinaryPrimitives.ReadUInt64LittleEndian(h[24..]);
        ulong phoff = BinaryPrimitives.ReadUInt64LittleEndian(h[32..]);
        ulong shoff = BinaryPrimitives.ReadUInt64LittleEndian(h[40..]);
        int phentsize = BinaryPrimitives.ReadUInt16LittleEndian(h[54..]);
        int phnum = BinaryPrimitives.ReadUInt16LittleEndian(h[56..]);
        int shentsize = BinaryPrimitives.ReadUInt16LittleEndian(h[58..]);
        int shnum = BinaryPrimitives.ReadUInt16LittleEndian(h[60..]);
        int shstrndx = BinaryPrimitives.ReadUInt16LittleEndian(h[62..]);
        Segments = ReadSegments(phoff, phentsize, phnum);
        Sections = ReadSections(shoff, shentsize, shnum, shstrndx);
    }

    private List<ElfSegment> ReadSegments(ulong phoff, int entsize, int count)
    {
        var list = new List<ElfSegment>();
        if (count == 0)
            return list;
        if (entsize < 56 || entsize > 1024 || count > MaxHeaders || phoff >= (ulong)Length || (long)entsize * count > Length)
        {
            _problems.Add($"program header table (offset {phoff:N0}, {count} entries of {entsize} bytes) lies outside the file");
            return list;
        }

        var table = new byte[(long)entsize * count];
        int got = ReadAt((long)phoff, table);
        int whole = got / entsize;
        if (whole < count)
            _problems.Add($"program header table is cut off: {whole} of {count} entries are in the file");
        for (int i = 0; i < whole; i++)
        {
            ReadOnlySpan<byte> p = table.AsSpan(i * entsize, entsize);
            list.Add(new ElfSegment(
                BinaryPrimitives.ReadUInt32LittleEndian(p),
                BinaryPrimitives.ReadUInt32LittleEndian(p[4..]),
                BinaryPrimitives.ReadUInt64LittleEndian(p[8..]),
                BinaryPrimitives.ReadUInt64LittleEndian(p[16..]),
                BinaryPrimitives.ReadUInt64LittleEndian(p[32..]),
                BinaryPrimitives.ReadUInt64LittleEndian(p[40..])));
        }

        return list;
    }

    private List<ElfSection> ReadSections(ulong shoff, int entsize, int count, int strndx)
    {
        var list = new List<ElfSection>();
        if (count == 0 || shoff == 0)
            return list;
        if (entsize < 64 || entsize > 1024 || count > MaxHeaders || shoff >= (ulong)Length || (long)entsize * count > Length)
        {
            _problems.Add($"section header table (offset {shoff:N0}, {count} entries) lies outside the file");
            return list;
        }

        var table = new byte[(long)entsize * count];
        int whole = ReadAt((long)shoff, table) / entsize;
        if (whole < count)
            _problems.Add($"section header table is cut off: {whole} of {count} entries are in the file");
        var raw = new List<(uint Name, uint Type, ulong Flags, ulong Addr, ulong Offset, ulong Size, uint Link, ulong EntSize)>();
        for (int i = 0; i < whole; i++)
        {
            ReadOnlySpan<byte> s = table.AsSpan(i * entsize, entsize);
            raw.Add((BinaryPrimitives.ReadUInt32LittleEndian(s), BinaryPrimitives.ReadUInt32LittleEndian(s[4..]), BinaryPrimitives.ReadUInt64LittleEndian(s[8..]),
                BinaryPrimitives.ReadUInt64LittleEndian(s[16..]), BinaryPrimitives.ReadUInt64LittleEndian(s[24..]), BinaryPrimitives.ReadUInt64LittleEndian(s[32..]),
                BinaryPrimitives.ReadUInt32LittleEndian(s[40..]), BinaryPrimitives.ReadUInt64LittleEndian(s[56..])));
        }

        byte[] names = strndx < raw.Count ? ReadRange(raw[strndx].Offset, raw[strndx].Size, "section names") ?? [] : [];
        foreach (var r in raw)
            list.Add(new ElfSection(CString(names, r.Name), r.Type, r.Flags, r.Addr, r.Offset, r.Size, r.Link, r.EntSize));
        return list;
    }

    /// <summary>The section named <paramref name="name"/>, or null.</summary>
    public ElfSection? Section(string name) => Sections.FirstOrDefault(s => s.Name == name);

    /// <summary>A section's bytes (inflated when SHF_COMPRESSED), or null when absent, empty or unreadable (with a problem noted).</summary>
    public byte[]? SectionBytes(string name)
    {
        if (Section(name) is not { } s || s.Type == ShtNobits)
            return null;
        byte[]? data = ReadRange(s.Offset, s.Size, name);
        if (data is null || (s.Flags & ShfCompressed) == 0)
            return data;
        if (data.Length < 24 || BinaryPrimitives.ReadUInt32LittleEndian(data) != 1)
        {
            _problems.Add($"section {name} is compressed in a way other than zlib");
            return null;
        }

        ulong size = BinaryPrimitives.ReadUInt64LittleEndian(data.AsSpan(8));
        if (size > MaxSectionBytes || size > (ulong)data.Length * 1032)
        {
            _problems.Add($"section {name} claims {size:N0} bytes uncompressed, more than its {data.Length:N0} compressed bytes can hold");
            return null;
        }

        var output = new byte[size];
        try
        {
            using var z = new ZLibStream(new MemoryStream(data, 24, data.Length - 24), CompressionMode.Decompress);
            int total = z.ReadAtLeast(output, output.Length, throwOnEndOfStream: false);
            if (total < output.Length)
                _problems.Add($"section {name} inflates to {total:N0} of the {size:N0} bytes it claims");
            return total == output.Length ? output : output[..total];
        }
        catch (InvalidDataException e)
        {
            _problems.Add($"section {name} does not inflate: {e.Message}");
            return null;
        }
    }

    private byte[]? ReadRange(ulong offset, ulong size, string what)
    {
        if (size == 0)
            return null;
        if (size > MaxSectionBytes || offset > (ulong)Length || size > (ulong)Length - offset)
        {
            _problems.Add($"{what} (offset {offset:N0}, {size:N0} bytes) lies outside the file ({Length:N0} bytes)");
            return null;
        }

        var data = new byte[size];
        return ReadAt((long)offset, data) == data.Length ? data : null;
    }

    /// <summary>A symbol's value and size from .symtab, or null (no such symbol, or a stripped binary).</summary>
    public (ulong Value, ulong Size)? Symbol(string name)
    {
        _symbols ??= ReadSymbols();
        return _symbols.TryGetValue(name, out var v) ? v : null;
    }

    /// <summary>Whether the file has a symbol table (binaries built with -ldflags=-s have none).</summary>
    public bool HasSymbols => Sections.Any(s => s.Type == ShtSymtab);

    private Dictionary<string, (ulong, ulong)> ReadSymbols()
    {
        var map = new Dictionary<string, (ulong, ulong)>(StringComparer.Ordinal);
        if (Sections.FirstOrDefault(s => s.Type == ShtSymtab) is not { } symtab || symtab.Link >= Sections.Count)
            return map;
        byte[]? table = ReadRange(symtab.Offset, symtab.Size, ".symtab");
        byte[]? names = ReadRange(Sections[(int)symtab.Link].Offset, Sections[(int)symtab.Link].Size, ".strtab");
        if (table is null || names is null)
            return map;
        for (int i = 24; i + 24 <= table.Length; i += 24)
        {
            uint nameOff = BinaryPrimitives.ReadUInt32LittleEndian(table.AsSpan(i));
            string name = CString(names, nameOff);
            if (name.Length > 0)
                map.TryAdd(name, (BinaryPrimitives.ReadUInt64LittleEndian(table.AsSpan(i + 8)), BinaryPrimitives.ReadUInt64LittleEndian(table.AsSpan(i + 16))));
        }

        return map;
    }

    /// <summary>The notes of every PT_NOTE segment (a core's), or of the SHT_NOTE sections (an executable's).</summary>
    public IEnumerable<ElfNote> Notes()
    {
        var ranges = Segments.Where(s => s.Type == PtNote).Select(s => (s.Offset, s.FileSize)).ToList();
        if (ranges.Count == 0)
            ranges = Sections.Where(s => s.Type == 7).Select(s => (s.Offset, s.Size)).ToList();
        foreach (var (offset, size) in ranges)
        {
            if (size > 64 << 20)
            {
                _problems.Add($"a note segment of {size:N0} bytes is larger than any core writes");
                continue;
            }

            byte[]? data = ReadRange(offset, size, "a note segment");
            if (data is null)
                continue;
            int pos = 0;
            while (pos + 12 <= data.Length)
            {
                uint nameSize = BinaryPrimitives.ReadUInt32LittleEndian(data.AsSpan(pos));
                uint descSize = BinaryPrimitives.ReadUInt32LittleEndian(data.AsSpan(pos + 4));
                uint type = BinaryPrimitives.ReadUInt32LittleEndian(data.AsSpan(pos + 8));
                long nameStart = pos + 12L;
                long descStart = nameStart + ((nameSize + 3L) & ~3L);
                long next = descStart + ((descSize + 3L) & ~3L);
                if (descStart + descSize > data.Length || next <= pos)
                {
                    _problems.Add($"a note at file offset {(ulong)pos + offset:N0} runs past its segment");
                    break;
                }

                string name = Encoding.ASCII.GetString(data, (int)nameStart, (int)Math.Max(0, nameSize - 1L));
                yield return new ElfNote(name, type, data.AsMemory((int)descStart, (int)descSize));
                pos = (int)Math.Min(next, data.Length);
            }
        }
    }

    /// <summary>The GNU build id (hex) of the file's notes, or null.</summary>
    public string? BuildId() =>
        Notes().FirstOrDefault(n => n.Type == 3 && n.Name == "GNU") is { } note ? Convert.ToHexStringLower(note.Desc.Span) : null;

    internal static string CString(ReadOnlySpan<byte> data, ulong offset)
    {
        if (offset >= (ulong)data.Length)
            return "";
        ReadOnlySpan<byte> rest = data[(int)offset..];
        int end = rest.IndexOf((byte)0);
        return Encoding.UTF8.GetString(end < 0 ? rest : rest[..end]);
    }
}

/// <summary>A program header: PT_LOAD (memory), PT_NOTE, …; sizes as the file says.</summary>
internal sealed record ElfSegment(uint Type, uint Flags, ulong Offset, ulong VirtualAddress, ulong FileSize, ulong MemorySize)
{
    public bool IsLoad => Type == 1;
    public bool IsWritable => (Flags & 2) != 0;
}

/// <summary>A section header with its name.</summary>
internal sealed record ElfSection(string Name, uint Type, ulong Flags, ulong Address, ulong Offset, ulong Size, uint Link, ulong EntrySize);

/// <summary>One ELF note: owner name, type, descriptor bytes.</summary>
internal readonly record struct ElfNote(string Name, uint Type, ReadOnlyMemory<byte> Desc);
