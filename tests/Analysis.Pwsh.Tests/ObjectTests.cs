using Analysis.Testing;
using Xunit;

namespace Analysis.Pwsh.Tests;

/// <summary>Get-DumpObject and Get-DumpCollection in a real pwsh: the pipeline from Get-GcRoot, hex addresses, the views (issue 14).</summary>
public sealed class ObjectTests : IDisposable
{
    private readonly RealPwsh _pwsh = new(width: 120, workingDirectory: DemoFiles.Folder);

    public void Dispose() => _pwsh.Dispose();

    [Fact]
    public void GetDumpObject_PipedFromGetGcRoot_ShowsTheFieldsAsATable()
    {
        var r = _pwsh.Run($$"""
            $o = @(Get-GcRoot ./app.dmp -TypeName '{{TargetFacts.InspectedOrderType}}' | Get-DumpObject ./app.dmp | Sort-Object Address)[0]
            $o.Field('Tax').Value.GetType().Name + ' ' + $o.Field('Tax').Value
            $o.Field('Placed').Value.ToString('o')
            $o.Field('Channels').Value
            "$o"
            $o | Out-String -Width 120
            Get-DumpObject ./app.dmp -Address ('{0:x}' -f $o.Field('City').Address) | ForEach-Object Value
            """);

        Assert.Empty(r.Errors);
        Assert.Equal("Decimal 19.99", r.Output[0]);
        Assert.Equal("2026-11-28T13:45:30.0000000Z", r.Output[1]);
        Assert.Equal(TargetFacts.InspectedChannels, r.Output[2]);
        Assert.StartsWith(TargetFacts.InspectedOrderType + " @ 0x", r.Output[3], StringComparison.Ordinal);
        string view = r.Output[4];
        Assert.Matches(@"Fields\s+: Name\s+Type\s+Value", view);
        Assert.Matches(@"\n\s+Customer\s+String\s+""Ada Lovelace""", view);
        Assert.Matches(@"\n\s+Status\s+OrderStatus\s+Shipped", view);
        Assert.Matches(@"\n\s+Cents\s+Int64\s+1999", view); // the struct's fields under it
        Assert.Matches(@"\n\s+Boxed\s+Object\s+42 \(boxed System.Int32\)", view);
        Assert.Contains("(10,000 chars)", view);
        Assert.Equal(TargetFacts.InspectedCity, r.Output[5]);
    }

    [Fact]
    public void GetDumpCollection_ShowsCountAndEntries()
    {
        var r = _pwsh.Run("""
            $c = Get-GcRoot ./app.dmp -TypeName 'System.Collections.Concurrent.ConcurrentQueue<System.String>' | Get-DumpCollection ./app.dmp
            $c | Out-String -Width 120
            $c.Entries | Out-String -Width 120
            """);

        Assert.Empty(r.Errors);
        Assert.Matches(@"Kind\s+: ConcurrentQueue", r.Output[0]);
        Assert.Matches(@"Count\s+: 3", r.Output[0]);
        Assert.Matches(@"Entries\s+: ""q1""\s+""q2""\s+""q3""", r.Output[0]);
        Assert.Matches(@"\n\s+0\s+""q1""\s*\n\s+1\s+""q2""\s*\n\s+2\s+""q3""", r.Output[1]);
    }

    [Fact]
    public void AStringWithControlCharacters_ShowsEscaped_NeverRaw()
    {
        // the address from ClrMD itself (GetClrRuntime), not from the code under test
        var r = _pwsh.Run($$"""
            $rt = (Open-Dump ./app.dmp).GetClrRuntime()
            $type = $rt.EnumerateModules() | ForEach-Object { $_.GetTypeByName('{{TargetFacts.InspectAwkwardType}}') } | Where-Object { $_ } | Select-Object -First 1
            $a = $type.GetStaticFieldByName('Text').ReadObject($rt.AppDomains[0]).Address
            Get-DumpObject ./app.dmp -Address $a | Out-String -Width 200
            """);

        Assert.Empty(r.Errors);
        Assert.Contains("Value      : \"tab\\there\\nbell\\u0007 esc\\u001b[31m lone\ufffd end\"", r.Output[0]);
        Assert.DoesNotContain('\u001b', r.Output[0]);
        Assert.DoesNotContain('\u0007', r.Output[0]);
    }

    [Fact]
    public void NullableDateTimeOffsetAndLinkedList_ShowAsAUserReadsThem()
    {
        var r = _pwsh.Run($$"""
            Get-GcRoot ./app.dmp -TypeName '{{TargetFacts.InspectScheduleType}}' | Get-DumpObject ./app.dmp | Out-String -Width 120
            Get-GcRoot ./app.dmp -TypeName 'System.Collections.Generic.LinkedList<System.String>' | Get-DumpCollection ./app.dmp | ForEach-Object { "$_" }
            """);

        Assert.Empty(r.Errors);
        string view = r.Output[0];
        Assert.Matches(@"\n\s+Retries\s+Int32\?\s+3\s*\n", view);
        Assert.Matches(@"\n\s+NoRetries\s+Int32\?\s+null\s*\n", view);
        Assert.Matches(@"\n\s+Opened\s+DateTimeOffset\s+2026-11-28T13:45:30.0000000\+01:30\s*\n", view);
        Assert.Matches(@"\n\s+NotClosed\s+DateTimeOffset\?\s+null\s*\n", view);
        Assert.DoesNotContain("hasValue", view);
        Assert.Matches(@"^System.Collections.Generic.LinkedList<System.String> @ 0x[0-9a-f]+ Count=4 ""Genève"", ""Basel"", ""Zürich"", ""Chur""$", r.Output[1]);
    }
}
