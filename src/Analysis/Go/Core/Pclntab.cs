using System.Buffers.Binary;
using System.Text;

namespace Analysis.Go.Core;

/// <summary>
/// The Go runtime's function table (.gopclntab, Go 1.18+ layout): function by pc, names, frame sizes (pcsp), file and
/// line (pcfile, pcln), pcdata and funcdata (the inline tree). Survives stripping (-s -w). Every offset is checked
/// against the table; a damaged entry reads as unknown, never as an exception.
/// </summary>
internal sealed class Pclntab
{
    public const int PcdataInlTreeIndex = 2;
    public const int FuncdataInlTree = 3;
    public const byte FlagTopFrame = 1;
    public const byte FlagSpWrite = 2;

    private readonly byte[] _tab;
    private readonly int _nfunc;
    private readonly int _minLc;
    private readonly ulong _funcnameOff, _cuOff, _filetabOff, _pctabOff, _pclnOff;
    private readonly Dictionary<int, string> _names = [];

    private Pclntab(byte[] tab, int nfunc, int minLc, ulong textStart, ulong funcname, ulong cu, ulong filetab, ulong pctab, ulong pcln, uint magic)
    {
        _tab = tab;
        _nfunc = nfunc;
        _minLc = minLc;
        TextStart = textStart;
        _funcnameOff = funcname;
        _cuOff = cu;
        _filetabOff = filetab;
        _pctabOff = pctab;
        _pclnOff = pcln;
        Magic = magic;
    }

    public uint Magic { get; }

    public ulong TextStart { get; }

    public int FunctionCount => _nfunc;

    /// <summary>Parses the header; null with a reason when it is not a Go 1.18+ pclntab for 64-bit pointers.</summary>
    public static Pclntab? TryRead(byte[] tab, ulong textStartOverride, out string? problem)
    {
        problem = null;
        if (tab.Length < 72)
        {
            problem = $"the function table is {tab.Length} bytes, shorter than its header";
            return null;
        }

        uint magic = BinaryPrimitives.ReadUInt32LittleEndian(tab);
        if (magic is not (0xfffffff0 or 0xfffffff1) || tab[7] != 8)
        {
            problem = magic is 0xfffffffa or 0xfffffffb
                ? "the function table is from Go 1.16/1.17; Go 1.18 or later is read"
                : $"the function table's magic is 0x{magic:x8} (pointer size {tab[7]}); a Go 1.18+ linux/amd64 table was expected";
            return null;
        }

        long nfunc = BinaryPrimitives.ReadInt64LittleEndian(tab.AsSpan(8));
        ulong text = BinaryPrimitives.ReadUInt64LittleEndian(tab.AsSpan(24));
        ulong[] offs = new ulong[5];
        for (int i = 0; i < 5; i++)
            offs[i] = BinaryPrimitives.ReadUInt64LittleEndian(tab.AsSpan(32 + (8 * i)));
        if (nfunc < 0 || nfunc > 10_000_000 || offs.Any(o => o > (ulong)tab.Length) || offs[4] + (((ulong)nfunc + 1) * 8) > (ulong)tab.Length)
        {
            problem = $"the function table's header is damaged ({nfunc} functions, offsets beyond its {tab.Length:N0} bytes)";
            return null;
        }

        return new Pclntab(tab, (int)nfunc, Math.Max(1, (int)tab[6]), textStartOverride != 0 ? textStartOverride : text, offs[0], offs[1], offs[2], offs[3], offs[4], magic);
    }

    private uint U32(ulong at) => at + 4 <= (ulong)_tab.Length ? BinaryPrimitives.ReadUInt32LittleEndian(_tab.AsSpan((int)at)) : 0;

    /// <summary>The function containing <paramref name="pc"/>, or null when pc is outside the table.</summary>
    public GoFunc? Find(ulong pc)
    {
        if (_nfunc == 0 || pc < TextStart)
            return null;
        ulong rel = pc - TextStart;
        if (rel > uint.MaxValue)
            return null;
        ulong ftab = _pclnOff;
        // The last entry is the end of text.
        if (rel >= U32(ftab + ((ulong)_nfunc * 8)))
            return null;
        int lo = 0, hi = _nfunc - 1;
        while (lo < hi)
        {
            int mid = (lo + hi + 1) / 2;
            if (U32(ftab + ((ulong)mid * 8)) <= rel)
                lo = mid;
            else
                hi = mid - 1;
        }

        return At(lo);
    }

    /// <summary>The function at index <paramref name="index"/> of the table (in address order).</summary>
    public GoFunc? FunctionAt(int index) => index >= 0 && index < _nfunc ? At(index) : null;

    private GoFunc? At(int index)
    {
        ulong funcOff = _pclnOff + U32(_pclnOff + ((ulong)index * 8) + 4);
        if (funcOff + 44 > (ulong)_tab.Length)
            return null;
        ReadOnlySpan<byte> f = _tab.AsSpan((int)funcOff);
        uint npcdata = BinaryPrimitives.ReadUInt32LittleEndian(f[28..]);
        int nfuncdata = f[43];
        if (npcdata > 1000 || funcOff + 44 + (4 * (npcdata + (ulong)nfuncdata)) > (ulong)_tab.Length)
            return null;
        return new GoFunc(this, funcOff, TextStart + BinaryPrimitives.ReadUInt32LittleEndian(f), BinaryPrimitives.ReadInt32LittleEndian(f[4..]),
            BinaryPrimitives.ReadUInt32LittleEndian(f[16..]), BinaryPrimitives.ReadUInt32LittleEndian(f[20..]), BinaryPrimitives.ReadUInt32LittleEndian(f[24..]),
            (int)npcdata, BinaryPrimitives.ReadUInt32LittleEndian(f[32..]), BinaryPrimitives.ReadInt32LittleEndian(f[36..]), f[40], f[41], nfuncdata);
    }

    /// <summary>The function name at an offset of the name table (cached).</summary>
    public string Name(int nameOff)
    {
        if (_names.TryGetValue(nameOff, out string? name))
            return name;
        ulong at = _funcnameOff + (ulong)(uint)nameOff;
        name = nameOff < 0 || at >= (ulong)_tab.Length ? "?" : ElfImage.CString(_tab, at);
        _names[nameOff] = name;
        return name;
    }

    /// <summary>The value of a pc-value table at <paramref name="targetPc"/> (the runtime's pcvalue), or null.</summary>
    public int? PcValue(uint tableOff, ulong entry, ulong targetPc)
    {
        if (tableOff == 0)
            return null;
        ulong p = _pctabOff + tableOff;
        int val = -1;
        ulong pc = entry;
        bool first = true;
        for (int guard = 0; guard < 1_000_000; guard++)
        {
            if (!Varint(ref p, out ulong uvdelta) || (uvdelta == 0 && !first))
                return null;
            first = false;
            int vdelta = (uvdelta & 1) != 0 ? ~(int)(uvdelta >> 1) : (int)(uvdelta >> 1);
            val += vdelta;
            if (!Varint(ref p, out ulong pcdelta))
                return null;
            pc += pcdelta * (ulong)_minLc;
            if (targetPc < pc)
                return val;
        }

        return null;
    }

    private bool Varint(ref ulong p, out ulong value)
    {
        value = 0;
        for (int shift = 0; shift < 35; shift += 7)
        {
            if (p >= (ulong)_tab.Length)
                return false;
            byte b = _tab[(int)p++];
            value |= (ulong)(b & 0x7f) << shift;
            if ((b & 0x80) == 0)
                return true;
        }

        return false;
    }

    /// <summary>The file name of file number <paramref name="fileNo"/> of compilation unit <paramref name="cu"/>.</summary>
    public string File(uint cu, int fileNo)
    {
        if (fileNo < 0)
            return "?";
        uint fileOff = U32(_cuOff + (4 * ((ulong)cu + (uint)fileNo)));
        return fileOff == uint.MaxValue || _filetabOff + fileOff >= (ulong)_tab.Length ? "?" : ElfImage.CString(_tab, _filetabOff + fileOff);
    }

    internal uint FuncU32(ulong at) => U32(at);
}

/// <summary>One function of the table (the runtime's _func).</summary>
internal sealed class GoFunc(Pclntab table, ulong offset, ulong entry, int nameOff, uint pcsp, uint pcfile, uint pcln, int npcdata, uint cuOffset, int startLine, byte funcId, byte flag, int nfuncdata)
{
    public ulong Entry { get; } = entry;

    public string Name => table.Name(nameOff);

    public byte FuncId { get; } = funcId;

    public byte Flag { get; } = flag;

    public int StartLine { get; } = startLine;

    public bool IsTopFrame => (Flag & Pclntab.FlagTopFrame) != 0;

    public bool WritesSp => (Flag & Pclntab.FlagSpWrite) != 0;

    /// <summary>The frame size at pc (bytes between SP and the return address slot), or null.</summary>
    public int? SpDelta(ulong pc) => table.PcValue(pcsp, Entry, pc);

    public (string File, int Line) FileLine(ulong pc)
    {
        int? file = table.PcValue(pcfile, Entry, pc);
        int? line = table.PcValue(pcln, Entry, pc);
        return (file is { } f ? table.File(cuOffset, f) : "?", line ?? 0);
    }

    public int? Pcdata(int index, ulong pc) =>
        index < npcdata ? table.PcValue(table.FuncU32(offset + 44 + (4 * (ulong)index)), Entry, pc) : null;

    /// <summary>Offset of funcdata <paramref name="index"/> from moduledata.gofunc, or null when absent.</summary>
    public uint? Funcdata(int index)
    {
        if (index >= nfuncdata)
            return null;
        uint off = table.FuncU32(offset + 44 + (4 * (ulong)npcdata) + (4 * (ulong)index));
        return off == uint.MaxValue ? null : off;
    }

    public string NameAt(int nameOffset) => table.Name(nameOffset);

    public override string ToString() => Name;
}
