using System.Diagnostics;
using System.IO.Compression;

namespace Analysis.Fuzz;

/// <summary>
/// Delta debugging, time-boxed: removes chunks (whole lines first for text, then bytes, halving the chunk size) while
/// the case still ends in the same class. A gzip case is first tried decompressed, so what remains is the protobuf.
/// </summary>
public static class Minimizer
{
    public static byte[] Minimize(byte[] input, Func<byte[], bool> reproduces, TimeSpan budget, bool text)
    {
        var clock = Stopwatch.StartNew();
        byte[] current = input;
        if (Inflate(current) is { } raw && raw.Length < current.Length * 50 && reproduces(raw))
            current = raw;
        if (text)
            current = Pass(current, SplitLines(current), reproduces, budget, clock);
        var bytes = current.Select(b => new[] { b }).ToList();
        return Pass(current, bytes, reproduces, budget, clock);
    }

    private static byte[] Pass(byte[] current, List<byte[]> units, Func<byte[], bool> reproduces, TimeSpan budget, Stopwatch clock)
    {
        int chunk = Math.Max(1, units.Count / 2);
        while (clock.Elapsed < budget && units.Count > 0)
        {
            bool progress = false;
            for (int i = 0; i < units.Count && clock.Elapsed < budget;)
            {
                int n = Math.Min(chunk, units.Count - i);
                var candidate = units.Take(i).Concat(units.Skip(i + n)).ToList();
                byte[] bytes = candidate.SelectMany(u => u).ToArray();
                if (reproduces(bytes))
                {
                    units = candidate;
                    current = bytes;
                    progress = true;
                }
                else
                {
                    i += n;
                }
            }

            if (!progress)
            {
                if (chunk == 1)
                    break;
                chunk = Math.Max(1, chunk / 2);
            }
        }

        return current;
    }

    private static List<byte[]> SplitLines(byte[] data)
    {
        var lines = new List<byte[]>();
        int start = 0;
        for (int i = 0; i < data.Length; i++)
        {
            if (data[i] == (byte)'\n')
            {
                lines.Add(data[start..(i + 1)]);
                start = i + 1;
            }
        }

        if (start < data.Length)
            lines.Add(data[start..]);
        return lines;
    }

    private static byte[]? Inflate(byte[] data)
    {
        if (data.Length < 3 || data[0] != 0x1f || data[1] != 0x8b)
            return null;
        try
        {
            using var gz = new GZipStream(new MemoryStream(data), CompressionMode.Decompress);
            using var ms = new MemoryStream();
            gz.CopyTo(ms);
            return ms.Length > 0 ? ms.ToArray() : null;
        }
        catch (Exception e) when (e is InvalidDataException or IOException)
        {
            return null;
        }
    }
}
