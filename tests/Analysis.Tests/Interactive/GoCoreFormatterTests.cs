using System.Globalization;
using System.Text.RegularExpressions;
using Analysis.Go;
using Analysis.Interactive;
using Analysis.Testing;
using Microsoft.DotNet.Interactive.Formatting;
using Xunit;

namespace Analysis.Tests.Interactive;

/// <summary>The Go core results in a notebook: the extension draws them with their catalog views as HTML.</summary>
public partial class GoCoreFormatterTests
{
    [SkippableFact]
    public void GoCoreResults_AreHtmlTablesOfTheirCatalogViews_TheFaultAsTheTracebackTellsIt()
    {
        Skip.If(GoCoreSet.Missing is not null, $"Skipped: {GoCoreSet.Missing}");
        var segv = GoCoreSet.Instance["go1.23", GoCoreMode.Segv];
        AnalysisFormatters.Load();
        using var core = GoCore.Open(segv.CorePath, segv.Executable);
        var signal = SignalLine().Match(segv.Traceback.SignalLine ?? "");
        Assert.True(signal.Success, $"the segv traceback's signal line: {segv.Traceback.SignalLine}");

        // the process: a list view, one row per item
        string info = Formatter.ToDisplayString(core.Info, "text/html");
        Assert.Contains($"<th style=\"text-align:left\">Fault</th><td>SIGSEGV at {signal.Groups["addr"].Value} (pc {signal.Groups["pc"].Value})</td>", info, StringComparison.Ordinal);
        Assert.Contains(string.Create(CultureInfo.InvariantCulture, $"<th style=\"text-align:left\">Goroutines</th><td>{segv.Traceback.Goroutines.Count(g => g.Id != 0):N0}</td>"), info, StringComparison.Ordinal);

        // its threads: a table; its memory state: a list; the session: a table
        string threads = Formatter.ToDisplayString(core.Info.Threads, "text/html");
        Assert.StartsWith("<table class=\"analysis\"><thead><tr><th>Id</th><th>M</th><th>Goroutine</th><th>Pc</th><th>Function</th></tr></thead>", threads, StringComparison.Ordinal);
        Assert.Equal(core.Info.Threads.Count, Regex.Matches(threads, "<tr><td").Count);
        Assert.Contains("<th style=\"text-align:left\">HeapLive</th>", Formatter.ToDisplayString(core.Info.Memory!, "text/html"), StringComparison.Ordinal);
        Assert.Contains("<th>Goroutines</th>", Formatter.ToDisplayString(new[] { core }, "text/html"), StringComparison.Ordinal);

        // its goroutines: the goroutine table with the thread that ran each (a column of HTML only)
        string goroutines = Formatter.ToDisplayString(core.Goroutines.Goroutines, "text/html");
        Assert.Contains("<th>Thread</th>", goroutines, StringComparison.Ordinal);
        var crashing = core.Goroutines.Goroutines.First(g => g.Id == core.Info.CrashingGoroutine);
        Assert.True(crashing.ThreadId > 0, "the crashing goroutine has no thread");
        Assert.Contains($"<td style=\"text-align:right\">{crashing.ThreadId}</td>", goroutines, StringComparison.Ordinal);
    }

    [GeneratedRegex(@"^\[signal SIGSEGV: [^\]]*addr=(?<addr>0x[0-9a-f]+) pc=(?<pc>0x[0-9a-f]+)\]")]
    private static partial Regex SignalLine();
}
