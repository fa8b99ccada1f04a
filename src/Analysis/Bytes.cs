using System.Globalization;

namespace Analysis;

/// <summary>Human-readable byte counts.</summary>
public static class Bytes
{
    /// <summary>"512 B", "12.3 KB", "4.5 MB", "1.2 GB" (binary units).</summary>
    public static string Format(long bytes)
    {
        string[] units = ["B", "KB", "MB", "GB", "TB"];
        double value = bytes;
        int unit = 0;
        while (Math.Abs(value) >= 1024 && unit < units.Length - 1)
        {
            value /= 1024;
            unit++;
        }

        return unit == 0 ? string.Create(CultureInfo.InvariantCulture, $"{bytes} B") : string.Create(CultureInfo.InvariantCulture, $"{value:0.0} {units[unit]}");
    }
}
