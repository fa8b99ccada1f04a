using System.Reflection;
using System.Runtime.CompilerServices;
using System.Runtime.Loader;

namespace Analysis.Worker;

/// <summary>Entry point: frames on stdin/stdout (WorkerProtocol), diagnostics on stderr.</summary>
internal static class Program
{
    private static int Main(string[] args)
    {
        // --lib <folder>: where Analysis.dll and its dependencies are (the package keeps the worker in its own folder)
        int lib = Array.IndexOf(args, "--lib");
        if (lib >= 0 && lib + 1 < args.Length && Directory.Exists(args[lib + 1]))
        {
            string folder = args[lib + 1];
            AssemblyLoadContext.Default.Resolving += (context, name) =>
            {
                string candidate = Path.Combine(folder, name.Name + ".dll");
                return File.Exists(candidate) ? context.LoadFromAssemblyPath(candidate) : null;
            };
        }

        return Serve();
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static int Serve()
    {
        var input = Console.OpenStandardInput();
        var output = Console.OpenStandardOutput();
        // stdout carries frames only: anything an engine prints goes to stderr
        Console.SetOut(Console.Error);
        return Analysis.Isolation.WorkerServer.Serve(input, output);
    }
}
