using System.Diagnostics;
using System.Text;
using Analysis.Go;
using Analysis.Go.Core;
using Analysis.Testing;
using Xunit;
using Xunit.Abstractions;

namespace Analysis.Tests.Go;

/// <summary>
/// The Go core reader against the runtime's own traceback: every fixture core (Go 1.21, 1.22, 1.23 and a stripped 1.23
/// build; a panic, a nil dereference, a fatal error, a hung process signalled on its spinning thread, 5,000 goroutines
/// killed with SIGABRT) gives the goroutines the runtime printed as it wrote the core, frame by frame (function, file,
/// line, offset, stack pointer, inlined calls), and the crash, threads and memory state the program and runtime
/// recorded. Bad inputs give one AnalysisException each.
/// </summary>
public class GoCoreTests(ITestOutputHelper output)
{
    private static readonly Dictionary<string, GoCore> s_read = [];

    private static GoCoreSet Set
    {
        get
        {
            Skip.If(GoCoreSet.Missing is not null, $"Skipped: {GoCoreSet.Missing}");
            return GoCoreSet.Instance;
        }
    }

    public static TheoryData<string, GoCoreMode> Cores()
    {
        var data = new TheoryData<string, GoCoreMode>();
        foreach (string v in GoCoreSet.Versions)
        {
            foreach (var m in Enum.GetValues<GoCoreMode>())
            {
                if (!v.Contains('-', StringComparison.Ordinal) || m is GoCoreMode.Crash or GoCoreMode.Hang)
                    data.Add(v, m);
            }
        }

        return data;
    }

    private static GoCore Read(GoCoreFixture f)
    {
        lock (s_read)
        {
            if (!s_read.TryGetValue(f.CorePath, out var core))
                s_read[f.CorePath] = core = GoCore.Open(f.CorePath, f.Executable);
            return core;
        }
    }

    [SkippableTheory]
    [MemberData(nameof(Cores))]
    public void Goroutines_AreTheOnesTheRuntimePrinted_FrameByFrame(string version, GoCoreMode mode)
    {
        var fixture = Set[version, mode];
        var traceback = fixture.Traceback;
        var ours = Read(fixture).Goroutines.Goroutines.ToDictionary(g => g.Id);
        // A signal that lands on an idle M prints that M's g0 ("goroutine 0 [idle]") first: a thread, not a goroutine.
        var listed = traceback.Goroutines.Where(g => g.Id != 0).ToList();
        // A goroutine running on another thread is "stack unavailable" in the main listing; its M's block has its stack.
        var onThreads = traceback.Threads.Select(t => t.Goroutine).Where(g => g is { Id: > 0 }).ToDictionary(g => g!.Id, g => g!);
        Assert.Equal(listed.Select(g => g.Id).Order(), ours.Keys.Order());
        int frames = 0;
        foreach (var truth in listed)
        {
            var g = ours[truth.Id];
            string where = $"{fixture} goroutine {truth.Id}";
            Assert.True(truth.State == g.State, $"{where}: state '{g.State}', the runtime printed '{truth.State}'");
            Assert.Equal(truth.LockedToThread, g.LockedToThread);
            var expected = truth.Frames.Count == 0 && onThreads.TryGetValue(truth.Id, out var running) ? running.Frames : truth.Frames;
            Assert.True(expected.Count == g.Frames.Count, $"{where}: {g.Frames.Count} frames, the runtime printed {expected.Count}: {string.Join(" < ", g.Frames.Select(f => f.Function))}");
            for (int i = 0; i < expected.Count; i++)
            {
                var (t, f) = (expected[i], g.Frames[i]);
                string at = $"{where} frame {i}";
                Assert.True(t.Function == f.Function, $"{at}: {f.Function}, the runtime printed {t.Function}");
                Assert.True(t.File == f.File && t.Line == f.Line, $"{at} {t.Function}: {f.File}:{f.Line}, the runtime printed {t.File}:{t.Line}");
                Assert.Equal(t.Inlined, f.Inlined);
                if (!t.Inlined)
                {
                    Assert.True(t.Offset == f.Offset, $"{at} {t.Function}: +0x{f.Offset:x}, the runtime printed +0x{t.Offset:x}");
                    Assert.Equal(t.Sp, f.StackPointer);
                    Assert.Equal(t.Pc, f.InstructionPointer);
                }

                frames++;
            }

            Assert.Equal(truth.CreatedBy, g.CreatedBy?.Function);
            Assert.Equal(truth.CreatedByGoroutine, g.CreatedByGoroutine);
            if (truth.Gp is { } gp)
                Assert.Equal(gp, g.Address);
        }

        output.WriteLine($"{fixture}: {ours.Count} goroutines, {frames} frames equal to the runtime's");
    }

    [SkippableTheory]
    [MemberData(nameof(Cores))]
    public void Info_TellsTheCrashTheProgramAndRuntimeRecorded(string version, GoCoreMode mode)
    {
        var fixture = Set[version, mode];
        var info = Read(fixture).Info;
        Assert.Equal(fixture.Build.GoVersion, info.GoVersion);
        Assert.Equal(fixture.ProcessId, info.ProcessId);
        Assert.Equal("SIGABRT", info.Signal); // GOTRACEBACK=crash ends every run with abort
        Assert.Equal(fixture.Build.Stripped ? "table for go1.23 (the binary has no DWARF)" : "DWARF", info.LayoutSource);
        switch (mode)
        {
            case GoCoreMode.Crash:
                Assert.Equal(fixture.PanicMessage, info.PanicValue);
                Assert.Equal("string", info.PanicType);
                Assert.Null(info.FaultSignal);
                Assert.Equal(fixture.Traceback.Goroutines[0].Id, info.CrashingGoroutine); // the runtime prints the panicking goroutine first
                break;
            case GoCoreMode.Segv:
                Assert.Equal(fixture.PanicMessage, info.PanicValue);
                Assert.Equal(fixture.Signal, info.FaultSignal);
                Assert.Equal(fixture.FaultAddress, info.FaultAddress);
                Assert.Equal(fixture.Traceback.Goroutines[0].Id, info.CrashingGoroutine);
                Assert.Equal(fixture.Traceback.Goroutines[0].Frames.First(f => f.Function.StartsWith("main.", StringComparison.Ordinal)).Pc, info.FaultPc);
                break;
            case GoCoreMode.Deadlock:
                Assert.Equal(fixture.FatalError, info.PanicValue);
                Assert.Equal("fatal error", info.PanicType);
                break;
            case GoCoreMode.Hang:
                // SIGABRT went to the spinning goroutine's thread: the core names it running there.
                var spinner = Read(fixture).Goroutines.Goroutines.Single(g => g.Frames.FirstOrDefault()?.Function == "main.spin");
                Assert.Equal("running", spinner.State);
                Assert.Equal(fixture.SpinningThreadId, spinner.ThreadId);
                Assert.Contains(info.Threads, t => t.Id == fixture.SpinningThreadId && t.Goroutine == spinner.Id);
                Assert.Equal(spinner.Id, info.CrashingGoroutine);
                Assert.Equal(fixture.SpinningThreadId, info.CrashingThread);
                break;
            case GoCoreMode.Many:
                // kill -ABRT landed on some thread: the one whose "SIGABRT: abort" block the runtime printed.
                Assert.Equal(fixture.Traceback.CrashingThread!.M, info.Threads.Single(t => t.Id == info.CrashingThread).M);
                break;
        }

        if (mode is GoCoreMode.Hang or GoCoreMode.Many)
            Assert.Null(info.PanicValue);

        // Every M the runtime printed a block for is a thread of ours, running the goroutine the runtime named.
        foreach (var t in fixture.Traceback.Threads)
            Assert.Contains(info.Threads, ours => ours.M == t.M && ours.Goroutine == (t.Goroutine?.Id ?? 0));
        Assert.Equal(Read(fixture).Goroutines.Goroutines.Count, info.GoroutineCount);
        if (fixture.Build.Stripped)
        {
            Assert.Null(info.Memory);
            Assert.Contains(info.Warnings, w => w.Contains("stripped", StringComparison.Ordinal));
            return;
        }

        // One forced GC before the crash: the runtime's start is on the wall clock, within 10 ms of what the program read first.
        var memory = info.Memory!;
        Assert.True(memory.NumGC >= 1 && memory.NumForcedGC >= 1, $"{memory.NumGC} GCs, {memory.NumForcedGC} forced");
        Assert.NotNull(memory.ProcessStart);
        double ms = (memory.ProcessStart!.Value - fixture.StartTime).TotalMilliseconds;
        output.WriteLine($"{fixture}: runtime start {memory.ProcessStart:O}, the program's first clock read {fixture.StartTime:O} ({-ms:F2} ms after it)");
        Assert.InRange(ms, -10, 10);
        Assert.InRange(memory.HeapLive, 1UL, 1UL << 30);
        Assert.True(memory.HeapGoal >= 4 << 20, $"heap goal {memory.HeapGoal}");
        Assert.Equal(100, memory.GcPercent);
        // The forced GC found the parked goroutines waiting: each was stamped between the runtime's start and that GC's end.
        var stamped = Read(fixture).Goroutines.Goroutines.Where(g => g.WaitingSince is not null).ToList();
        Assert.True(stamped.Count >= fixture.Expected.Values.Sum() - 1, $"{stamped.Count} goroutines with WaitingSince");
        Assert.All(stamped, g => Assert.InRange(g.WaitingSince!.Value, memory.ProcessStart!.Value, memory.LastGC!.Value));
        Assert.Empty(info.Warnings);
    }

    [SkippableTheory]
    [InlineData("go1.21")]
    [InlineData("go1.22")]
    [InlineData("go1.23")]
    public void LayoutTable_ForStrippedBinaries_EqualsWhatDwarfSays(string version)
    {
        var build = Set[version];
        using var image = ElfImage.Open(build.Executable, "Executable", "a Go executable");
        var fromDwarf = GoDwarfLayout.TryRead(image, out string? why);
        Assert.True(fromDwarf is not null, why);
        var table = GoLayout.FromTable(build.GoVersion)!;
        Assert.Equal(GoLayout.Needed.Length, table.Offsets.Count);
        foreach (var (field, offset) in table.Offsets)
            Assert.True(fromDwarf.Offsets[field] == offset, $"{version} {field}: DWARF {fromDwarf.Offsets[field]}, table {offset}");
    }

    [SkippableFact]
    public void Gcore_OfARunningProcess_IsRead()
    {
        var set = Set;
        Skip.If(set.GcorePath is null, "cores.sh ran with GO_CORES_GCORE=0: no gcore");
        var hang = set["go1.23", GoCoreMode.Hang];
        var sw = Stopwatch.StartNew();
        using var core = GoCore.Open(set.GcorePath!, hang.Executable);
        output.WriteLine($"gcore {new FileInfo(set.GcorePath!).Length:N0} bytes: {core} in {sw.ElapsedMilliseconds} ms");
        Assert.Equal("SIGSTOP", core.Info.Signal); // gdb stops the process to copy it
        // The same program parked the same goroutines: every state it expects is there, as many times.
        var states = core.Goroutines.Goroutines.GroupBy(g => g.State).ToDictionary(g => g.Key, g => g.Count());
        foreach (var (state, n) in hang.Expected)
            Assert.True(states.GetValueOrDefault(state) >= n, $"{state}: {states.GetValueOrDefault(state)} goroutines, the program parked {n}");
        Assert.All(core.Goroutines.Goroutines.Where(g => g.State != "running"), g => Assert.Equal("runtime.goexit", g.Frames[^1].Function));
    }

    [SkippableFact]
    public void ManyGoroutines_AreReadInUnderTwoSeconds()
    {
        var many = Set["go1.23", GoCoreMode.Many];
        var sw = Stopwatch.StartNew();
        using var core = GoCore.Open(many.CorePath, many.Executable);
        sw.Stop();
        output.WriteLine($"{many}: {core.Info.GoroutineCount:N0} goroutines, {core.Goroutines.Goroutines.Sum(g => g.Frames.Count):N0} frames in {sw.ElapsedMilliseconds} ms");
        Assert.Equal(many.Traceback.Goroutines.Count(g => g.Id != 0), core.Info.GoroutineCount);
        Assert.True(sw.Elapsed < TimeSpan.FromSeconds(2), $"{sw.Elapsed}");
    }

    [SkippableFact]
    public void WrongExecutable_SaysItIsNotTheBuildThatWroteTheCore()
    {
        var set = Set;
        var e = Assert.Throws<AnalysisException>(() => GoCore.Open(set["go1.22", GoCoreMode.Crash].CorePath, set["go1.23"].Executable));
        Assert.Equal(AnalysisErrorKind.WrongFormat, e.Kind);
        Assert.Contains("is not the build that wrote core", e.Message, StringComparison.Ordinal);
        Assert.Contains(set["go1.23"].GoBuildId[..20], e.Message, StringComparison.Ordinal);
        Assert.Contains(set["go1.22"].GoBuildId[..20], e.Message, StringComparison.Ordinal);
    }

    [SkippableFact]
    public void NonGoCore_SaysSo_WithOrWithoutAnExecutable()
    {
        var set = Set;
        var alone = Assert.Throws<AnalysisException>(() => GoCore.Open(set.OtherCorePath));
        Assert.Equal(AnalysisErrorKind.WrongFormat, alone.Kind);
        Assert.Contains($"'{set.OtherExecutable}' is not a Go program", alone.Message, StringComparison.Ordinal);
        var withGo = Assert.Throws<AnalysisException>(() => GoCore.Open(set.OtherCorePath, set["go1.23"].Executable));
        Assert.Equal(AnalysisErrorKind.WrongFormat, withGo.Kind);
        Assert.Contains("was not written by", withGo.Message, StringComparison.Ordinal);
        Assert.Contains(set.OtherExecutable, withGo.Message, StringComparison.Ordinal); // what the core does map
    }

    [SkippableFact]
    public void WithoutExecutable_TheOneTheCoreNamesIsUsed_OrItsAbsenceIsNamed()
    {
        var crash = Set["go1.23", GoCoreMode.Crash];
        using (var found = GoCore.Open(crash.CorePath))
            Assert.Equal(Path.GetFullPath(crash.Executable), found.ExecutablePath);

        // A core from another machine: its NT_FILE names a path this machine does not have.
        string dir = RepoPaths.NewScratchDirectory("gocore");
        string copy = Path.Combine(dir, "moved.core");
        byte[] bytes = File.ReadAllBytes(crash.CorePath);
        byte[] name = Encoding.UTF8.GetBytes(Path.GetFullPath(crash.Executable));
        byte[] gone = Encoding.UTF8.GetBytes("/nonexistent".PadRight(name.Length, 'x'));
        int replaced = 0;
        for (int at; (at = bytes.AsSpan().IndexOf(name)) > 0; replaced++)
            gone.CopyTo(bytes, at); // NT_FILE's entries, and the command line
        Assert.True(replaced > 0);
        File.WriteAllBytes(copy, bytes);
        var e = Assert.Throws<AnalysisException>(() => GoCore.Open(copy));
        Assert.Equal(AnalysisErrorKind.FileNotFound, e.Kind);
        Assert.Contains(Encoding.UTF8.GetString(gone), e.Message, StringComparison.Ordinal);
        Assert.Contains("-Executable", e.Message, StringComparison.Ordinal);
    }

    [SkippableFact]
    public void TruncatedCore_GivesWhatIsLeftWithAWarning_OrSaysItIsCutOff()
    {
        var crash = Set["go1.23", GoCoreMode.Crash];
        string dir = RepoPaths.NewScratchDirectory("gocore");
        string cut = Path.Combine(dir, "cut.core");
        using (var source = File.OpenRead(crash.CorePath))
        using (var target = File.Create(cut))
        {
            var buffer = new byte[3_000_000];
            source.ReadExactly(buffer);
            target.Write(buffer);
        }

        using (var partial = GoCore.Open(cut, crash.Executable))
        {
            Assert.Contains(partial.Info.Warnings, w => w.StartsWith("the core is truncated: 3,000,000 of", StringComparison.Ordinal));
            Assert.Equal(crash.PanicMessage, partial.Info.PanicValue);
        }

        using (var stream = new FileStream(cut, FileMode.Open))
            stream.SetLength(1000);
        var e = Assert.Throws<AnalysisException>(() => GoCore.Open(cut, crash.Executable));
        Assert.Equal(AnalysisErrorKind.Truncated, e.Kind);
        File.WriteAllText(cut, "");
        Assert.Equal(AnalysisErrorKind.FileEmpty, Assert.Throws<AnalysisException>(() => GoCore.Open(cut, crash.Executable)).Kind);
        Assert.Equal(AnalysisErrorKind.WrongFormat, Assert.Throws<AnalysisException>(() => GoCore.Open(crash.TracebackPath, crash.Executable)).Kind);
        Assert.Equal(AnalysisErrorKind.WrongFormat, Assert.Throws<AnalysisException>(() => GoCore.Open(crash.Executable, crash.Executable)).Kind);
    }

    [SkippableFact]
    public void DamagedCores_GiveAnswersOrOneAnalysisException_Quickly()
    {
        var hang = Set["go1.23", GoCoreMode.Hang];
        byte[] original = File.ReadAllBytes(hang.CorePath);
        string dir = RepoPaths.NewScratchDirectory("gocore");
        string path = Path.Combine(dir, "damaged.core");
        var random = new Random(15);
        int answered = 0, refused = 0;
        var slowest = TimeSpan.Zero;
        // Damage where the reader looks: headers and notes, the data segment and the heap and stacks that follow.
        int span = Math.Min(original.Length, 4 << 20);
        for (int round = 0; round < 150; round++)
        {
            byte[] bytes = (byte[])original.Clone();
            for (int k = random.Next(1, 64); k > 0; k--)
            {
                int at = round % 3 == 0 ? random.Next(0, 16 << 10) : random.Next(0, span);
                bytes[at] = round % 2 == 0 ? (byte)random.Next(256) : (byte)(bytes[at] ^ (1 << random.Next(8)));
            }

            File.WriteAllBytes(path, bytes);
            var sw = Stopwatch.StartNew();
            try
            {
                using var core = GoCore.Open(path, hang.Executable);
                _ = core.Goroutines.Goroutines.Sum(g => g.Frames.Count);
                answered++;
            }
            catch (AnalysisException)
            {
                refused++;
            }

            slowest = sw.Elapsed > slowest ? sw.Elapsed : slowest;
        }

        output.WriteLine($"150 damaged cores: {answered} answered, {refused} refused with AnalysisException; slowest {slowest.TotalMilliseconds:F0} ms");
        Assert.True(slowest < TimeSpan.FromSeconds(10), $"slowest {slowest}");
    }
}
