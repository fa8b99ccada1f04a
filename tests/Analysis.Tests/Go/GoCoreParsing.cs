using System.Collections.Concurrent;
using Analysis.Go;
using Analysis.Testing;

namespace Analysis.Tests.Go;

/// <summary>
/// The Go core fixtures' tracebacks read by <see cref="GoroutineDumpParser"/>: the objects users get from text dumps, to
/// compare a core reader with. Here, not in Analysis.Testing, which stays free of Analysis.dll (the hosted-runspace
/// tests must load the module's own copy).
/// </summary>
public static class GoCoreParsing
{
    private static readonly ConcurrentDictionary<string, Lazy<GoroutineDump>> s_parsed = new(StringComparer.Ordinal);

    /// <summary>The fixture's traceback (<see cref="GoCoreFixture.TracebackPath"/>) parsed once per test process.</summary>
    public static GoroutineDump Parsed(this GoCoreFixture fixture) =>
        s_parsed.GetOrAdd(fixture.TracebackPath, p => new Lazy<GoroutineDump>(() => GoroutineDumpParser.ParseFile(p))).Value;
}
