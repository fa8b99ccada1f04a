namespace Contoso.Orders
{
    public sealed class LeakedOrder(int id, long amountCents)
    {
        public int Id = id;
        public long AmountCents = amountCents;
        public string? Note;
    }

    // Order lines spread over several arrays held by one outer array: a root path whose index varies at two levels.
    public sealed class SpreadLine(int id)
    {
        public int Id = id;
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

namespace Contoso.Retention
{
    // Known root path: static SessionRegistry.Sessions -> Dictionary<int, CustomerSession> -> Entry[] -> CustomerSession,
    // and each session alone holds its 64-byte token, so a session's retained size is itself + its token.
    public sealed class CustomerSession(int id)
    {
        public int Id = id;
        public byte[] Token = new byte[64];
    }

    // Known retained size: the archive alone holds its blob, its line array and the lines; the shared config is
    // also held by the registry, so it is not part of the archive's retained size.
    public sealed class ReportArchive
    {
        public byte[] Blob = new byte[100_000]; // small enough that LeakedOrder stays the largest type by size
        public string[] Lines = Enumerable.Range(0, 100).Select(i => new string((char)('a' + (i % 26)), 10 + i)).ToArray();
        public SharedConfig? Config;
    }

    public sealed class SharedConfig
    {
        public string Name = "shared";
        public int Version = 3;
    }

    // Values attached through a ConditionalWeakTable are held only by dependent handles (no field refers to them).
    public sealed class NoteKey(int id)
    {
        public int Id = id;
    }

    public sealed class AttachedNote(int id)
    {
        public int Id = id;
        public byte[] Body = new byte[256];
    }

    public static class SessionRegistry
    {
        public const int NoteCount = 10;
        public static readonly List<NoteKey> NoteKeys = new();
        public static readonly System.Runtime.CompilerServices.ConditionalWeakTable<NoteKey, AttachedNote> Notes = new();
        public const int SessionCount = 2_500;
        public static readonly Dictionary<int, CustomerSession> Sessions = new();
        public static ReportArchive? Archive;
        public static SharedConfig? Config;

        public static void Fill()
        {
            for (int i = 0; i < SessionCount; i++)
                Sessions.Add(i, new CustomerSession(i));
            Config = new SharedConfig();
            Archive = new ReportArchive { Config = Config };
            for (int i = 0; i < NoteCount; i++)
            {
                var key = new NoteKey(i);
                NoteKeys.Add(key);
                Notes.Add(key, new AttachedNote(i));
            }
        }
    }
}
