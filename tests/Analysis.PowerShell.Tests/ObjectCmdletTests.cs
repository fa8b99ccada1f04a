using System.Globalization;
using Analysis.Testing;
using Xunit;

namespace Analysis.PowerShell.Tests;

/// <summary>Get-DumpObject and Get-DumpCollection in a hosted runspace: addresses as numbers and hex text, from the pipeline, errors (issue 14).</summary>
public class ObjectCmdletTests
{
    private static string HeapDump => DumpSet.FactsLite[CapturedDump.ClientWithHeap];

    private static Dictionary<string, object?> Vars(params (string Name, object? Value)[] vars) => vars.ToDictionary(v => v.Name, v => v.Value);

    [Fact]
    public void GetDumpObject_AddressAsNumberHexTextOrPipedProperty_ReadsTheOrder()
    {
        using var host = new PwshHost();
        var r = host.Run("""
            $s = Open-Dump $d
            $a = @((Get-GcRoot $s -TypeName $type).Addresses) | Sort-Object
            $hex = '{0:x}' -f $a[0]
            (Get-DumpObject -Dump $s -Address $a[0]).Field('Id').Value
            (Get-DumpObject $d -Address $hex).Field('Id').Value
            (Get-DumpObject -Dump $s -Address "0x$hex").Field('Customer').Value
            # an object with an Address property (what Get-HeapObject emits), its value as hex text
            [pscustomobject]@{ Address = "0x$hex" } | Get-DumpObject -Dump $s | ForEach-Object { $_.Field('Status').Value }
            # the Addresses of Get-GcRoot paths bind too: both orders
            Get-GcRoot $s -TypeName $type | Get-DumpObject -Dump $s -Depth 1 | ForEach-Object { '{0}|{1}' -f $_.Field('Id').Value, $_.Field('Label').Target.Field('Carrier').Value } | Sort-Object
            """, Vars(("d", HeapDump), ("type", TargetFacts.InspectedOrderType)));

        Assert.Empty(r.Errors);
        // the static's order (4242) was allocated first, at the lower address
        Assert.Equal([$"{TargetFacts.InspectedOrderId}", $"{TargetFacts.InspectedOrderId}", TargetFacts.InspectedCustomer, TargetFacts.InspectedStatus,
            $"{TargetFacts.InspectedOrderId}|Contoso Post", $"{TargetFacts.InspectedNextId}|Contoso Post"], r.Strings);
        Assert.IsType<int>(r.Output[0].BaseObject);
    }

    [Fact]
    public void GetDumpObject_ArrayWindowAndNotAnObject_ErrorThenTheNextAddressAnswers()
    {
        using var host = new PwshHost();
        var r = host.Run("""
            $s = Open-Dump $d
            $order = @(Get-GcRoot $s -TypeName $type | Get-DumpObject -Dump $s | Where-Object { $_.Field('Id').Value -eq 4242 })[0]
            $q = $order.Field('Quantities').Address
            (Get-DumpObject -Dump $s -Address $q -Skip 2 -First 3).Elements | ForEach-Object { '{0}={1}' -f $_.Index, $_.Value }
            Get-DumpObject -Dump $s -Address ($order.Address + 8), $order.Address | ForEach-Object { $_.TypeName }
            'still running'
            """, Vars(("d", HeapDump), ("type", TargetFacts.InspectedOrderType)));

        var error = Assert.Single(r.Errors);
        Assert.Equal("NotAnObject,Analysis.PowerShell.Commands.GetDumpObjectCommand", error.FullyQualifiedErrorId);
        Assert.Contains("8 bytes into the " + TargetFacts.InspectedOrderType, error.Exception.Message);
        Assert.Equal(["2=4", "3=1", "4=5", TargetFacts.InspectedOrderType, "still running"], r.Strings);
        Assert.Contains(r.Warnings, w => w.Message.Contains("-Skip", StringComparison.Ordinal));
    }

    [Fact]
    public void GetDumpCollection_FromGcRootPaths_GivesEntries_AndWarnsWhenCapped()
    {
        using var host = new PwshHost();
        var r = host.Run("""
            $s = Open-Dump $d
            Get-GcRoot $s -TypeName 'System.Collections.Generic.Dictionary<System.String, System.Int32>' | Get-DumpCollection -Dump $s |
                ForEach-Object { $_.Kind + ' ' + $_.Count; $_.Entries | ForEach-Object { '{0}={1}' -f $_.Key.Value, $_.Value.Value } }
            $ring = (Get-GcRoot $s -TypeName 'System.Collections.Generic.Queue<System.Int32>').Addresses[0]
            (Get-DumpCollection $d -Address ('{0:x}' -f $ring) -First 2).Entries.Count
            Get-DumpCollection -Dump $s -Address ($ring + 8)
            """, Vars(("d", HeapDump)));

        Assert.Equal(["Dictionary 3", .. TargetFacts.InspectStock.Select(e => $"{e.Key}={e.Value}"), "2"], r.Strings);
        Assert.Contains(r.Warnings, w => w.Message.Contains("first 2 of 5", StringComparison.Ordinal));
        Assert.Equal("NotAnObject,Analysis.PowerShell.Commands.GetDumpCollectionCommand", Assert.Single(r.Errors).FullyQualifiedErrorId);
    }

    [Fact]
    public void GetGcRoot_TakesAddressesAsHexText_ThroughTheSameTransformation()
    {
        using var host = new PwshHost();
        var r = host.Run("""
            $s = Open-Dump $d
            $a = (Get-GcRoot $s -TypeName $type).Addresses[0]
            Get-GcRoot $s -Address ('{0:x}' -f $a), ('0x{0:x}' -f $a) | ForEach-Object { $_.TargetType }
            """, Vars(("d", HeapDump), ("type", TargetFacts.SessionType)));

        Assert.Empty(r.Errors);
        Assert.Equal([TargetFacts.SessionType, TargetFacts.SessionType], r.Strings);
    }

    [Fact]
    public void GetDumpObject_NullableAndDateTimeOffsetFields_ShowTheValue_OrNull_InTheView()
    {
        using var host = new PwshHost();
        var r = host.Run("""
            $s = Open-Dump $d
            $o = Get-GcRoot $s -TypeName $type | Get-DumpObject -Dump $s
            $o.Field('Retries').Value.GetType().Name + ' ' + $o.Field('Retries').Value
            $null -eq $o.Field('NoRetries').Value
            $o.Field('Opened').Value.GetType().Name + ' ' + $o.Field('Opened').Value.ToString('o')
            $o | Out-String -Width 120
            """, Vars(("d", HeapDump), ("type", TargetFacts.InspectScheduleType)));

        Assert.Empty(r.Errors);
        var lines = r.Strings.ToList();
        Assert.Equal("Int32 " + TargetFacts.InspectScheduleRetries, lines[0]);
        Assert.Equal("True", lines[1]);
        Assert.Equal("DateTimeOffset " + TargetFacts.InspectScheduleOpened.ToString("o", CultureInfo.InvariantCulture), lines[2]);
        string view = lines[3];
        Assert.Matches(@"Fields\s+: Name\s+Type\s+Value", view);
        Assert.Matches(@"\n\s+Retries\s+Int32\?\s+3\s*\n", view);
        Assert.Matches(@"\n\s+NoRetries\s+Int32\?\s+null\s*\n", view);
        Assert.Matches(@"\n\s+Due\s+DateTime\?\s+2026-12-24T18:00:00.0000000Z\s*\n", view);
        Assert.Matches(@"\n\s+Pin\s+GeoPoint\?\s*\n\s+Lat\s+Double\s+46.2044\s*\n\s+Lon\s+Double\s+6.1432\s*\n", view); // the struct's fields under it
        Assert.Matches(@"\n\s+Opened\s+DateTimeOffset\s+2026-11-28T13:45:30.0000000\+01:30\s*\n", view);
        Assert.Matches(@"\n\s+Closed\s+DateTimeOffset\?\s+2026-11-29T08:00:00.0000000-05:00\s*\n", view);
        Assert.Matches(@"\n\s+NotClosed\s+DateTimeOffset\?\s+null\s*\n", view);
        Assert.DoesNotContain("hasValue", view);
    }

    [Fact]
    public void GetDumpCollection_LinkedListAndSortedDictionary_ShowTheirEntriesInOrder()
    {
        using var host = new PwshHost();
        var r = host.Run("""
            $s = Open-Dump $d
            $route = Get-GcRoot $s -TypeName 'System.Collections.Generic.LinkedList<System.String>' | Get-DumpCollection -Dump $s
            $route | Out-String -Width 120
            $route.Entries | Out-String -Width 120
            (Get-GcRoot $s -TypeName 'System.Collections.Generic.SortedDictionary<System.String, System.Int32>' | Get-DumpCollection -Dump $s).Entries |
                ForEach-Object { '{0}={1}' -f $_.Key.Value, $_.Value.Value }
            """, Vars(("d", HeapDump)));

        Assert.Empty(r.Errors);
        var lines = r.Strings.ToList();
        Assert.Matches(@"Kind\s+: LinkedList", lines[0]);
        Assert.Matches(@"Count\s+: 4", lines[0]);
        Assert.Matches(@"Entries\s+: ""Genève""\s+""Basel""\s+""Zürich""\s+""Chur""", lines[0]);
        Assert.Matches(@"\n\s+0\s+""Genève""\s*\n\s+1\s+""Basel""\s*\n\s+2\s+""Zürich""\s*\n\s+3\s+""Chur""", lines[1]);
        Assert.DoesNotContain("Bern", lines[0] + lines[1]);
        Assert.Equal(TargetFacts.InspectRanks.Select(e => $"{e.Key}={e.Value}"), lines[2..]);
    }

    [Fact]
    public void GetDumpObject_TwoDimensionalArray_ShowsEachElementWithItsIndices()
    {
        using var host = new PwshHost();
        var r = host.Run("""
            $s = Open-Dump $d
            $grid = Get-GcRoot $s -TypeName 'System.Int32[,]' | Get-DumpObject -Dump $s
            $grid.Dimensions -join 'x'
            $grid | Out-String -Width 120
            """, Vars(("d", HeapDump)));

        Assert.Empty(r.Errors);
        var lines = r.Strings.ToList();
        Assert.Equal($"{TargetFacts.InspectGridRows}x{TargetFacts.InspectGridColumns}", lines[0]);
        Assert.Matches(@"Elements\s+: \[0,0\] 0\s*\n\s+\[0,1\] 1\s*\n(.*\n)*\s+\[2,3\] 23\s*\n", lines[1]);
    }
}
