using Analysis.Testing;
using Xunit;

namespace Analysis.Pwsh.Tests;

/// <summary>Get-GcRoot's Tier column and -Shortest in real pwsh.</summary>
public sealed class GcRootTierTests : IDisposable
{
    private readonly RealPwsh _pwsh = new(width: 250);

    public void Dispose() => _pwsh.Dispose();

    [Fact]
    public void GetGcRoot_ShowsTheTier_AndShortestGivesTheStackLocalOfTheDeadlockedThread()
    {
        var r = _pwsh.Run("""
            $s = Open-Dump $d
            $lock = (Get-GcRoot $s -TypeName 'Contoso.Sync.AccountLock').Addresses[0]
            Get-GcRoot $s -Address $lock | Out-String -Width 250
            Get-GcRoot $s -Address $lock -Shortest | Out-String -Width 250
            """, new Dictionary<string, object?> { ["d"] = DumpSet.FactsLite[CapturedDump.ClientWithHeap] });

        Assert.Empty(r.Errors);
        var lines = string.Join("\n", r.Output).Split('\n').Select(l => l.TrimEnd()).Where(l => l.Length > 0).ToArray();
        // two tables, each: header, dashes, one row
        var headers = lines.Where(l => l.Contains("RootKind", StringComparison.Ordinal)).ToArray();
        Assert.Equal(2, headers.Length);
        Assert.All(headers, h => Assert.Matches(@"Count\s+RootKind\s+Tier\s+Path", h));
        var rows = lines.Where(l => l.Contains("Contoso.Sync.AccountLock", StringComparison.Ordinal)).ToArray();
        Assert.Equal(2, rows.Length);
        Assert.Matches(@"^\s*1 Static\s+StaticsAndHandles static .+ → .+ → Contoso\.Sync\.AccountLock$", rows[0]);
        Assert.Matches(@"^\s*1 Stack\s+AllRoots\s+thread \d+ \(worker-[abc]\) in DumpTarget\.Deadlock\.\w+\(.*\) → Contoso\.Sync\.AccountLock$", rows[1]);
    }
}
