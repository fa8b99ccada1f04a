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

    public int MethodCount => _methods.Count;

    public void AddMethod(ulong start, int size, string? ns, string? name, string? signature, long moduleId)
    {
        if (start == 0 || size <= 0)
            return;
        string function = SafeText.Sanitize(FormatName(ns, name, signature));
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

    /// <summary>Writes the table for <see cref="ReadFrom"/> (the worker ships it to the session): ranges in the order added.</summary>
    public void WriteTo(BinaryWriter writer)
    {
        writer.Write(_ranges.Count);
        foreach (var (start, end, method) in _ranges)
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

    /// <summary>Fills an empty table with what <see cref="WriteTo"/> wrote.</summary>
    public void ReadFrom(BinaryReader reader)
    {
        int ranges = ModelCodec.Count(reader, 20);
        for (int i = 0; i < ranges; i++)
            _ranges.Add((reader.ReadUInt64(), reader.ReadUInt64(), reader.ReadInt32()));
        int methods = ModelCodec.Count(reader, 9);
        for (int i = 0; i < methods; i++)
        {
            var key = (reader.ReadString(), reader.ReadInt64());
            _methodIds[key] = _methods.Count;
            _methods.Add(key);
        }

        int modules = ModelCodec.Count(reader, 9);
        for (int i = 0; i < modules; i++)
            _modules[reader.ReadInt64()] = reader.ReadString();
        foreach (var (_, _, method) in _ranges)
        {
            if ((uint)method >= (uint)_methods.Count)
                throw new InvalidDataException($"method id {method} out of range");
        }
    }

    private (ulong, ulong, int)[] Sort()
    {
        var array = _ranges.ToArray();
        Array.Sort(array, (a, b) => a.Item1.CompareTo(b.Item1));
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
