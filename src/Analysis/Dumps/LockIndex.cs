using Microsoft.Diagnostics.Runtime;

namespace Analysis.Dumps;

/// <summary>
/// Answers "is this object a held lock, and who holds it?" from sync blocks, thin locks and
/// System.Threading.Lock owner fields. Answers are cached per object address.
/// </summary>
internal sealed class LockIndex
{
    public const string LockTypeName = "System.Threading.Lock";

    private readonly ClrHeap _heap;
    private readonly Dictionary<ulong, ClrThread> _threadsByAddress;
    private readonly Dictionary<ulong, SyncBlock> _syncBlocks = new();
    private readonly Dictionary<ulong, LockInfo?> _cache = new();

    public LockIndex(ClrHeap heap, Dictionary<ulong, ClrThread> threadsByAddress, bool heapAvailable)
    {
        _heap = heap;
        _threadsByAddress = threadsByAddress;
        if (!heapAvailable)
            return;
        try
        {
            foreach (var sb in heap.EnumerateSyncBlocks())
                _syncBlocks.TryAdd(sb.Object, sb);
        }
        catch (Exception e) when (e is InvalidOperationException or IOException or ClrDiagnosticsException)
        {
            // No sync block table: monitors are then only found as thin locks.
        }
    }

    /// <summary>Monitors held according to the sync block table.</summary>
    public IEnumerable<LockInfo> HeldMonitors()
    {
        foreach (var sb in _syncBlocks.Values)
        {
            if (sb.IsMonitorHeld && Lookup(_heap.GetObject(sb.Object)) is { } info)
                yield return info;
        }
    }

    /// <summary>The lock state of an object, or null when the object is not a held lock.</summary>
    public LockInfo? Lookup(ClrObject obj)
    {
        if (!obj.IsValid)
            return null;
        if (_cache.TryGetValue(obj.Address, out var cached))
            return cached;

        LockInfo? info = null;
        string typeName = obj.Type?.Name ?? "<unknown type>";
        if (_syncBlocks.TryGetValue(obj.Address, out var sb) && sb.IsMonitorHeld)
        {
            info = new LockInfo(obj.Address, typeName, LockKind.Monitor, OwnerOf(sb.HoldingThreadAddress), sb.RecursionCount);
        }
        else if (SafeThinLock(obj) is { Thread: { } owner } thin)
        {
            info = new LockInfo(obj.Address, typeName, LockKind.ThinLock, owner.ManagedThreadId, thin.Recursion);
        }
        else if (typeName == LockTypeName && ReadLockOwner(obj) is int lockOwner)
        {
            obj.TryReadField("_recursionCount", out uint recursion);
            info = new LockInfo(obj.Address, typeName, LockKind.Lock, lockOwner, (int)recursion);
        }

        _cache[obj.Address] = info;
        return info;
    }

    /// <summary>A lock object nobody is known to hold (the holder left no trace the dump shows).</summary>
    public LockInfo Unowned(ClrObject obj, bool isLockType) =>
        new(obj.Address, obj.Type?.Name ?? "<unknown type>", isLockType ? LockKind.Lock : _syncBlocks.ContainsKey(obj.Address) ? LockKind.Monitor : LockKind.ThinLock, null);

    /// <summary>
    /// The managed id of a System.Threading.Lock's owner. On CoreCLR the lock records the owner's OS thread id
    /// (<c>_owningThreadId</c>, named <c>_owningOsThreadId</c> in some versions); NativeAOT records the managed id.
    /// </summary>
    private int? ReadLockOwner(ClrObject obj)
    {
        if (!obj.TryReadField("_owningThreadId", out uint raw) && !obj.TryReadField("_owningOsThreadId", out raw))
            return null;
        if (raw == 0)
            return null;
        _threadsByOsId ??= _threadsByAddress.Values.Where(t => t.OSThreadId != 0)
            .GroupBy(t => t.OSThreadId).ToDictionary(g => g.Key, g => g.First().ManagedThreadId);
        if (_threadsByOsId.TryGetValue(raw, out int managed))
            return managed;
        return _threadsByAddress.Values.Any(t => t.ManagedThreadId == (int)raw) ? (int)raw : null;
    }

    private Dictionary<uint, int>? _threadsByOsId;

    private int? OwnerOf(ulong threadAddress) =>
        threadAddress != 0 && _threadsByAddress.TryGetValue(threadAddress, out var t) ? t.ManagedThreadId : null;

    private static ClrThinLock? SafeThinLock(ClrObject obj)
    {
        try
        {
            return obj.GetThinLock();
        }
        catch (Exception e) when (e is InvalidOperationException or IOException or ClrDiagnosticsException)
        {
            return null;
        }
    }
}
