// Objects with known field values, collections with known entries and GC handles of every kind: what the tests of
// Get-DumpObject, Get-DumpCollection, Measure-DumpObject, Get-GcHeap and Get-DumpHandles look at (issue 14). Every
// value here is mirrored in tests/Analysis.Testing/TargetFacts.cs (Inspect*).
using System.Collections.Concurrent;
using System.Runtime.InteropServices;

namespace Contoso.Inspect
{
    public enum OrderStatus : short
    {
        Pending = 1,
        Shipped = 2,
        Cancelled = 3,
    }

    [Flags]
    public enum Channel
    {
        Web = 1,
        Phone = 2,
        Store = 4,
    }

    // A struct holding a reference: shown inline in its owner, its string followed like any reference.
    public struct Money(long cents, string currency)
    {
        public long Cents = cents;
        public string Currency = currency;
    }

    public struct GeoPoint(double lat, double lon)
    {
        public double Lat = lat;
        public double Lon = lon;
    }

    public sealed class ShippingLabel(string carrier, int parcels)
    {
        public string Carrier = carrier;
        public int Parcels = parcels;
    }

    // One object with a field of every kind an investigator meets.
    public sealed class InspectedOrder
    {
        public int Id = 4242;
        public long Total = 123_456_789_012;
        public bool Express = true;
        public char Grade = 'B';
        public double Weight = 12.5;
        public float Ratio = 0.25f;
        public byte Priority = 7;
        public sbyte Delta = -3;
        public ushort Boxes = 65_000;
        public uint Flags = 0xDEADBEEF;
        public ulong Serial = 18_000_000_000_000_000_000;
        public decimal Tax = 19.99m;
        public Guid Reference = new("0f8fad5b-d9cb-469f-a165-70867728950e");
        public DateTime Placed = new(2026, 11, 28, 13, 45, 30, DateTimeKind.Utc);
        public TimeSpan Timeout = TimeSpan.FromSeconds(90);
        public nint Handle = 0x1234;
        public string Customer = "Ada Lovelace";
        public string City = "Zürich ✓";
        public string? Missing;
        public OrderStatus Status = OrderStatus.Shipped;
        public Channel Channels = Channel.Web | Channel.Store;
        public Money Price = new(1999, "EUR");
        public GeoPoint Where = new(47.3769, 8.5417);
        public ShippingLabel Label = new("Contoso Post", 3);
        public int[] Quantities = [3, 1, 4, 1, 5, 9, 2, 6];
        public byte[] Payload = [0xCA, 0xFE, 0xBA, 0xBE, 0x00, 0x01];
        public string[] Tags = ["urgent", "fragile", "gift"];
        public Money[] History = [new(100, "USD"), new(250, "CHF")];
        public object Boxed = 42;
        public string LongNote = new('x', 10_000);
        public InspectedOrder? Next;
    }

    public static class Inspectables
    {
        public const int PinnedBufferBytes = 4_096;
        public const int PinnedHeapBytes = 8_192;
        public const int StrongHandles = 5;

        public static InspectedOrder? Order;
        public static List<string>? Names;
        public static Dictionary<string, int>? Stock;
        public static HashSet<int>? Primes;
        public static ConcurrentDictionary<int, string>? Lookup;
        public static ConcurrentQueue<string>? Pending;
        public static Queue<int>? Ring;
        public static Stack<string>? Undo;
        public static Dictionary<int, ShippingLabel>? Labels;
        public static byte[]? PinnedOnHeap;
        public static GeoPoint Home = new(51.5072, -0.1276); // a struct static: the runtime keeps it boxed, the box in its statics array
        public static object? WeakTarget;
        private static readonly List<GCHandle> s_handles = new();

        public static void SetUp()
        {
            Order = new InspectedOrder { Next = new InspectedOrder { Id = 4243, Customer = "Grace Hopper" } };
            Names = ["alpha", "beta", "gamma"];
            // "kiwi" is added then removed: the entries array keeps a free slot the reader must skip.
            Stock = new Dictionary<string, int> { ["apple"] = 3, ["kiwi"] = 0, ["pear"] = 5, ["plum"] = 7 };
            Stock.Remove("kiwi");
            Primes = [2, 3, 5, 7, 11];
            Lookup = new ConcurrentDictionary<int, string>();
            Lookup[1] = "one";
            Lookup[2] = "two";
            Lookup[3] = "three";
            Pending = new ConcurrentQueue<string>();
            Pending.Enqueue("q1");
            Pending.Enqueue("q2");
            Pending.Enqueue("q3");
            // A ring whose head has moved: 10, 11 dequeued, so the live items are 12..16 from index 2 of the array.
            Ring = new Queue<int>(8);
            for (int i = 10; i <= 16; i++)
                Ring.Enqueue(i);
            Ring.Dequeue();
            Ring.Dequeue();
            Undo = new Stack<string>();
            Undo.Push("s1");
            Undo.Push("s2");
            Labels = new Dictionary<int, ShippingLabel> { [1] = new("Contoso Post", 1), [2] = new("Fabrikam Freight", 2) };

            // Handles: one pinned buffer (a classic fragmentation cause), an array on the pinned object heap, strong
            // handles to labels, a weak handle whose target is alive.
            s_handles.Add(GCHandle.Alloc(new byte[PinnedBufferBytes], GCHandleType.Pinned));
            PinnedOnHeap = GC.AllocateArray<byte>(PinnedHeapBytes, pinned: true);
            for (int i = 0; i < StrongHandles; i++)
                s_handles.Add(GCHandle.Alloc(new ShippingLabel("handle", i), GCHandleType.Normal));
            WeakTarget = new ShippingLabel("weak", 0);
            s_handles.Add(GCHandle.Alloc(WeakTarget, GCHandleType.Weak));
            MoreInspectables.SetUp();
        }
    }
}
