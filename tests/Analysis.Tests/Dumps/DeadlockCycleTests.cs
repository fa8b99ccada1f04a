using Analysis.Dumps;
using Xunit;

namespace Analysis.Tests.Dumps;

public class DeadlockCycleTests
{
    [Fact]
    public void Description_LabelsLocksPerTypeInCycleOrder_AndUsesIdsForUnnamedThreads()
    {
        var l1 = new LockInfo(0x10, "A.Gate", LockKind.Monitor, 2);
        var l2 = new LockInfo(0x20, "A.Gate", LockKind.Monitor, 1);
        var cycle = new DeadlockCycle(
        [
            new DeadlockLink(1, "first", l2, l1, 2),
            new DeadlockLink(2, null, l1, l2, 1),
        ]);

        Assert.Equal(
            "first (thread 1) holds Gate#1 (0x20), waits for Gate#2 (0x10) held by thread 2; thread 2 holds Gate#2 (0x10), waits for Gate#1 (0x20) held by first (thread 1).",
            cycle.Description);
        Assert.Equal([1, 2], cycle.ThreadIds);
        Assert.Equal(["A.Gate", "A.Gate"], cycle.LockTypes);
    }
}
