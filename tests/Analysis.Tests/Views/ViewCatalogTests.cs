using System.Text.RegularExpressions;
using Analysis.Dumps;
using Analysis.Go;
using Analysis.Notebooks;
using Analysis.Reporting;
using Analysis.Stacks;
using Analysis.Traces;
using Analysis.Views;
using Xunit;

namespace Analysis.Tests.Views;

/// <summary>The view catalog and the one HTML escape and table every surface draws with.</summary>
public class ViewCatalogTests
{
    [Theory]
    [InlineData("", "")]
    [InlineData("plain text, ünïcode → 5", "plain text, ünïcode → 5")]
    [InlineData("<script>alert(1)</script>", "&lt;script&gt;alert(1)&lt;/script&gt;")]
    [InlineData("a & b && c", "a &amp; b &amp;&amp; c")]
    [InlineData("List<Task<int>>", "List&lt;Task&lt;int&gt;&gt;")]
    [InlineData("\"quoted\" and 'single'", "&quot;quoted&quot; and &#39;single&#39;")]
    [InlineData("&amp; stays text", "&amp;amp; stays text")]
    public void Escape_ReplacesTheCharactersThatEndTextOrAnAttribute_AndNothingElse(string text, string expected)
    {
        Assert.Equal(expected, Html.Escape(text));
    }

    [Fact]
    public void Escape_OfNull_IsEmpty_AndTextWithoutSpecialCharacters_IsTheSameString()
    {
        Assert.Equal("", Html.Escape(null));
        string text = "Contoso.Orders.LeakedOrder";
        Assert.Same(text, Html.Escape(text));
    }

    [Fact]
    public void Table_EscapesHeadersCellsAndTooltips_AlignsNumbers_CutsLongCells_AndCountsRowsLeftOut()
    {
        string longText = "x<" + new string('y', Html.MaxCellLength);
        string html = Html.Table(["a<b", "n"], [[new HtmlCell("<i>"), new HtmlCell("1", AlignRight: true)], [new HtmlCell(longText), new HtmlCell("line 1\nline 2")]], totalRows: 5);
        Assert.Equal(
            "<table class=\"analysis\"><thead><tr><th>a&lt;b</th><th>n</th></tr></thead><tbody>"
            + "<tr><td>&lt;i&gt;</td><td style=\"text-align:right\">1</td></tr>\n"
            + $"<tr><td title=\"{Html.Escape(longText)}\">{Html.Escape(longText[..Html.MaxCellLength])}…</td><td>line 1<br>line 2</td></tr>\n"
            + "</tbody></table><p><em>3 more rows not shown.</em></p>",
            html);
    }

    [Fact]
    public void Catalog_HasAViewOfEveryResultType_WithOneWordHeaders_UniqueInTheView()
    {
        // NotebookRunResult's view comes from its own library, registered when that library runs
        Assert.NotNull(ViewCatalog.Find(typeof(NotebookRunResult)));
        Assert.All(ViewCatalog.Views, v =>
        {
            Assert.NotEmpty(v.TerminalColumns);
            Assert.All(v.Columns, c => Assert.Matches(@"^\S+$", c.Header));
            Assert.Equal(v.Columns.Count, v.Columns.Select(c => c.Header).Distinct(StringComparer.Ordinal).Count());
        });
        Assert.Null(ViewCatalog.Find(typeof(DeadlockCycle)));
        Assert.Equal(ViewCatalog.Views.Count, ViewCatalog.Views.Select(v => v.Type).Distinct().Count());
    }

    [Fact]
    public void View_NamingAPropertyTheTypeDoesNotHave_FailsAtDefinition()
    {
        var e = Assert.Throws<ArgumentException>(() => new View(typeof(HeapTypeStat), ViewKind.Table, [ViewColumn.Of("TopFrame.Function")]));
        Assert.Contains("HeapTypeStat has no public property 'TopFrame'", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ColumnsUnderAnother_AreLinesOfThatCellInATerminal_AndColumnsOfTheirOwnInHtml()
    {
        var group = new StuckAwaitGroup
        {
            Method = "Contoso.Async.PaymentClient.WaitForConfirmationAsync",
            Count = 7,
            Awaiting = "Task<Boolean> (not completed)",
            AwaitedBy = ["Contoso.Async.CheckoutFlow.RunAsync"],
            BlockedThreads = [new SyncOverAsyncWait(16, "sync", "Contoso.Legacy.Get()", "TaskAwaiter.GetResult", 0x10, "task")],
        };
        var view = ViewCatalog.For(typeof(StuckAwaitGroup));
        Assert.Equal(["Count", "Chain"], view.TerminalColumns.Select(c => c.Header));
        Assert.Equal(
            "Contoso.Async.PaymentClient.WaitForConfirmationAsync ← Contoso.Async.CheckoutFlow.RunAsync\n"
            + "  awaits Task<Boolean> (not completed)\n"
            + "  blocks 'sync' (thread 16) in Contoso.Legacy.Get()",
            ViewCatalog.Cell(group, "Chain"));

        string html = Html.Table(view, [group]);
        Assert.StartsWith("<table class=\"analysis\"><thead><tr><th>Count</th><th>Chain</th><th>Awaiting</th><th>Blocks</th></tr></thead>", html, StringComparison.Ordinal);
        Assert.Contains("<td>Contoso.Async.PaymentClient.WaitForConfirmationAsync ← Contoso.Async.CheckoutFlow.RunAsync</td><td>Task&lt;Boolean&gt; (not completed)</td>", html, StringComparison.Ordinal);
    }

    [Fact]
    public void WideColumns_AreInHtmlOnly_AndAGroupByPropertyLeadsTheHtmlTable()
    {
        var diff = ViewCatalog.For(typeof(HeapTypeDiff));
        Assert.Equal(["CountDelta", "SizeDelta", "Count", "TypeName"], diff.TerminalColumns.Select(c => c.Header));
        string html = Display.Table([new HeapTypeDiff("T", 12, 480, 2, 80)]);
        Assert.StartsWith("<table class=\"analysis\"><thead><tr><th>CountDelta</th><th>SizeDelta</th><th>Count</th><th>TotalSize</th><th>BaselineCount</th><th>BaselineSize</th><th>TypeName</th>", html, StringComparison.Ordinal);
        Assert.Contains("<td style=\"text-align:right\">+10</td><td style=\"text-align:right\">+400</td><td style=\"text-align:right\">12</td>", html, StringComparison.Ordinal);

        var peek = new PprofPeekRow("contoso.example/leaky/orders.remember", "callers", "main.main", 2048, 50.0, "bytes");
        string peekHtml = Display.Table([peek]);
        Assert.StartsWith("<table class=\"analysis\"><thead><tr><th>Function</th><th>Value</th><th>Percent</th><th>Relation</th><th>Other</th></tr></thead>", peekHtml, StringComparison.Ordinal);
        Assert.Contains("<td>contoso.example/leaky/orders.remember</td><td style=\"text-align:right\">2.0 KB</td><td style=\"text-align:right\">50.00</td>", peekHtml, StringComparison.Ordinal);
    }

    [Fact]
    public void TypesWithoutAView_ShowTheirScalarProperties_NumbersGroupedAndRight_CollectionsAsCounts()
    {
        var view = ViewCatalog.For(typeof(DeadlockCycle));
        Assert.Same(view, ViewCatalog.AllProperties(typeof(DeadlockCycle)));
        string html = Display.Table([new TypeCount("Contoso.Orders.LeakedOrder", 12345)]);
        Assert.Equal("<table class=\"analysis\"><thead><tr><th>TypeName</th><th>Count</th></tr></thead><tbody><tr><td>Contoso.Orders.LeakedOrder</td><td style=\"text-align:right\">12,345</td></tr>\n</tbody></table>", html);
    }

    [Fact]
    public void ListViews_ShowTheirItemsForOneObject()
    {
        var pool = new ThreadPoolReport { MinWorkers = 2, MaxWorkers = 4, ActiveWorkers = 4, BusyWorkers = [] };
        string html = Display.Format(pool)["text/html"];
        var names = Regex.Matches(html, "<th style=\"text-align:left\">([^<]+)</th>").Select(m => m.Groups[1].Value);
        Assert.Equal(ViewCatalog.For(typeof(ThreadPoolReport)).Columns.Select(c => c.Header), names);
        Assert.Contains("<th style=\"text-align:left\">MaxWorkers</th><td>4</td>", html, StringComparison.Ordinal);
    }
}
