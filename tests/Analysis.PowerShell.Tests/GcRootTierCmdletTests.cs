using Analysis.Testing;
using Xunit;

namespace Analysis.PowerShell.Tests;

/// <summary>Get-GcRoot's Tier property and -Shortest in the hosted runspace.</summary>
public class GcRootTierCmdletTests
{
    private static string HeapDump => DumpSet.FactsLite[CapturedDump.ClientWithHeap];

    [Fact]
    public void GetGcRoot_Shortest_GivesTheThreadsLocal_WhereTheTieredSearchGivesTheLongerStaticPath()
    {
        // each deadlocked thread holds its account lock in an argument; a static reaches the locks too, further away
        using var host = new PwshHost();
        var r = host.Run("""
            $s = Open-Dump $d
            $lock = (Get-GcRoot $s -TypeName 'Contoso.Sync.AccountLock').Addresses[0]
            Get-GcRoot $s -Address $lock | ForEach-Object { '{0}|{1}|{2}|{3}' -f $_.Tier, $_.RootKind, $_.Hops.Count, ($_.Target -eq $lock) }
            Get-GcRoot $s -Address $lock -Shortest | ForEach-Object { '{0}|{1}|{2}|{3}' -f $_.Tier, $_.RootKind, $_.Hops.Count, ($_.Target -eq $lock) }
            Get-GcRoot $s -TypeName 'Contoso.Sync.AccountLock' -Shortest | ForEach-Object { '{0}|{1}|{2}' -f $_.Tier, $_.RootKind, $_.Hops.Count }
            """, new Dictionary<string, object?> { ["d"] = HeapDump });

        Assert.Empty(r.Errors);
        var lines = r.Strings.ToArray();
        var tiered = lines[0].Split('|');
        Assert.Equal(["StaticsAndHandles", "Static"], tiered[..2]);
        Assert.True(int.Parse(tiered[2], System.Globalization.CultureInfo.InvariantCulture) > 1, lines[0]);
        Assert.Equal("True", tiered[3]);
        Assert.Equal("AllRoots|Stack|1|True", lines[1]);
        Assert.All(lines[2..], l => Assert.Equal("AllRoots|Stack|1", l));
        Assert.NotEmpty(lines[2..]);
    }

    [Fact]
    public void GetGcRoot_ShortestWithAll_IsAnError_AndTheTierOfAStackRootedObjectIsStacks()
    {
        using var host = new PwshHost();
        var r = host.Run("""
            $s = Open-Dump $d
            Get-GcRoot $s -TypeName 'System.Threading.Barrier' | ForEach-Object { '{0}|{1}' -f $_.Tier, $_.RootKind }
            $barrier = (Get-GcRoot $s -TypeName 'System.Threading.Barrier').Addresses[0]
            Get-GcRoot $s -Address $barrier -All -Shortest
            'next'
            """, new Dictionary<string, object?> { ["d"] = HeapDump });

        Assert.Equal(["Stacks|Stack", "next"], r.Strings);
        Assert.Equal("AllOrShortest,Analysis.PowerShell.Commands.GetGcRootCommand", Assert.Single(r.Errors).FullyQualifiedErrorId);
    }
}
