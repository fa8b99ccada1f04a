using System.Globalization;
using System.Text.RegularExpressions;
using Analysis.Dumps;
using Analysis.Findings;
using Analysis.Stacks;
using Analysis.Testing;
using Xunit;

namespace Analysis.Tests.Dumps;

/// <summary>
/// The crash reason of a dump the runtime wrote itself on an unhandled exception (DumpTarget crash mode), with the
/// createdump crash report beside it; compared with SOS (<c>clrthreads</c>' exception column, <c>pe -lines</c>:
/// SOS's <c>crashinfo</c> says "No crash info to display" on this dump).
/// </summary>
public sealed partial class CrashTests
{
    private static CrashDump Crash => CrashDump.Shared;

    [Fact]
    public void CrashReport_BesideTheDump_NamesTheCrashedThreadTheExceptionAndItsFrames()
    {
        var report = CrashReport.TryRead(Crash.Dump, out string? problem);

        Assert.Null(problem);
        Assert.NotNull(report);
        Assert.Equal(TargetFacts.CrashExceptionType, report.ExceptionType);
        Assert.Equal(unchecked((int)0x80131500), report.ExceptionHResult); // COR_E_EXCEPTION: a plain Exception subclass
        using var session = DumpSession.Open(Crash.Dump);
        var worker = Assert.Single(session.GetThreads(), t => t.Name == TargetFacts.CrashThreadName);
        Assert.Equal(worker.OSThreadId, report.CrashedThreadId);
        Assert.Equal(worker.Exception!.Address, report.ExceptionAddress);
        var managed = report.Frames.Where(f => f.IsManaged).Select(f => f.Function).ToArray();
        Assert.Equal([TargetFacts.CrashThrowingMethod + "(Int32)", TargetFacts.CrashCallerMethod + "(Int32)", "DumpTarget.Crash.ProcessRefunds()"], managed.Take(3));
        Assert.Equal("Contoso.Async.dll", report.Frames.First(f => f.IsManaged).Module);
    }

    [Fact]
    public void Triage_OfTheCrashDump_LeadsWithTheUnhandledException_AsSosClrThreadsShowsIt()
    {
        using var session = DumpSession.Open(Crash.Dump);
        var findings = DumpTriage.Run(session);
        var worker = Assert.Single(session.GetThreads(), t => t.Name == TargetFacts.CrashThreadName);

        var crash = findings[0];
        Assert.Equal(FindingSeverity.Critical, crash.Severity);
        Assert.Equal("crash", crash.Kind);
        Assert.Contains(TargetFacts.CrashExceptionType, crash.Summary);
        Assert.Contains(TargetFacts.CrashMessage, crash.Summary);
        Assert.Contains($"'{TargetFacts.CrashThreadName}'", crash.Summary);
        Assert.Contains($"{TargetFacts.CrashThrowingMethod} ({TargetFacts.CrashThrowingFile}:", crash.Summary);
        Assert.Equal([worker.ManagedThreadId], crash.ThreadIds);
        Assert.Equal(TargetFacts.CrashExceptionType, crash.Subject);
        Assert.Contains(crash.Evidence, e => e.StartsWith("crash report crash.dmp.crashreport.json: " + TargetFacts.CrashExceptionType, StringComparison.Ordinal));
        Assert.Contains(crash.Evidence, e => e.StartsWith($"at {TargetFacts.CrashCallerMethod} (Crash.cs:", StringComparison.Ordinal));
        // the crashing thread's exception is told once, as the crash
        Assert.DoesNotContain(findings, f => f.Kind == "exception in flight" && f.ThreadIds.Contains(worker.ManagedThreadId));

        // SOS: the thread with the exception and the exception's type and address.
        string threads = Sos.Run(Crash.Dump, "clrthreads");
        var row = ClrThreadsException().Matches(threads).Select(m => (Os: uint.Parse(m.Groups[1].Value, NumberStyles.HexNumber, CultureInfo.InvariantCulture), Type: m.Groups[2].Value, Address: ulong.Parse(m.Groups[3].Value, NumberStyles.HexNumber, CultureInfo.InvariantCulture))).ToArray();
        Assert.Equal([(worker.OSThreadId, TargetFacts.CrashExceptionType, worker.Exception!.Address)], row);
        Assert.Contains("No crash info to display", Sos.TryRun(Crash.Dump, "crashinfo").Output); // SOS has nothing more to compare here
    }

    [Fact]
    public void ExceptionFrames_OfTheCrashingThread_HaveTheLinesOfSosPeLines()
    {
        using var session = DumpSession.Open(Crash.Dump);
        var threads = session.GetThreads();
        var worker = Assert.Single(threads, t => t.Name == TargetFacts.CrashThreadName);

        string sosThreads = Sos.Run(Crash.Dump, "clrthreads");
        var dbgId = Regex.Match(sosThreads, $@"^\s*(\d+)\s+{worker.ManagedThreadId}\s+{worker.OSThreadId:x}\s", RegexOptions.Multiline);
        Assert.True(dbgId.Success, sosThreads);
        string pe = Sos.Run(Crash.Dump, "setthread " + dbgId.Groups[1].Value, "pe -lines");
        var sosLines = PeFrame().Matches(pe).Select(m => (Ip: ulong.Parse(m.Groups[1].Value, NumberStyles.HexNumber, CultureInfo.InvariantCulture), File: m.Groups[2].Success ? m.Groups[2].Value : null, Line: m.Groups[3].Success ? int.Parse(m.Groups[3].Value, CultureInfo.InvariantCulture) : 0)).ToArray();

        var ours = worker.Exception!.StackTrace.Select(f => (f.InstructionPointer, f.File, f.Line)).ToArray();
        Assert.Equal(sosLines.Length, ours.Length);
        Assert.Equal(sosLines, ours);
        Assert.Equal(3, ours.Count(f => f.File is not null));
    }

    [Fact]
    public void Triage_WithoutTheCrashReport_SaysTheThreadWasThrowing_NotThatItCrashed()
    {
        string folder = RepoPaths.NewScratchDirectory("analysis-crash-noreport");
        string link = Path.Combine(folder, "crash.dmp");
        File.CreateSymbolicLink(link, Crash.Dump);
        try
        {
            using var session = DumpSession.Open(link);
            var findings = DumpTriage.Run(session);

            Assert.DoesNotContain(findings, f => f.Kind == "crash");
            var throwing = Assert.Single(findings, f => f.Kind == "exception being thrown");
            Assert.Equal(FindingSeverity.Warning, throwing.Severity);
            Assert.Contains($"{TargetFacts.CrashExceptionType}: {TargetFacts.CrashMessage}", throwing.Summary);
            Assert.Contains($"'{TargetFacts.CrashThreadName}'", throwing.Summary);
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [Fact]
    public void Triage_WithADamagedCrashReport_FallsBackToTheDump_AndQuotesTheProblem()
    {
        string folder = RepoPaths.NewScratchDirectory("analysis-crash-badreport");
        string link = Path.Combine(folder, "crash.dmp");
        File.CreateSymbolicLink(link, Crash.Dump);
        // a report cut short in the middle, as a full disk leaves it
        string json = File.ReadAllText(Crash.CrashReport);
        File.WriteAllText(CrashReport.PathFor(link), json[..(json.Length / 2)]);
        try
        {
            Assert.Null(CrashReport.TryRead(link, out string? problem));
            Assert.Contains(CrashReport.PathFor(link), problem);
            Assert.Contains("could not be read", problem);

            using var session = DumpSession.Open(link);
            var throwing = Assert.Single(DumpTriage.Run(session), f => f.Kind == "exception being thrown");
            Assert.Contains(throwing.Evidence, e => e == problem);
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [Fact]
    public void Triage_OfTheFactsDump_HasNoCrash()
    {
        using var session = DumpSession.Open(DumpSet.Facts[CapturedDump.CreateDumpWithHeap]);
        var findings = DumpTriage.Run(session, new TriageOptions { SkipHeap = true });

        Assert.DoesNotContain(findings, f => f.Kind is "crash" or "exception being thrown");
        // the payments thread's caught exception is still an exception in flight
        Assert.Contains(findings, f => f.Kind == "exception in flight");
    }

    [Fact]
    public void Triage_OfADeathByOutOfMemory_NamesTheGcsRecord_AsSosAnalyzeOomDoes()
    {
        var oom = CrashDump.OutOfMemory;
        using var session = DumpSession.Open(oom.Dump);

        var record = Assert.Single(session.GetOutOfMemory());
        Assert.InRange(record.AllocationSize, (ulong)TargetFacts.OomChunkBytes, (ulong)TargetFacts.OomChunkBytes + 1024);
        Assert.True(record.GcIndex > 0);
        // SOS's analyzeoom prints the reason as the runtime's GC names it
        string sos = Sos.Run(oom.Dump, "analyzeoom");
        string sosReason = record.Reason switch
        {
            "CantCommit" => "Didn't have enough memory to commit",
            "LOH" => "Didn't have enough memory to allocate an LOH segment",
            "LowMem" => "Low on memory during GC",
            "UnproductiveFullGC" => "Could not do a full GC",
            "Budget" or "CantReserve" => "This is likely to be a bug in GC",
            _ => "(unknown reason " + record.Reason + ")",
        };
        Assert.Contains(sosReason, sos);

        var findings = DumpTriage.Run(session, new TriageOptions { SkipHeap = true });
        var worker = Assert.Single(session.GetThreads(), t => t.Name == TargetFacts.OomThreadName);
        Assert.Equal(["crash", "out of memory"], findings.Take(2).Select(f => f.Kind));
        Assert.All(findings.Take(2), f => Assert.Equal(FindingSeverity.Critical, f.Severity));
        Assert.Contains("unhandled System.OutOfMemoryException", findings[0].Summary);
        Assert.Contains($"'{TargetFacts.OomThreadName}'", findings[0].Summary);
        Assert.Contains(string.Create(CultureInfo.InvariantCulture, $"allocating {record.AllocationSize:N0} bytes{(record.IsLargeObjectHeap ? " (LOH)" : "")} failed after GC #{record.GcIndex}"), findings[1].Summary);
        Assert.Equal([worker.ManagedThreadId], findings[1].ThreadIds);

        // the facts dump's GC never failed an allocation
        using var facts = DumpSession.Open(DumpSet.Facts[CapturedDump.CreateDumpWithHeap]);
        Assert.Empty(facts.GetOutOfMemory());
    }

    [GeneratedRegex(@"^\s*\d+\s+\d+\s+([0-9a-f]+)\s.*?\s([A-Za-z_][\w.]*Exception) ([0-9a-f]{16})\s*$", RegexOptions.Multiline)]
    private static partial Regex ClrThreadsException();

    [GeneratedRegex(@"^\s+[0-9A-F]{16} ([0-9A-F]{16}) \S+(?: \[(.+) @ (\d+)\])?\s*$", RegexOptions.Multiline)]
    private static partial Regex PeFrame();
}
