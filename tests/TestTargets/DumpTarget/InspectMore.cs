// Nullable fields with and without a value, DateTimeOffset fields, a LinkedList, a SortedDictionary, a SortedSet, an
// ImmutableList and a two-dimensional array (issue 14, the polish of Get-DumpObject and Get-DumpCollection). Set up at the end of
// Inspectables.SetUp. Every value here is mirrored in tests/Analysis.Testing/TargetFacts.cs (InspectMore* and after).
namespace Contoso.Inspect
{
    // A Nullable shows its value, or null when it has none; a DateTimeOffset shows as one value.
    public sealed class Schedule
    {
        public int? Retries = 3;
        public int? NoRetries;
        public DateTime? Due = new(2026, 12, 24, 18, 0, 0, DateTimeKind.Utc);
        public GeoPoint? Pin = new(46.2044, 6.1432);
        public GeoPoint? NoPin;
        public DateTimeOffset Opened = new(2026, 11, 28, 13, 45, 30, TimeSpan.FromMinutes(90));
        public DateTimeOffset? Closed = new(2026, 11, 29, 8, 0, 0, TimeSpan.FromHours(-5));
        public DateTimeOffset? NotClosed;
        public int?[] Scores = [7, null, 9];
    }

    public static class MoreInspectables
    {
        public static Schedule? Schedule;
        public static LinkedList<string>? Route;
        public static int[,]? Grid;
        public static SortedDictionary<string, int>? Ranks;
        public static SortedSet<int>? Milestones;
        public static System.Collections.Immutable.ImmutableList<string>? Crew;

        public static void SetUp()
        {
            Schedule = new Schedule();
            // "Bern" is added then removed: the list's nodes link past it.
            Route = new LinkedList<string>(["Basel", "Bern", "Zürich"]);
            Route.AddFirst("Genève");
            Route.Remove("Bern");
            Route.AddLast("Chur");
            // Added out of order (and one removed): read in key order from the red-black tree.
            Ranks = new SortedDictionary<string, int> { ["delta"] = 4, ["alpha"] = 1, ["echo"] = 5, ["charlie"] = 3, ["bravo"] = 2 };
            Ranks.Remove("charlie");
            Milestones = [50, 10, 40, 20, 30, 60, 70];
            Milestones.Remove(40);
            // An AVL tree in list order: built by adds, an insert and a removal (the leaves link to the empty node, not null).
            Crew = System.Collections.Immutable.ImmutableList.Create("Ada", "Grace", "Linus", "Barbara", "Edsger").Insert(1, "Alan").Remove("Linus");
            Grid = new int[3, 4];
            for (int i = 0; i < 3; i++)
            {
                for (int j = 0; j < 4; j++)
                    Grid[i, j] = (10 * i) + j;
            }
        }
    }
}
