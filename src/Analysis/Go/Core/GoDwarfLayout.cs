namespace Analysis.Go.Core;

/// <summary>The runtime's struct layouts read from the executable's DWARF (.debug_info), when it has it.</summary>
internal static class GoDwarfLayout
{
    /// <summary>The layout, or null with why not (no DWARF: a binary built with -ldflags=-w; a field missing).</summary>
    public static GoLayout? TryRead(ElfImage executable, out string? why)
    {
        if (executable.Section(".debug_info") is null)
        {
            why = "the binary has no DWARF (-ldflags=-w)";
            return null;
        }

        GoDwarf dwarf = GoDwarf.FromElf(executable);
        var layout = GoLayout.FromDwarf((type, field) => dwarf.Struct(type)?.Field(field)?.Offset, out string? missing);
        why = layout is null
            ? $"its DWARF has no {missing}{(dwarf.Problems.Count > 0 ? " (" + string.Join("; ", dwarf.Problems.Take(2)) + ")" : "")}"
            : null;
        return layout;
    }
}
