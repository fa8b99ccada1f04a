using System.Management.Automation;
using Analysis.Go;

namespace Analysis.PowerShell.Commands;

/// <summary>Lists the functions with the largest values in a profile, like go tool pprof -top.</summary>
/// <remarks>
/// <para>
/// Flat (samples whose innermost frame is the function) and cumulative values per function, with percentages of the
/// total, for the chosen sample index. -Baseline (alias -Base, as go tool pprof names it) subtracts another profile first (the heap growth between two snapshots);
/// -Label keeps only the samples with a label.
/// </para>
/// </remarks>
/// <example>
/// <code>Get-PprofTop ./heap-2.pb.gz -Baseline ./heap-1.pb.gz -Top 5</code>
/// <para>What grew between two heap snapshots.</para>
/// </example>
/// <example>
/// <code>Get-PprofTop ./cpu.pb.gz -Cumulative</code>
/// <para>CPU by inclusive time.</para>
/// </example>
/// <example>
/// <code>Get-PprofTop ./allocs.pb.gz -SampleIndex alloc_space -Top 5</code>
/// <para>The functions that allocated the most bytes since the program started, freed or not.</para>
/// </example>
[Cmdlet(VerbsCommon.Get, "PprofTop", DefaultParameterSetName = ProfileSet)]
[OutputType(typeof(PprofTopRow))]
public sealed class GetPprofTopCommand : PprofCmdlet
{
    /// <summary>How many functions to return.</summary>
    [Parameter]
    [ValidateRange(1, int.MaxValue)]
    public int Top { get; set; } = 20;

    /// <summary>Rank by cumulative value (the function and everything it calls) instead of flat.</summary>
    [Parameter]
    public SwitchParameter Cumulative { get; set; }

    /// <inheritdoc/>
    protected override void Process(PprofProfile profile)
    {
        foreach (var row in PprofQueries.Top(profile, Top, SampleIndex, Cumulative, Label))
            WriteResult(row);
    }
}
