using System.Text;
using Analysis.Reporting;
using Analysis.Views;
using Markdig;

namespace Analysis.Notebooks;

/// <summary>
/// An executed notebook as one self-contained offline HTML page: markdown rendered, code, outputs, charts (plotly.js
/// embedded once, and only when a chart is present).
/// </summary>
public static class NotebookHtml
{
    private static readonly MarkdownPipeline s_markdown = new MarkdownPipelineBuilder().UseAdvancedExtensions().Build();

    /// <summary>The notebook as an offline HTML page: markdown rendered, code cells with their outputs, and a header with the run's outcome when <paramref name="run"/> is given.</summary>
    public static string Render(NotebookDocument notebook, NotebookRunResult? run = null)
    {
        ArgumentNullException.ThrowIfNull(notebook);
        var report = new HtmlReport(Title(notebook));
        report.Style(Css);
        if (run is not null)
        {
            string status = run.Succeeded
                ? $"Ran {run.CodeCellsRun} code cells in {run.Elapsed.TotalSeconds:N1} s."
                : $"Stopped: {run.Failure}. Ran {run.CodeCellsRun} of {run.CodeCells} code cells.";
            report.Raw($"<p class=\"{(run.Succeeded ? "run-ok" : "run-failed")}\">{E(status)}</p>");
            foreach (string warning in run.Warnings)
                report.Raw($"<p class=\"run-warning\">{E(warning)}</p>");
        }

        bool skippedTitle = false;
        foreach (var cell in notebook.Cells)
        {
            switch (cell.Kind)
            {
                case CellKind.Markdown:
                    string md = cell.Source;
                    if (!skippedTitle && md.TrimStart().StartsWith("# ", StringComparison.Ordinal))
                    {
                        // the page title already shows the notebook's first heading
                        md = string.Join('\n', md.TrimStart().Split('\n').Skip(1));
                    }

                    skippedTitle = true;
                    report.Raw("<div class=\"md\">" + Markdown.ToHtml(md, s_markdown) + "</div>");
                    break;
                case CellKind.Raw:
                    report.Raw("<pre class=\"raw\">" + E(cell.Source) + "</pre>");
                    break;
                default:
                    skippedTitle = true;
                    AppendCode(report, cell);
                    break;
            }
        }

        return report.Render();
    }

    /// <summary>Writes <see cref="Render"/> to <paramref name="path"/> (UTF-8), creating its folder; overwrites an existing file.</summary>
    public static void Save(NotebookDocument notebook, string path, NotebookRunResult? run = null)
    {
        string full = Path.GetFullPath(path);
        if (Path.GetDirectoryName(full) is { } dir)
            Directory.CreateDirectory(dir);
        File.WriteAllText(full, Render(notebook, run), new UTF8Encoding(false));
    }

    private static void AppendCode(HtmlReport report, NotebookCell cell)
    {
        bool injected = cell.Tags.Contains(NotebookRunner.InjectedTag);
        var sb = new StringBuilder();
        sb.Append("<div class=\"cell").Append(injected ? " injected" : "").Append("\">");
        sb.Append("<div class=\"prompt\">").Append(E(cell.Language)).Append(" [").Append(cell.ExecutionCount?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? " ").Append(']')
            .Append(injected ? " injected parameters" : "").Append("</div>");
        sb.Append("<pre class=\"code\">").Append(E(cell.Source)).Append("</pre>");
        bool charts = false;
        foreach (var output in cell.Outputs)
        {
            switch (output.OutputType)
            {
                case "stream":
                    sb.Append("<pre class=\"out ").Append(output.Name == "stderr" ? "stderr" : "stdout").Append("\">").Append(E(output.Text ?? "")).Append("</pre>");
                    break;
                case "error":
                    sb.Append("<pre class=\"out error\">").Append(E($"{output.ErrorName}: {output.ErrorValue}"));
                    foreach (string line in output.Traceback.Skip(1))
                        sb.Append('\n').Append(E(line));
                    sb.Append("</pre>");
                    break;
                default:
                    if (output.Data.TryGetValue("text/html", out string? html))
                    {
                        charts |= html.Contains("Plotly.newPlot", StringComparison.Ordinal);
                        sb.Append("<div class=\"out html\">").Append(html).Append("</div>");
                    }
                    else if (output.Data.TryGetValue("text/markdown", out string? md))
                    {
                        sb.Append("<div class=\"out md\">").Append(Markdown.ToHtml(md, s_markdown)).Append("</div>");
                    }
                    else if (output.Data.TryGetValue("text/plain", out string? text))
                    {
                        sb.Append("<pre class=\"out\">").Append(E(text)).Append("</pre>");
                    }

                    break;
            }
        }

        sb.Append("</div>");
        report.Raw(sb.ToString(), charts);
    }

    private static string Title(NotebookDocument notebook)
    {
        var first = notebook.Cells.FirstOrDefault(c => c.Kind == CellKind.Markdown);
        string? heading = first?.Source.TrimStart().Split('\n')[0];
        if (heading is not null && heading.StartsWith("# ", StringComparison.Ordinal))
            return heading[2..].Trim();
        return notebook.Path is { } p ? Path.GetFileNameWithoutExtension(p) : "Notebook";
    }

    private static string E(string text) => Html.Escape(text);

    private const string Css = """
        .cell { margin: 1rem 0 1.4rem; }
        .cell.injected pre.code { border-left-color: #b54708; }
        .prompt { color: #6b7785; font-size: .75rem; font-family: ui-monospace, monospace; margin-bottom: .15rem; }
        pre.code { border-left: 3px solid #4f8fd6; background: #f6f8fa; }
        pre.out { background: #fff; border: 1px solid #e5e9ee; }
        pre.out.stderr { background: #fff7ed; }
        pre.out.error { background: #fef3f2; color: #b42318; border-color: #fda29b; }
        div.out.html { overflow-x: auto; }
        p.run-ok { color: #067647; }
        p.run-failed { color: #b42318; font-weight: 600; }
        p.run-warning { color: #b54708; }
        """;
}
