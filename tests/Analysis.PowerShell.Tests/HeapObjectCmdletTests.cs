using System.Globalization;
using Analysis.Testing;
using Xunit;

namespace Analysis.PowerShell.Tests;

/// <summary>Get-HeapObject and Get-HeapTop -Live/-Dead in a hosted runspace, against SOS on the facts dump.</summary>
public class HeapObjectCmdletTests
{
    private static string HeapDump => DumpSet.FactsLite[CapturedDump.ClientWithHeap];

    [Fact]
    public void GetHeapObject_ShippingLabels_EqualSos_AndSelectFirstStopsTheWalk()
    {
        using var host = new PwshHost();
        var r = host.Run("""
            $d = Open-Dump $f -NoCache
            Get-HeapObject -Dump $d -TypeName $type | ForEach-Object { '{0:x} {1} {2} {3} {4}' -f $_.Address, $_.Size, $_.TypeName, $_.GetType().FullName, ($_.Source -eq $f) }
            """, new Dictionary<string, object?> { ["f"] = HeapDump, ["type"] = TargetFacts.ShippingLabelType });

        Assert.Empty(r.Errors);
        var sos = SosHeap.Objects(Sos.Run(HeapDump, "dumpheap -type " + TargetFacts.ShippingLabelType), TargetFacts.ShippingLabelType);
        Assert.NotEmpty(sos);
        Assert.Equal(sos.Select(o => string.Create(CultureInfo.InvariantCulture, $"{o.Address:x} {o.Size} {TargetFacts.ShippingLabelType} Analysis.Dumps.HeapObject True")), r.Strings);

        var first = host.Run("""
            $batches = { $d.GetType().GetProperty('ObjectBatchesRead', [Reflection.BindingFlags]'NonPublic,Instance').GetValue($d) }
            $before = & $batches
            $n = @(Get-HeapObject -Dump $d | Select-Object -First 3).Count
            $n; (& $batches) - $before
            $before = & $batches
            $null = Get-HeapObject -Dump $d -First 2000
            (& $batches) - $before
            """);
        Assert.Empty(first.Errors);
        // Select-Object -First 3: the first batch only; -First 2000: the first two batches and the third read ahead
        Assert.Equal([3, 1L, 3L], first.Output.Select(o => Convert.ToInt64(o.BaseObject)).ToArray());
    }

    [Fact]
    public void GetHeapObjectAndGetHeapTop_LiveAndDead_EqualSos_AndBothAtOnceIsAnError()
    {
        using var host = new PwshHost();
        var r = host.Run("""
            $d = Open-Dump $f -NoCache
            (Get-HeapTop -Dump $d -Live -Top 100000 | Measure-Object Count -Sum).Sum
            (Get-HeapTop -Dump $d -Dead -Top 100000 | Measure-Object Count -Sum).Sum
            @(Get-HeapObject -Dump $d -Dead).Count
            @(Get-HeapObject -Dump $d -TypeName $leaked -Live).Count
            """, new Dictionary<string, object?> { ["f"] = HeapDump, ["leaked"] = TargetFacts.LeakedOrderType });

        Assert.Empty(r.Errors);
        long live = SosHeap.Total(Sos.Run(HeapDump, "dumpheap -live -stat")).Count;
        long dead = SosHeap.Total(Sos.Run(HeapDump, "dumpheap -dead -stat")).Count;
        Assert.Equal([live, dead, dead, TargetFacts.LeakedOrderCount], r.Output.Select(o => Convert.ToInt64(o.BaseObject)).ToArray());

        var both = host.Run("Get-HeapObject -Dump $d -Live -Dead; Get-HeapTop -Dump $d -Live -Dead; 'next'");
        Assert.Equal(["LiveWithDead,Analysis.PowerShell.Commands.GetHeapObjectCommand", "LiveWithDead,Analysis.PowerShell.Commands.GetHeapTopCommand"], both.Errors.Select(e => e.FullyQualifiedErrorId));
        Assert.Equal(["next"], both.Strings);
    }
}
