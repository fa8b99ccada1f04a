namespace Analysis.Traces;

/// <summary>
/// Code address ranges of managed methods, from MethodLoad events during the trace and rundown at its end,
/// resolving instruction pointers to method names.
/// </summary>
internal sealed class MethodTable
{
    private readonly List<(ulong Start, ulong End, int Method)> _ranges = new();
    private readonly List<(string Function, long ModuleId)> _methods = new();
    private readonly Dictionary<long, string> _modules = new();
    private readonly Dictionary<(string, long), int> _methodIds = new();
    private (ulong Start, ulong End, int Method)[]? _sorted;
    private bool _unindexed;

    public int MethodCount => _methods.Count;

    public void AddMethod(ulong start, int size, string? ns, string? name, string? signature, long moduleId)
    {
        if (start == 0 || size <= 0)
            return;
        string function = SafeText.Sanitize(FormatName(ns, name, signature));
        if (_unindexed)
        {
            // read from a model (ReadFrom leaves the index out): index what is there first
            for (int i = 0; i < _methods.Count; i++)
                _methodIds.TryAdd(_methods[i], i);
            _unindexed = false;
        }

        if (!_methodIds.TryGetValue((function, moduleId), out int id))
        {
            id = _methods.Count;
            _methods.Add((function, moduleId));
            _methodIds[(function, moduleId)] = id;
        }

        _ranges.Add((start, start + (ulong)size, id));
        _sorted = null;
    }

    public void AddModule(long moduleId, string? ilPath)
    {
        if (moduleId != 0 && !string.IsNullOrEmpty(ilPath))
            _modules[moduleId] = SafeText.Sanitize(Path.GetFileNameWithoutExtension(ilPath.Replace('\\', '/')));
    }

    /// <summary>The method containing <paramref name="ip"/>, or -1.</summary>
    public int Find(ulong ip)
    {
        var sorted = _sorted ??= Sort();
        int lo = 0, hi = sorted.Length - 1;
        while (lo <= hi)
        {
            int mid = (lo + hi) >>> 1;
            if (sorted[mid].End <= ip)
                lo = mid + 1;
            else if (sorted[mid].Start > ip)
                hi = mid - 1;
            else
                return sorted[mid].Method;
        }

        return -1;
    }

    public string FunctionOf(int method) => _methods[method].Function;

    public string? ModuleOf(int method) => _modules.GetValueOrDefault(_methods[method].ModuleId);

    /// <summary>
    /// Writes the table for <see cref="ReadFrom"/> (the worker ships it to the session): ranges in the order
    /// <see cref="Find"/> searches them, so the session searches the very same order without sorting again.
    /// </summary>
    public void WriteTo(BinaryWriter writer)
    {
        var sorted = _sorted ??= Sort();
        writer.Write(sorted.Length);
        foreach (var (start, end, method) in sorted)
        {
            writer.Write(start);
            writer.Write(end);
            writer.Write(method);
        }

        writer.Write(_methods.Count);
        foreach (var (function, moduleId) in _methods)
        {
            writer.Write(function);
            writer.Write(moduleId);
        }

        writer.Write(_modules.Count);
        foreach (var (id, name) in _modules)
        {
            writer.Write(id);
            writer.Write(name);
        }
    }

    /// <summary>
    /// Fills an empty table with what <see cref="WriteTo"/> wrote: the ranges as sorted there, the methods without the
    /// index by name that only adding uses (built if a method is added after all).
    /// </summary>
    public void ReadFrom(BinaryReader reader)
    {
        var ranges = new (ulong Start, ulong End, int Method)[ModelCodec.Count(reader, 20)];
        int at = 0;
        ModelCodec.ReadRows(reader, ranges.Length, 20, row => ranges[at++] = (
            System.Buffers.Binary.BinaryPrimitives.ReadUInt64LittleEndian(row),
            System.Buffers.Binary.BinaryPrimitives.ReadUInt64LittleEndian(row[8..]),
            System.Buffers.Binary.BinaryPrimitives.ReadInt32LittleEndian(row[16..])));
        bool sorted = true;
        for (int i = 1; i < ranges.Length && sorted; i++)
            sorted = ranges[i - 1].Start <= ranges[i].Start;

        _ranges.AddRange(ranges);
        int methods = ModelCodec.Count(reader, 9);
        _methods.Capacity = methods;
        for (int i = 0; i < methods; i++)
            _methods.Add((reader.ReadString(), reader.ReadInt64()));
        int modules = ModelCodec.Count(reader, 9);
        for (int i = 0; i < modules; i++)
            _modules[reader.ReadInt64()] = reader.ReadString();
        foreach (var (_, _, method) in ranges)
        {
            if ((uint)method >= (uint)_methods.Count)
                throw new InvalidDataException($"method id {method} out of range");
        }

        _sorted = sorted ? ranges : null;
        _unindexed = true;
    }

    /// <summary>The ranges by start (where starts tie, in an order that depends only on the ranges as added).</summary>
    private (ulong, ulong, int)[] Sort()
    {
        var array = _ranges.ToArray();
        var starts = new ulong[array.Length];
        for (int i = 0; i < array.Length; i++)
            starts[i] = array[i].Item1;
        Array.Sort(starts, array);
        return array;
    }

    /// <summary>"Namespace.Type.Method(args)" from the event's parts; signature "void  (int32,class System.String)".</summary>
    internal static string FormatName(string? ns, string? name, string? signature)
    {
        string args = "()";
        if (signature is not null)
        {
            int open = signature.IndexOf('(', StringComparison.Ordinal);
            if (open >= 0)
                args = signature[open..];
        }

        string method = string.IsNullOrEmpty(name) ? "?" : name;
        return string.IsNullOrEmpty(ns) ? method + args : $"{ns}.{method}{args}";
    }
}
