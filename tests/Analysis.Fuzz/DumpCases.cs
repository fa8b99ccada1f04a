using Analysis.Dumps;
using Analysis.Testing;

namespace Analysis.Fuzz;

/// <summary>
/// The dump path's cases: case <c>n</c> of a campaign with seed <c>s</c> is <see cref="DumpDamage"/> case (s, n) of the
/// seed dump, the damage Analysis.DumpProbe asks its questions of as its case n of seed s (<c>flips &lt;dump&gt; &lt;work&gt;
/// s n 1</c>). A campaign runs the undamaged seed as its case 1, then cases 2, 3, ... as it counts them.
/// </summary>
public sealed class DumpCases
{
    private readonly byte[] _data;

    private DumpCases(byte[] data, DumpDamage damage)
    {
        _data = data;
        Damage = damage;
    }

    /// <summary>The regions of the dump and how its cases are made.</summary>
    public DumpDamage Damage { get; }

    /// <summary>The campaigns' seed dump (captured into artifacts/fuzz/seeds/dump on first use).</summary>
    public static string SeedFile => Seeds.GeneratedFiles("dump")[0];

    /// <summary>The regions of <paramref name="dump"/> (read with ClrMD in this process; its bytes: <paramref name="data"/>, read when not given).</summary>
    public static DumpCases Open(string dump, byte[]? data = null)
    {
        using var session = DumpSession.Open(dump, new DumpOpenOptions { NoCache = true, Isolation = EngineIsolation.InProcess });
        return new DumpCases(data ?? File.ReadAllBytes(dump), DumpDamage.Find(dump, session.GetClrRuntime()));
    }

    /// <summary>A damaged copy of the dump: case <paramref name="case"/> of <paramref name="seed"/>, and what was damaged.</summary>
    public byte[] Case(int seed, int @case, out DumpDamageCase damage) => Damage.Damage(_data, seed, @case, out damage);
}
