using System.Buffers.Binary;
using System.Globalization;
using System.Text;

namespace Analysis.Go.Core;

/// <summary>
/// The type facts of a Go executable's DWARF (.debug_info, .debug_abbrev and, for DWARF 5 producers, .debug_str and
/// .debug_line_str): struct layouts by name and the byte size of any named type. Go 1.21–1.23 emit DWARF 4, 32-bit
/// units, names inline (DW_FORM_string) and type references as DW_FORM_ref_addr; the runtime's types sit in the
/// "runtime" unit, but every unit is read. Total: any bytes give a partial result with <see cref="Problems"/>,
/// never an exception, in time and memory linear in the input.
/// </summary>
internal sealed class GoDwarf
{
    private const int MaxProblems = 64;
    private const int MaxChain = 64;

    // Tags (DWARF 5, section 7.5.3).
    private const int TagArrayType = 0x01;
    private const int TagClassType = 0x02;
    private const int TagEnumerationType = 0x04;
    private const int TagMember = 0x0d;
    private const int TagPointerType = 0x0f;
    private const int TagStructureType = 0x13;
    private const int TagSubroutineType = 0x15;
    private const int TagTypedef = 0x16;
    private const int TagUnionType = 0x17;
    private const int TagBaseType = 0x24;
    private const int TagConstType = 0x26;
    private const int TagVolatileType = 0x35;
    private const int TagUnspecifiedType = 0x3b;
    private const int TagSubrangeType = 0x21;
    private const int TagVariable = 0x34;

    // Attributes.
    private const int AtLocation = 0x02;
    private const int AtName = 0x03;
    private const int AtByteSize = 0x0b;
    private const int AtDataMemberLocation = 0x38;
    private const int AtType = 0x49;
    private const int AtDataBitOffset = 0x6b;
    private const int AtLowerBound = 0x22;
    private const int AtUpperBound = 0x2f;
    private const int AtCount = 0x37;

    private readonly Dictionary<long, TypeDie> _types = [];
    private readonly Dictionary<string, long> _structsByName = new(StringComparer.Ordinal);
    private readonly Dictionary<string, long> _typesByName = new(StringComparer.Ordinal);
    private readonly Dictionary<string, GoStructType?> _structCache = new(StringComparer.Ordinal);
    private readonly Dictionary<string, (ulong Address, long TypeRef)> _globals = new(StringComparer.Ordinal);
    private readonly List<string> _problems = [];
    private int _problemsDropped;

    private GoDwarf()
    {
    }

    /// <summary>What could not be read; the results are what was read before and around it.</summary>
    public IReadOnlyList<string> Problems => _problemsDropped == 0 ? _problems : [.. _problems, $"{_problemsDropped} more problems not listed"];

    /// <summary>The number of compilation units read (fully or in part).</summary>
    public int UnitCount { get; private set; }

    /// <summary>The DWARF versions of the units read, each once, in the order first seen.</summary>
    public IReadOnlyList<int> Versions => _versions;

    private readonly List<int> _versions = [];

    /// <summary>
    /// Reads the sections' bytes (already decompressed). <paramref name="str"/> and <paramref name="lineStr"/> may be
    /// empty: Go 1.21–1.23 keep every name inline.
    /// </summary>
    public static GoDwarf Read(ReadOnlyMemory<byte> info, ReadOnlyMemory<byte> abbrev, ReadOnlyMemory<byte> str, ReadOnlyMemory<byte> lineStr)
    {
        var dwarf = new GoDwarf();
        try
        {
            new Parser(dwarf, info.Span, abbrev.Span, str.Span, lineStr.Span).Run();
        }
#pragma warning disable CA1031 // Total by contract: a bug here must give a partial result, not take the caller down.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            dwarf.Problem($"reading stopped by an internal error: {ex.GetType().Name}: {ex.Message}");
        }

        return dwarf;
    }

    /// <summary>
    /// Reads the DWARF of an ELF64 file (sections inflated by <see cref="ElfImage"/>); the file's problems come first in
    /// <see cref="Problems"/>. A file that is not ELF gives an empty result with that problem.
    /// </summary>
    public static GoDwarf FromElfFile(string path)
    {
        try
        {
            using var image = ElfImage.Open(path, "Executable", "an ELF executable was expected");
            return FromElf(image);
        }
        catch (AnalysisException e)
        {
            GoDwarf empty = Read(default, default, default, default);
            empty._problems.Insert(0, e.Message);
            return empty;
        }
    }

    /// <summary>Reads the DWARF of an open ELF file; its problems (and a missing .debug_info) come first in <see cref="Problems"/>.</summary>
    public static GoDwarf FromElf(ElfImage image)
    {
        byte[]? info = image.SectionBytes(".debug_info");
        var problems = new List<string>(image.Problems);
        if (info is null)
            problems.Add($"'{image.Path}' has no .debug_info (built with -ldflags=-w, or stripped)");
        GoDwarf dwarf = Read(info ?? [], image.SectionBytes(".debug_abbrev") ?? [], image.SectionBytes(".debug_str") ?? [], image.SectionBytes(".debug_line_str") ?? []);
        dwarf._problems.InsertRange(0, problems);
        return dwarf;
    }

    /// <summary>
    /// The struct named <paramref name="name"/> (its DWARF name, e.g. "runtime.g"), or null when there is none.
    /// Safe to call from several threads (everything else is read-only after <see cref="Read"/>).
    /// </summary>
    public GoStructType? Struct(string name)
    {
        lock (_structCache)
        {
            if (_structCache.TryGetValue(name, out GoStructType? cached))
            {
                return cached;
            }
        }

        GoStructType? result = null;
        if (_structsByName.TryGetValue(name, out long offset) && _types.TryGetValue(offset, out TypeDie? die))
        {
            var fields = new List<GoStructField>(die.Members?.Count ?? 0);
            foreach (MemberDie m in die.Members ?? [])
            {
                fields.Add(new GoStructField(m.Name ?? "", m.Offset, TypeName(m.TypeRef), TypeSize(m.TypeRef)));
            }

            result = new GoStructType(name, die.Size ?? -1, fields);
        }

        lock (_structCache)
        {
            _structCache[name] = result;
        }

        return result;
    }

    /// <summary>The byte size of the type named <paramref name="typeName"/>, following typedefs; null when unknown.</summary>
    public long? SizeOf(string typeName)
    {
        if (_structsByName.TryGetValue(typeName, out long offset) || _typesByName.TryGetValue(typeName, out offset))
        {
            return TypeSize(offset);
        }

        return null;
    }

    /// <summary>
    /// The package-level variable named <paramref name="name"/> ("runtime.allgs", "runtime.sched") with its static
    /// address (a location of one DW_OP_addr) and type; null when the DWARF has none.
    /// </summary>
    public GoDwarfVariable? Variable(string name) =>
        _globals.TryGetValue(name, out var v) ? new GoDwarfVariable(name, v.Address, TypeName(v.TypeRef), TypeSize(v.TypeRef)) : null;

    /// <summary>The names of all structs read, for listing what a binary has.</summary>
    public IEnumerable<string> StructNames => _structsByName.Keys;

    private string TypeName(long offset)
    {
        var prefix = new StringBuilder();
        for (int hop = 0; hop < MaxChain; hop++)
        {
            if (offset < 0 || !_types.TryGetValue(offset, out TypeDie? die))
            {
                return prefix + (offset < 0 ? "void" : $"<0x{offset:x}>");
            }

            if (die.Name is not null)
            {
                return prefix + die.Name;
            }

            switch (die.Tag)
            {
                case TagPointerType: prefix.Append('*'); break;
                case TagArrayType: prefix.Append(die.Counts is { Count: > 0 } counts ? string.Concat(counts.Select(c => $"[{c?.ToString(CultureInfo.InvariantCulture) ?? "?"}]")) : "[]"); break;
                case TagConstType: prefix.Append("const "); break;
                case TagVolatileType: prefix.Append("volatile "); break;
                case TagTypedef: break;
                default: return prefix + "<anonymous>";
            }

            offset = die.TypeRef;
        }

        return prefix + "<cycle>";
    }

    private long? TypeSize(long offset)
    {
        for (int hop = 0; hop < MaxChain; hop++)
        {
            if (offset < 0 || !_types.TryGetValue(offset, out TypeDie? die))
            {
                return null;
            }

            if (die.Size is long size)
            {
                return size;
            }

            switch (die.Tag)
            {
                case TagPointerType:
                case TagSubroutineType:
                    return die.AddressSize;
                case TagArrayType:
                    {
                        // C compilers give the bounds, not the size: count × … × element size.
                        long? elements = die.Counts is { Count: > 0 } ? 1 : null;
                        foreach (long? c in die.Counts ?? [])
                        {
                            elements = c is long n && n >= 0 && elements is long e && e <= int.MaxValue && n <= int.MaxValue ? e * n : null;
                        }

                        return elements is long count && TypeSize(die.TypeRef) is long element && element <= int.MaxValue ? count * element : null;
                    }

                case TagTypedef:
                case TagConstType:
                case TagVolatileType:
                    offset = die.TypeRef;
                    break;
                default:
                    return null;
            }
        }

        return null;
    }

    private void Problem(string what)
    {
        if (_problems.Count < MaxProblems)
        {
            _problems.Add(what);
        }
        else
        {
            _problemsDropped++;
        }
    }

    private static bool IsTypeTag(int tag) => tag is TagArrayType or TagClassType or TagEnumerationType or TagPointerType
        or TagStructureType or TagSubroutineType or TagTypedef or TagUnionType or TagBaseType or TagConstType
        or TagVolatileType or TagUnspecifiedType;

    private sealed class TypeDie
    {
        public int Tag;
        public string? Name;
        public long? Size;
        public long TypeRef = -1;
        public byte AddressSize;
        public List<MemberDie>? Members;
        public List<long?>? Counts;
    }

    private sealed class MemberDie
    {
        public string? Name;
        public long Offset;
        public long TypeRef = -1;
    }

    private sealed record AttrSpec(int Attribute, int Form, long ImplicitConst);

    private sealed record Abbrev(int Tag, bool HasChildren, AttrSpec[] Attributes);

    /// <summary>One pass over .debug_info; every read is bounds-checked, every loop advances or stops.</summary>
    private ref struct Parser
    {
        private readonly GoDwarf _d;
        private readonly ReadOnlySpan<byte> _info;
        private readonly ReadOnlySpan<byte> _abbrev;
        private readonly ReadOnlySpan<byte> _str;
        private readonly ReadOnlySpan<byte> _lineStr;
        private readonly Dictionary<long, Dictionary<long, Abbrev>?> _tables = [];
        private long _abbrevBudget;
        private bool _strxReported;

        public Parser(GoDwarf d, ReadOnlySpan<byte> info, ReadOnlySpan<byte> abbrev, ReadOnlySpan<byte> str, ReadOnlySpan<byte> lineStr)
        {
            _d = d;
            _info = info;
            _abbrev = abbrev;
            _str = str;
            _lineStr = lineStr;
            // Abbreviation tables parsed in all: a few times the section, so many units pointing into one big
            // section cannot make the reading quadratic.
            _abbrevBudget = (4L * abbrev.Length) + (1 << 20);
        }

        public void Run()
        {
            int pos = 0;
            while (pos < _info.Length)
            {
                if (_info.Length - pos < 4)
                {
                    _d.Problem($"unit at 0x{pos:x}: {_info.Length - pos} trailing bytes, too few for a unit header");
                    return;
                }

                uint length32 = BinaryPrimitives.ReadUInt32LittleEndian(_info[pos..]);
                if (length32 == 0xffffffff)
                {
                    if (_info.Length - pos < 12)
                    {
                        _d.Problem($"unit at 0x{pos:x}: 64-bit DWARF header truncated");
                        return;
                    }

                    ulong length64 = BinaryPrimitives.ReadUInt64LittleEndian(_info[(pos + 4)..]);
                    _d.Problem($"unit at 0x{pos:x}: 64-bit DWARF is not read; unit skipped");
                    if (length64 > (ulong)(_info.Length - pos - 12))
                    {
                        return;
                    }

                    pos += 12 + (int)length64;
                    continue;
                }

                if (length32 >= 0xfffffff0)
                {
                    _d.Problem($"unit at 0x{pos:x}: reserved unit length 0x{length32:x}; reading stopped");
                    return;
                }

                int end = pos + 4 + (int)Math.Min(length32, (uint)(_info.Length - pos - 4));
                if (length32 > (uint)(_info.Length - pos - 4))
                {
                    _d.Problem($"unit at 0x{pos:x}: length 0x{length32:x} runs past the section end 0x{_info.Length:x}; read to the end");
                }

                ReadUnit(pos, end);
                _d.UnitCount++;
                pos = end;
            }
        }

        private void ReadUnit(int unitStart, int end)
        {
            int pos = unitStart + 4;
            if (end - pos < 2)
            {
                _d.Problem($"unit at 0x{unitStart:x}: header truncated");
                return;
            }

            int version = BinaryPrimitives.ReadUInt16LittleEndian(_info[pos..]);
            pos += 2;
            if (!_d._versions.Contains(version) && _d._versions.Count < 8)
            {
                _d._versions.Add(version);
            }

            long abbrevOffset;
            int addressSize;
            if (version is >= 2 and <= 4)
            {
                if (end - pos < 5)
                {
                    _d.Problem($"unit at 0x{unitStart:x}: header truncated");
                    return;
                }

                abbrevOffset = BinaryPrimitives.ReadUInt32LittleEndian(_info[pos..]);
                addressSize = _info[pos + 4];
                pos += 5;
            }
            else if (version == 5)
            {
                if (end - pos < 6)
                {
                    _d.Problem($"unit at 0x{unitStart:x}: header truncated");
                    return;
                }

                int unitType = _info[pos];
                addressSize = _info[pos + 1];
                abbrevOffset = BinaryPrimitives.ReadUInt32LittleEndian(_info[(pos + 2)..]);
                pos += 6;
                int extra = unitType switch
                {
                    1 or 3 => 0,          // DW_UT_compile, DW_UT_partial
                    4 or 5 => 8,          // DW_UT_skeleton, DW_UT_split_compile: dwo_id
                    2 or 6 => 12,         // DW_UT_type, DW_UT_split_type: signature, type offset
                    _ => -1,
                };
                if (extra < 0)
                {
                    _d.Problem($"unit at 0x{unitStart:x}: unknown DWARF 5 unit type 0x{unitType:x}; unit skipped");
                    return;
                }

                if (end - pos < extra)
                {
                    _d.Problem($"unit at 0x{unitStart:x}: header truncated");
                    return;
                }

                pos += extra;
            }
            else
            {
                _d.Problem($"unit at 0x{unitStart:x}: DWARF version {version} is not read (2 to 5 are); unit skipped");
                return;
            }

            if (addressSize is not (1 or 2 or 4 or 8))
            {
                _d.Problem($"unit at 0x{unitStart:x}: address size {addressSize} is not 1, 2, 4 or 8; unit skipped");
                return;
            }

            Dictionary<long, Abbrev>? table = AbbrevTable(abbrevOffset, unitStart);
            if (table is null)
            {
                return;
            }

            ReadDies(unitStart, pos, end, version, (byte)addressSize, table);
        }

        private void ReadDies(int unitStart, int pos, int end, int version, byte addressSize, Dictionary<long, Abbrev> table)
        {
            // The open DIEs with children: the type DIE (or null) each child belongs to.
            var parents = new List<TypeDie?>();
            while (pos < end)
            {
                int dieOffset = pos;
                if (!TryUleb(ref pos, end, out ulong code))
                {
                    _d.Problem($"unit at 0x{unitStart:x}: DIE at 0x{dieOffset:x} truncated");
                    return;
                }

                if (code == 0)
                {
                    if (parents.Count > 0)
                    {
                        parents.RemoveAt(parents.Count - 1);
                    }

                    continue;
                }

                if (code > long.MaxValue || !table.TryGetValue((long)code, out Abbrev? abbrev))
                {
                    _d.Problem($"unit at 0x{unitStart:x}: DIE at 0x{dieOffset:x} has abbreviation code {code}, not in its table; rest of the unit skipped");
                    return;
                }

                bool isType = IsTypeTag(abbrev.Tag);
                bool isMember = abbrev.Tag == TagMember;
                bool isSubrange = abbrev.Tag == TagSubrangeType;
                bool isGlobal = abbrev.Tag == TagVariable && parents.Count == 1;
                bool wanted = isType || isMember || isSubrange || isGlobal;
                ulong? address = null;
                long? lowerBound = null;
                long? upperBound = null;
                long? count = null;
                string? name = null;
                long? byteSize = null;
                long typeRef = -1;
                long? memberLocation = null;
                foreach (AttrSpec spec in abbrev.Attributes)
                {
                    int form = spec.Form;
                    int valueStart = pos;
                    if (form == 0x16)
                    {
                        // DW_FORM_indirect: the form is in the data.
                        if (!TryUleb(ref pos, end, out ulong indirect) || indirect is 0x16 or > int.MaxValue)
                        {
                            _d.Problem($"unit at 0x{unitStart:x}: DIE at 0x{dieOffset:x}: bad DW_FORM_indirect; rest of the unit skipped");
                            return;
                        }

                        form = (int)indirect;
                        valueStart = pos;
                    }

                    if (!wanted || spec.Attribute is not (AtName or AtByteSize or AtType or AtDataMemberLocation or AtDataBitOffset or AtLowerBound or AtUpperBound or AtCount or AtLocation))
                    {
                        if (!Skip(form, ref pos, end, version, addressSize, out string? why))
                        {
                            _d.Problem($"unit at 0x{unitStart:x}: DIE at 0x{dieOffset:x}: {why}; rest of the unit skipped");
                            return;
                        }

                        continue;
                    }

                    if (!Skip(form, ref pos, end, version, addressSize, out string? why2))
                    {
                        _d.Problem($"unit at 0x{unitStart:x}: DIE at 0x{dieOffset:x}: {why2}; rest of the unit skipped");
                        return;
                    }

                    ReadOnlySpan<byte> value = _info[valueStart..pos];
                    switch (spec.Attribute)
                    {
                        case AtName:
                            name = StringValue(form, value);
                            break;
                        case AtByteSize:
                            byteSize = Constant(form, value, spec.ImplicitConst);
                            break;
                        case AtType:
                            typeRef = Reference(form, value, unitStart, addressSize);
                            break;
                        case AtDataMemberLocation:
                            memberLocation = Constant(form, value, spec.ImplicitConst) ?? PlusUconst(form, value);
                            break;
                        case AtLocation:
                            address = StaticAddress(form, value, addressSize);
                            break;
                        case AtLowerBound:
                            lowerBound = Constant(form, value, spec.ImplicitConst);
                            break;
                        case AtUpperBound:
                            upperBound = Constant(form, value, spec.ImplicitConst);
                            break;
                        case AtCount:
                            count = Constant(form, value, spec.ImplicitConst);
                            break;
                        case AtDataBitOffset:
                            // A bit field (DWARF 4+): the byte that holds its first bit.
                            memberLocation ??= Constant(form, value, spec.ImplicitConst) / 8;
                            break;
                    }
                }

                TypeDie? parent = parents.Count > 0 ? parents[^1] : null;
                TypeDie? self = null;
                if (isType)
                {
                    self = new TypeDie { Tag = abbrev.Tag, Name = name, Size = byteSize, TypeRef = typeRef, AddressSize = addressSize };
                    _d._types[dieOffset] = self;
                    if (name is not null)
                    {
                        if (abbrev.Tag is TagStructureType or TagUnionType or TagClassType)
                        {
                            _d._structsByName.TryAdd(name, dieOffset);
                        }

                        _d._typesByName.TryAdd(name, dieOffset);
                    }
                }
                else if (isGlobal && name is not null && address is ulong at)
                {
                    _d._globals.TryAdd(name, (at, typeRef));
                }
                else if (isSubrange && parent is { Tag: TagArrayType })
                {
                    // C's lower bound is 0 by default; an upper bound of -1 (or none) is an array of unknown size.
                    (parent.Counts ??= []).Add(count ?? (upperBound is long u && u >= -1 ? u - (lowerBound ?? 0) + 1 : null));
                }
                else if (isMember && parent is not null)
                {
                    if (memberLocation is null && parent.Tag != TagUnionType)
                    {
                        _d.Problem($"member '{name}' at 0x{dieOffset:x} of '{parent.Name}' has no constant data_member_location; offset 0 used");
                    }

                    (parent.Members ??= []).Add(new MemberDie { Name = name, Offset = memberLocation ?? 0, TypeRef = typeRef });
                }

                if (abbrev.HasChildren)
                {
                    parents.Add(self);
                }
            }
        }

        private string? StringValue(int form, ReadOnlySpan<byte> value)
        {
            switch (form)
            {
                case 0x08: // string
                    return Encoding.UTF8.GetString(value[..Math.Max(0, value.Length - 1)]);
                case 0x0e: // strp
                case 0x1f: // line_strp
                    {
                        ReadOnlySpan<byte> section = form == 0x0e ? _str : _lineStr;
                        long offset = value.Length == 4 ? BinaryPrimitives.ReadUInt32LittleEndian(value) : -1;
                        if (offset < 0 || offset >= section.Length)
                        {
                            _d.Problem($"string offset 0x{offset:x} is outside {(form == 0x0e ? ".debug_str" : ".debug_line_str")} (0x{section.Length:x} bytes)");
                            return null;
                        }

                        ReadOnlySpan<byte> rest = section[(int)offset..];
                        int nul = rest.IndexOf((byte)0);
                        return Encoding.UTF8.GetString(nul < 0 ? rest : rest[..nul]);
                    }

                default:
                    if (!_strxReported)
                    {
                        _strxReported = true;
                        _d.Problem($"names in form 0x{form:x} (needs .debug_str_offsets) are not read");
                    }

                    return null;
            }
        }

        private static long? Constant(int form, ReadOnlySpan<byte> value, long implicitConst)
        {
            switch (form)
            {
                case 0x0b: return value[0];
                case 0x05: return BinaryPrimitives.ReadUInt16LittleEndian(value);
                case 0x06: return BinaryPrimitives.ReadUInt32LittleEndian(value);
                case 0x07: return (long)BinaryPrimitives.ReadUInt64LittleEndian(value);
                case 0x0f:
                    {
                        int p = 0;
                        return TryUleb(value, ref p, value.Length, out ulong v) ? (long)v : null;
                    }

                case 0x0d:
                    {
                        int p = 0;
                        return TrySleb(value, ref p, value.Length, out long v) ? v : null;
                    }

                case 0x21: return implicitConst;
                default: return null;
            }
        }

        /// <summary>A location expression of one DW_OP_plus_uconst, as older producers write member offsets.</summary>
        private static long? PlusUconst(int form, ReadOnlySpan<byte> value)
        {
            int p = form switch { 0x18 or 0x09 => LebLength(value), 0x0a => 1, 0x03 => 2, 0x04 => 4, _ => -1 };
            if (p < 0 || p >= value.Length || value[p] != 0x23)
            {
                return null;
            }

            p++;
            return TryUleb(value, ref p, value.Length, out ulong v) && p == value.Length ? (long)v : null;
        }

        /// <summary>A location expression of one DW_OP_addr: a variable at a fixed address.</summary>
        private static ulong? StaticAddress(int form, ReadOnlySpan<byte> value, byte addressSize)
        {
            int p = form switch { 0x18 or 0x09 => LebLength(value), 0x0a => 1, 0x03 => 2, 0x04 => 4, _ => -1 };
            if (p < 0 || value.Length - p != 1 + addressSize || value[p] != 0x03)
            {
                return null;
            }

            ReadOnlySpan<byte> a = value[(p + 1)..];
            return addressSize switch
            {
                8 => BinaryPrimitives.ReadUInt64LittleEndian(a),
                4 => BinaryPrimitives.ReadUInt32LittleEndian(a),
                2 => BinaryPrimitives.ReadUInt16LittleEndian(a),
                _ => a[0],
            };
        }

        private static int LebLength(ReadOnlySpan<byte> value)
        {
            int p = 0;
            return TryUleb(value, ref p, value.Length, out _) ? p : -1;
        }

        private static long Reference(int form, ReadOnlySpan<byte> value, int unitStart, byte addressSize)
        {
            long local;
            switch (form)
            {
                case 0x10: // ref_addr: section offset
                    return value.Length switch
                    {
                        4 => BinaryPrimitives.ReadUInt32LittleEndian(value),
                        8 => (long)Math.Min(BinaryPrimitives.ReadUInt64LittleEndian(value), long.MaxValue),
                        2 => BinaryPrimitives.ReadUInt16LittleEndian(value),
                        1 => value[0],
                        _ => -1,
                    };
                case 0x11: local = value[0]; break;
                case 0x12: local = BinaryPrimitives.ReadUInt16LittleEndian(value); break;
                case 0x13: local = BinaryPrimitives.ReadUInt32LittleEndian(value); break;
                case 0x14: local = (long)Math.Min(BinaryPrimitives.ReadUInt64LittleEndian(value), int.MaxValue); break;
                case 0x15:
                    {
                        int p = 0;
                        local = TryUleb(value, ref p, value.Length, out ulong v) ? (long)Math.Min(v, int.MaxValue) : -1;
                        break;
                    }

                default: return -1;
            }

            return local < 0 ? -1 : unitStart + local;
        }

        /// <summary>Moves past one attribute value; false (with why) for an unknown form or a value past the unit end.</summary>
        private readonly bool Skip(int form, ref int pos, int end, int version, byte addressSize, out string? why)
        {
            why = null;
            long size;
            switch (form)
            {
                case 0x01: size = addressSize; break;                             // addr
                case 0x0b or 0x0c or 0x11 or 0x25 or 0x29: size = 1; break;       // data1 flag ref1 strx1 addrx1
                case 0x05 or 0x12 or 0x26 or 0x2a: size = 2; break;               // data2 ref2 strx2 addrx2
                case 0x27 or 0x2b: size = 3; break;                               // strx3 addrx3
                case 0x06 or 0x13 or 0x28 or 0x2c: size = 4; break;               // data4 ref4 strx4 addrx4
                case 0x0e or 0x17 or 0x1f or 0x1c or 0x1d or 0x1f20 or 0x1f21: size = 4; break; // strp sec_offset line_strp ref_sup4 strp_sup GNU_ref_alt GNU_strp_alt (32-bit DWARF)
                case 0x07 or 0x14 or 0x20 or 0x24: size = 8; break;               // data8 ref8 ref_sig8 ref_sup8
                case 0x1e: size = 16; break;                                      // data16
                case 0x19 or 0x21: size = 0; break;                               // flag_present implicit_const
                case 0x10: size = version <= 2 ? addressSize : 4; break;          // ref_addr
                case 0x0d:                                                        // sdata
                    if (!TrySleb(_info, ref pos, end, out _))
                    {
                        why = "sdata value runs past the unit end";
                        return false;
                    }

                    return true;
                case 0x0f or 0x15 or 0x1a or 0x1b or 0x22 or 0x23 or 0x1f01 or 0x1f02: // udata ref_udata strx addrx loclistx rnglistx GNU_addr_index GNU_str_index
                    if (!TryUleb(_info, ref pos, end, out _))
                    {
                        why = "LEB128 value runs past the unit end";
                        return false;
                    }

                    return true;
                case 0x08:                                                        // string
                    {
                        int nul = _info[pos..end].IndexOf((byte)0);
                        if (nul < 0)
                        {
                            why = "string without its terminating NUL before the unit end";
                            return false;
                        }

                        pos += nul + 1;
                        return true;
                    }

                case 0x0a or 0x03 or 0x04 or 0x09 or 0x18:                      // block1 block2 block4 block exprloc
                    {
                        ulong length;
                        if (form == 0x0a)
                        {
                            if (end - pos < 1) { why = "block length past the unit end"; return false; }
                            length = _info[pos++];
                        }
                        else if (form == 0x03)
                        {
                            if (end - pos < 2) { why = "block length past the unit end"; return false; }
                            length = BinaryPrimitives.ReadUInt16LittleEndian(_info[pos..]);
                            pos += 2;
                        }
                        else if (form == 0x04)
                        {
                            if (end - pos < 4) { why = "block length past the unit end"; return false; }
                            length = BinaryPrimitives.ReadUInt32LittleEndian(_info[pos..]);
                            pos += 4;
                        }
                        else if (!TryUleb(_info, ref pos, end, out length))
                        {
                            why = "block length past the unit end";
                            return false;
                        }

                        if (length > (ulong)(end - pos))
                        {
                            why = $"block of {length} bytes runs past the unit end";
                            return false;
                        }

                        pos += (int)length;
                        return true;
                    }

                default:
                    why = $"unknown attribute form 0x{form:x}";
                    return false;
            }

            if (size > end - pos)
            {
                why = $"value of form 0x{form:x} runs past the unit end";
                return false;
            }

            pos += (int)size;
            return true;
        }

        private Dictionary<long, Abbrev>? AbbrevTable(long offset, int unitStart)
        {
            if (_tables.TryGetValue(offset, out Dictionary<long, Abbrev>? known))
            {
                return known;
            }

            Dictionary<long, Abbrev>? table = ParseAbbrevTable(offset, unitStart);
            _tables[offset] = table;
            return table;
        }

        private Dictionary<long, Abbrev>? ParseAbbrevTable(long offset, int unitStart)
        {
            if (offset >= _abbrev.Length)
            {
                _d.Problem($"unit at 0x{unitStart:x}: abbreviation offset 0x{offset:x} is outside .debug_abbrev (0x{_abbrev.Length:x} bytes); unit skipped");
                return null;
            }

            var table = new Dictionary<long, Abbrev>();
            int pos = (int)offset;
            int end = _abbrev.Length;
            var specs = new List<AttrSpec>();
            while (true)
            {
                int start = pos;
                if (!TryUleb(_abbrev, ref pos, end, out ulong code))
                {
                    _d.Problem($"abbreviation table at 0x{offset:x}: truncated at 0x{start:x}");
                    return table;
                }

                if (code == 0)
                {
                    return table;
                }

                if (!TryUleb(_abbrev, ref pos, end, out ulong tag) || pos >= end)
                {
                    _d.Problem($"abbreviation table at 0x{offset:x}: entry at 0x{start:x} truncated");
                    return table;
                }

                bool children = _abbrev[pos++] != 0;
                specs.Clear();
                while (true)
                {
                    if (!TryUleb(_abbrev, ref pos, end, out ulong attribute) || !TryUleb(_abbrev, ref pos, end, out ulong form))
                    {
                        _d.Problem($"abbreviation table at 0x{offset:x}: entry at 0x{start:x} truncated");
                        return table;
                    }

                    long implicitConst = 0;
                    if (form == 0x21 && !TrySleb(_abbrev, ref pos, end, out implicitConst))
                    {
                        _d.Problem($"abbreviation table at 0x{offset:x}: entry at 0x{start:x} truncated");
                        return table;
                    }

                    if (attribute == 0 && form == 0)
                    {
                        break;
                    }

                    specs.Add(new AttrSpec((int)Math.Min(attribute, int.MaxValue), (int)Math.Min(form, int.MaxValue), implicitConst));
                }

                _abbrevBudget -= pos - start;
                if (_abbrevBudget < 0)
                {
                    _d.Problem("abbreviation tables larger than a few times .debug_abbrev in all; reading of further tables stopped");
                    return table;
                }

                if (code <= long.MaxValue)
                {
                    table.TryAdd((long)code, new Abbrev((int)Math.Min(tag, int.MaxValue), children, [.. specs]));
                }
            }
        }

        private static bool TryUleb(ReadOnlySpan<byte> data, ref int pos, int end, out ulong value)
        {
            value = 0;
            int shift = 0;
            while (pos < end)
            {
                byte b = data[pos++];
                if (shift < 64)
                {
                    value |= (ulong)(b & 0x7f) << shift;
                }

                shift += 7;
                if ((b & 0x80) == 0)
                {
                    return true;
                }
            }

            return false;
        }

        private readonly bool TryUleb(ref int pos, int end, out ulong value) => TryUleb(_info, ref pos, end, out value);

        private static bool TrySleb(ReadOnlySpan<byte> data, ref int pos, int end, out long value)
        {
            value = 0;
            int shift = 0;
            while (pos < end)
            {
                byte b = data[pos++];
                if (shift < 64)
                {
                    value |= (long)(b & 0x7f) << shift;
                }

                shift += 7;
                if ((b & 0x80) == 0)
                {
                    if (shift < 64 && (b & 0x40) != 0)
                    {
                        value |= -1L << shift;
                    }

                    return true;
                }
            }

            return false;
        }
    }
}

/// <summary>A struct's layout as its DWARF tells it.</summary>
/// <param name="Name">The DWARF name, e.g. "runtime.g".</param>
/// <param name="Size">DW_AT_byte_size; -1 when absent.</param>
/// <param name="Fields">The members in DWARF order.</param>
internal sealed record GoStructType(string Name, long Size, IReadOnlyList<GoStructField> Fields)
{
    /// <summary>The field named <paramref name="name"/>, or null.</summary>
    public GoStructField? Field(string name)
    {
        foreach (GoStructField f in Fields)
        {
            if (f.Name == name)
            {
                return f;
            }
        }

        return null;
    }

    /// <inheritdoc/>
    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"{Name} ({Size} bytes, {Fields.Count} fields)");
}

/// <summary>One member of a struct.</summary>
/// <param name="Name">The member name.</param>
/// <param name="Offset">Byte offset in the struct.</param>
/// <param name="TypeName">The member type's name as Go names it ("*runtime.m", "uintptr").</param>
/// <param name="TypeSize">The member type's byte size, following typedefs; pointers are the address size.</param>
internal sealed record GoStructField(string Name, long Offset, string TypeName, long? TypeSize)
{
    /// <inheritdoc/>
    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"{Name} +{Offset} {TypeName} ({TypeSize})");
}

/// <summary>A package-level variable: where it is and what type it has.</summary>
/// <param name="Name">The DWARF name, e.g. "runtime.allgs".</param>
/// <param name="Address">The static virtual address (before any relocation of a position-independent executable).</param>
/// <param name="TypeName">The type's name as Go names it ("[]*runtime.g").</param>
/// <param name="TypeSize">The type's byte size, following typedefs.</param>
internal sealed record GoDwarfVariable(string Name, ulong Address, string TypeName, long? TypeSize)
{
    /// <inheritdoc/>
    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"{Name} at 0x{Address:x} {TypeName} ({TypeSize})");
}
