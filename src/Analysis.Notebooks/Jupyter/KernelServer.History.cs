using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace Analysis.Notebooks.Jupyter;

/// <summary>
/// history_request: the inputs of this kernel process's executions that stored history, for a console's up-arrow and
/// JupyterLab's console. Kept in memory only (a restart starts a new, empty session, and nothing is written to disk).
/// </summary>
public sealed partial class KernelServer
{
    /// <summary>This process's session number in history replies (one kernel process is one session).</summary>
    private const int HistorySession = 1;

    private readonly List<(int Line, string Input)> _history = new();

    /// <summary>Records a cell that counted (store_history and not silent) under its execution count.</summary>
    private void Remember(int line, string input)
    {
        lock (_history)
            _history.Add((line, input));
    }

    /// <summary>
    /// tail (the last n), range (lines start ≤ line &lt; stop of this session; session 0 or ours; other sessions have
    /// nothing) or search (a glob over the inputs, the last n, unique drops repeated inputs). Entries are
    /// [session, line, input], or [session, line, [input, null]] when output is asked (outputs are not kept).
    /// </summary>
    private JsonObject HistoryReply(JsonObject content)
    {
        List<(int Line, string Input)> all;
        lock (_history)
            all = [.. _history];
        string access = content["hist_access_type"]?.GetValue<string>() ?? "tail";
        int? n = content["n"]?.GetValue<int>();
        IEnumerable<(int Line, string Input)> chosen = access switch
        {
            "tail" => n is { } tail ? all.TakeLast(Math.Max(tail, 0)) : all,
            "range" => Range(all, content),
            "search" => Search(all, content["pattern"]?.GetValue<string>() ?? "*", content["unique"]?.GetValue<bool>() ?? false, n),
            _ => [],
        };
        bool withOutput = content["output"]?.GetValue<bool>() ?? false;
        var history = new JsonArray();
        foreach (var (line, input) in chosen)
            history.Add(new JsonArray(HistorySession, line, withOutput ? new JsonArray(input, null) : JsonValue.Create(input)));
        return new JsonObject { ["status"] = "ok", ["history"] = history };
    }

    private static IEnumerable<(int Line, string Input)> Range(List<(int Line, string Input)> all, JsonObject content)
    {
        int session = content["session"]?.GetValue<int>() ?? 0;
        if (session is not (0 or HistorySession))
            return [];
        int start = content["start"]?.GetValue<int>() ?? 0;
        int? stop = content["stop"]?.GetValue<int>();
        return all.Where(h => h.Line >= start && (stop is null || h.Line < stop));
    }

    private static IEnumerable<(int Line, string Input)> Search(List<(int Line, string Input)> all, string pattern, bool unique, int? n)
    {
        // IPython's search: a glob over the whole input ('*' any text, '?' one character)
        var glob = new Regex("^" + Regex.Escape(pattern).Replace("\\*", ".*", StringComparison.Ordinal).Replace("\\?", ".", StringComparison.Ordinal) + "$",
            RegexOptions.Singleline | RegexOptions.CultureInvariant, TimeSpan.FromSeconds(1));
        var found = all.Where(h => glob.IsMatch(h.Input)).ToList();
        if (unique)
            found = [.. found.GroupBy(h => h.Input, StringComparer.Ordinal).Select(g => g.Last()).OrderBy(h => h.Line)];
        return n is { } last ? found.TakeLast(Math.Max(last, 0)) : found;
    }
}
