using System.Globalization;

namespace Analysis.Go.Core;

/// <summary>
/// Where the runtime's fields are: offsets of g, m, gobuf, _panic, moduledata, mstats, gcControllerState and abi.Type
/// fields, read from the executable's DWARF when it has it, else (a binary built with -s -w) from a table measured on
/// the DWARF of Go 1.21, 1.22 and 1.23 (the fields moved between them: 1.23 added g.syscallbp before atomicstatus).
/// </summary>
internal sealed class GoLayout
{
    private readonly Dictionary<string, long> _offsets;

    private GoLayout(Dictionary<string, long> offsets, string source)
    {
        _offsets = offsets;
        Source = source;
    }

    /// <summary>"DWARF" or "table for go1.23 (stripped binary)".</summary>
    public string Source { get; }

    /// <summary>The fields the reader uses, as "struct.field" (nested: "g.sched.sp" is sched's offset plus gobuf.sp's).</summary>
    public static readonly string[] Needed =
    [
        "runtime.g.stack", "runtime.g._panic", "runtime.g.m", "runtime.g.sched", "runtime.g.syscallsp", "runtime.g.syscallpc",
        "runtime.g.atomicstatus", "runtime.g.goid", "runtime.g.waitsince", "runtime.g.waitreason", "runtime.g.lockedm", "runtime.g.sig",
        "runtime.g.sigcode0", "runtime.g.sigcode1", "runtime.g.sigpc", "runtime.g.parentGoid", "runtime.g.gopc", "runtime.g.startpc", "runtime.g.labels",
        "runtime.gobuf.sp", "runtime.gobuf.pc", "runtime.gobuf.bp",
        "runtime.m.g0", "runtime.m.procid", "runtime.m.gsignal", "runtime.m.curg", "runtime.m.id", "runtime.m.alllink", "runtime.m.throwing", "runtime.m.dying",
        "runtime._panic.arg", "runtime._panic.link", "runtime._panic.recovered",
        "runtime.moduledata.pcHeader", "runtime.moduledata.text", "runtime.moduledata.types", "runtime.moduledata.etypes", "runtime.moduledata.gofunc",
        "runtime.moduledata.noptrdata", "runtime.moduledata.enoptrbss",
        "runtime.mstats.last_gc_unix", "runtime.mstats.pause_total_ns", "runtime.mstats.numgc", "runtime.mstats.numforcedgc",
        "runtime.mstats.gc_cpu_fraction", "runtime.mstats.last_gc_nanotime",
        "runtime.gcControllerState.gcPercent", "runtime.gcControllerState.memoryLimit", "runtime.gcControllerState.gcPercentHeapGoal",
        "runtime.gcControllerState.heapLive", "runtime.gcControllerState.heapMarked", "runtime.gcControllerState.heapInUse",
        "runtime.gcControllerState.totalAlloc", "runtime.gcControllerState.totalFree",
        "runtime.schedt.lastpoll",
        "internal/abi.Type.Size_", "internal/abi.Type.TFlag", "internal/abi.Type.Kind_", "internal/abi.Type.Str",
    ];

    // Measured with readelf --debug-dump=info on binaries built by each toolchain (tests compare this table with DWARF).
    private static readonly Dictionary<string, string> s_tables = new(StringComparer.Ordinal)
    {
        ["go1.21"] = "g.stack=0 g._panic=32 g.m=48 g.sched=56 g.syscallsp=112 g.syscallpc=120 g.atomicstatus=144 g.goid=152 g.waitsince=168 g.waitreason=176 g.lockedm=208 g.sig=216 g.sigcode0=248 g.sigcode1=256 g.sigpc=264 g.parentGoid=272 g.gopc=280 g.startpc=296 g.labels=344 "
            + "m.procid=72 m.gsignal=80 m.curg=192 m.id=232 m.alllink=336 m.throwing=244 m.dying=268 _panic.arg=8 _panic.link=24 _panic.recovered=48",
        ["go1.22"] = "g.stack=0 g._panic=32 g.m=48 g.sched=56 g.syscallsp=112 g.syscallpc=120 g.atomicstatus=144 g.goid=152 g.waitsince=168 g.waitreason=176 g.lockedm=208 g.sig=216 g.sigcode0=248 g.sigcode1=256 g.sigpc=264 g.parentGoid=272 g.gopc=280 g.startpc=296 g.labels=344 "
            + "m.procid=72 m.gsignal=80 m.curg=192 m.id=232 m.alllink=328 m.throwing=244 m.dying=268 _panic.arg=8 _panic.link=24 _panic.recovered=96",
        ["go1.23"] = "g.stack=0 g._panic=32 g.m=48 g.sched=56 g.syscallsp=112 g.syscallpc=120 g.atomicstatus=152 g.goid=160 g.waitsince=176 g.waitreason=184 g.lockedm=216 g.sig=224 g.sigcode0=256 g.sigcode1=264 g.sigpc=272 g.parentGoid=280 g.gopc=288 g.startpc=304 g.labels=352 "
            + "m.procid=72 m.gsignal=80 m.curg=192 m.id=232 m.alllink=328 m.throwing=244 m.dying=268 _panic.arg=8 _panic.link=24 _panic.recovered=96",
    };

    // The same in every version read (1.21–1.23).
    private const string Common = "gobuf.sp=0 gobuf.pc=8 gobuf.bp=48 m.g0=0 "
        + "moduledata.pcHeader=0 moduledata.text=176 moduledata.noptrdata=192 moduledata.enoptrbss=248 moduledata.types=296 moduledata.etypes=304 moduledata.gofunc=320 "
        + "mstats.last_gc_unix=3592 mstats.pause_total_ns=3600 mstats.numgc=7704 mstats.numforcedgc=7708 mstats.gc_cpu_fraction=7712 mstats.last_gc_nanotime=7720 "
        + "gcControllerState.gcPercent=0 gcControllerState.memoryLimit=8 gcControllerState.gcPercentHeapGoal=72 gcControllerState.heapLive=104 gcControllerState.heapMarked=152 gcControllerState.heapInUse=272 gcControllerState.totalAlloc=296 gcControllerState.totalFree=304 "
        + "schedt.lastpoll=8 Type.Size_=0 Type.TFlag=20 Type.Kind_=23 Type.Str=40";

    /// <summary>The go1.N versions the table covers.</summary>
    public static IReadOnlyCollection<string> TableVersions => s_tables.Keys;

    /// <summary>The layout from DWARF (<paramref name="dwarf"/>: offset of a field of a struct, or null).</summary>
    public static GoLayout? FromDwarf(Func<string, string, long?> dwarf, out string? missing)
    {
        var map = new Dictionary<string, long>(StringComparer.Ordinal);
        missing = null;
        foreach (string key in Needed)
        {
            int dot = key.LastIndexOf('.');
            long? off = dwarf(key[..dot], key[(dot + 1)..]);
            if (off is null)
            {
                missing = key;
                return null;
            }

            map[Short(key)] = off.Value;
        }

        return new GoLayout(map, "DWARF");
    }

    /// <summary>The table's layout for a Go version ("go1.23.5" → go1.23), or null when the table does not cover it.</summary>
    public static GoLayout? FromTable(string? goVersion)
    {
        string? key = MinorVersion(goVersion);
        if (key is null || !s_tables.TryGetValue(key, out string? table))
            return null;
        var map = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (string pair in (Common + " " + table).Split(' ', StringSplitOptions.RemoveEmptyEntries))
        {
            int eq = pair.IndexOf('=', StringComparison.Ordinal);
            map[pair[..eq]] = long.Parse(pair[(eq + 1)..], CultureInfo.InvariantCulture);
        }

        return new GoLayout(map, $"table for {key} (the binary has no DWARF)");
    }

    /// <summary>"go1.23.5" → "go1.23"; null when not a release version.</summary>
    public static string? MinorVersion(string? goVersion)
    {
        if (goVersion is null || !goVersion.StartsWith("go1.", StringComparison.Ordinal))
            return null;
        int end = 4;
        while (end < goVersion.Length && char.IsAsciiDigit(goVersion[end]))
            end++;
        return end > 4 ? goVersion[..end] : null;
    }

    private static string Short(string key) => key.Replace("runtime.", "", StringComparison.Ordinal).Replace("internal/abi.", "", StringComparison.Ordinal);

    /// <summary>The offset of "g.goid", "m.curg", "gobuf.sp"…</summary>
    public ulong this[string field] => (ulong)_offsets[field];

    /// <summary>Every offset, "struct.field" → bytes (tests compare the table with DWARF).</summary>
    internal IReadOnlyDictionary<string, long> Offsets => _offsets;
}
