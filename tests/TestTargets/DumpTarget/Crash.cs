// "crash" mode: a named thread throws an exception nobody catches, so the runtime ends the process, and writes a dump
// and a crash report itself when started with DOTNET_DbgEnableMiniDump=1, DOTNET_DbgMiniDumpName=<path>,
// DOTNET_EnableCrashReport=1. "oom" mode: a named thread fills a list with 1 MB arrays until the GC, held under
// DOTNET_GCHeapHardLimit, throws OutOfMemoryException, which nobody catches. Mirrored in tests/Analysis.Testing/TargetFacts.cs (Crash*).
using System.Runtime.CompilerServices;

namespace DumpTarget;

internal static class Crash
{
    public const string ThreadName = "refund-worker";
    public const int OrderId = 4711;
    public const string OomThreadName = "report-builder";
    public const int OomChunkBytes = 1 << 20;
    private static readonly List<byte[]> s_reports = new();

    public static int Run()
    {
        var worker = new Thread(ProcessRefunds) { Name = ThreadName };
        Console.WriteLine($"CRASHING {Environment.ProcessId}");
        Console.Out.Flush();
        worker.Start();
        worker.Join();
        return 0; // not reached: the unhandled exception ends the process
    }

    public static int RunOutOfMemory()
    {
        var worker = new Thread(BuildReports) { Name = OomThreadName };
        Console.WriteLine($"CRASHING {Environment.ProcessId}");
        Console.Out.Flush();
        worker.Start();
        worker.Join();
        return 0; // not reached
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void BuildReports()
    {
        while (true)
            s_reports.Add(new byte[OomChunkBytes]);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void ProcessRefunds() => Refund(OrderId);

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void Refund(int orderId) => Contoso.Async.RefundLedger.Post(orderId);
}
