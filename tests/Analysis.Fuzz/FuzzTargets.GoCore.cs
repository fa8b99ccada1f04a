using Analysis.Go;
using Analysis.Stacks;
using Analysis.Testing;
using Analysis.Timelines;

namespace Analysis.Fuzz;

public static partial class FuzzTargets
{
    /// <summary>The executable of the seed cores (tests/TestTargets/go/cores.sh, Go 1.23 build): a damaged core is read with it.</summary>
    private static readonly Lazy<string> s_goCoreExecutable = new(() => GoCoreSet.Instance["go1.23"].Executable);

    /// <summary>A damaged Go core, read with its executable, then every question a user asks of it.</summary>
    private static void GoCoreCase(string file)
    {
        using var core = GoCore.Open(file, s_goCoreExecutable.Value);
        Touch(core);
        var info = core.Info;
        Touch(info);
        Touch(info.Memory);
        foreach (var t in info.Threads)
            Touch(t);
        var dump = core.Goroutines;
        Touch(dump.Total);
        foreach (var g in dump.Goroutines.Take(1000))
        {
            Touch(g);
            Touch(g.Frames);
            Touch(g.WaitingSince);
        }

        foreach (var b in StackGrouper.Group(dump.Goroutines, StackSimilarity.Exact))
            Touch(b);
        foreach (var leak in GoroutineLeaks.Find(dump))
            Touch(leak);
        var source = GoTimelineSources.FromGoCore(core);
        Touch(TimelineBuilder.Build([source]).Events.Count);
    }
}
