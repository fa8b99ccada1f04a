using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;
using Analysis.Dumps;
using Analysis.Testing;
using Xunit;

namespace Analysis.Tests.Dumps;

/// <summary>
/// Issue 14, polish: Nullable fields as their value (or null), DateTimeOffset fields as one value (InspectMore.cs on the
/// facts dump), against the values the target wrote and SOS dumpclass / dumpvc, in the worker and in process alike.
/// </summary>
public sealed partial class ObjectInspectionMoreTests
{
    private static string Dump => DumpSet.Facts[CapturedDump.CreateDumpWithHeap];

    private static DumpField F(DumpObject o, string name) => o.Field(name) ?? throw new Xunit.Sdk.XunitException($"no field {name} in {o}");

    [Fact]
    public void Schedule_NullableAndDateTimeOffsetFields_ShowTheirValues_InTheWorkerAndInProcess()
    {
        using var worker = DumpSession.Open(Dump);
        using var local = DumpSession.Open(Dump, new DumpOpenOptions { NoCache = true, Isolation = EngineIsolation.InProcess });
        ulong address = ObjectInspectionTests.StaticAddress(local, "Schedule", TargetFacts.InspectMoreType);
        var answers = new[] { worker.InspectObject(address), local.InspectObject(address) };
        foreach (var schedule in answers)
        {
            Assert.Equal(TargetFacts.InspectScheduleType, schedule.TypeName);
            Assert.Equal(9, schedule.Fields.Count);

            var retries = F(schedule, "Retries");
            Assert.Equal((DumpValueKind.Primitive, TargetFacts.InspectScheduleRetries, "System.Nullable<System.Int32>"), (retries.Kind, retries.Value, retries.TypeName));
            Assert.Equal((DumpValueKind.Null, null, "System.Nullable<System.Int32>"), (F(schedule, "NoRetries").Kind, F(schedule, "NoRetries").Value, F(schedule, "NoRetries").TypeName));
            Assert.Equal((DumpValueKind.Primitive, TargetFacts.InspectScheduleDue), (F(schedule, "Due").Kind, F(schedule, "Due").Value));
            Assert.Equal(DateTimeKind.Utc, ((DateTime)F(schedule, "Due").Value!).Kind);

            // a Nullable of a struct: the struct's own fields, no hasValue/value level between
            var pin = F(schedule, "Pin");
            Assert.Equal(DumpValueKind.Struct, pin.Kind);
            Assert.Equal("System.Nullable<Contoso.Inspect.GeoPoint>", pin.TypeName);
            Assert.Equal(["Lat", "Lon"], pin.Fields.Select(f => f.Name));
            Assert.Equal([TargetFacts.InspectSchedulePin.Lat, TargetFacts.InspectSchedulePin.Lon], pin.Fields.Select(f => (double)f.Value!));
            Assert.Equal(DumpValueKind.Null, F(schedule, "NoPin").Kind);

            var opened = F(schedule, "Opened");
            Assert.Equal((DumpValueKind.Primitive, "System.DateTimeOffset"), (opened.Kind, opened.TypeName));
            Assert.Equal(TargetFacts.InspectScheduleOpened, opened.Value);
            Assert.Equal(TargetFacts.InspectScheduleOpened.Offset, ((DateTimeOffset)opened.Value!).Offset); // equality alone ignores the offset
            Assert.Empty(opened.Fields);
            var closed = F(schedule, "Closed");
            Assert.Equal((DumpValueKind.Primitive, TargetFacts.InspectScheduleClosed, TargetFacts.InspectScheduleClosed.Offset), (closed.Kind, closed.Value, ((DateTimeOffset)closed.Value!).Offset));
            Assert.Equal(DumpValueKind.Null, F(schedule, "NotClosed").Kind);
            Assert.Empty(schedule.Warnings);

            // what a user reads
            Assert.Equal("3", retries.Text);
            Assert.Equal("null", F(schedule, "NoRetries").Text);
            Assert.Equal("2026-11-28T13:45:30.0000000+01:30", opened.Text);
            Assert.Contains("Retries=3 NoRetries=null Due=2026-12-24T18:00:00.0000000Z", schedule.ToString(), StringComparison.Ordinal);
        }

        Assert.Equal(JsonSerializer.Serialize(answers[1]), JsonSerializer.Serialize(answers[0]));
        Assert.Equal(ValueTypes(answers[1]), ValueTypes(answers[0]));

        // an array of Nullables: each element its value or null
        foreach (var session in new[] { worker, local })
        {
            var scores = session.InspectObject(F(answers[0], "Scores").Address);
            Assert.Equal(("System.Nullable<System.Int32>[]", "System.Nullable<System.Int32>"), (scores.TypeName, scores.ElementTypeName));
            Assert.Equal(TargetFacts.InspectScheduleScores.Select(s => (object?)s), scores.Elements.Select(e => e.Value));
            Assert.Equal([DumpValueKind.Primitive, DumpValueKind.Null, DumpValueKind.Primitive], scores.Elements.Select(e => e.Kind));
            Assert.Equal("[1] null", scores.Elements[1].ToString());
        }
    }

    private static string ValueTypes(DumpObject o) =>
        string.Join(",", o.Fields.SelectMany(f => f.Fields.Prepend<DumpValue>(f)).Select(v => v.Value?.GetType().Name ?? "-"));

    [Fact]
    public void Schedule_FieldOffsets_EqualSosDumpclass_AndTheValues_SosDumpvc()
    {
        using var session = DumpSession.Open(Dump);
        var schedule = session.InspectObject(ObjectInspectionTests.StaticAddress(session, "Schedule", TargetFacts.InspectMoreType));
        string sos = Sos.Run(Dump, string.Create(CultureInfo.InvariantCulture, $"dumpclass {schedule.MethodTable:x}"));
        var rows = SosFieldRow().Matches(sos).ToDictionary(m => m.Groups["name"].Value, m => (Mt: m.Groups["mt"].Value, Offset: int.Parse(m.Groups["offset"].Value, NumberStyles.HexNumber, CultureInfo.InvariantCulture)));
        Assert.Equal(rows.Keys.Order(StringComparer.Ordinal), schedule.Fields.Select(f => f.Name).Order(StringComparer.Ordinal));
        foreach (var field in schedule.Fields)
            Assert.Equal((field.Name, rows[field.Name].Offset), (field.Name, field.Offset));

        // SOS shows a Nullable as the struct it is: hasValue and value, read with dumpvc at the field's address
        Dictionary<string, string> Vc(string field, string mt, ulong at) =>
            SosFieldRow().Matches(Sos.Run(Dump, string.Create(CultureInfo.InvariantCulture, $"dumpvc {mt} {at:x}"))).ToDictionary(m => m.Groups["name"].Value, m => m.Groups["value"].Value);
        ulong At(string field) => schedule.Address + (ulong)F(schedule, field).Offset;
        var retries = Vc("Retries", rows["Retries"].Mt, At("Retries"));
        Assert.Equal(("1", F(schedule, "Retries").Value!.ToString()), (retries["hasValue"], retries["value"]));
        Assert.Equal("0", Vc("NoRetries", rows["NoRetries"].Mt, At("NoRetries"))["hasValue"]);

        // a DateTimeOffset: _offsetMinutes, and _dateTime (a DateTime whose _dateData dumpvc reads in turn)
        var opened = (DateTimeOffset)F(schedule, "Opened").Value!;
        string openedSos = Sos.Run(Dump, string.Create(CultureInfo.InvariantCulture, $"dumpvc {rows["Opened"].Mt} {At("Opened"):x}"));
        var openedRows = SosFieldRow().Matches(openedSos).ToDictionary(m => m.Groups["name"].Value, m => (Mt: m.Groups["mt"].Value, Offset: int.Parse(m.Groups["offset"].Value, NumberStyles.HexNumber, CultureInfo.InvariantCulture), Value: m.Groups["value"].Value));
        Assert.Equal(((int)opened.Offset.TotalMinutes).ToString(CultureInfo.InvariantCulture), openedRows["_offsetMinutes"].Value);
        var dateTime = Vc("_dateTime", openedRows["_dateTime"].Mt, At("Opened") + (ulong)openedRows["_dateTime"].Offset);
        Assert.Equal(opened.UtcTicks, (long)(ulong.Parse(dateTime["_dateData"], CultureInfo.InvariantCulture) & 0x3FFF_FFFF_FFFF_FFFF));
    }

    [GeneratedRegex(@"^(?<mt>[0-9a-f]{16}) [0-9a-f]{8} +(?<offset>[0-9a-f]+) +(?<type>.+?) +(Yes|No) +instance +(?<value>\S+)? +(?<name>\S+)\s*$", RegexOptions.Multiline)]
    private static partial Regex SosFieldRow();

    [Fact]
    public void TwoDimensionalArray_ElementsWithTheirIndexInEachDimension_EqualTheFacts_InTheWorkerAndInProcess()
    {
        using var worker = DumpSession.Open(Dump);
        using var local = DumpSession.Open(Dump, new DumpOpenOptions { NoCache = true, Isolation = EngineIsolation.InProcess });
        ulong address = ObjectInspectionTests.StaticAddress(local, "Grid", TargetFacts.InspectMoreType);
        var expected = from i in Enumerable.Range(0, TargetFacts.InspectGridRows) from j in Enumerable.Range(0, TargetFacts.InspectGridColumns) select (i, j, TargetFacts.InspectGridValue(i, j));
        var answers = new[] { worker.InspectObject(address), local.InspectObject(address) };
        foreach (var grid in answers)
        {
            Assert.Equal(("System.Int32[,]", "System.Int32", true), (grid.TypeName, grid.ElementTypeName, grid.IsArray));
            Assert.Equal(TargetFacts.InspectGridRows * TargetFacts.InspectGridColumns, grid.Length);
            Assert.Equal([TargetFacts.InspectGridRows, TargetFacts.InspectGridColumns], grid.Dimensions);
            Assert.Equal(expected, grid.Elements.Select(e => (e.Indices[0], e.Indices[1], (int)e.Value!)));
            Assert.Equal(Enumerable.Range(0, 12), grid.Elements.Select(e => e.Index));
            Assert.Equal("[1,2] 12", grid.Elements[6].ToString());
            Assert.StartsWith(string.Create(CultureInfo.InvariantCulture, $"System.Int32[,] @ 0x{address:x} ({grid.Size:N0} B) [3,4] 0 1 2 3 10 11"), grid.ToString(), StringComparison.Ordinal);
            Assert.Empty(grid.Warnings);

            var window = grid == answers[0] ? worker.InspectObject(address, skip: 5, first: 2) : local.InspectObject(address, skip: 5, first: 2);
            Assert.Equal([(1, 1, 11), (1, 2, 12)], window.Elements.Select(e => (e.Indices[0], e.Indices[1], (int)e.Value!)));
        }

        Assert.Equal(JsonSerializer.Serialize(answers[1]), JsonSerializer.Serialize(answers[0]));
        // a one-dimensional array keeps its plain index
        var order = local.InspectObject(ObjectInspectionTests.StaticAddress(local, "Order"));
        var quantities = worker.InspectObject(order.Field("Quantities")!.Address);
        Assert.Empty(quantities.Dimensions);
        Assert.All(quantities.Elements, e => Assert.Empty(e.Indices));
        Assert.Equal("[0] 3", quantities.Elements[0].ToString());
    }

    [Fact]
    public void TwoDimensionalArray_EqualsSosDumparray()
    {
        using var session = DumpSession.Open(Dump);
        var grid = session.InspectObject(ObjectInspectionTests.StaticAddress(session, "Grid", TargetFacts.InspectMoreType));
        // SOS dumparray -details: "Array: Rank 2, Number of elements 12, Type Int32", then per element "[1][2] <address>" and its m_value
        string sos = Sos.Run(Dump, string.Create(CultureInfo.InvariantCulture, $"dumparray -details 0x{grid.Address:x}"));
        Assert.Contains(string.Create(CultureInfo.InvariantCulture, $"Size:        {grid.Size}(0x{grid.Size:x}) bytes"), sos);
        Assert.Contains(string.Create(CultureInfo.InvariantCulture, $"Rank {grid.Dimensions.Count}, Number of elements {grid.Length}, Type Int32"), sos);
        var sosElements = SosGridElement().Matches(sos).Select(m => (
            int.Parse(m.Groups["i"].Value, CultureInfo.InvariantCulture), int.Parse(m.Groups["j"].Value, CultureInfo.InvariantCulture), int.Parse(m.Groups["value"].Value, CultureInfo.InvariantCulture)));
        Assert.Equal(12, sosElements.Count());
        Assert.Equal(sosElements, grid.Elements.Select(e => (e.Indices[0], e.Indices[1], (int)e.Value!)));
    }

    [GeneratedRegex(@"^\[(?<i>\d+)\]\[(?<j>\d+)\] [0-9a-f]+\s*$(?:(?!^\[).)*?instance +(?<value>-?\d+) +m_value", RegexOptions.Multiline | RegexOptions.Singleline)]
    private static partial Regex SosGridElement();
}
