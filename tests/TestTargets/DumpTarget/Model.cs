namespace Contoso.Orders
{
    public sealed class LeakedOrder(int id, long amountCents)
    {
        public int Id = id;
        public long AmountCents = amountCents;
        public string? Note;
    }

    // Fewer instances than LeakedOrder but a larger instance size: sorts first by size per instance.
    public sealed class Invoice(int number)
    {
        public int Number = number;
        public long L0, L1, L2, L3, L4, L5, L6, L7, L8, L9, L10, L11, L12, L13, L14, L15;
    }

    // What the "grow" command adds: a cache that only ever grows (the memory-growth scenario).
    public sealed class CachedReport(int id)
    {
        public int Id = id;
        public byte[] Body = new byte[CachedReport.BodySize];
        public const int BodySize = 512;
    }
}

namespace Contoso.Sync
{
    public sealed class AccountLock(int id)
    {
        public int Id = id;
        public override string ToString() => $"AccountLock#{Id}";
    }

    public sealed class PaymentGate
    {
        public int Uses;
    }
}
