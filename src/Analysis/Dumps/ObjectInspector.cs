using System.Buffers.Binary;
using System.Globalization;
using System.Runtime.InteropServices;
using Microsoft.Diagnostics.Runtime;

namespace Analysis.Dumps;

/// <summary>
/// Reads one object of a dump field by field (SOS <c>dumpobj</c>, <c>dumparray</c>, <c>dumpvc</c>) into plain values:
/// primitives, decimals, Guids, DateTimes, DateTimeOffsets and TimeSpans as .NET values, Nullables as their value or
/// null, enums by name, strings length-capped, structs inline, references as address and type, followed to a given
/// depth (each object once, a bounded number in all).
/// Memory the dump lacks makes a value <see cref="DumpValueKind.Unreadable"/>, never an exception; an address that is
/// no object is one <see cref="AnalysisException"/> saying what is there.
/// </summary>
internal sealed class ObjectInspector
{
    /// <summary>Characters of a string read into a value (the full length is given beside it).</summary>
    public const int MaxStringChars = 1024;

    /// <summary>Bytes of a byte array shown as hex.</summary>
    public const int MaxHexBytes = 256;

    /// <summary>The deepest -Depth followed.</summary>
    public const int MaxDepth = 16;

    /// <summary>Objects read by following references in one answer, at most.</summary>
    public const int MaxFollowed = 1_000;

    /// <summary>Elements read of an array reached by following a reference.</summary>
    public const int NestedElements = 20;

    private const int MaxStructNesting = 16;

    private readonly ClrHeap _heap;
    private readonly IDataReader _memory;
    private readonly string _path;
    private readonly CancellationToken _cancellationToken;
    private readonly int _pointerSize;
    private readonly HashSet<ulong> _shown = new();
    private int _followed;
    private bool _budgetSpent;

    public ObjectInspector(ClrRuntime runtime, string path, CancellationToken cancellationToken)
    {
        _heap = runtime.Heap;
        _memory = runtime.DataTarget.DataReader;
        _path = path;
        _cancellationToken = cancellationToken;
        _pointerSize = _memory.PointerSize;
    }

    /// <summary>The object at <paramref name="address"/>, its references followed <paramref name="depth"/> levels, elements <paramref name="skip"/> to skip + <paramref name="first"/>.</summary>
    public static DumpObject Inspect(ClrRuntime runtime, string path, ulong address, int depth, int skip, int first, CancellationToken cancellationToken)
    {
        var inspector = new ObjectInspector(runtime, path, cancellationToken);
        return inspector.Read(inspector.Require(address), Math.Clamp(depth, 0, MaxDepth), Math.Max(0, skip), Math.Max(0, first));
    }

    /// <summary>The valid object starting at <paramref name="address"/>, else an AnalysisException saying what is there.</summary>
    public ClrObject Require(ulong address)
    {
        string at = string.Create(CultureInfo.InvariantCulture, $"0x{address:x}");
        if (address == 0)
            throw NotAnObject($"Address 0 is the null reference, not an object in dump '{_path}'.");
        var segment = _heap.GetSegmentByAddress(address);
        if (segment is null)
            throw NotAnObject($"{at} is not on the GC heap of dump '{_path}' (no heap segment holds it).");
        var obj = _heap.GetObject(address);
        if (obj.IsValid && obj.Type is not null && obj.IsFree)
            throw NotAnObject(string.Create(CultureInfo.InvariantCulture, $"{at} in dump '{_path}' is free space the GC left between objects ({obj.Size:N0} bytes), not an object."));
        if (obj.IsValid && obj.Type is not null)
            return obj;
        // inside an object? the object before it on the segment says
        ClrObject previous = default;
        try
        {
            previous = _heap.FindPreviousObjectOnSegment(address, carefully: false);
        }
        catch (Exception e) when (DumpEngine.IsEngineFailure(e))
        {
        }

        if (previous.IsValid && previous.Type is not null && previous.Address < address && address < previous.Address + previous.Size)
        {
            throw NotAnObject(string.Create(CultureInfo.InvariantCulture,
                $"{at} is inside an object of dump '{_path}': {address - previous.Address:N0} bytes into the {previous.Type.Name} at 0x{previous.Address:x} ({previous.Size:N0} bytes). Pass 0x{previous.Address:x} to read that object."));
        }

        throw NotAnObject($"No object starts at {at} on the GC heap of dump '{_path}' (or the dump lacks the memory there). Take addresses from Get-HeapObject, Get-GcRoot (Addresses) or SOS dumpheap.");
    }

    private AnalysisException NotAnObject(string message) => new(AnalysisErrorKind.NotAnObject, _path, message);

    /// <summary>One object: its fields, or a window of its elements, its value when it has one.</summary>
    public DumpObject Read(ClrObject obj, int depth, int skip, int first)
    {
        _cancellationToken.ThrowIfCancellationRequested();
        _shown.Add(obj.Address);
        var type = obj.Type!;
        var warnings = new List<string>();
        var generation = Generation(obj.Address);
        if (type.IsString)
        {
            string text = ReadString(obj.Address, out int length, out bool cut);
            return new DumpObject
            {
                Address = obj.Address, TypeName = type.Name ?? "System.String", MethodTable = type.MethodTable, Size = (long)obj.Size, Generation = generation,
                Length = length, Value = text, IsTruncated = cut,
            };
        }

        if (type.IsArray)
            return ReadArray(obj, type, generation, depth, skip, first);

        var fields = ReadFields(type, obj.Address + (ulong)_pointerSize, _pointerSize, depth, 0);
        object? value = null;
        if (type.IsPrimitive || type.IsEnum || KnownStruct(type) is not null)
            value = ReadBoxed(obj.Address, type).Value;
        int unreadable = fields.Count(f => f.Kind == DumpValueKind.Unreadable);
        if (unreadable > 0)
            warnings.Add(string.Create(CultureInfo.InvariantCulture, $"{unreadable} field{(unreadable == 1 ? "" : "s")} could not be read (see each field's Problem)."));
        AddBudgetWarning(warnings);
        return new DumpObject
        {
            Address = obj.Address, TypeName = type.Name ?? "", MethodTable = type.MethodTable, Size = (long)obj.Size, Generation = generation,
            Fields = fields, Value = value, Warnings = warnings,
        };
    }

    private void AddBudgetWarning(List<string> warnings)
    {
        if (_budgetSpent)
            warnings.Add(string.Create(CultureInfo.InvariantCulture, $"References were followed for {MaxFollowed:N0} objects, then no further: ask with a smaller -Depth, or from one of the objects shown."));
    }

    private DumpObject ReadArray(ClrObject obj, ClrType type, GcHeapGeneration? generation, int depth, int skip, int first)
    {
        var warnings = new List<string>();
        var array = obj.AsArray();
        int length = array.Length;
        var component = type.ComponentType;
        var elements = new List<DumpElement>();
        object? value = null;
        bool truncated = false;
        int end = (int)Math.Min((long)skip + first, length);
        // a multi-dimensional array: each dimension's length and lower bound, its elements in storage order (the last
        // dimension varying fastest, as SOS dumparray lists them) with their index in each dimension
        int rank = array.Rank;
        int[] lengths = rank > 1 ? Enumerable.Range(0, rank).Select(array.GetLength).ToArray() : [];
        int[] lowerBounds = rank > 1 ? Enumerable.Range(0, rank).Select(array.GetLowerBound).ToArray() : [];
        if (component is null)
        {
            warnings.Add($"The element type of {type.Name} is not known to the dump's runtime data; the elements cannot be read.");
        }
        else
        {
            if (component.ElementType == ClrElementType.UInt8 && array.Rank == 1)
            {
                int n = Math.Min(length, MaxHexBytes);
                var bytes = new byte[n];
                int read = n == 0 ? 0 : _memory.Read(type.GetArrayElementAddress(obj.Address, 0), bytes);
                value = DisplayText.Hex(bytes.AsSpan(0, Math.Max(0, read)));
                truncated = read < length;
            }

            for (int i = skip; i < end; i++)
            {
                if ((i & 0xff) == 0)
                    _cancellationToken.ThrowIfCancellationRequested();
                ulong location = type.GetArrayElementAddress(obj.Address, i);
                var element = ReadSlot(component, component.ElementType, location, depth, 0);
                elements.Add(rank > 1 ? new DumpElement(element, i, IndicesOf(i, lengths, lowerBounds)) : new DumpElement(element, i));
            }
        }

        if (skip >= length && length > 0)
            warnings.Add(string.Create(CultureInfo.InvariantCulture, $"-Skip {skip:N0} is past the last of the {length:N0} elements: none is shown."));
        else if (end <= skip && length > 0)
            warnings.Add(string.Create(CultureInfo.InvariantCulture, $"No element of the {length:N0} is shown (-First 0)."));
        else if (skip > 0 || end < length)
            warnings.Add(string.Create(CultureInfo.InvariantCulture, $"Elements {skip:N0} to {end - 1:N0} of {length:N0} are shown; use -Skip and -First for others."));
        AddBudgetWarning(warnings);
        return new DumpObject
        {
            Address = obj.Address, TypeName = type.Name ?? "", MethodTable = type.MethodTable, Size = (long)obj.Size, Generation = generation,
            IsArray = true, Length = length, Dimensions = lengths, ElementTypeName = component?.Name, Elements = elements, FirstIndex = skip, Value = value, IsTruncated = truncated,
            Warnings = warnings,
        };
    }

    /// <summary>The index in each dimension of the element at <paramref name="flat"/> in storage order (row-major, from each lower bound).</summary>
    private static int[] IndicesOf(int flat, int[] lengths, int[] lowerBounds)
    {
        var indices = new int[lengths.Length];
        for (int d = lengths.Length - 1; d >= 0; d--)
        {
            int n = Math.Max(1, lengths[d]);
            indices[d] = lowerBounds[d] + (flat % n);
            flat /= n;
        }

        return indices;
    }

    /// <summary>The instance fields of <paramref name="type"/> whose data starts at <paramref name="data"/>; offsets shown from <paramref name="data"/> − <paramref name="shownBase"/>.</summary>
    private ItemList<DumpField> ReadFields(ClrType type, ulong data, int shownBase, int depth, int nesting)
    {
        var fields = new List<DumpField>();
        foreach (var field in type.Fields) // declaration order, as SOS lists them
        {
            var value = ReadSlot(field.Type, field.ElementType, data + (ulong)field.Offset, depth, nesting);
            fields.Add(new DumpField(value, field.Name ?? "", field.Offset + shownBase));
        }

        return fields;
    }

    /// <summary>The value stored at <paramref name="location"/> in a slot of type <paramref name="type"/>.</summary>
    public DumpValue ReadSlot(ClrType? type, ClrElementType elementType, ulong location, int depth, int nesting)
    {
        string typeName = type?.Name ?? ElementTypeName(elementType);
        try
        {
            if (type?.IsObjectReference ?? IsReference(elementType))
            {
                if (!TryReadPointer(location, out ulong target))
                    return Lacking(typeName, location);
                return target == 0 ? new DumpValue { Kind = DumpValueKind.Null, TypeName = typeName } : Referenced(typeName, target, depth);
            }

            if (type is not null && IsNullable(type))
                return ReadNullable(type, typeName, location, depth, nesting);

            if (type is not null && KnownStruct(type) is null && !type.IsPrimitive && !type.IsEnum && (elementType == ClrElementType.Struct || type.IsValueType))
            {
                if (nesting >= MaxStructNesting)
                    return new DumpValue { Kind = DumpValueKind.Unreadable, TypeName = typeName, Problem = "structs nested too deeply" };
                return new DumpValue { Kind = DumpValueKind.Struct, TypeName = typeName, Fields = ReadFields(type, location, 0, depth, nesting + 1) };
            }

            if (type is null && elementType == ClrElementType.Struct)
                return new DumpValue { Kind = DumpValueKind.Unreadable, TypeName = typeName, Problem = "the struct's type is not known to the dump's runtime data" };
            return ReadInline(type, elementType, typeName, location);
        }
        catch (Exception e) when (DumpEngine.IsEngineFailure(e))
        {
            return new DumpValue { Kind = DumpValueKind.Unreadable, TypeName = typeName, Problem = e.GetType().Name + ": " + e.Message };
        }
    }

    private static bool IsNullable(ClrType type) => type.IsValueType && type.Name is { } name && name.StartsWith("System.Nullable<", StringComparison.Ordinal);

    /// <summary>A Nullable&lt;T&gt; as its value (of kind T's), or null when its hasValue is false; declared as the Nullable type.</summary>
    private DumpValue ReadNullable(ClrType type, string typeName, ulong location, int depth, int nesting)
    {
        var hasValue = type.GetFieldByName("hasValue");
        var value = type.GetFieldByName("value");
        if (hasValue is null || value is null)
            return new DumpValue { Kind = DumpValueKind.Unreadable, TypeName = typeName, Problem = "the Nullable's hasValue and value fields are not known to the dump's runtime data" };
        Span<byte> flag = stackalloc byte[1];
        if (_memory.Read(location + (ulong)hasValue.Offset, flag) != 1)
            return Lacking(typeName, location);
        if (flag[0] == 0)
            return new DumpValue { Kind = DumpValueKind.Null, TypeName = typeName };
        if (nesting >= MaxStructNesting)
            return new DumpValue { Kind = DumpValueKind.Unreadable, TypeName = typeName, Problem = "structs nested too deeply" };
        return ReadSlot(value.Type, value.ElementType, location + (ulong)value.Offset, depth, nesting + 1).Retyped(typeName);
    }

    /// <summary>A primitive, enum or known struct stored at <paramref name="location"/>.</summary>
    private DumpValue ReadInline(ClrType? type, ClrElementType elementType, string typeName, ulong location)
    {
        if (type is not null && KnownStruct(type) is { } known)
        {
            Span<byte> raw = stackalloc byte[16];
            raw = raw[..known.Size];
            if (known.Layout is { } layout)
            {
                if (!ReadByFields(type, layout, location, raw, out string? problem))
                    return problem is null ? Lacking(typeName, location) : new DumpValue { Kind = DumpValueKind.Unreadable, TypeName = typeName, Problem = problem };
            }
            else if (_memory.Read(location, raw) != raw.Length)
            {
                return Lacking(typeName, location);
            }

            object? value = known.Decode(raw);
            return value is null
                ? new DumpValue { Kind = DumpValueKind.Unreadable, TypeName = typeName, Problem = "the bytes are no valid " + type.Name }
                : new DumpValue { Kind = DumpValueKind.Primitive, TypeName = typeName, Value = value };
        }

        var underlying = type is { IsEnum: true } ? type.AsEnum().ElementType : elementType;
        int size = underlying is ClrElementType.NativeInt or ClrElementType.NativeUInt or ClrElementType.Pointer or ClrElementType.FunctionPointer ? _pointerSize : PrimitiveSize(underlying);
        if (size == 0)
            return new DumpValue { Kind = DumpValueKind.Unreadable, TypeName = typeName, Problem = "a " + ElementTypeName(elementType) + " slot is not read" };
        Span<byte> bytes = stackalloc byte[8];
        bytes = bytes[..size];
        if (_memory.Read(location, bytes) != size)
            return Lacking(typeName, location);
        object primitive = Decode(underlying, bytes);
        if (type is { IsEnum: true })
            return new DumpValue { Kind = DumpValueKind.Enum, TypeName = typeName, Value = EnumName(type, primitive) ?? primitive };
        return new DumpValue { Kind = DumpValueKind.Primitive, TypeName = typeName, Value = primitive };
    }

    /// <summary>The fields named <paramref name="layout"/> of the struct at <paramref name="location"/>, each into its 8-byte slot of <paramref name="raw"/> (see <see cref="Known"/>).</summary>
    private bool ReadByFields(ClrType type, string[] layout, ulong location, Span<byte> raw, out string? problem)
    {
        problem = null;
        Span<byte> bytes = stackalloc byte[8];
        for (int i = 0; i < layout.Length; i++)
        {
            var field = type.GetFieldByName(layout[i]);
            var kind = field?.ElementType ?? ClrElementType.Unknown;
            bool integer = kind is ClrElementType.Int8 or ClrElementType.Int16 or ClrElementType.Int32 or ClrElementType.Int64;
            int size = integer ? PrimitiveSize(kind) : 8;
            if (field is null || (!integer && kind is not (ClrElementType.Struct or ClrElementType.UInt64)) || (i + 1) * 8 > raw.Length)
            {
                problem = "the field " + layout[i] + " of " + type.Name + " is not what this reader expects";
                return false;
            }

            if (_memory.Read(location + (ulong)field.Offset, bytes[..size]) != size)
                return false;
            var slot = raw.Slice(i * 8, 8);
            if (integer)
                BinaryPrimitives.WriteInt64LittleEndian(slot, Convert.ToInt64(Decode(kind, bytes[..size]), CultureInfo.InvariantCulture));
            else
                bytes.CopyTo(slot);
        }

        return true;
    }

    private static DumpValue Lacking(string typeName, ulong location) =>
        new() { Kind = DumpValueKind.Unreadable, TypeName = typeName, Problem = string.Create(CultureInfo.InvariantCulture, $"the dump lacks the memory at 0x{location:x}") };

    /// <summary>A reference to the object at <paramref name="target"/>: a string's text, a box's value, or the object's address and type (followed when depth remains).</summary>
    private DumpValue Referenced(string typeName, ulong target, int depth)
    {
        var obj = _heap.GetObject(target);
        if (!obj.IsValid || obj.Type is null || obj.IsFree)
        {
            return new DumpValue
            {
                Kind = DumpValueKind.Unreadable, TypeName = typeName, Address = target,
                Problem = string.Create(CultureInfo.InvariantCulture, $"0x{target:x} is no object (a damaged reference, or the dump lacks that memory)"),
            };
        }

        var type = obj.Type;
        if (type.IsString)
        {
            string text = ReadString(target, out int length, out bool cut);
            return new DumpValue { Kind = DumpValueKind.String, TypeName = typeName, Value = text, Address = target, ObjectTypeName = type.Name, Length = length, IsTruncated = cut };
        }

        if (!type.IsArray && (type.IsPrimitive || type.IsEnum || KnownStruct(type) is not null))
        {
            var boxed = ReadBoxed(target, type);
            if (boxed.Kind != DumpValueKind.Unreadable)
                return new DumpValue { Kind = DumpValueKind.Boxed, TypeName = typeName, Value = boxed.Value, Address = target, ObjectTypeName = type.Name };
        }

        DumpObject? followed = null;
        if (depth > 0 && !_shown.Contains(target))
        {
            if (_followed < MaxFollowed)
            {
                _followed++;
                followed = Read(obj, depth - 1, 0, NestedElements);
            }
            else
            {
                _budgetSpent = true;
            }
        }

        return new DumpValue
        {
            Kind = DumpValueKind.Reference, TypeName = typeName, Address = target, ObjectTypeName = type.Name,
            Length = type.IsArray ? obj.AsArray().Length : null, Target = followed,
        };
    }

    private DumpValue ReadBoxed(ulong address, ClrType type) =>
        ReadInline(type, type.ElementType, type.Name ?? "", address + (ulong)_pointerSize);

    /// <summary>A string's text, at most <see cref="MaxStringChars"/> characters (a surrogate pair is not cut), lone surrogates as U+FFFD.</summary>
    private string ReadString(ulong address, out int length, out bool truncated)
    {
        Span<byte> header = stackalloc byte[4];
        length = 0;
        truncated = false;
        if (_memory.Read(address + (ulong)_pointerSize, header) != 4)
            return "";
        length = Math.Max(0, BinaryPrimitives.ReadInt32LittleEndian(header));
        int n = Math.Min(length, MaxStringChars);
        var chars = new char[n];
        int read = n == 0 ? 0 : _memory.Read(address + (ulong)_pointerSize + 4, MemoryMarshal.AsBytes(chars.AsSpan())) / 2;
        if (read < length && read > 0 && char.IsHighSurrogate(chars[read - 1]))
            read--;
        truncated = read < length;
        return SafeText.Sanitize(new string(chars, 0, read));
    }

    private bool TryReadPointer(ulong location, out ulong value)
    {
        Span<byte> bytes = stackalloc byte[8];
        bytes = bytes[.._pointerSize];
        if (_memory.Read(location, bytes) != _pointerSize)
        {
            value = 0;
            return false;
        }

        value = _pointerSize == 8 ? BinaryPrimitives.ReadUInt64LittleEndian(bytes) : BinaryPrimitives.ReadUInt32LittleEndian(bytes);
        return true;
    }

    private GcHeapGeneration? Generation(ulong address)
    {
        try
        {
            return _heap.GetSegmentByAddress(address) is { } segment ? GcHeapLayouts.GenerationOf(segment, address) : null;
        }
        catch (Exception e) when (DumpEngine.IsEngineFailure(e))
        {
            return null;
        }
    }

    /// <summary>An enum value's name; for a combination of flags the names joined ", " in value order, as Enum.ToString writes them.</summary>
    private static string? EnumName(ClrType type, object value)
    {
        ulong bits = ToBits(value);
        var named = new List<(string Name, ulong Bits)>();
        foreach (var (name, v) in type.AsEnum().EnumerateValues())
        {
            if (v is null)
                continue;
            ulong b = ToBits(v);
            if (b == bits)
                return name;
            named.Add((name, b));
        }

        if (bits == 0)
            return null;
        ulong left = bits;
        var parts = new List<(string Name, ulong Bits)>();
        foreach (var n in named.Where(n => n.Bits != 0).OrderByDescending(n => n.Bits))
        {
            if ((left & n.Bits) == n.Bits)
            {
                parts.Add(n);
                left &= ~n.Bits;
            }
        }

        return left == 0 && parts.Count > 1 ? string.Join(", ", parts.OrderBy(p => p.Bits).Select(p => p.Name)) : null;
    }

    private static ulong ToBits(object value) => value switch
    {
        sbyte v => (ulong)(byte)v,
        short v => (ushort)v,
        int v => (uint)v,
        long v => (ulong)v,
        IConvertible c => c.ToUInt64(CultureInfo.InvariantCulture),
        _ => 0,
    };

    private static bool IsReference(ClrElementType t) =>
        t is ClrElementType.Class or ClrElementType.String or ClrElementType.Object or ClrElementType.Array or ClrElementType.SZArray or ClrElementType.GenericInstantiation or ClrElementType.Var;

    private static int PrimitiveSize(ClrElementType t) => t switch
    {
        ClrElementType.Boolean or ClrElementType.Int8 or ClrElementType.UInt8 => 1,
        ClrElementType.Char or ClrElementType.Int16 or ClrElementType.UInt16 => 2,
        ClrElementType.Int32 or ClrElementType.UInt32 or ClrElementType.Float => 4,
        ClrElementType.Int64 or ClrElementType.UInt64 or ClrElementType.Double => 8,
        ClrElementType.NativeInt or ClrElementType.NativeUInt or ClrElementType.Pointer or ClrElementType.FunctionPointer => 8,
        _ => 0,
    };

    private static object Decode(ClrElementType t, ReadOnlySpan<byte> b) => t switch
    {
        ClrElementType.Boolean => b[0] != 0,
        ClrElementType.Int8 => (sbyte)b[0],
        ClrElementType.UInt8 => b[0],
        ClrElementType.Char => (char)BinaryPrimitives.ReadUInt16LittleEndian(b),
        ClrElementType.Int16 => BinaryPrimitives.ReadInt16LittleEndian(b),
        ClrElementType.UInt16 => BinaryPrimitives.ReadUInt16LittleEndian(b),
        ClrElementType.Int32 => BinaryPrimitives.ReadInt32LittleEndian(b),
        ClrElementType.UInt32 => BinaryPrimitives.ReadUInt32LittleEndian(b),
        ClrElementType.Float => BinaryPrimitives.ReadSingleLittleEndian(b),
        ClrElementType.Int64 => BinaryPrimitives.ReadInt64LittleEndian(b),
        ClrElementType.UInt64 => BinaryPrimitives.ReadUInt64LittleEndian(b),
        ClrElementType.Double => BinaryPrimitives.ReadDoubleLittleEndian(b),
        // pointer-sized values as long/ulong: every serializer takes those (System.Text.Json refuses nint)
        ClrElementType.NativeInt => b.Length == 8 ? BinaryPrimitives.ReadInt64LittleEndian(b) : BinaryPrimitives.ReadInt32LittleEndian(b),
        _ => b.Length == 8 ? BinaryPrimitives.ReadUInt64LittleEndian(b) : BinaryPrimitives.ReadUInt32LittleEndian(b),
    };

    private static string ElementTypeName(ClrElementType t) => t switch
    {
        ClrElementType.Boolean => "System.Boolean",
        ClrElementType.Char => "System.Char",
        ClrElementType.Int8 => "System.SByte",
        ClrElementType.UInt8 => "System.Byte",
        ClrElementType.Int16 => "System.Int16",
        ClrElementType.UInt16 => "System.UInt16",
        ClrElementType.Int32 => "System.Int32",
        ClrElementType.UInt32 => "System.UInt32",
        ClrElementType.Int64 => "System.Int64",
        ClrElementType.UInt64 => "System.UInt64",
        ClrElementType.Float => "System.Single",
        ClrElementType.Double => "System.Double",
        ClrElementType.NativeInt => "System.IntPtr",
        ClrElementType.NativeUInt => "System.UIntPtr",
        ClrElementType.String => "System.String",
        ClrElementType.Object => "System.Object",
        _ => t.ToString(),
    };

    /// <summary>Structs read as one .NET value (decimal, Guid, DateTime, TimeSpan), by their layout in the runtime.</summary>
    /// <remarks>
    /// With <paramref name="Layout"/> the struct's fields are found by name (auto layout puts them where the runtime
    /// chose) and laid in 8-byte slots one after the other before <paramref name="Decode"/> sees them: an integer field
    /// sign-extended to an Int64 whatever its width (a field's width may change between runtimes), any other its 8 bytes.
    /// </remarks>
    private sealed record Known(int Size, Func<ReadOnlySpan<byte>, object?> Decode, string[]? Layout = null);

    private static readonly Dictionary<string, Known> s_known = new(StringComparer.Ordinal)
    {
        // _flags, _hi32, _lo64
        ["System.Decimal"] = new(16, b => TryDecimal(BinaryPrimitives.ReadInt32LittleEndian(b), BinaryPrimitives.ReadUInt32LittleEndian(b[4..]), BinaryPrimitives.ReadUInt64LittleEndian(b[8..]))),
        ["System.Guid"] = new(16, b => new Guid(b)),
        // _dateData: ticks in the low 62 bits, the kind in the top two
        ["System.DateTime"] = new(8, b =>
        {
            ulong data = BinaryPrimitives.ReadUInt64LittleEndian(b);
            long ticks = (long)(data & 0x3FFF_FFFF_FFFF_FFFF);
            if (ticks > DateTime.MaxValue.Ticks)
                return null;
            return new DateTime(ticks, (data >> 62) switch { 0 => DateTimeKind.Unspecified, 1 => DateTimeKind.Utc, _ => DateTimeKind.Local });
        }),
        ["System.TimeSpan"] = new(8, b => new TimeSpan(BinaryPrimitives.ReadInt64LittleEndian(b))),
        // _dateTime (UTC, kind bits clear), _offsetMinutes (an Int32 in .NET 10, an Int16 before); an auto-layout struct:
        // where each lies is asked of the type (Layout)
        ["System.DateTimeOffset"] = new(16, b => DecodeDateTimeOffset(b[..8], b[8..]), ["_dateTime", "_offsetMinutes"]),
    };

    private static object? DecodeDateTimeOffset(ReadOnlySpan<byte> dateTime, ReadOnlySpan<byte> offsetMinutes)
    {
        long utc = (long)(BinaryPrimitives.ReadUInt64LittleEndian(dateTime) & 0x3FFF_FFFF_FFFF_FFFF);
        long minutes = BinaryPrimitives.ReadInt64LittleEndian(offsetMinutes);
        long clock = utc + (minutes * TimeSpan.TicksPerMinute);
        if (minutes is < -14 * 60 or > 14 * 60 || utc > DateTime.MaxValue.Ticks || clock < 0 || clock > DateTime.MaxValue.Ticks)
            return null;
        return new DateTimeOffset(clock, TimeSpan.FromMinutes(minutes));
    }

    private static Known? KnownStruct(ClrType type) => type.Name is { } name && s_known.TryGetValue(name, out var known) ? known : null;

    private static object? TryDecimal(int flags, uint hi, ulong lo)
    {
        // the runtime's rule for a valid decimal: scale 0..28, no other flag bits but the sign
        if ((flags & 0x7F00FFFF) != 0 || ((flags >> 16) & 0xFF) > 28)
            return null;
        return new decimal((int)lo, (int)(lo >> 32), (int)hi, flags < 0, (byte)((flags >> 16) & 0xFF));
    }
}
