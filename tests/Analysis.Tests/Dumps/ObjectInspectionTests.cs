using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.RegularExpressions;
using Analysis.Dumps;
using Analysis.Testing;
using Microsoft.Diagnostics.Runtime;
using Xunit;

namespace Analysis.Tests.Dumps;

/// <summary>
/// Issue 14: one object read field by field (Get-DumpObject) and collections read entry by entry (Get-DumpCollection)
/// on the facts dump, against the values the target wrote (TargetFacts, Inspect.cs) and SOS's own output.
/// </summary>
public sealed partial class ObjectInspectionTests
{
    private static string Dump => DumpSet.Facts[CapturedDump.CreateDumpWithHeap];

    /// <summary>The object a static field of Contoso.Inspect.Inspectables holds, found by ClrMD (not by the code under test).</summary>
    internal static ulong StaticAddress(DumpSession session, string field, string typeName = TargetFacts.InspectablesType)
    {
        var runtime = session.GetClrRuntime();
        var type = runtime.EnumerateModules().Select(m => m.GetTypeByName(typeName)).First(t => t is not null)!;
        var value = type.GetStaticFieldByName(field)!.ReadObject(runtime.AppDomains[0]);
        Assert.True(value.IsValid && !value.IsNull, field);
        return value.Address;
    }

    private static DumpField F(DumpObject o, string name) => o.Field(name) ?? throw new Xunit.Sdk.XunitException($"no field {name} in {o}");

    [Fact]
    public void InspectedOrder_EveryField_HasTheValueTheTargetWrote()
    {
        using var session = DumpSession.Open(Dump);
        ulong address = StaticAddress(session, "Order");
        var order = session.InspectObject(address);

        Assert.Equal(TargetFacts.InspectedOrderType, order.TypeName);
        Assert.Equal(address, order.Address);
        Assert.False(order.IsArray);
        Assert.Equal(31, order.Fields.Count);
        Assert.Equal(TargetFacts.InspectedOrderId, F(order, "Id").Value);
        Assert.Equal(TargetFacts.InspectedTotal, F(order, "Total").Value);
        Assert.Equal(true, F(order, "Express").Value);
        Assert.Equal('B', F(order, "Grade").Value);
        Assert.Equal(12.5, F(order, "Weight").Value);
        Assert.Equal(0.25f, F(order, "Ratio").Value);
        Assert.Equal((byte)7, F(order, "Priority").Value);
        Assert.Equal((sbyte)-3, F(order, "Delta").Value);
        Assert.Equal((ushort)65_000, F(order, "Boxes").Value);
        Assert.Equal(0xDEADBEEF, F(order, "Flags").Value);
        Assert.Equal(18_000_000_000_000_000_000UL, F(order, "Serial").Value);
        Assert.Equal(19.99m, F(order, "Tax").Value);
        Assert.Equal(new Guid("0f8fad5b-d9cb-469f-a165-70867728950e"), F(order, "Reference").Value);
        Assert.Equal(new DateTime(2026, 11, 28, 13, 45, 30, DateTimeKind.Utc), F(order, "Placed").Value);
        Assert.Equal(DateTimeKind.Utc, ((DateTime)F(order, "Placed").Value!).Kind);
        Assert.Equal(TimeSpan.FromSeconds(90), F(order, "Timeout").Value);
        Assert.Equal(0x1234L, F(order, "Handle").Value);
        Assert.All(new[] { "Id", "Total", "Tax", "Reference", "Placed", "Timeout", "Handle" }, n => Assert.Equal(DumpValueKind.Primitive, F(order, n).Kind));

        var customer = F(order, "Customer");
        Assert.Equal((DumpValueKind.String, TargetFacts.InspectedCustomer, TargetFacts.InspectedCustomer.Length, false), (customer.Kind, customer.Value, customer.Length, customer.IsTruncated));
        Assert.NotEqual(0UL, customer.Address);
        Assert.Equal(TargetFacts.InspectedCity, F(order, "City").Value);
        Assert.Equal(DumpValueKind.Null, F(order, "Missing").Kind);
        Assert.Null(F(order, "Missing").Value);
        Assert.Equal((DumpValueKind.Enum, TargetFacts.InspectedStatus, "Contoso.Inspect.OrderStatus"), (F(order, "Status").Kind, F(order, "Status").Value, F(order, "Status").TypeName));
        Assert.Equal((DumpValueKind.Enum, TargetFacts.InspectedChannels), (F(order, "Channels").Kind, F(order, "Channels").Value));

        var price = F(order, "Price");
        Assert.Equal(DumpValueKind.Struct, price.Kind);
        Assert.Equal(["Cents", "Currency"], price.Fields.Select(f => f.Name));
        Assert.Equal(TargetFacts.InspectedPriceCents, price.Fields[0].Value);
        Assert.Equal(TargetFacts.InspectedPriceCurrency, price.Fields[1].Value);
        Assert.Equal([8, 0], price.Fields.Select(f => f.Offset)); // the runtime lays references first
        var where = F(order, "Where");
        Assert.Equal([47.3769, 8.5417], where.Fields.Select(f => (double)f.Value!));

        var label = F(order, "Label");
        Assert.Equal((DumpValueKind.Reference, TargetFacts.ShippingLabelType), (label.Kind, label.ObjectTypeName));
        Assert.Null(label.Target); // depth 0 follows nothing
        Assert.Equal((DumpValueKind.Reference, "System.Int32[]", 8), (F(order, "Quantities").Kind, F(order, "Quantities").ObjectTypeName, F(order, "Quantities").Length));
        Assert.Equal((DumpValueKind.Boxed, 42, "System.Object", "System.Int32"), (F(order, "Boxed").Kind, F(order, "Boxed").Value, F(order, "Boxed").TypeName, F(order, "Boxed").ObjectTypeName));

        var note = F(order, "LongNote");
        Assert.Equal((DumpValueKind.String, TargetFacts.InspectedLongNoteLength, true), (note.Kind, note.Length, note.IsTruncated));
        Assert.Equal(new string('x', ObjectInspector.MaxStringChars), note.Value);
        Assert.Equal((DumpValueKind.Reference, TargetFacts.InspectedOrderType), (F(order, "Next").Kind, F(order, "Next").ObjectTypeName));
        Assert.Empty(order.Warnings);

        // one line, readable
        string line = order.ToString();
        Assert.StartsWith(string.Create(CultureInfo.InvariantCulture, $"{TargetFacts.InspectedOrderType} @ 0x{address:x} ({order.Size:N0} B) "), line);
        Assert.True(line.Length <= 205, line);
        Assert.Contains("Id=4242 Total=123456789012 Express=True Grade='B' Weight=12.5", line);
    }

    [Fact]
    public void InspectedOrder_FieldNamesOffsetsAndTypes_EqualSosDumpclass()
    {
        using var session = DumpSession.Open(Dump);
        var order = session.InspectObject(StaticAddress(session, "Order"));
        Assert.Equal(248, order.Size); // SOS dumpheap: 248
        string sos = Sos.Run(Dump, string.Create(CultureInfo.InvariantCulture, $"dumpclass {order.MethodTable:x}"));

        // "00007f9dc80674e8 04000051       80         System.Int32  Yes instance                  Id"
        var rows = SosFieldRow().Matches(sos).Select(m => (Type: m.Groups["type"].Value, Offset: int.Parse(m.Groups["offset"].Value, NumberStyles.HexNumber, CultureInfo.InvariantCulture), Name: m.Groups["name"].Value)).ToList();
        Assert.Equal(31, rows.Count);
        Assert.Equal(rows.Select(r => r.Name).Order(StringComparer.Ordinal), order.Fields.Select(f => f.Name).Order(StringComparer.Ordinal));
        foreach (var (type, offset, name) in rows)
        {
            var field = F(order, name);
            Assert.Equal((name, offset), (field.Name, field.Offset));
            // SOS names an enum field by its underlying type and cuts long names to "...": compare the readable part
            string expected = field.Kind == DumpValueKind.Enum ? (name == "Status" ? "System.Int16" : "System.Int32") : field.TypeName;
            Assert.True(type.StartsWith("...", StringComparison.Ordinal) ? expected.EndsWith(type[3..], StringComparison.Ordinal) : expected == type, $"{name}: SOS {type}, ours {field.TypeName}");
        }

        // the structs inline, as SOS dumpvc reads them at the field's address (its method table from dumpclass)
        string Mt(string field) => Regex.Match(sos, @"^(?<mt>[0-9a-f]{16}) [0-9a-f]{8} .* " + field + @"\s*$", RegexOptions.Multiline).Groups["mt"].Value;
        string Vc(string field) => Sos.Run(Dump, string.Create(CultureInfo.InvariantCulture, $"dumpvc {Mt(field)} {order.Address + (ulong)F(order, field).Offset:x}"));
        var price = F(order, "Price");
        var priceRows = SosFieldRow().Matches(Vc("Price")).ToDictionary(m => m.Groups["name"].Value, m => m.Groups["value"].Value);
        Assert.Equal(price.Fields.Single(f => f.Name == "Cents").Value!.ToString(), priceRows["Cents"]);
        Assert.Equal(price.Fields.Single(f => f.Name == "Currency").Address.ToString("x16", CultureInfo.InvariantCulture), priceRows["Currency"]);
        var tax = SosFieldRow().Matches(Vc("Tax")).ToDictionary(m => m.Groups["name"].Value, m => long.Parse(m.Groups["value"].Value, CultureInfo.InvariantCulture));
        int[] bits = decimal.GetBits((decimal)F(order, "Tax").Value!);
        Assert.Equal((bits[3], (long)(uint)bits[2], ((long)(uint)bits[1] << 32) | (uint)bits[0]), ((int)tax["_flags"], tax["_hi32"], tax["_lo64"]));
    }

    [GeneratedRegex(@"^[0-9a-f]{16} [0-9a-f]{8} +(?<offset>[0-9a-f]+) +(?<type>\S+) +(Yes|No) +instance +(?<value>\S+)? +(?<name>\S+)\s*$", RegexOptions.Multiline)]
    private static partial Regex SosFieldRow();

    [Fact]
    public void Arrays_ElementsEqualTheFacts_AndSosDumparray()
    {
        using var session = DumpSession.Open(Dump);
        var order = session.InspectObject(StaticAddress(session, "Order"));

        var quantities = session.InspectObject(F(order, "Quantities").Address);
        Assert.True(quantities.IsArray);
        Assert.Equal(("System.Int32[]", "System.Int32", 8), (quantities.TypeName, quantities.ElementTypeName, quantities.Length));
        Assert.Equal(TargetFacts.InspectedQuantities, quantities.Elements.Select(e => (int)e.Value!));
        Assert.Equal(Enumerable.Range(0, 8), quantities.Elements.Select(e => e.Index));

        // SOS dumparray -details: "Size: 56(0x38) bytes", then per element "[0] <address>" and its m_value
        string sos = Sos.Run(Dump, string.Create(CultureInfo.InvariantCulture, $"dumparray -details 0x{quantities.Address:x}"));
        Assert.Contains(string.Create(CultureInfo.InvariantCulture, $"Size:        {quantities.Size}(0x{quantities.Size:x}) bytes"), sos);
        Assert.Contains("Number of elements 8, Type Int32", sos);
        Assert.Equal(quantities.Elements.Select(e => (int)e.Value!), SosMValue().Matches(sos).Select(m => int.Parse(m.Groups["value"].Value, CultureInfo.InvariantCulture)));

        var payload = session.InspectObject(F(order, "Payload").Address);
        Assert.Equal("CA FE BA BE 00 01", payload.Value);
        Assert.False(payload.IsTruncated);
        Assert.Equal(TargetFacts.InspectedPayload, payload.Elements.Select(e => (byte)e.Value!));

        var tags = session.InspectObject(F(order, "Tags").Address);
        Assert.Equal(TargetFacts.InspectedTags, tags.Elements.Select(e => (string)e.Value!));
        string sosTags = Sos.Run(Dump, string.Create(CultureInfo.InvariantCulture, $"dumparray 0x{tags.Address:x}"));
        var sosAddresses = SosElement().Matches(sosTags).Select(m => ulong.Parse(m.Groups["address"].Value, NumberStyles.HexNumber, CultureInfo.InvariantCulture));
        Assert.Equal(sosAddresses, tags.Elements.Select(e => e.Address));

        var history = session.InspectObject(F(order, "History").Address);
        Assert.Equal([(100L, "USD"), (250L, "CHF")], history.Elements.Select(e => ((long)e.Fields[0].Value!, (string)e.Fields[1].Value!)));

        // a window of the elements
        var window = session.InspectObject(quantities.Address, skip: 2, first: 3);
        Assert.Equal([4, 1, 5], window.Elements.Select(e => (int)e.Value!));
        Assert.Equal([2, 3, 4], window.Elements.Select(e => e.Index));
        Assert.Equal(2, window.FirstIndex);
        Assert.Contains(window.Warnings, w => w.Contains("Elements 2 to 4 of 8", StringComparison.Ordinal));
        var past = session.InspectObject(quantities.Address, skip: 8);
        Assert.Empty(past.Elements);
        Assert.Contains(past.Warnings, w => w.Contains("past the last of the 8", StringComparison.Ordinal));
        Assert.Empty(session.InspectObject(quantities.Address, first: 0).Elements);
        Assert.Empty(quantities.Warnings);
    }

    [GeneratedRegex(@"^\[(?<index>\d+)\] (?<address>[0-9a-f]+)\s*$", RegexOptions.Multiline)]
    private static partial Regex SosElement();

    [GeneratedRegex(@"instance +(?<value>-?\d+) +m_value")]
    private static partial Regex SosMValue();

    [Fact]
    public void StringsAndBoxes_ReadAsObjects_HaveTheirValue()
    {
        using var session = DumpSession.Open(Dump);
        var order = session.InspectObject(StaticAddress(session, "Order"));

        var city = session.InspectObject(F(order, "City").Address);
        Assert.Equal(("System.String", TargetFacts.InspectedCity, TargetFacts.InspectedCity.Length), (city.TypeName, city.Value, city.Length));
        var note = session.InspectObject(F(order, "LongNote").Address);
        Assert.Equal((TargetFacts.InspectedLongNoteLength, true, ObjectInspector.MaxStringChars), (note.Length, note.IsTruncated, ((string)note.Value!).Length));
        Assert.Contains("(10,000 chars)", note.ToString());
        var boxed = session.InspectObject(F(order, "Boxed").Address);
        Assert.Equal(("System.Int32", 42), (boxed.TypeName, boxed.Value));
        Assert.Equal(42, Assert.Single(boxed.Fields).Value); // m_value
    }

    [Fact]
    public void Depth_FollowsReferences_EachObjectOnce()
    {
        using var session = DumpSession.Open(Dump);
        ulong address = StaticAddress(session, "Order");

        var order = session.InspectObject(address, depth: 1);
        var label = F(order, "Label").Target!;
        Assert.Equal(TargetFacts.ShippingLabelType, label.TypeName);
        Assert.Equal(("Contoso Post", 3), ((string)F(label, "Carrier").Value!, (int)F(label, "Parcels").Value!));
        var next = F(order, "Next").Target!;
        Assert.Equal((TargetFacts.InspectedNextId, TargetFacts.InspectedNextCustomer), ((int)F(next, "Id").Value!, (string)F(next, "Customer").Value!));
        Assert.Null(F(next, "Label").Target); // depth 1: the next order's references are not followed
        Assert.Equal(TargetFacts.InspectedQuantities, F(order, "Quantities").Target!.Elements.Select(e => (int)e.Value!));

        var deep = session.InspectObject(address, depth: ObjectInspector.MaxDepth);
        Assert.NotNull(F(F(deep, "Next").Target!, "Label").Target);
        var seen = new List<ulong> { deep.Address };
        Collect(deep, seen);
        Assert.Equal(seen.Count, seen.Distinct().Count()); // no object read twice
    }

    private static void Collect(DumpObject o, List<ulong> seen)
    {
        foreach (var v in o.Fields.Cast<DumpValue>().Concat(o.Elements).SelectMany(Flatten))
        {
            if (v.Target is { } t)
            {
                seen.Add(t.Address);
                Collect(t, seen);
            }
        }
    }

    private static IEnumerable<DumpValue> Flatten(DumpValue v) => v.Fields.SelectMany(Flatten).Prepend(v);

    [Fact]
    public void BadAddresses_AreOneAnalysisExceptionEach_SayingWhatIsThere()
    {
        using var session = DumpSession.Open(Dump);
        ulong order = StaticAddress(session, "Order");
        ulong free = session.GetClrRuntime().Heap.EnumerateObjects().First(o => o.IsFree).Address;

        var zero = Assert.Throws<AnalysisException>(() => session.InspectObject(0));
        Assert.Equal(AnalysisErrorKind.NotAnObject, zero.Kind);
        var offHeap = Assert.Throws<AnalysisException>(() => session.InspectObject(0x1000));
        Assert.Equal(AnalysisErrorKind.NotAnObject, offHeap.Kind);
        Assert.Contains("not on the GC heap", offHeap.Message);
        var inside = Assert.Throws<AnalysisException>(() => session.InspectObject(order + 16));
        Assert.Equal(AnalysisErrorKind.NotAnObject, inside.Kind);
        Assert.Contains(string.Create(CultureInfo.InvariantCulture, $"16 bytes into the {TargetFacts.InspectedOrderType} at 0x{order:x}"), inside.Message);
        var gap = Assert.Throws<AnalysisException>(() => session.InspectObject(free));
        Assert.Contains("free space", gap.Message);
        var notCollection = Assert.Throws<AnalysisException>(() => session.InspectCollection(order));
        Assert.Equal(AnalysisErrorKind.NotAnObject, notCollection.Kind);
        Assert.Contains("not a collection", notCollection.Message);
        Assert.Equal(AnalysisErrorKind.NotAnObject, Assert.Throws<AnalysisException>(() => session.InspectCollection(order + 8)).Kind);
        // the session still answers
        Assert.Equal(TargetFacts.InspectedOrderId, F(session.InspectObject(order), "Id").Value);
    }

    [Fact]
    public void NoHeapDump_IsNoHeap()
    {
        using var session = DumpSession.Open(DumpSet.FactsLite[CapturedDump.ClientMini]);
        Assert.Equal(AnalysisErrorKind.NoHeap, Assert.Throws<AnalysisException>(() => session.InspectObject(0x1000)).Kind);
    }

    private static readonly JsonSerializerOptions Json = new() { Converters = { new JsonStringEnumConverter() } };

    [Fact]
    public void WorkerAndInProcess_GiveTheSameAnswers()
    {
        using var worker = DumpSession.Open(Dump, new DumpOpenOptions { NoCache = true, Isolation = EngineIsolation.Worker });
        using var local = DumpSession.Open(Dump, new DumpOpenOptions { NoCache = true, Isolation = EngineIsolation.InProcess });
        foreach (string field in new[] { "Order", "Names", "Stock", "Primes", "Lookup", "Pending", "Ring", "Undo", "Labels" })
        {
            ulong address = StaticAddress(local, field);
            var a = worker.InspectObject(address, depth: 3);
            var b = local.InspectObject(address, depth: 3);
            Assert.Equal(JsonSerializer.Serialize(b, Json), JsonSerializer.Serialize(a, Json));
            Assert.Equal(b.ToString(), a.ToString());
            // the values keep their .NET types through the worker
            Assert.Equal(Types(b), Types(a));
            if (field != "Order")
                Assert.Equal(JsonSerializer.Serialize(local.InspectCollection(address, depth: 1), Json), JsonSerializer.Serialize(worker.InspectCollection(address, depth: 1), Json));
        }
    }

    private static string Types(DumpObject o) =>
        string.Join(",", o.Fields.Cast<DumpValue>().Concat(o.Elements).SelectMany(Flatten).Select(v => v.Value?.GetType().Name ?? "-")) + "|" + o.Value?.GetType().Name;

    [Fact]
    public void AwkwardString_ControlCharactersAndALoneSurrogate_ReadSafely_AndShowEscaped()
    {
        using var worker = DumpSession.Open(Dump);
        using var local = DumpSession.Open(Dump, new DumpOpenOptions { NoCache = true, Isolation = EngineIsolation.InProcess });
        ulong address = StaticAddress(local, "Text", TargetFacts.InspectAwkwardType);
        foreach (var session in new[] { worker, local })
        {
            var text = session.InspectObject(address);
            // the value keeps the control characters; the lone surrogate becomes U+FFFD (strict UTF-8 writers take it)
            Assert.Equal(TargetFacts.InspectAwkwardText.Replace("\ud800", "\ufffd", StringComparison.Ordinal), text.Value);
            Assert.Equal(TargetFacts.InspectAwkwardText.Length, text.Length);
            Assert.Equal("System.String @ 0x" + address.ToString("x", CultureInfo.InvariantCulture) + $" ({text.Size:N0} B) \"tab\\there\\nbell\\u0007 esc\\u001b[31m lone\ufffd end\"", text.ToString());
            Assert.DoesNotContain(text.ToString(), c => char.IsControl(c));
        }
    }

    [Fact]
    public void DisplayText_EscapesControlCharactersAndLoneSurrogates()
    {
        Assert.Equal("a\\nb\\tc\\u001b[31m\\0", DisplayText.Escape("a\nb\tc\u001b[31m\0"));
        Assert.Equal("x\\ud800y", DisplayText.Escape("x\ud800y"));
        Assert.Equal("Zürich ✓ 😀", DisplayText.Escape("Zürich ✓ 😀"));
        Assert.Equal("\"ab…\" (5 chars)", DisplayText.Quote("abcde", false, 5, 2));
        Assert.Equal("'\\n'", DisplayText.Scalar('\n'));
        var v = new DumpValue { Kind = DumpValueKind.String, Value = "line1\r\nline2\u0007", Length = 13 };
        Assert.Equal("\"line1\\r\\nline2\\u0007\"", v.ToString());
    }
}
