namespace Analysis;

/// <summary>An open analysis of one file.</summary>
public interface IAnalysisSession : IDisposable
{
    /// <summary>Full path of the file analyzed.</summary>
    string Path { get; }

    /// <summary>Whether the session was disposed; its questions then fail with SessionClosed.</summary>
    bool IsClosed { get; }
}

/// <summary>
/// Keeps sessions open between questions so a second question about the same file reuses the first one's work.
/// Sessions opened explicitly are kept until closed; sessions opened implicitly (a cmdlet given -Path) are kept
/// in a small most-recently-used set and closed when pushed out. A file that changed on disk (length or write
/// time) is opened afresh. Thread-safe.
/// </summary>
public class SessionCache<TSession>
    where TSession : class, IAnalysisSession
{
    private readonly object _sync = new();
    private readonly List<Entry> _entries = new();
    private readonly int _implicitCapacity;

    /// <summary>A cache that keeps at most <paramref name="implicitCapacity"/> implicitly opened sessions (0: none kept).</summary>
    public SessionCache(int implicitCapacity = 3)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(implicitCapacity);
        _implicitCapacity = implicitCapacity;
    }

    private sealed record Key(string Path, long Length, DateTime WriteTimeUtc, string Options);

    private sealed class Entry(Key key, TSession session, bool pinned)
    {
        public Key Key { get; } = key;
        public TSession Session { get; } = session;
        public bool Pinned { get; set; } = pinned;
    }

    /// <summary>Open sessions, most recently used first.</summary>
    public IReadOnlyList<TSession> Sessions
    {
        get
        {
            lock (_sync)
                return _entries.Select(e => e.Session).ToArray();
        }
    }

    /// <summary>The most recently used open session of this file (whatever its options), if the file has not changed since.</summary>
    public TSession? FindOpen(string path)
    {
        string full = System.IO.Path.GetFullPath(path);
        if (!File.Exists(full))
            return null;
        var info = InputFile.Info(full);
        lock (_sync)
        {
            return _entries.FirstOrDefault(e => e.Key.Path == full && e.Key.Length == info.Length && e.Key.WriteTimeUtc == info.LastWriteTimeUtc && !e.Session.IsClosed)?.Session;
        }
    }

    /// <summary>Returns the open session for this file and options, or opens one with <paramref name="open"/>.</summary>
    /// <param name="path">The file; relative paths resolve against the current directory.</param>
    /// <param name="optionsKey">The session's options in a string: sessions of one file with other options are distinct ("" when there are none).</param>
    /// <param name="validate">Checks the file first, so a missing or bad file reports its own error.</param>
    /// <param name="open">Opens a session of the full path when none is open.</param>
    /// <param name="keepOpen">Keep it until <see cref="Close"/>; otherwise it may be evicted.</param>
    protected TSession GetOrOpen(string path, string optionsKey, Action<string> validate, Func<string, TSession> open, bool keepOpen)
    {
        string full = System.IO.Path.GetFullPath(path);
        validate(full);
        var info = InputFile.Info(full);
        var key = new Key(full, info.Length, info.LastWriteTimeUtc, optionsKey);

        lock (_sync)
        {
            int index = _entries.FindIndex(e => e.Key == key && !e.Session.IsClosed);
            if (index >= 0)
            {
                var hit = _entries[index];
                hit.Pinned |= keepOpen;
                _entries.RemoveAt(index);
                _entries.Insert(0, hit);
                return hit.Session;
            }
        }

        // Open outside the lock: it can take seconds, and other files need not wait.
        var session = open(full);
        var evicted = new List<TSession>();
        lock (_sync)
        {
            int raced = _entries.FindIndex(e => e.Key == key && !e.Session.IsClosed);
            if (raced >= 0)
            {
                evicted.Add(session);
                session = _entries[raced].Session;
                _entries[raced].Pinned |= keepOpen;
            }
            else
            {
                _entries.Insert(0, new Entry(key, session, keepOpen));
                // Closed sessions and stale versions of the same file go; then the oldest implicit ones beyond capacity.
                foreach (var stale in _entries.Where(e => e.Session.IsClosed || (e.Key.Path == key.Path && e.Key != key && !e.Pinned)).ToArray())
                {
                    _entries.Remove(stale);
                    evicted.Add(stale.Session);
                }

                foreach (var old in _entries.Where(e => !e.Pinned).Skip(_implicitCapacity).ToArray())
                {
                    _entries.Remove(old);
                    evicted.Add(old.Session);
                }
            }
        }

        foreach (var s in evicted)
            s.Dispose();
        return session;
    }

    /// <summary>Closes a session and forgets it.</summary>
    public void Close(TSession session)
    {
        ArgumentNullException.ThrowIfNull(session);
        lock (_sync)
            _entries.RemoveAll(e => ReferenceEquals(e.Session, session));
        session.Dispose();
    }

    /// <summary>Closes every session (module unload, runspace close).</summary>
    public void CloseAll()
    {
        TSession[] all;
        lock (_sync)
        {
            all = _entries.Select(e => e.Session).ToArray();
            _entries.Clear();
        }

        foreach (var s in all)
            s.Dispose();
    }
}
