using System.Runtime.CompilerServices;
using System.Runtime.Loader;

namespace Analysis.Worker;

/// <summary>Entry point: frames on stdin/stdout (WorkerProtocol), diagnostics on stderr.</summary>
internal static class Program
{
    private static int Main(string[] args)
    {
        // --lib <folder>, repeated: where Analysis.dll and its dependencies are (the package keeps the worker in its own
        // folder; in the notebook kernel each dependency sits in its own package folder)
        var folders = args.Select((a, i) => (a, i)).Where(p => p.a == "--lib" && p.i + 1 < args.Length).Select(p => args[p.i + 1]).Where(Directory.Exists).ToArray();
        if (folders.Length > 0)
        {
            AssemblyLoadContext.Default.Resolving += (context, name) =>
            {
                foreach (string folder in folders)
                {
                    string candidate = Path.Combine(folder, name.Name + ".dll");
                    if (File.Exists(candidate))
                        return context.LoadFromAssemblyPath(candidate);
                }

                return null;
            };
        }

        // --read-trace <file>: the reading pass in this process, outside any session, printing what it read: reproduces
        // an engine fault where it can be watched (a debugger, a core dump), and is what tests use to show one.
        int read = Array.IndexOf(args, "--read-trace");
        if (read >= 0 && read + 1 < args.Length)
            return ReadTrace(args[read + 1]);
        return Serve();
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static int ReadTrace(string path)
    {
        try
        {
            var analysis = Analysis.Traces.TraceAnalysis.Read(path, new Analysis.Traces.TraceReadOptions { Isolation = Analysis.EngineIsolation.InProcess });
            Console.WriteLine($"events {analysis.EventCount}, GCs {analysis.Gcs.Count}, samples {analysis.SampleCount}, exceptions {analysis.ExceptionCount}, truncated {analysis.IsTruncated}");
            foreach (string warning in analysis.Warnings)
                Console.WriteLine("warning: " + warning);
            return 0;
        }
        catch (Analysis.AnalysisException e)
        {
            Console.Error.WriteLine($"{e.Kind}: {e.Message}");
            return 2;
        }
    }

    /// <remarks>
    /// Main names no type of Analysis.dll, not even in a signature it calls: compiling Main would load it before the
    /// --lib folders are searched (the package keeps the worker in a folder of its own).
    /// </remarks>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static int Serve()
    {
        // the methods the last dump worker compiled, compiled again on a spare core (WorkerJitProfile)
        var jit = Analysis.Isolation.WorkerJitProfile.Start();
        var input = Console.OpenStandardInput();
        var output = Console.OpenStandardOutput();
        // stdout carries frames only: anything an engine prints goes to stderr
        Console.SetOut(Console.Error);
        // the engines this worker runs: a dump session's questions, the trace reading pass
        var operations = new Dictionary<string, Analysis.Isolation.WorkerOperation>(Analysis.Dumps.DumpService.Operations, StringComparer.Ordinal)
        {
            [Analysis.Traces.TraceAnalysis.ReadOperation] = Analysis.Traces.TraceAnalysis.ServeRead,
        };
        Analysis.Dumps.DumpService.CompileEngineIfAsked();
        if (jit is null)
            return Analysis.Isolation.WorkerServer.Serve(input, output, operations);
        // a worker started ahead for dumps may read a trace instead: that ends the replay, and keeps no list
        int code = Analysis.Isolation.WorkerServer.Serve(input, output, jit.Watch(operations, Analysis.Dumps.DumpService.Open, Analysis.Traces.TraceAnalysis.ReadOperation));
        jit.Finish();
        return code;
    }
}
