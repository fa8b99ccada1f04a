using System.Buffers.Binary;
using System.Text;

namespace Analysis.Go.Core;

/// <summary>
/// The address space of a crashed process: the core's PT_LOAD segments (writable data, heap, stacks), and for what the
/// kernel left out of them (unmodified file-backed pages: code, read-only data, pclntab) the executable's own loaded
/// segments. Reads go through a small cache of 64 KB windows; memory is bounded whatever the core's size.
/// </summary>
internal sealed class ProcessMemory
{
    private const int WindowBits = 16;
    private const int WindowSize = 1 << WindowBits;
    private const int MaxWindows = 512; // 32 MB
    private readonly (ulong Start, ulong End, ulong FileOffset, ElfImage File)[] _ranges;
    private readonly Dictionary<(ElfImage, long), byte[]> _windows = [];

    public ProcessMemory(ElfImage core, ElfImage? executable, ulong executableBias)
    {
        var ranges = new List<(ulong, ulong, ulong, ElfImage)>();
        foreach (var s in core.Segments.Where(s => s.IsLoad && s.FileSize > 0))
        {
            ulong end = s.VirtualAddress + Math.Min(s.FileSize, s.MemorySize == 0 ? s.FileSize : s.MemorySize);
            if (end > s.VirtualAddress)
                ranges.Add((s.VirtualAddress, end, s.Offset, core));
        }

        if (executable is not null)
        {
            foreach (var s in executable.Segments.Where(s => s.IsLoad && s.FileSize > 0))
            {
                ulong start = s.VirtualAddress + executableBias;
                ulong end = start + s.FileSize;
                if (end > start)
                    ranges.Add((start, end, s.Offset, executable));
            }
        }

        // Core ranges first: where both hold an address, the core's bytes are what the process had.
        _ranges = [.. ranges];
    }

    /// <summary>Bytes the core itself holds, in total (sparse zero pages included).</summary>
    public ulong CoreBytes => _ranges.Where(r => r.File.Type == ElfImage.TypeCore).Aggregate(0UL, (sum, r) => sum + (r.End - r.Start));

    /// <summary>Whether the address is readable (in the core or in the executable's file-backed segments).</summary>
    public bool IsMapped(ulong address) => Find(address) >= 0;

    private int Find(ulong address)
    {
        for (int i = 0; i < _ranges.Length; i++)
        {
            if (address >= _ranges[i].Start && address < _ranges[i].End)
                return i;
        }

        return -1;
    }

    /// <summary>Reads exactly buffer.Length bytes at <paramref name="address"/>; false when any of them is not in the core or executable.</summary>
    public bool TryRead(ulong address, Span<byte> buffer)
    {
        while (!buffer.IsEmpty)
        {
            int i = Find(address);
            if (i < 0)
                return false;
            var r = _ranges[i];
            ulong fileOffset = r.FileOffset + (address - r.Start);
            int n = (int)Math.Min((ulong)buffer.Length, r.End - address);
            if (!ReadFile(r.File, (long)fileOffset, buffer[..n]))
                return false;
            buffer = buffer[n..];
            address += (ulong)n;
        }

        return true;
    }

    private bool ReadFile(ElfImage file, long offset, Span<byte> buffer)
    {
        while (!buffer.IsEmpty)
        {
            long window = offset >> WindowBits;
            if (!_windows.TryGetValue((file, window), out byte[]? data))
            {
                if (_windows.Count >= MaxWindows)
                    _windows.Clear();
                var bytes = new byte[WindowSize];
                int got = file.ReadAt(window << WindowBits, bytes);
                data = got == WindowSize ? bytes : bytes[..got];
                _windows[(file, window)] = data;
            }

            int at = (int)(offset - (window << WindowBits));
            if (at >= data.Length)
                return false; // the file ends before this byte: a truncated core
            int n = Math.Min(buffer.Length, data.Length - at);
            data.AsSpan(at, n).CopyTo(buffer);
            buffer = buffer[n..];
            offset += n;
        }

        return true;
    }

    public bool TryReadU64(ulong address, out ulong value)
    {
        Span<byte> b = stackalloc byte[8];
        bool ok = TryRead(address, b);
        value = ok ? BinaryPrimitives.ReadUInt64LittleEndian(b) : 0;
        return ok;
    }

    public ulong U64(ulong address) => TryReadU64(address, out ulong v) ? v : 0;

    public uint U32(ulong address)
    {
        Span<byte> b = stackalloc byte[4];
        return TryRead(address, b) ? BinaryPrimitives.ReadUInt32LittleEndian(b) : 0;
    }

    public byte U8(ulong address)
    {
        Span<byte> b = stackalloc byte[1];
        return TryRead(address, b) ? b[0] : (byte)0;
    }

    /// <summary>A Go string (pointer, length) read from memory, capped at <paramref name="max"/> bytes; null when unreadable.</summary>
    public string? GoString(ulong pointer, ulong length, int max = 1024)
    {
        if (length == 0)
            return "";
        if (pointer == 0 || length > 1L << 40)
            return null;
        int n = (int)Math.Min(length, (ulong)max);
        var bytes = new byte[n];
        return TryRead(pointer, bytes) ? Encoding.UTF8.GetString(bytes) : null;
    }

    /// <summary>A Go string header (pointer, length) at <paramref name="address"/>, read as text.</summary>
    public string? GoStringAt(ulong address, int max = 1024) =>
        TryReadU64(address, out ulong p) && TryReadU64(address + 8, out ulong n) ? GoString(p, n, max) : null;
}
