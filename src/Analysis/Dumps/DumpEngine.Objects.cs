namespace Analysis.Dumps;

/// <summary>The engine's questions about single objects and collections (Get-DumpObject, Get-DumpCollection).</summary>
internal sealed partial class DumpEngine
{
    // Object questions read a few objects: a gate of their own, so they need not wait for a heap walk (Dispose takes it too).
    private readonly SemaphoreSlim _objectsGate = new(1, 1);

    /// <summary>The object at <paramref name="address"/> field by field, its references followed <paramref name="depth"/> levels, array elements <paramref name="skip"/> to skip + <paramref name="first"/>.</summary>
    /// <exception cref="AnalysisException">No heap in the dump (NoHeap), no object at the address (NotAnObject), the dump's data damaged (ReadFailed).</exception>
    public override DumpObject InspectObject(ulong address, int depth, int skip, int first, CancellationToken cancellationToken) =>
        WithObjectsGate(() => ObjectInspector.Inspect(_runtime, Path, address, depth, skip, first, cancellationToken), "reading an object", cancellationToken);

    /// <summary>The entries of the collection at <paramref name="address"/> (List, Dictionary, HashSet, Queue, Stack, ConcurrentDictionary, ConcurrentQueue, array), at most <paramref name="first"/>.</summary>
    /// <exception cref="AnalysisException">No heap (NoHeap), no object or no collection there (NotAnObject), a layout this does not know or damaged data (ReadFailed).</exception>
    public override DumpCollection InspectCollection(ulong address, int depth, int first, CancellationToken cancellationToken) =>
        WithObjectsGate(() => CollectionReader.Read(_runtime, Path, address, depth, first, cancellationToken), "reading a collection", cancellationToken);

    private T WithObjectsGate<T>(Func<T> work, string what, CancellationToken cancellationToken)
    {
        ThrowIfClosed();
        RequireHeap("questions about single objects and collections");
        return WithGate(_objectsGate, work, what, cancellationToken);
    }
}
