using System.Globalization;
using Analysis.Testing;
using Xunit;

namespace Analysis.Pwsh.Tests;

/// <summary>Get-HeapObject in real pwsh: the objects SOS lists, streamed, and a pipeline that stops early stops the walk.</summary>
public sealed partial class HeapObjectPwshTests : IDisposable
{
    private readonly RealPwsh _pwsh = new(width: 160);

    public void Dispose() => _pwsh.Dispose();

    [Fact]
    public void GetHeapObject_ListsTheShippingLabelsSosLists_AndSelectFirstStopsTheWalk()
    {
        string dump = DumpSet.FactsLite[CapturedDump.ClientWithHeap];
        var r = _pwsh.Run("""
            $d = Open-Dump $f -NoCache
            $batches = { $d.GetType().GetProperty('ObjectBatchesRead', [Reflection.BindingFlags]'NonPublic,Instance').GetValue($d) }
            Get-HeapObject -Dump $d -TypeName $type | ForEach-Object { 'label {0:x} {1}' -f $_.Address, $_.Size }
            $before = & $batches
            $first = @(Get-HeapObject -Dump $d | Select-Object -First 3)
            'first {0} {1}' -f $first.Count, ((& $batches) - $before)
            $before = & $batches
            $all = (Get-HeapObject -Dump $d | Measure-Object).Count
            'all {0} {1}' -f $all, ((& $batches) - $before)
            'live {0}' -f @(Get-HeapObject -Dump $d -TypeName $leaked -Live).Count
            'dead {0}' -f @(Get-HeapObject -Dump $d -Dead).Count
            'top-dead {0}' -f (Get-HeapTop -Dump $d -Dead -Top 100000 | Measure-Object Count -Sum).Sum
            Get-HeapObject -Dump $d -TypeName $type -First 1 | Out-String -Width 160
            """, new Dictionary<string, object?> { ["f"] = dump, ["type"] = TargetFacts.ShippingLabelType, ["leaked"] = TargetFacts.LeakedOrderType });

        Assert.Empty(r.Errors);
        var sos = SosHeap.Objects(Sos.Run(dump, "dumpheap -type " + TargetFacts.ShippingLabelType), TargetFacts.ShippingLabelType);
        Assert.NotEmpty(sos);
        Assert.Equal(sos.Select(o => string.Create(CultureInfo.InvariantCulture, $"label {o.Address:x} {o.Size}")), r.Output.Where(l => l.StartsWith("label ", StringComparison.Ordinal)));

        // Select-Object -First 3 ends the listing after its first batch; the whole heap takes many
        Assert.Equal("first 3 1", Line(r, "first "));
        string[] all = Line(r, "all ").Split(' ');
        Assert.True(int.Parse(all[2], CultureInfo.InvariantCulture) > 4, string.Join(' ', all));

        Assert.Equal($"live {TargetFacts.LeakedOrderCount}", Line(r, "live "));
        long sosDead = SosHeap.Total(Sos.Run(dump, "dumpheap -dead -stat")).Count;
        Assert.Equal($"dead {sosDead}", Line(r, "dead "));
        Assert.Equal($"top-dead {sosDead}", Line(r, "top-dead "));

        // the default view: address in hex, size, generation, type
        Assert.Contains(r.Output, l => l.Contains(string.Create(CultureInfo.InvariantCulture, $"0x{sos[0].Address:x}"), StringComparison.Ordinal) && l.Contains(TargetFacts.ShippingLabelType, StringComparison.Ordinal));
    }

    [Fact]
    public void CtrlC_DuringAListingOfMillionsOfObjects_StopsTheWalk_AndTheSessionAnswersTheNext()
    {
        string bulk = DumpSet.Bulk[CapturedDump.ClientWithHeap];
        using var pwsh = new PromptPwsh();
        pwsh.Send($"$d = Open-Dump '{bulk}'; $global:n = 0; 'started'; Get-HeapObject -Dump $d | ForEach-Object {{ $global:n++ }}; 'walk returned'");
        pwsh.Next("started");
        Thread.Sleep(1500);
        pwsh.Interrupt();
        pwsh.Send("'listed=' + $global:n; 'batches=' + $d.GetType().GetProperty('ObjectBatchesRead', [Reflection.BindingFlags]'NonPublic,Instance').GetValue($d); 'next=' + @(Get-HeapObject -Dump $d -TypeName DumpTarget.BulkNode -First 2).Count");
        long listed = long.Parse(pwsh.Next("listed=")[7..], CultureInfo.InvariantCulture);
        long batches = long.Parse(pwsh.Next("batches=")[8..], CultureInfo.InvariantCulture);
        Assert.Equal("next=2", pwsh.Next("next=")); // the stopped session answers the next question
        Assert.DoesNotContain(pwsh.Received, l => l.StartsWith("walk returned", StringComparison.Ordinal));
        Assert.InRange(listed, 1, DumpSet.BulkObjectCount - 1);
        // the walk stopped: far fewer batches than the whole heap takes (5M objects at most 65,536 a batch: 80 or more)
        Assert.True(batches < 60, $"{batches} batches read for {listed:N0} objects listed");
        Assert.NotNull(pwsh.Exit());
    }


    private static string Line(RealPwsh.Result r, string prefix) => Assert.Single(r.Output, l => l.StartsWith(prefix, StringComparison.Ordinal));
}
