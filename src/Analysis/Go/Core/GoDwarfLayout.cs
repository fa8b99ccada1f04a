namespace Analysis.Go.Core;

/// <summary>The runtime's struct layouts read from the executable's DWARF (.debug_info), when it has it.</summary>
internal static class GoDwarfLayout
{
    /// <summary>The layout, or null with why not (no DWARF: a binary built with -ldflags=-w; a field missing).</summary>
    public static GoLayout? TryRead(ElfImage executable, out string? why)
    {
        why = executable.Section(".debug_info") is null ? "the binary has no DWARF (-ldflags=-w)" : "DWARF is not read yet";
        return null;
    }
}
