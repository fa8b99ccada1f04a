using System.Buffers.Binary;
using System.Globalization;

namespace Analysis.Dumps;

/// <summary>
/// Leaked GC handles, as SOS gchandleleaks finds them: the strong and pinned handles whose value (the handle's address,
/// low bit masked) appears in no pointer-sized word of the memory the dump holds. The search reads every memory segment
/// of the dump once, in file order (not the GC heap alone: the runtime keeps the handles of threads and preallocated
/// exceptions in native structures, and a GCHandle field is an IntPtr, not a reference the GC describes), and stops as
/// soon as every handle was found. Like SOS it cannot tell live memory from garbage, so a stale copy hides a leak; a
/// handle stored encoded (bits flipped) shows as leaked.
/// </summary>
internal static class HandleLeaks
{
    private const int BufferBytes = 1 << 20;

    /// <summary>The handles SOS searches for: strong ones (ref-counted while counted) and pinned ones.</summary>
    public static bool IsSearched(DumpHandle handle) =>
        handle.Kind is GcHandleKind.Strong or GcHandleKind.Pinned or GcHandleKind.AsyncPinned or GcHandleKind.SizedRef
        || (handle.Kind == GcHandleKind.RefCounted && handle.ReferenceCount > 0);

    /// <summary>
    /// <paramref name="handles"/> with <see cref="DumpHandle.IsLeaked"/> set on every searched handle (others unchanged),
    /// in the same order.
    /// </summary>
    /// <exception cref="AnalysisException">WrongFormat: not a Linux core dump (the only format whose memory is read here).</exception>
    public static ItemList<DumpHandle> Search(string path, IReadOnlyList<DumpHandle> handles, IProgress<WorkProgress>? progress, CancellationToken cancellationToken)
    {
        var wanted = new HashSet<ulong>();
        foreach (var handle in handles)
        {
            if (IsSearched(handle))
                wanted.Add(handle.HandleAddress & ~1UL);
        }

        var found = wanted.Count == 0 ? wanted : FindInMemory(path, wanted, progress, cancellationToken);
        return handles.Select(h => IsSearched(h) ? h with { IsLeaked = !found.Contains(h.HandleAddress & ~1UL) } : h).ToItemList();
    }

    /// <summary>The values of <paramref name="wanted"/> found in the dump's memory.</summary>
    private static HashSet<ulong> FindInMemory(string path, HashSet<ulong> wanted, IProgress<WorkProgress>? progress, CancellationToken cancellationToken)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1, FileOptions.SequentialScan);
        var elf = ElfFile.TryRead(stream, out string? problem);
        if (elf is null || elf.Type != ElfFile.TypeCore)
        {
            throw new AnalysisException(AnalysisErrorKind.WrongFormat, path, string.Create(CultureInfo.InvariantCulture,
                $"Searching for leaked GC handles reads every memory segment of a Linux core dump, and '{path}' is none ({problem ?? "not an ELF core file"}). On a Windows dump use SOS gchandleleaks in WinDbg; Get-DumpHandles without -Leaked lists the handles of any dump."));
        }

        int pointer = elf.Is64Bit ? 8 : 4;
        long total = elf.LoadSegments.Sum(s => s.Size);
        var scan = new ScanProgress(progress, "Searching the dump's memory for GC handle values", total);
        var found = new HashSet<ulong>();
        ulong low = wanted.Min(), span = wanted.Max() - low; // handles sit in a few handle-table blocks: most words fail this test
        var buffer = new byte[BufferBytes];
        foreach (var (offset, size, _) in elf.LoadSegments)
        {
            // Segments start on page boundaries, so a file offset aligned in the segment is an aligned address.
            stream.Position = offset;
            for (long done = 0; done < size;)
            {
                cancellationToken.ThrowIfCancellationRequested();
                int want = (int)Math.Min(buffer.Length, size - done);
                int read = stream.ReadAtLeast(buffer.AsSpan(0, want), want, throwOnEndOfStream: false);
                if (read == 0)
                    break; // a cut-off dump: what is missing cannot be searched
                var words = buffer.AsSpan(0, read - (read % pointer));
                for (int i = 0; i < words.Length; i += pointer)
                {
                    ulong value = (pointer == 8 ? BinaryPrimitives.ReadUInt64LittleEndian(words[i..]) : BinaryPrimitives.ReadUInt32LittleEndian(words[i..])) & ~1UL;
                    if (value - low <= span && wanted.Contains(value) && found.Add(value) && found.Count == wanted.Count)
                        return found;
                }

                done += read;
                scan.Advance(read);
            }
        }

        return found;
    }
}
