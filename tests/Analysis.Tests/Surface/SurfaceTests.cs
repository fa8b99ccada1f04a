using System.Collections;
using System.Reflection;
using Analysis.Notebooks;
using Xunit;

namespace Analysis.Tests.Surface;

/// <summary>
/// What PowerShell's serializers and Format-List read from our objects: every public property (pwsh 7.6 also adapts
/// explicit implementations of public interfaces). No property may hand out engine objects (ClrMD's read the dump
/// through the native DAC when their properties are read: ConvertTo-Json of a session crashed pwsh), and list-valued
/// properties are <see cref="ItemList{T}"/> or <see cref="LabelSet"/>, whose ToString is what Export-Csv writes.
/// </summary>
public class SurfaceTests
{
    private static readonly string[] EngineAssemblies =
        ["Microsoft.Diagnostics.Runtime", "Microsoft.Diagnostics.Tracing.TraceEvent", "Microsoft.Diagnostics.NETCore.Client", "Microsoft.Diagnostics.FastSerialization"];

    /// <summary>Options, and containers the library returns from methods (never emitted by a cmdlet): their lists may be plain.</summary>
    private static readonly string[] Containers =
        ["Analysis.Dumps.DumpOpenOptions", "Analysis.Dumps.HeapStatistics", "Analysis.Dumps.AsyncReport", "Analysis.Dumps.GcRootQuery", "Analysis.Go.GoroutineDump", "Analysis.Go.GcTrace", "Analysis.Traces.TraceAnalysis"];

    private static IEnumerable<PropertyInfo> PublicProperties(params Assembly[] assemblies) =>
        assemblies.SelectMany(a => a.GetExportedTypes())
            .SelectMany(t => t.GetProperties(BindingFlags.Public | BindingFlags.Instance | BindingFlags.Static | BindingFlags.DeclaredOnly)
                .Concat(t.GetInterfaces().Where(i => i.IsPublic).SelectMany(i => i.GetProperties())));

    [Fact]
    public void PublicProperties_NeverHandOutClrMdOrTraceEventObjects()
    {
        var offenders = PublicProperties(typeof(AnalysisException).Assembly, typeof(NotebookRunResult).Assembly)
            .Where(p => IsEngineType(p.PropertyType))
            .Select(p => $"{p.DeclaringType}.{p.Name}: {p.PropertyType}").ToList();
        Assert.True(offenders.Count == 0, string.Join("\n", offenders));
    }

    [Fact]
    public void ListValuedProperties_OfResults_ReadAsText()
    {
        var offenders = PublicProperties(typeof(AnalysisException).Assembly, typeof(NotebookRunResult).Assembly)
            .Where(p => p.DeclaringType!.Namespace is "Analysis.Dumps" or "Analysis.Traces" or "Analysis.Go" or "Analysis.Stacks" || p.DeclaringType == typeof(NotebookRunResult))
            .Where(p => !Containers.Contains(p.DeclaringType!.FullName) && !p.DeclaringType!.IsInterface && p.GetMethod is { IsStatic: false })
            .Where(p => p.PropertyType != typeof(string) && typeof(IEnumerable).IsAssignableFrom(p.PropertyType))
            .Where(p => !(p.PropertyType.IsGenericType && p.PropertyType.GetGenericTypeDefinition() == typeof(ItemList<>)) && p.PropertyType != typeof(LabelSet))
            .Select(p => $"{p.DeclaringType}.{p.Name}: {p.PropertyType}").ToList();
        Assert.True(offenders.Count == 0, string.Join("\n", offenders));
    }

    [Fact]
    public void ItemList_ToString_JoinsFramesAddressesNumbersAndText_AndSaysWhatItLeftOut()
    {
        ItemList<Stacks.StackFrameInfo> frames = [new("Contoso.Job.Run()", "app"), new("Thread.StartCallback", null, Stacks.FrameKind.Runtime)];
        Assert.Equal("Contoso.Job.Run() <- [Thread.StartCallback]", frames.ToString());
        Assert.Equal("0xff, 0x1000", ((ItemList<ulong>)[255UL, 4096UL]).ToString());
        Assert.Equal("0.5, 2", ((ItemList<double>)[0.5, 2.0]).ToString());
        Assert.Equal("a b; c", ((ItemList<string>)["a b", "c"]).ToString());
        Assert.Equal("", ItemList<int>.Empty.ToString());
        string many = Enumerable.Range(0, 10_000).ToItemList().ToString();
        Assert.True(many.Length <= ItemList.MaxTextLength + 20, $"{many.Length} characters");
        Assert.EndsWith(" more", many, StringComparison.Ordinal);
        Assert.Equal("k=v, n=1", ((LabelSet)new Dictionary<string, string> { ["k"] = "v", ["n"] = "1" }).ToString());
    }

    [Fact]
    public void ItemList_ToString_OfFixedItems_IsMadeOnce_AndOfOtherItems_FollowsThem()
    {
        ItemList<Stacks.StackFrameInfo> frames = [new("Contoso.Job.Run()", "app"), new("Thread.StartCallback", null)];
        Assert.Same(frames.ToString(), frames.ToString()); // a stack shared by many exceptions is rendered once
        var item = new Counter();
        ItemList<Counter> counters = [item];
        Assert.Equal("1", counters.ToString());
        Assert.Equal("2", counters.ToString()); // an item whose text changes is read each time
    }

    private sealed class Counter
    {
        private int _n;

        public override string ToString() => (++_n).ToString(System.Globalization.CultureInfo.InvariantCulture);
    }

    private static bool IsEngineType(Type type) =>
        EngineAssemblies.Contains(type.Assembly.GetName().Name)
        || (type.IsGenericType && type.GetGenericArguments().Any(IsEngineType))
        || (type.HasElementType && IsEngineType(type.GetElementType()!));
}
