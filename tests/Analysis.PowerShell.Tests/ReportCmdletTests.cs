using Analysis.Testing;
using Xunit;

namespace Analysis.PowerShell.Tests;

public class ReportCmdletTests
{
    private static string Go(string name) => Path.Combine(RepoPaths.Root, "tests", "testdata", "go", name);

    [Fact]
    public void ExportIncidentReport_WritesAPageWithTheFindings()
    {
        string outFile = Path.Combine(RepoPaths.NewScratchDirectory("analysis-report"), "report.html");
        using var host = new PwshHost();
        try
        {
            var r = host.Run("(Open-Dump $d | Export-IncidentReport $o -GoroutineDump $g -BaseHeapProfile $h1 -HeapProfile $h2 -Title 'INC-1').FullName",
                new Dictionary<string, object?>
                {
                    ["d"] = DumpSet.FactsLite[CapturedDump.ClientWithHeap], ["o"] = outFile, ["g"] = Go("goroutines-debug2.txt"),
                    ["h1"] = Go("heap-1.pb.gz"), ["h2"] = Go("heap-2.pb.gz"),
                });
            Assert.Empty(r.Errors);
            Assert.Equal(outFile, Assert.Single(r.Strings));
            string html = File.ReadAllText(outFile);
            Assert.Contains("<title>INC-1</title>", html);
            Assert.Contains("Deadlock: 3 threads (worker-a, worker-b, worker-c) wait for each other", html);
            Assert.Contains("Thread-pool starvation: ", html);
            Assert.Contains("Goroutine leak suspect: 100 goroutines blocked on chan receive", html);
            Assert.Contains("Heap growth between the profiles: contoso.example/leaky/orders.remember", html);
        }
        finally
        {
            File.Delete(outFile);
        }
    }

    [Fact]
    public void ExportIncidentReport_WithoutArtifacts_OrWithABadOne_WritesErrors()
    {
        using var host = new PwshHost();
        var none = host.Run("Export-IncidentReport ./x.html; 'still running'");
        Assert.Equal("NothingToReport,Analysis.PowerShell.Commands.ExportIncidentReportCommand", Assert.Single(none.Errors).FullyQualifiedErrorId);
        Assert.Equal("still running", Assert.Single(none.Strings));

        var bad = host.Run("Export-IncidentReport $o -HeapProfile $p", new Dictionary<string, object?> { ["o"] = Path.Combine(RepoPaths.NewScratchDirectory("analysis-report"), "never.html"), ["p"] = Go("goroutines-debug1.txt") });
        Assert.Equal("NotAProfile,Analysis.PowerShell.Commands.ExportIncidentReportCommand", Assert.Single(bad.Errors).FullyQualifiedErrorId);
    }
}
