using System.Globalization;

namespace Analysis.Isolation;

/// <summary>Linux's counters of a process or a thread, from /proc/&lt;target&gt;/stat ("self", "thread-self" or a process id).</summary>
internal static class ProcStat
{
    /// <summary>The fields after the command name (which may hold spaces): field k of the line is index k - 3.</summary>
    public static string[] Fields(string target)
    {
        string stat = File.ReadAllText($"/proc/{target}/stat");
        return stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
    }

    /// <summary>The minor page faults (first touches of memory) so far.</summary>
    public static long MinorFaults(string target) => long.Parse(Fields(target)[7], CultureInfo.InvariantCulture);

    /// <summary>The minor page faults of a process so far.</summary>
    public static long MinorFaults(int processId) => MinorFaults(processId.ToString(CultureInfo.InvariantCulture));
}
