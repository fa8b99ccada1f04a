using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text.Json;
using Analysis.Testing;
using Microsoft.Playwright;
using Xunit;
using Xunit.Abstractions;

namespace Analysis.Kernel.Tests;

/// <summary>
/// A real browser on a real notebook server: headless Chromium (Debian's /usr/bin/chromium, driven by Playwright for
/// .NET; no browser is downloaded) opens notebooks/go-goroutine-leak.ipynb on the shared <see cref="NotebookServer"/>,
/// in the kernel under test (<see cref="JupyterKernels.UnderTest"/>), runs all its cells as a user does (the notebook's
/// execute_all_cells, as Cell > Run All), waits until every cell has run and the kernel is idle, and looks at the page:
/// our HTML tables with the fixture's facts (tests/testdata/go/MANIFEST), a chart Plotly drew (an &lt;svg&gt; in a
/// .js-plotly-plot), no console error, and no request for anything off this machine (every request not to 127.0.0.1 is
/// aborted and recorded: plotly.js must come with our output). The page's screenshot is kept in artifacts/test-results.
/// </summary>
public sealed class BrowserNotebookTests(ITestOutputHelper output) : IClassFixture<NotebookServer.Fixture>
{
    private const string Chromium = "/usr/bin/chromium";

    private const string NotebookName = "go-goroutine-leak.ipynb";

    /// <summary>Console errors of the notebook page itself (never of our outputs) that say nothing about the kernel: none so far.</summary>
    private static readonly string[] s_ignoredConsoleErrors = [];

    [SkippableFact]
    public async Task GoLeakNotebook_InChromiumOnTheNotebookServer_ShowsOurTablesAndADrawnChart_WithNothingFetchedOffTheMachine()
    {
        string kernel = JupyterKernels.UnderTest;
        Skip.If(!File.Exists(Chromium), $"Skipped: no {Chromium} (dotnet fsi build.fsx test installs Debian's chromium)");
        Skip.If(JupyterKernels.Missing(kernel) is not null, $"Skipped: {JupyterKernels.Missing(kernel)}");
        Skip.If(NotebookServer.Missing is not null, $"Skipped: {NotebookServer.Missing}");
        var server = NotebookServer.Instance!;
        output.WriteLine($"notebook server {server.Url} (started in {server.StartTime.TotalSeconds:N1} s, serving {NotebookServer.Root})");

        // the repository's notebook as it would run in the kernel under test (its metadata names that kernel)
        string notebook = Path.Combine(NotebookServer.NotebookFolder, $"browser-{kernel.TrimStart('.')}-{NotebookName}");
        var write = JupyterKernels.Run("/usr/bin/python3", [JupyterKernel.Driver, Path.Combine(RepoPaths.Root, "notebooks", NotebookName), notebook, "--kernel", kernel, "--write-only"],
            env: new Dictionary<string, string> { ["JUPYTER_PATH"] = JupyterKernels.JupyterPath });
        Assert.True(write.ExitCode == 0, $"run_notebook.py --write-only failed: {write.Stderr}");

        var offMachine = new ConcurrentBag<string>();
        var consoleErrors = new ConcurrentBag<string>();
        var clock = Stopwatch.StartNew();
        using var playwright = await Playwright.CreateAsync();
        await using var browser = await playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = Chromium,
            Headless = true,
            // no DNS for any name but loopback: a request the route below missed still cannot leave the machine
            Args = ["--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1", "--disable-background-networking", "--no-first-run"],
        });
        output.WriteLine($"Chromium {browser.Version} launched by Playwright in {clock.Elapsed.TotalSeconds:N1} s");
        await using var context = await browser.NewContextAsync(new BrowserNewContextOptions { ViewportSize = new ViewportSize { Width = 1400, Height = 1000 } });
        await context.RouteAsync("**/*", async route =>
        {
            if (new Uri(route.Request.Url).Host == "127.0.0.1")
            {
                await route.ContinueAsync();
            }
            else
            {
                offMachine.Add(route.Request.Url);
                await route.AbortAsync("blockedbyclient");
            }
        });
        var page = await context.NewPageAsync();
        page.Console += (_, message) =>
        {
            if (message.Type == "error")
                consoleErrors.Add($"{message.Text} ({message.Location})");
        };
        page.PageError += (_, error) => consoleErrors.Add($"uncaught: {error}");
        page.WebSocket += (_, socket) =>
        {
            if (new Uri(socket.Url).Host != "127.0.0.1")
                offMachine.Add(socket.Url);
        };

        string relative = $"notebooks/{Path.GetFileName(notebook)}";
        try
        {
            await page.GotoAsync(server.NotebookUrl(relative).ToString());
            // the notebook loaded and its kernel (the one its metadata names) connected
            await page.WaitForFunctionAsync("() => window.Jupyter && Jupyter.notebook && Jupyter.notebook._fully_loaded && Jupyter.notebook.kernel && Jupyter.notebook.kernel.is_connected()",
                null, new PageWaitForFunctionOptions { Timeout = 180_000, PollingInterval = 200 });
            string kernelName = await page.EvaluateAsync<string>("() => Jupyter.notebook.kernel.name");
            Assert.Equal(kernel, kernelName);
            output.WriteLine($"{relative} open in {kernelName} after {clock.Elapsed.TotalSeconds:N1} s");

            // never saved: the outputs stay in the page
            await page.EvaluateAsync("() => { Jupyter.notebook.set_autosave_interval(0); Jupyter.notebook.execute_all_cells(); }");
            await page.WaitForFunctionAsync(
                """
                () => Jupyter.notebook.get_cells().filter(c => c.cell_type === 'code').every(c => typeof c.input_prompt_number === 'number')
                      && document.querySelector('#kernel_indicator_icon.kernel_idle_icon') !== null
                """,
                null, new PageWaitForFunctionOptions { Timeout = 600_000, PollingInterval = 250 });
            output.WriteLine($"all cells ran, kernel idle, after {clock.Elapsed.TotalSeconds:N1} s");
            // Plotly draws after the output is attached
            await page.WaitForSelectorAsync(".js-plotly-plot svg", new PageWaitForSelectorOptions { Timeout = 30_000, State = WaitForSelectorState.Attached });
        }
        finally
        {
            string shots = Path.Combine(RepoPaths.Root, "artifacts", "test-results");
            Directory.CreateDirectory(shots);
            string shot = Path.Combine(shots, $"browser-{kernel.TrimStart('.')}-{Path.GetFileNameWithoutExtension(NotebookName)}.png");
            // the notebook scrolls inside #site: let it grow so the screenshot holds the whole notebook
            await page.EvaluateAsync("() => { const site = document.getElementById('site'); if (site) { site.style.height = 'auto'; site.style.overflow = 'visible'; } document.body.style.overflow = 'visible'; }");
            await page.ScreenshotAsync(new PageScreenshotOptions { Path = shot, FullPage = true });
            output.WriteLine($"screenshot: {shot}");
            output.WriteLine($"console errors: {consoleErrors.Count}{string.Concat(consoleErrors.Select(e => "\n  " + e))}");
            output.WriteLine($"requests off this machine: {offMachine.Count}{string.Concat(offMachine.Distinct().Select(u => "\n  " + u))}");
            await page.EvaluateAsync("() => window.Jupyter && Jupyter.notebook && Jupyter.notebook.session && Jupyter.notebook.session.delete()");
        }

        var facts = File.ReadLines(Path.Combine(RepoPaths.Root, "tests", "testdata", "go", "MANIFEST"))
            .Where(l => l.Contains('=', StringComparison.Ordinal) && !l.StartsWith('#')).Select(l => l.Split('=', 2)).ToDictionary(p => p[0], p => p[1]);

        // every cell ran without an error output
        var errors = await page.EvaluateAsync<string[]>("() => Array.from(document.querySelectorAll('.output_error, .output_stderr')).map(e => e.innerText)");
        Assert.True(errors.Length == 0, $"{errors.Length} error output(s) in the page:\n{string.Join("\n", errors)}");

        // the text output and our tables: the fixture's goroutine count, and the leaked buckets' sizes in table cells
        string text = await page.InnerTextAsync("#notebook-container");
        Assert.Contains($"{facts["goroutines.debug2.total"]} goroutines in ../tests/testdata/go/goroutines-debug2.txt", text, StringComparison.Ordinal);
        var cells = await page.EvaluateAsync<string[]>("() => Array.from(document.querySelectorAll('.output_area table.analysis td')).map(td => td.innerText.trim())");
        output.WriteLine($"{await page.Locator(".output_area table.analysis").CountAsync()} tables of ours, {cells.Length} cells");
        foreach (string fact in new[] { "facts.leaked_receivers", "facts.leaked_senders", "facts.leaked_pollers" })
            Assert.Contains(facts[fact], cells);

        // a chart drawn by plotly.js: an <svg> inside a .js-plotly-plot with a trace's marks in it (a bar is a path in a g.trace)
        int charts = await page.Locator(".js-plotly-plot").CountAsync();
        int marks = await page.Locator(".js-plotly-plot svg g.trace path").CountAsync();
        output.WriteLine($"{charts} Plotly chart(s), {marks} marks drawn");
        Assert.True(charts > 0 && marks > 0, "no chart drawn by plotly.js in the page");

        var unexpected = consoleErrors.Where(e => !s_ignoredConsoleErrors.Any(i => e.Contains(i, StringComparison.Ordinal))).ToList();
        Assert.True(unexpected.Count == 0, $"console errors:\n{string.Join("\n", unexpected)}");
        Assert.True(offMachine.IsEmpty, $"requests for something off this machine (aborted):\n{string.Join("\n", offMachine.Distinct())}");
        output.WriteLine($"{clock.Elapsed.TotalSeconds:N1} s in all; console errors: {consoleErrors.Count}; off-machine requests: {offMachine.Count}");
    }
}
