using System.Reflection;
using System.Runtime.CompilerServices;

namespace Analysis.Isolation;

/// <summary>
/// Compiles the methods that carry a worker's answers while a process waits anyway: the readers in the session while its
/// worker opens a dump, the writers in the worker beside the open. In process these methods are never needed; through
/// a worker, each kind of answer otherwise paid the JIT of its writer and its reader the first time it was asked: the
/// readers alone 8 ms over a triage's first questions (threads 3.2 ms, heap statistics 1.7 ms, thread pool 1.0 ms…;
/// 5 ms with the readers compiled ahead, the rest being type loads), the writers 2–5 ms per first question (measured on
/// the bench's dump with <c>Analysis.Bench dump-isolation-detail</c>). The shared dump worker compiles the whole dump
/// engine while it waits for a file (<see cref="Dumps.DumpService.CompileEngineIfAsked"/>). The code is what the
/// first call would compile (the tiered JIT's first tier); the runtime promotes it later as usual. Generic methods are
/// compiled in their shared form (for reference types). Each type is compiled once per process.
/// </summary>
internal static class Precompilation
{
    private const BindingFlags Declared = BindingFlags.DeclaredOnly | BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Static | BindingFlags.Instance;

    private static readonly HashSet<Type> s_done = [];

    /// <summary>Compiles the methods and constructors of <paramref name="types"/> and their nested types (lambdas' closures included); returns how many.</summary>
    public static int Compile(params Type[] types)
    {
        int compiled = 0;
        foreach (var type in types)
            compiled += CompileType(type);
        return compiled;
    }

    private static int CompileType(Type type)
    {
        lock (s_done)
        {
            if (!s_done.Add(type))
                return 0;
        }

        int compiled = 0;
        if (!type.ContainsGenericParameters)
        {
            foreach (var method in type.GetMethods(Declared).Cast<MethodBase>().Concat(type.GetConstructors(Declared)))
            {
                if (method.IsAbstract || method is ConstructorInfo { IsStatic: true } || method.GetMethodBody() is null)
                    continue;
                try
                {
                    if (!method.ContainsGenericParameters)
                        RuntimeHelpers.PrepareMethod(method.MethodHandle);
                    else if (method is MethodInfo { IsGenericMethodDefinition: true } generic && generic.GetGenericArguments().All(SharedFormFits))
                        RuntimeHelpers.PrepareMethod(method.MethodHandle, generic.GetGenericArguments().Select(_ => typeof(object).TypeHandle).ToArray());
                    else
                        continue;
                    compiled++;
                }
                catch (Exception e) when (e is ArgumentException or NotSupportedException or BadImageFormatException or TypeLoadException or InvalidProgramException or MissingMethodException or IOException)
                {
                    // nothing lost: the method compiles on its first call, as it would have anyway
                }
            }
        }

        foreach (var nested in type.GetNestedTypes(BindingFlags.Public | BindingFlags.NonPublic))
            compiled += CompileType(nested);
        return compiled;
    }

    /// <summary>A type parameter that object satisfies: no struct, new() or base-type constraint.</summary>
    private static bool SharedFormFits(Type parameter) =>
        (parameter.GenericParameterAttributes & (GenericParameterAttributes.NotNullableValueTypeConstraint | GenericParameterAttributes.DefaultConstructorConstraint)) == 0
        && parameter.GetGenericParameterConstraints().Length == 0;
}
