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
