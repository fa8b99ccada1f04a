// "crash" mode: a named thread throws an exception nobody catches, so the runtime ends the process, and writes a dump
// and a crash report itself when started with DOTNET_DbgEnableMiniDump=1, DOTNET_DbgMiniDumpName=<path>,
// DOTNET_EnableCrashReport=1. Mirrored in tests/Analysis.Testing/TargetFacts.cs (Crash*).
using System.Runtime.CompilerServices;

namespace DumpTarget;

internal static class Crash
{
    public const string ThreadName = "refund-worker";
    public const int OrderId = 4711;

    public static int Run()
    {
        var worker = new Thread(ProcessRefunds) { Name = ThreadName };
        Console.WriteLine($"CRASHING {Environment.ProcessId}");
        Console.Out.Flush();
        worker.Start();
        worker.Join();
        return 0; // not reached: the unhandled exception ends the process
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void ProcessRefunds() => Refund(OrderId);

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void Refund(int orderId) => Contoso.Async.RefundLedger.Post(orderId);
}
