using System.Globalization;
using System.IO.Hashing;
using System.Runtime.InteropServices;
using System.Text;

namespace Analysis.Dumps;

/// <summary>
/// The object-graph index on disk: one file per dump content (named by an XxHash128 of the whole dump and its
/// length) in a cache folder, never beside the dump. A file that is missing, from another version, truncated or
/// inconsistent is ignored and rebuilt; a folder that cannot be written only costs the next session a heap pass.
/// The policy (which folder, when the cache is used or skipped, trimming) is here; a dump engine holds one
/// <see cref="Use"/>.
/// </summary>
internal static class HeapGraphCache
{
    /// <summary>
    /// One open dump's use of the cache: where its index is, whether it was loaded, what went wrong (as notes for the
    /// session's graph warnings) and the background write of a new index. Thread-safe.
    /// </summary>
    internal sealed class Use(string dumpPath, DumpOpenOptions options)
    {
        private readonly List<string> _notes = new();
        private Task _save = Task.CompletedTask;

        /// <summary>The index file loaded or written, or null (no index yet, caching off, or not writable).</summary>
        public string? File { get; private set; }

        /// <summary>Whether the graph came from the index on disk instead of a heap pass.</summary>
        public bool LoadedFromCache { get; private set; }

        /// <summary>What the cache could not do: an index not used (and why), an index not saved.</summary>
        public ItemList<string> Notes
        {
            get
            {
                lock (_notes)
                    return [.. _notes];
            }
        }

        /// <summary>
        /// The folder of this dump's index, or null when it is not cached: caching is off, or the folder is the default
        /// one and the heap is smaller than <see cref="MinimumHeapBytes"/> (identifying the dump reads all of it, and
        /// such a heap indexes faster). A folder named in the options is always used.
        /// </summary>
        public string? Directory(long heapBytes) =>
            options.NoCache || (options.CacheDirectory is null && heapBytes < MinimumHeapBytes)
                ? null
                : System.IO.Path.GetFullPath(options.CacheDirectory ?? DefaultDirectory());

        /// <summary>
        /// The index from the cache when a good one is there, else <paramref name="build"/>'s, then written in the
        /// background (so the first answer does not wait for the disk; <see cref="WaitForSave"/> waits for it).
        /// </summary>
        public HeapGraph LoadOrBuild(long heapBytes, Func<HeapGraph> build, IProgress<WorkProgress>? progress, CancellationToken cancellationToken)
        {
            if (Directory(heapBytes) is not { } directory)
                return build();

            string key = Key(dumpPath, progress, cancellationToken);
            string file = FileFor(directory, key);
            var cached = TryLoad(file, key, out string? problem, cancellationToken);
            if (cached is not null)
            {
                progress?.Report(new WorkProgress("Indexing the object graph", $"loaded the index from {file}", 1, 1));
                File = file;
                LoadedFromCache = true;
                return cached;
            }

            var graph = build();
            if (problem is not null)
                Note($"The cached index '{file}' was not used ({problem}); it was rebuilt.");
            _save = Task.Run(() =>
            {
                if (Save(directory, key, graph, CancellationToken.None) is { } failure)
                    Note($"The object-graph index could not be saved in '{directory}' ({failure}); the next session on this dump will walk the heap again. Pass another cache folder (-CacheDirectory) to keep it.");
                else
                    File = file;
            });
            return graph;
        }

        /// <summary>Waits until the index is on disk.</summary>
        public void WaitForSave() => _save.GetAwaiter().GetResult();

        /// <summary>Waits for the write when closing: a failed write only means the next session builds the index again.</summary>
        public void WaitForSaveQuietly()
        {
            try
            {
                _save.Wait();
            }
            catch (AggregateException)
            {
            }
        }

        private void Note(string note)
        {
            lock (_notes)
                _notes.Add(note);
        }
    }

    private const int FormatVersion = 3;
    private static ReadOnlySpan<byte> Magic => "ANALYSIS-GRAPH\r\n"u8;

    /// <summary>
    /// Heaps smaller than this are not cached in the default folder: indexing them takes less time than hashing the
    /// dump to find a cached index (a 170 MB dump with a 2 MB heap: ~0.3 s of hashing for a ~0.1 s index).
    /// </summary>
    internal const long MinimumHeapBytes = 64L << 20;

    /// <summary>Cache files beyond this total size are removed, oldest first, after a write.</summary>
    internal const long MaxTotalBytes = 8L << 30;

    public static string DefaultDirectory()
    {
        if (Environment.GetEnvironmentVariable("ANALYSIS_CACHE_DIR") is { Length: > 0 } explicitDir)
            return explicitDir;
        if (OperatingSystem.IsWindows())
            return System.IO.Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.LocalApplicationData), "analysis");
        if (Environment.GetEnvironmentVariable("XDG_CACHE_HOME") is { Length: > 0 } xdg)
            return System.IO.Path.Combine(xdg, "analysis");
        return System.IO.Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache", "analysis");
    }

    /// <summary>Bytes per independently hashed block of the dump (the key does not depend on the core count).</summary>
    private const long HashBlock = 64L << 20;

    /// <summary>
    /// The content key of a dump: XxHash128 over the XxHash128 of each 64 MB block (hashed in parallel), plus the
    /// length. Reads every byte once, read-only.
    /// </summary>
    public static string Key(string dumpPath, IProgress<WorkProgress>? progress, CancellationToken cancellationToken)
    {
        using var handle = File.OpenHandle(dumpPath, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        long length = RandomAccess.GetLength(handle), done = 0;
        int blocks = (int)((length + HashBlock - 1) / HashBlock);
        var blockHashes = new byte[Math.Max(1, blocks) * 16];
        var options = new ParallelOptions { CancellationToken = cancellationToken, MaxDegreeOfParallelism = Environment.ProcessorCount };
        Parallel.For(0, blocks, options, () => new byte[4 << 20], (block, _, buffer) =>
        {
            var hash = new XxHash128();
            long from = block * HashBlock, to = Math.Min(length, from + HashBlock);
            for (long at = from; at < to;)
            {
                cancellationToken.ThrowIfCancellationRequested();
                int read = RandomAccess.Read(handle, buffer.AsSpan(0, (int)Math.Min(buffer.Length, to - at)), at);
                if (read <= 0)
                    throw new IOException($"'{dumpPath}' ended at byte {at:N0} while it is {length:N0} bytes long.");
                hash.Append(buffer.AsSpan(0, read));
                at += read;
                long now = Interlocked.Add(ref done, read);
                progress?.Report(new WorkProgress("Identifying the dump for the index cache", $"{Bytes.Format(now)} of {Bytes.Format(length)}", now, length));
            }

            hash.GetCurrentHash(blockHashes.AsSpan(block * 16, 16));
            return buffer;
        }, _ => { });

        var combined = XxHash128.Hash(blockHashes);
        return string.Create(CultureInfo.InvariantCulture, $"{Convert.ToHexStringLower(combined)}-{length:x}");
    }

    public static string FileFor(string directory, string key) => System.IO.Path.Combine(directory, key + ".graph");

    /// <summary>Reads the index for <paramref name="key"/>, or null (and why) when there is no usable one.</summary>
    public static HeapGraph? TryLoad(string file, string key, out string? problem, CancellationToken cancellationToken)
    {
        problem = null;
        if (!File.Exists(file))
            return null;
        try
        {
            using var stream = new FileStream(file, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 20);
            using var reader = new BinaryReader(stream, Encoding.UTF8);
            Span<byte> magic = stackalloc byte[16];
            stream.ReadExactly(magic);
            if (!magic.SequenceEqual(Magic) || reader.ReadInt32() != FormatVersion || reader.ReadString() != key)
            {
                problem = "written by another version or for another dump";
                return null;
            }

            int nodes = reader.ReadInt32(), edges = reader.ReadInt32(), types = reader.ReadInt32();
            int roots = reader.ReadInt32(), frames = reader.ReadInt32(), warnings = reader.ReadInt32();
            if (nodes < 0 || edges < 0 || types < 0 || roots < 0 || frames < 0 || warnings < 0)
            {
                problem = "negative counts";
                return null;
            }

            var addresses = ReadArray<ulong>(stream, nodes);
            var typeIds = ReadArray<int>(stream, nodes);
            var sizes = ReadArray<uint>(stream, nodes);
            var edgeStart = ReadArray<int>(stream, nodes + 1);
            cancellationToken.ThrowIfCancellationRequested();
            var edgeArray = ReadArray<int>(stream, edges);
            var methodTables = ReadArray<ulong>(stream, types);
            var typeNames = new string[types];
            for (int i = 0; i < types; i++)
                typeNames[i] = reader.ReadString();
            var rootArray = new GraphRoot[roots];
            for (int i = 0; i < roots; i++)
                rootArray[i] = new GraphRoot((GcRootKind)reader.ReadByte(), reader.ReadInt32(), reader.ReadUInt64(), reader.ReadInt32(), reader.ReadInt32());
            var frameArray = new string[frames];
            for (int i = 0; i < frames; i++)
                frameArray[i] = reader.ReadString();
            var warningArray = new string[warnings];
            for (int i = 0; i < warnings; i++)
                warningArray[i] = reader.ReadString();
            ulong checksum = reader.ReadUInt64();
            if (stream.Position != stream.Length)
            {
                problem = "unexpected bytes after the index";
                return null;
            }

            var graph = new HeapGraph
            {
                Addresses = addresses, TypeIds = typeIds, Sizes = sizes, EdgeStart = edgeStart, Edges = edgeArray,
                TypeNames = typeNames, TypeMethodTables = methodTables, Roots = rootArray, Frames = frameArray, Warnings = warningArray,
            };
            if (Checksum(graph) != checksum)
            {
                problem = "its checksum does not match: the file is damaged";
                return null;
            }

            problem = Inconsistency(graph, cancellationToken);
            if (problem is not null)
                return null;
            try
            {
                File.SetLastWriteTimeUtc(file, DateTime.UtcNow); // most recently used files survive trimming
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // A read-only cache (shared, or on a read-only disk) is still a good cache.
            }

            return graph;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or EndOfStreamException or OutOfMemoryException or ArgumentException)
        {
            problem = e is EndOfStreamException ? "the file is truncated" : e.Message;
            return null;
        }
    }

    /// <summary>Writes the index (to a temporary name, then renamed), then trims the folder. Returns why it could not, or null.</summary>
    public static string? Save(string directory, string key, HeapGraph graph, CancellationToken cancellationToken)
    {
        string file = FileFor(directory, key);
        string temp = file + "." + Environment.ProcessId.ToString(CultureInfo.InvariantCulture) + ".tmp";
        try
        {
            Directory.CreateDirectory(directory);
            using (var stream = new FileStream(temp, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 20))
            using (var writer = new BinaryWriter(stream, Encoding.UTF8))
            {
                stream.Write(Magic);
                writer.Write(FormatVersion);
                writer.Write(key);
                writer.Write(graph.NodeCount);
                writer.Write(graph.EdgeCount);
                writer.Write(graph.TypeNames.Length);
                writer.Write(graph.Roots.Length);
                writer.Write(graph.Frames.Length);
                writer.Write(graph.Warnings.Length);
                writer.Flush();
                stream.Write(MemoryMarshal.AsBytes(graph.Addresses.AsSpan()));
                stream.Write(MemoryMarshal.AsBytes(graph.TypeIds.AsSpan()));
                stream.Write(MemoryMarshal.AsBytes(graph.Sizes.AsSpan()));
                stream.Write(MemoryMarshal.AsBytes(graph.EdgeStart.AsSpan()));
                cancellationToken.ThrowIfCancellationRequested();
                stream.Write(MemoryMarshal.AsBytes(graph.Edges.AsSpan()));
                stream.Write(MemoryMarshal.AsBytes(graph.TypeMethodTables.AsSpan()));
                foreach (string name in graph.TypeNames)
                    writer.Write(name);
                foreach (var root in graph.Roots)
                {
                    writer.Write((byte)root.Kind);
                    writer.Write(root.Node);
                    writer.Write(root.Slot);
                    writer.Write(root.ThreadId);
                    writer.Write(root.FrameIndex);
                }

                foreach (string frame in graph.Frames)
                    writer.Write(frame);
                foreach (string warning in graph.Warnings)
                    writer.Write(warning);
                writer.Write(Checksum(graph));
            }

            File.Move(temp, file, overwrite: true);
            Trim(directory, file);
            return null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or OperationCanceledException)
        {
            TryDelete(temp);
            if (e is OperationCanceledException)
                throw;
            return e.Message;
        }
    }

    /// <summary>
    /// XxHash128 (low 64 bits) over every array and string of the index: a damaged file is rebuilt, never believed.
    /// The same hash as the dump key, so its code is already optimized when the checksum runs.
    /// </summary>
    private static ulong Checksum(HeapGraph g)
    {
        var hash = new XxHash128();
        hash.Append(MemoryMarshal.AsBytes(g.Addresses.AsSpan()));
        hash.Append(MemoryMarshal.AsBytes(g.TypeIds.AsSpan()));
        hash.Append(MemoryMarshal.AsBytes(g.Sizes.AsSpan()));
        hash.Append(MemoryMarshal.AsBytes(g.EdgeStart.AsSpan()));
        hash.Append(MemoryMarshal.AsBytes(g.Edges.AsSpan()));
        hash.Append(MemoryMarshal.AsBytes(g.TypeMethodTables.AsSpan()));
        foreach (string s in g.TypeNames.Concat(g.Frames).Concat(g.Warnings))
            hash.Append(Encoding.UTF8.GetBytes(s));
        Span<byte> bytes = stackalloc byte[21];
        foreach (var root in g.Roots)
        {
            bytes[0] = (byte)root.Kind;
            BitConverter.TryWriteBytes(bytes[1..], root.Node);
            BitConverter.TryWriteBytes(bytes[5..], root.Slot);
            BitConverter.TryWriteBytes(bytes[13..], root.ThreadId);
            BitConverter.TryWriteBytes(bytes[17..], root.FrameIndex);
            hash.Append(bytes);
        }

        return (ulong)hash.GetCurrentHashAsUInt128();
    }

    /// <summary>Cheap structural checks so a damaged file is rebuilt instead of giving wrong answers.</summary>
    private static string? Inconsistency(HeapGraph g, CancellationToken cancellationToken)
    {
        int nodes = g.NodeCount, types = g.TypeNames.Length;
        if (g.EdgeStart[0] != 0 || g.EdgeStart[nodes] != g.EdgeCount)
            return "edge offsets do not match the edge count";
        for (int n = 0; n < nodes; n++)
        {
            if ((n & 0xFFFFF) == 0)
                cancellationToken.ThrowIfCancellationRequested();
            if ((n > 0 && g.Addresses[n] <= g.Addresses[n - 1]) || (uint)g.TypeIds[n] >= (uint)types || g.EdgeStart[n + 1] < g.EdgeStart[n])
                return string.Create(CultureInfo.InvariantCulture, $"object {n} is inconsistent");
        }

        foreach (int target in g.Edges)
        {
            if ((uint)target >= (uint)nodes)
                return "a reference points outside the index";
        }

        foreach (var root in g.Roots)
        {
            if ((uint)root.Node >= (uint)nodes || root.FrameIndex >= g.Frames.Length)
                return "a root points outside the index";
        }

        return null;
    }

    private static T[] ReadArray<T>(Stream stream, int count) where T : unmanaged
    {
        long bytes = (long)count * System.Runtime.CompilerServices.Unsafe.SizeOf<T>();
        if (bytes > stream.Length - stream.Position)
            throw new EndOfStreamException();
        var array = HugePages.Allocate<T>(count);
        stream.ReadExactly(MemoryMarshal.AsBytes(array.AsSpan()));
        return array;
    }

    private static void Trim(string directory, string keep)
    {
        var files = new DirectoryInfo(directory).GetFiles("*.graph").OrderByDescending(f => f.LastWriteTimeUtc).ToArray();
        long total = 0;
        foreach (var f in files)
        {
            total += f.Length;
            if (total > MaxTotalBytes && !string.Equals(f.FullName, System.IO.Path.GetFullPath(keep), StringComparison.Ordinal))
                TryDelete(f.FullName);
        }
    }

    private static void TryDelete(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
        }
    }
}
