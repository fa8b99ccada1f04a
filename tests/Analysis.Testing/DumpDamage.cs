using System.Buffers.Binary;
using System.Globalization;
using Microsoft.Diagnostics.Runtime;

namespace Analysis.Testing;

/// <summary>
/// How a real dump is damaged to show that nothing ends the session: the one home of the regions, the choice of bytes
/// and the flips, for the bit-flip test (tests/Analysis.DumpProbe) and the fuzz harness's dump path (tests/Analysis.Fuzz).
/// Case <c>n</c> of seed <c>s</c> is the same damage in both: <c>Analysis.DumpProbe flips &lt;dump&gt; &lt;work&gt; s n 1</c>
/// asks the questions of it, <c>Analysis.Fuzz case dump s n &lt;file&gt; &lt;dump&gt;</c> writes it.
/// </summary>
/// <remarks>
/// A case picks one region by <c>Random(s, n)</c>, then 1 to 8 bytes (half the cases) or 1 to 512 bytes in it, and
/// turns each into a random byte (one in three) or flips one of its bits. Regions of a 64-bit ELF core: the threads'
/// stacks (only when ClrMD reports their ranges, which it does not for createdump cores), the GC heap's segments, 256
/// bytes around each frame's stack pointer (return addresses, saved registers, frame links), the PT_NOTE segments
/// (threads' registers, auxiliary vector, mapped files), and the whole file.
/// </remarks>
public sealed class DumpDamage
{
    private DumpDamage(string dump, IReadOnlyList<DumpRegion> regions)
    {
        Dump = dump;
        Regions = regions;
    }

    /// <summary>The dump whose regions these are.</summary>
    public string Dump { get; }

    /// <summary>The regions a case chooses from, in a fixed order (the order is part of what a seed means).</summary>
    public IReadOnlyList<DumpRegion> Regions { get; }

    /// <summary>
    /// Finds the regions of <paramref name="dump"/>, a 64-bit little-endian ELF core, with ClrMD's view of it
    /// (<paramref name="runtime"/>: the threads, their frames and the heap's segments, read from the undamaged dump).
    /// </summary>
    public static DumpDamage Find(string dump, ClrRuntime runtime)
    {
        ArgumentNullException.ThrowIfNull(runtime);
        var headers = ProgramHeaders(dump);
        var loads = headers.Where(p => p.Type == 1).ToList();
        List<(long, long)> ToFile(IEnumerable<(ulong Start, ulong End)> memory)
        {
            var result = new List<(long, long)>();
            foreach (var (start, end) in memory)
            {
                foreach (var load in loads)
                {
                    ulong from = Math.Max(start, load.VAddr), to = Math.Min(end, load.VAddr + load.Size);
                    if (from < to)
                        result.Add(((long)(load.Offset + (from - load.VAddr)), (long)(to - from)));
                }
            }

            return result;
        }

        // The used part of each stack: from the thread's stack pointer... approximated by the limit..base range ClrMD reports.
        var stacks = ToFile(runtime.Threads.Where(t => t.StackBase > t.StackLimit).Select(t => (t.StackLimit, t.StackBase)));
        var heap = ToFile(runtime.Heap.Segments.Select(s => (s.ObjectRange.Start, s.ObjectRange.End)));
        // Around each frame's stack pointer: return addresses, saved registers and frame links the unwinder follows.
        var frames = ToFile(runtime.Threads.Where(t => t.IsAlive)
            .SelectMany(t => t.EnumerateStackTrace(includeContext: false, 512))
            .Where(f => f.StackPointer > 64)
            .Select(f => (f.StackPointer - 64, f.StackPointer + 192)));
        var regions = new List<DumpRegion>();
        if (stacks.Count > 0)
            regions.Add(new DumpRegion("stacks", stacks));
        if (heap.Count > 0)
            regions.Add(new DumpRegion("heap", heap));
        if (frames.Count > 0)
            regions.Add(new DumpRegion("frames", frames));
        regions.Add(new DumpRegion("notes", headers.Where(p => p.Type == 4).Select(p => ((long)p.Offset, (long)p.Size)).ToList()));
        regions.Add(new DumpRegion("file", [(0L, new FileInfo(dump).Length)]));
        return new DumpDamage(dump, regions);
    }

    /// <summary>
    /// Case <paramref name="case"/> of <paramref name="seed"/>: the region, and each byte's offset, original value (read
    /// with <paramref name="readByte"/>, -1 past the end: that byte is left out) and new value.
    /// </summary>
    public DumpDamageCase Plan(int seed, int @case, Func<long, int> readByte)
    {
        ArgumentNullException.ThrowIfNull(readByte);
        var rng = new Random(unchecked((seed * 1_000_003) + @case) & int.MaxValue); // not HashCode: it is seeded per process
        var region = Regions[rng.Next(Regions.Count)];
        int count = 1 + rng.Next(rng.Next(2) == 0 ? 8 : 512);
        var chosen = new List<(long Offset, byte Original)>();
        for (int k = 0; k < count; k++)
        {
            var (start, length) = region.Ranges[rng.Next(region.Ranges.Count)];
            long at = start + (long)(rng.NextDouble() * length);
            int b = readByte(at);
            if (b >= 0)
                chosen.Add((at, (byte)b));
        }

        // the new values after all offsets (a byte chosen twice keeps its first original: put back in reverse, it is whole)
        var flips = chosen.Select(c => new ByteFlip(c.Offset, c.Original, rng.Next(3) == 0 ? (byte)rng.Next(256) : (byte)(c.Original ^ (1 << rng.Next(8))))).ToList();
        return new DumpDamageCase(seed, @case, region.Name, flips);
    }

    /// <summary>A damaged copy of <paramref name="dump"/> (the bytes of <see cref="Dump"/>): case <paramref name="case"/> of <paramref name="seed"/>.</summary>
    public byte[] Damage(byte[] dump, int seed, int @case, out DumpDamageCase damage)
    {
        ArgumentNullException.ThrowIfNull(dump);
        damage = Plan(seed, @case, at => at < dump.Length ? dump[at] : -1);
        var copy = (byte[])dump.Clone();
        foreach (var flip in damage.Flips)
            copy[flip.Offset] = flip.Value;
        return copy;
    }

    /// <summary>
    /// Damages <paramref name="work"/> (a copy of <see cref="Dump"/>, see <see cref="PrepareCopy"/>) in place with case
    /// <paramref name="case"/> of <paramref name="seed"/>. The original bytes are written to <paramref name="work"/>.pending
    /// first, so <see cref="Restore"/> puts them back, also in a later process when this one is killed.
    /// </summary>
    public DumpDamageCase Damage(string work, int seed, int @case)
    {
        using var f = new FileStream(work, FileMode.Open, FileAccess.ReadWrite);
        var damage = Plan(seed, @case, at =>
        {
            f.Position = at;
            return f.ReadByte();
        });
        File.WriteAllLines(Pending(work), damage.Flips.Select(e => string.Create(CultureInfo.InvariantCulture, $"{e.Offset} {e.Original}")));
        foreach (var flip in damage.Flips)
        {
            f.Position = flip.Offset;
            f.WriteByte(flip.Value);
        }

        return damage;
    }

    /// <summary>Makes <paramref name="work"/> a whole copy of <paramref name="source"/>: puts back a killed case's bytes, copies when it is missing or another size.</summary>
    public static void PrepareCopy(string source, string work)
    {
        Restore(work);
        if (!File.Exists(work) || new FileInfo(work).Length != new FileInfo(source).Length)
            File.Copy(source, work, overwrite: true);
    }

    /// <summary>Puts back the bytes of the case in flight on <paramref name="work"/> (its .pending file), if any.</summary>
    public static void Restore(string work)
    {
        string pending = Pending(work);
        if (!File.Exists(pending))
            return;
        using (var f = new FileStream(work, FileMode.Open, FileAccess.ReadWrite))
        {
            foreach (string line in File.ReadAllLines(pending).Reverse())
            {
                var parts = line.Split(' ');
                f.Position = long.Parse(parts[0], CultureInfo.InvariantCulture);
                f.WriteByte(byte.Parse(parts[1], CultureInfo.InvariantCulture));
            }
        }

        File.Delete(pending);
    }

    /// <summary>Where the original bytes of the case in flight on <paramref name="work"/> are kept.</summary>
    public static string Pending(string work) => work + ".pending";

    /// <summary>Program headers of a 64-bit little-endian ELF core: type, virtual address, file offset, size in the file.</summary>
    private static List<(uint Type, ulong VAddr, ulong Offset, ulong Size)> ProgramHeaders(string dump)
    {
        using var f = File.OpenRead(dump);
        var header = new byte[64];
        f.ReadExactly(header);
        ulong phoff = BinaryPrimitives.ReadUInt64LittleEndian(header.AsSpan(32));
        int phentsize = BinaryPrimitives.ReadUInt16LittleEndian(header.AsSpan(54));
        int phnum = BinaryPrimitives.ReadUInt16LittleEndian(header.AsSpan(56));
        var table = new byte[phentsize * phnum];
        f.Position = (long)phoff;
        f.ReadExactly(table);
        var headers = new List<(uint, ulong, ulong, ulong)>();
        for (int i = 0; i < phnum; i++)
        {
            var ph = table.AsSpan(i * phentsize);
            headers.Add((BinaryPrimitives.ReadUInt32LittleEndian(ph), BinaryPrimitives.ReadUInt64LittleEndian(ph[16..]), BinaryPrimitives.ReadUInt64LittleEndian(ph[8..]), BinaryPrimitives.ReadUInt64LittleEndian(ph[32..])));
        }

        return headers;
    }
}

/// <summary>A named part of a dump file to damage, as file ranges.</summary>
public sealed record DumpRegion(string Name, IReadOnlyList<(long Start, long Length)> Ranges);

/// <summary>One byte of a damaged dump: where, what it was, what it became.</summary>
public readonly record struct ByteFlip(long Offset, byte Original, byte Value);

/// <summary>One case of damage: its seed and number, the region and the bytes changed.</summary>
public sealed record DumpDamageCase(int Seed, int Case, string Region, IReadOnlyList<ByteFlip> Flips)
{
    /// <summary>"&lt;n&gt; bytes in &lt;region&gt; from 0x&lt;lowest offset&gt;".</summary>
    public override string ToString() =>
        string.Create(CultureInfo.InvariantCulture, $"{Flips.Count} bytes in {Region} from 0x{(Flips.Count == 0 ? 0 : Flips.Min(e => e.Offset)):x}");
}
