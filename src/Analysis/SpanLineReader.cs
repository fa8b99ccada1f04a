using System.Runtime.CompilerServices;

namespace Analysis;

/// <summary>
/// Reads lines from text without allocating a string per line: each line is a span over an internal buffer, valid
/// until the next call. Handles \n and \r\n; tracks 1-based line numbers and characters consumed.
/// </summary>
internal sealed class SpanLineReader(TextReader reader, int bufferSize = 1 << 16)
{
    private char[] _buffer = new char[bufferSize];
    private int _start;
    private int _end;
    private bool _eof;

    public int LineNumber { get; private set; }

    public long CharsConsumed { get; private set; }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public bool TryReadLine(out ReadOnlySpan<char> line)
    {
        while (true)
        {
            int newline = _buffer.AsSpan(_start, _end - _start).IndexOf('\n');
            if (newline >= 0)
            {
                line = Trim(_buffer.AsSpan(_start, newline));
                _start += newline + 1;
                CharsConsumed += newline + 1;
                LineNumber++;
                return true;
            }

            if (_eof)
            {
                if (_start < _end)
                {
                    line = Trim(_buffer.AsSpan(_start, _end - _start));
                    CharsConsumed += _end - _start;
                    _start = _end;
                    LineNumber++;
                    return true;
                }

                line = default;
                return false;
            }

            Fill();
        }
    }

    private void Fill()
    {
        if (_start > 0)
        {
            Array.Copy(_buffer, _start, _buffer, 0, _end - _start);
            _end -= _start;
            _start = 0;
        }

        if (_end == _buffer.Length)
            Array.Resize(ref _buffer, _buffer.Length * 2); // a line longer than the buffer

        int n = reader.Read(_buffer, _end, _buffer.Length - _end);
        if (n == 0)
            _eof = true;
        _end += n;
    }

    private static ReadOnlySpan<char> Trim(ReadOnlySpan<char> line) => line.Length > 0 && line[^1] == '\r' ? line[..^1] : line;
}

/// <summary>Interns strings from spans, so repeated names (functions, files) share one string.</summary>
internal sealed class StringPool
{
    private readonly HashSet<string> _set = new(StringComparer.Ordinal);

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public string Get(ReadOnlySpan<char> text)
    {
        var lookup = _set.GetAlternateLookup<ReadOnlySpan<char>>();
        if (lookup.TryGetValue(text, out string? existing))
            return existing;
        string s = text.ToString();
        _set.Add(s);
        return s;
    }
}
