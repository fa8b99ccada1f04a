using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Runtime.CompilerServices;
using Analysis.Views;

namespace Analysis.Notebooks;

/// <summary>The views of this library's result types, in the core's catalog (<see cref="ViewCatalog"/>).</summary>
internal static class NotebookViews
{
    /// <summary>Runs when the library loads, so the catalog knows the views before any result is shown.</summary>
    [ModuleInitializer]
    [SuppressMessage("Usage", "CA2255:The 'ModuleInitializer' attribute should not be used in libraries", Justification = "Registers this library's views with the catalog when it loads; touches nothing else.")]
    internal static void Register()
    {
        ViewCatalog.Register(new View(typeof(NotebookRunResult), ViewKind.Table,
        [
            ViewColumn.Of(nameof(NotebookRunResult.Succeeded)) with { Width = 9 },
            ViewColumn.Computed<NotebookRunResult>("Cells", r => string.Create(CultureInfo.InvariantCulture, $"{r.CodeCellsRun}/{r.CodeCells}")) with { Width = 7, Alignment = CellAlignment.Right },
            ViewColumn.Computed<NotebookRunResult>("Seconds", r => r.Elapsed.TotalSeconds) with { Format = "N1", Width = 7, Alignment = CellAlignment.Right },
            ViewColumn.Of(nameof(NotebookRunResult.Path)),
            ViewColumn.Of(nameof(NotebookRunResult.Failure)) with { Under = "" },
        ]));
    }
}
