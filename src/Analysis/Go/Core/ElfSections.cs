using System.Buffers.Binary;
using System.IO.Compression;
using System.Text;

namespace Analysis.Go.Core;

/// <summary>
/// Reads named sections of a little-endian ELF64 file, decompressing SHF_COMPRESSED sections (Elf64_Chdr with
/// ch_type 1, zlib). Total: a bad file gives no section and a problem, never an exception; no allocation is larger
/// than the file or than a section's declared size checked against a cap.
/// </summary>
internal static class ElfSections
{
    private const ulong ShfCompressed = 0x800;
    private const long MaxDecompressed = 1L << 30;

    /// <summary>
    /// The sections named in <paramref name="names"/> that the file has (decompressed), and what could not be read.
    /// </summary>
    public static (Dictionary<string, byte[]> Sections, List<string> Problems) Read(string path, IReadOnlyCollection<string> names)
    {
        var sections = new Dictionary<string, byte[]>(StringComparer.Ordinal);
        var problems = new List<string>();
        try
        {
            using FileStream file = File.OpenRead(path);
            ReadFrom(file, names, sections, problems);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or InvalidDataException or ArgumentException or NotSupportedException)
        {
            problems.Add($"'{path}': {ex.Message}");
        }

        return (sections, problems);
    }

    private static void ReadFrom(FileStream file, IReadOnlyCollection<string> names, Dictionary<string, byte[]> sections, List<string> problems)
    {
        long fileLength = file.Length;
        byte[] header = ReadAt(file, 0, 64);
        if (header.Length < 64 || header[0] != 0x7f || header[1] != (byte)'E' || header[2] != (byte)'L' || header[3] != (byte)'F')
        {
            problems.Add("not an ELF file");
            return;
        }

        if (header[4] != 2 || header[5] != 1)
        {
            problems.Add("not a little-endian ELF64 file");
            return;
        }

        ulong shoff = BinaryPrimitives.ReadUInt64LittleEndian(header.AsSpan(0x28));
        int shentsize = BinaryPrimitives.ReadUInt16LittleEndian(header.AsSpan(0x3a));
        int shnum = BinaryPrimitives.ReadUInt16LittleEndian(header.AsSpan(0x3c));
        int shstrndx = BinaryPrimitives.ReadUInt16LittleEndian(header.AsSpan(0x3e));
        if (shentsize < 64 || shoff >= (ulong)fileLength || (ulong)shnum * (ulong)shentsize > (ulong)fileLength - shoff || shstrndx >= shnum)
        {
            problems.Add("section header table is outside the file or malformed");
            return;
        }

        byte[] table = ReadAt(file, (long)shoff, shnum * shentsize);
        (ulong Flags, ulong Offset, ulong Size, uint Name) Entry(int i)
        {
            ReadOnlySpan<byte> e = table.AsSpan(i * shentsize, 64);
            return (BinaryPrimitives.ReadUInt64LittleEndian(e[8..]), BinaryPrimitives.ReadUInt64LittleEndian(e[24..]),
                BinaryPrimitives.ReadUInt64LittleEndian(e[32..]), BinaryPrimitives.ReadUInt32LittleEndian(e));
        }

        var strtab = Entry(shstrndx);
        if (strtab.Offset > (ulong)fileLength || strtab.Size > (ulong)fileLength - strtab.Offset)
        {
            problems.Add("section name table is outside the file");
            return;
        }

        byte[] names0 = ReadAt(file, (long)strtab.Offset, (int)strtab.Size);
        for (int i = 0; i < shnum; i++)
        {
            var s = Entry(i);
            if (s.Name >= names0.Length)
            {
                continue;
            }

            ReadOnlySpan<byte> rest = names0.AsSpan((int)s.Name);
            int nul = rest.IndexOf((byte)0);
            string name = Encoding.ASCII.GetString(nul < 0 ? rest : rest[..nul]);
            if (!names.Contains(name) || sections.ContainsKey(name))
            {
                continue;
            }

            if (s.Offset > (ulong)fileLength || s.Size > (ulong)fileLength - s.Offset || s.Size > int.MaxValue)
            {
                problems.Add($"section {name} is outside the file");
                continue;
            }

            byte[] raw = ReadAt(file, (long)s.Offset, (int)s.Size);
            if ((s.Flags & ShfCompressed) == 0)
            {
                sections[name] = raw;
                continue;
            }

            if (raw.Length < 24 || BinaryPrimitives.ReadUInt32LittleEndian(raw) != 1)
            {
                problems.Add($"section {name} is compressed with an unknown header or type");
                continue;
            }

            ulong size = BinaryPrimitives.ReadUInt64LittleEndian(raw.AsSpan(8));
            // zlib cannot expand more than about 1032 to 1: a larger claim is a bad header, not a reason to allocate.
            if (size > MaxDecompressed || size > ((ulong)raw.Length * 1100) + 1024)
            {
                problems.Add($"section {name} claims {size} bytes decompressed from {raw.Length}, more than zlib can give or than {MaxDecompressed}");
                continue;
            }

            try
            {
                var output = new byte[size];
                using var zlib = new ZLibStream(new MemoryStream(raw, 24, raw.Length - 24), CompressionMode.Decompress);
                int done = 0;
                while (done < output.Length)
                {
                    int n = zlib.Read(output, done, output.Length - done);
                    if (n == 0)
                    {
                        break;
                    }

                    done += n;
                }

                if (done < output.Length)
                {
                    problems.Add($"section {name}: {done} of {size} bytes decompressed");
                    output = output[..done];
                }

                sections[name] = output;
            }
            catch (InvalidDataException ex)
            {
                problems.Add($"section {name}: {ex.Message}");
            }
        }
    }

    private static byte[] ReadAt(FileStream file, long offset, int count)
    {
        var buffer = new byte[count];
        file.Position = offset;
        int done = 0;
        while (done < count)
        {
            int n = file.Read(buffer, done, count - done);
            if (n == 0)
            {
                break;
            }

            done += n;
        }

        return done == count ? buffer : buffer[..done];
    }
}
