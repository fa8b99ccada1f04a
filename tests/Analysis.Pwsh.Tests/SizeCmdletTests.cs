using System.Globalization;
using Analysis.Testing;
using Xunit;

namespace Analysis.Pwsh.Tests;

/// <summary>Measure-DumpObject, Get-GcHeap and Get-DumpHandles in the investigator's real pwsh, against SOS on the same dump.</summary>
public sealed class SizeCmdletTests : IDisposable
{
    private readonly RealPwsh _pwsh = new(width: 120);

    public void Dispose() => _pwsh.Dispose();

    private static string Dump => DumpSet.FactsLite[CapturedDump.ClientWithHeap];

    [Fact]
    public void MeasureDumpObject_OfTheInspectedOrder_EqualsSosObjsize()
    {
        ulong order = SosAnswers.Addresses(Dump, "dumpheap -type " + TargetFacts.InspectedOrderType + " -short")[0];
        var (count, bytes) = SosAnswers.Objsize(Dump, order);

        // the address as an investigator pastes it from SOS or another row: hex text with 0x
        var r = _pwsh.Run("Measure-DumpObject -Path $d -Address $a -Retained | ForEach-Object { '{0}|{1}|{2}|{3}' -f $_.TypeName, $_.ReachableCount, $_.ReachableBytes, ($_.RetainedBytes -gt 0) }",
            new Dictionary<string, object?> { ["d"] = Dump, ["a"] = string.Create(CultureInfo.InvariantCulture, $"0x{order:x}") });

        Assert.Empty(r.Errors);
        Assert.Equal(string.Create(CultureInfo.InvariantCulture, $"{TargetFacts.InspectedOrderType}|{count}|{bytes}|True"), Assert.Single(r.Output));
    }

    [Fact]
    public void GetGcHeap_ShowsEveryGenerationAsSosGcheapstat_AndTheTableFits80Columns()
    {
        var sos = SosAnswers.Gcheapstat(Dump);

        var r = _pwsh.Run("$s = Open-Dump $d; Get-GcHeap $s | Where-Object Generation -ne Frozen | ForEach-Object { '{0}|{1}|{2}|{3}' -f $_.Heap, $_.Generation, $_.Allocated, $_.FreeBytes }; '--'; Get-GcHeap $s | Out-String -Width 80",
            new Dictionary<string, object?> { ["d"] = Dump });

        Assert.Empty(r.Errors);
        int split = r.Output.ToList().IndexOf("--");
        Assert.Equal(sos.Select(kv => string.Create(CultureInfo.InvariantCulture, $"{kv.Key.Heap}|{kv.Key.Generation}|{kv.Value.Allocated}|{kv.Value.Free}")).Order(StringComparer.Ordinal),
            r.Output.Take(split).Order(StringComparer.Ordinal));
        string table = string.Join("\n", r.Output.Skip(split + 1));
        Assert.Contains("Frag%", table, StringComparison.Ordinal);
        Assert.Contains(sos[(0, "Gen2")].Free.ToString("N0", CultureInfo.InvariantCulture), table, StringComparison.Ordinal);
        Assert.All(table.Split('\n'), line => Assert.True(line.Length <= 80, line));
    }

    [Fact]
    public void GetDumpHandles_CountsPerKindEqualSosGchandlesStat_AndListsThePinnedBuffer()
    {
        var sos = SosAnswers.GchandlesStat(Dump).Select(kv => $"{kv.Key}|{kv.Value}").Order(StringComparer.Ordinal).ToArray();
        Assert.NotEmpty(sos);

        var r = _pwsh.Run("""
            $s = Open-Dump $d
            Get-DumpHandles $s | Group-Object Kind | ForEach-Object { '{0}|{1}' -f $_.Name, ($_.Group | Measure-Object Count -Sum).Sum }
            '--'
            Get-DumpHandles $s -Kind Pinned -TypeName 'System.Byte[]' -List | ForEach-Object { '{0}|{1}' -f $_.Size, ($_.PinsEphemeral -eq ($_.Generation -in 'Gen0', 'Gen1')) }
            """, new Dictionary<string, object?> { ["d"] = Dump });

        Assert.Empty(r.Errors);
        int split = r.Output.ToList().IndexOf("--");
        Assert.Equal(sos, r.Output.Take(split).Order(StringComparer.Ordinal));
        Assert.Equal($"{TargetFacts.PinnedBufferBytes + 24}|True", Assert.Single(r.Output.Skip(split + 1)));
    }

    [Fact]
    public void GetDumpHandlesLeaked_ListsTheDroppedHandle_OfSosGchandles()
    {
        var buffer = SosAnswers.Gchandles(Dump).Single(h => h.TypeName == TargetFacts.LeakedBufferType);

        var r = _pwsh.Run("Get-DumpHandles -Path $d -Leaked -List | ForEach-Object { '{0}|{1:x}|{2}|{3}' -f $_.Kind, $_.HandleAddress, $_.TypeName, $_.IsLeaked }",
            new Dictionary<string, object?> { ["d"] = Dump });

        Assert.Empty(r.Errors);
        Assert.Equal(string.Create(CultureInfo.InvariantCulture, $"{buffer.Kind}|{buffer.Address:x}|{TargetFacts.LeakedBufferType}|True"), Assert.Single(r.Output));
    }
}
