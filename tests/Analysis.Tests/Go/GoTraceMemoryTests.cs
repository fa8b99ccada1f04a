using System.Diagnostics;
using Analysis.Go;
using Analysis.Testing;
using Xunit;

namespace Analysis.Tests.Go;

/// <summary>
/// Issue 12: decoding a Go execution trace takes memory bounded by a small multiple of the input. What a load allocates
/// (GC.GetAllocatedBytesForCurrentThread: the decoder runs on the calling thread) bounds what it holds at any moment
/// too. The bounds come from the decoder's layout: the file's bytes once, 12 bytes per goroutine transition (at most
/// one per event, two for a switch; real traces have 0.14-0.2 events per byte), 44 bytes per batch while it merges, and
/// tables that grow with goroutines, strings and stacks, not events. The decoder on main before the change (3650288)
/// allocated 51.6 bytes per input byte on the committed trace and 28-53 on busy traces of 6-45 MB (tens of bytes per
/// event in tuples, arguments and an index, their lists doubling, and 24-byte transitions doubling); measured by
/// Analysis.Bench gotrace.
/// </summary>
public class GoTraceMemoryTests
{
    private static (long Allocated, GoExecutionTrace Trace) Load(string path)
    {
        _ = GoExecutionTrace.Load(path); // compiled
        long before = GC.GetAllocatedBytesForCurrentThread();
        var trace = GoExecutionTrace.Load(path);
        return (GC.GetAllocatedBytesForCurrentThread() - before, trace);
    }

    [Fact]
    public void CommittedTrace_AllocatesASmallMultipleOfItsSize()
    {
        // dump-in-trace/trace.out: 58,954 bytes, 11,836 events (the runtime's yields while it sweeps); measured 4.3
        // bytes per input byte (main: 51.6)
        string path = GoFixtures.PathOf(Path.Combine("dump-in-trace", "trace.out"));
        long size = new FileInfo(path).Length;
        var (allocated, trace) = Load(path);
        Assert.True(trace.EventCount > 10_000, $"{trace.EventCount} events");
        string per = $"{allocated:N0} bytes allocated for {size:N0} bytes and {trace.EventCount:N0} events: {allocated / (double)size:F1} per input byte";
        // the bytes, 16 per event (12 for its transition, room for the tables), 64 KiB of fixed tables and results
        Assert.True(allocated <= size + 16 * trace.EventCount + (64 << 10), per);
        Assert.True(allocated <= 6 * size, per);
    }

    [Fact]
    public void DensestTrace_AllocatesAtMostEightTimesItsSize()
    {
        // the smallest events there are (GoDestroy: type and time delta, 2 bytes) in full 64 KiB batches, 1 MiB: the
        // most events per byte, so the most the decoder can be made to hold per input byte (a 12-byte transition slot
        // per event, 6 per byte, and the bytes): measured 7.0 per input byte; main allocated 43 (86 per event)
        var bytes = new List<byte>("go 1.23 trace\0\0\0"u8.ToArray());
        for (int batch = 0; batch < 16; batch++)
        {
            bytes.AddRange([1, 1, 1, 0]); // EventBatch gen=1 m=1 time=0
            GoTraceTextFormat.Uvarint(bytes, 64 << 10);
            for (int e = 0; e < 32 << 10; e++)
                bytes.AddRange([17, 0]);
        }

        string path = GoFixtures.Scratch("densest.trace", [.. bytes]);
        var (allocated, trace) = Load(path);
        Assert.Equal(16 * (32 << 10), trace.EventCount);
        Assert.True(allocated <= 8L * bytes.Count, $"{allocated:N0} bytes allocated for {bytes.Count:N0} bytes: {allocated / (double)bytes.Count:F2} per input byte");
    }

    [Fact]
    public void TinyBatches_AllocateAtMostTenTimesTheirSize()
    {
        // 1 MiB of the smallest batches with an event (a 5-byte header and a 2-byte GoDestroy): the most batches per
        // byte, so the most the decoder can be made to hold for them (a 40-byte run and a 4-byte heap slot per batch, 6.3
        // per input byte, a 12-byte transition slot, 1.7, and the bytes): measured 9.0 per input byte; main 26.1
        var bytes = new List<byte>("go 1.23 trace\0\0\0"u8.ToArray());
        while (bytes.Count < 1 << 20)
            bytes.AddRange([1, 1, 1, 0, 2, 17, 0]); // EventBatch gen=1 m=1 time=0 size=2, GoDestroy dt=0
        string path = GoFixtures.Scratch("tiny-batches.trace", [.. bytes]);
        var (allocated, trace) = Load(path);
        Assert.Equal((bytes.Count - 16) / 7, trace.EventCount);
        Assert.True(allocated <= 10L * bytes.Count, $"{allocated:N0} bytes allocated for {bytes.Count:N0} bytes: {allocated / (double)bytes.Count:F2} per input byte");
    }

    [SkippableFact]
    public void BusyTrace_OfMillionsOfEvents_AllocatesAtMostFourTimesItsSize()
    {
        Skip.If(BusyTrace.Value.Missing is not null, BusyTrace.Value.Missing);
        string path = BusyTrace.Value.Path!;
        long size = new FileInfo(path).Length;
        var (allocated, trace) = Load(path);
        Assert.True(trace.EventCount > 200_000, $"{trace.EventCount} events in {size:N0} bytes: too few to measure");
        string per = $"{allocated:N0} bytes allocated for {size:N0} bytes and {trace.EventCount:N0} events: {allocated / (double)size:F2} per input byte, {allocated / (double)trace.EventCount:F1} per event";
        // measured 3.1-3.2 per input byte, 17.7 per event (the file's 5.6 bytes an event and a 12-byte transition)
        Assert.True(allocated <= 4 * size, per);
        Assert.True(allocated <= size + 16 * trace.EventCount + (1 << 20), per);
        Assert.True(trace.Goroutines > 16 && trace.Gcs.Count > 0 && trace.StatesOverTime.Max(s => s.Waiting) > 0, trace.ToString());
    }

    /// <summary>
    /// A busy program's execution trace (tests/TestTargets/go leaky -mode=busytrace, 1 s: millions of events, tens of
    /// MB) in artifacts/go-busy-trace, made once with Go 1.23 (its build cache is there too, not in the home folder) and
    /// kept between runs.
    /// </summary>
    private static readonly Lazy<(string? Path, string? Missing)> BusyTrace = new(() =>
    {
        const string Go = "/usr/lib/go-1.23/bin/go";
        if (!File.Exists(Go))
            return (null, "Go 1.23 is not installed here (tests/TestTargets/go/generate.sh installs it from bookworm-backports): no busy trace to measure");
        string dir = Path.Combine(RepoPaths.Root, "artifacts", "go-busy-trace");
        string trace = Path.Combine(dir, "busy.trace");
        if (File.Exists(trace))
            return (trace, null);
        Directory.CreateDirectory(dir);
        string leaky = Path.Combine(dir, "leaky");
        string? Run(string file, string workingDirectory, params string[] args)
        {
            var psi = new ProcessStartInfo(file, args) { WorkingDirectory = workingDirectory, RedirectStandardOutput = true, RedirectStandardError = true };
            foreach (var (k, v) in new[] { ("GOTOOLCHAIN", "local"), ("GOFLAGS", "-mod=mod"), ("GOPROXY", "off"), ("CGO_ENABLED", "0"), ("GOCACHE", Path.Combine(dir, "gocache")), ("GOPATH", Path.Combine(dir, "gopath")) })
                psi.Environment[k] = v;
            using var p = Process.Start(psi)!;
            var output = p.StandardOutput.ReadToEndAsync();
            string error = p.StandardError.ReadToEnd();
            p.WaitForExit();
            return p.ExitCode == 0 ? null : $"{Path.GetFileName(file)} {string.Join(' ', args)} exited with {p.ExitCode}: {error}{output.Result}";
        }

        string source = Path.Combine(RepoPaths.Root, "tests", "TestTargets", "go");
        if (Run(Go, source, "build", "-trimpath", "-o", leaky, ".") is { } buildFailed)
            return (null, buildFailed);
        string partial = trace + ".partial";
        if (Run(leaky, dir, "-mode=busytrace", "-out", partial, "-wait", "1s") is { } runFailed)
            return (null, runFailed);
        File.Move(partial, trace);
        return (trace, null);
    });
}
