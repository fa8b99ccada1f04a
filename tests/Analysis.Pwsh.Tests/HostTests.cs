using Analysis.Testing;
using Xunit;

namespace Analysis.Pwsh.Tests;

/// <summary>The module loads and works beside what pwsh itself brings (its own Roslyn, its own dependencies).</summary>
public sealed class HostTests : IDisposable
{
    private readonly RealPwsh _pwsh = new();

    public void Dispose() => _pwsh.Dispose();

    [Fact]
    public void Pwsh_Is769_AndOurDependenciesLoadIntoTheModuleContext()
    {
        var r = _pwsh.Run("""
            $PSVersionTable.PSVersion.ToString()
            $null = Get-Goroutines $g
            $ctx = [Runtime.Loader.AssemblyLoadContext]::GetLoadContext([Analysis.Go.Goroutine].Assembly).Name
            $ctx
            # pwsh's own Roslyn is on its list; ours must not replace it
            ([AppDomain]::CurrentDomain.GetAssemblies() | Where-Object { $_.GetName().Name -eq 'Microsoft.CodeAnalysis' -and [Runtime.Loader.AssemblyLoadContext]::GetLoadContext($_) -eq [Runtime.Loader.AssemblyLoadContext]::Default }).Count
            """, new Dictionary<string, object?> { ["g"] = Path.Combine(RepoPaths.Root, "tests", "testdata", "go", "goroutines-debug2.txt") });
        Assert.Empty(r.Errors);
        Assert.Equal("7.6.9", r.Output[0]);
        Assert.StartsWith("Analysis module (", r.Output[1], StringComparison.Ordinal);
    }

    [Fact]
    public void InvokeNotebook_WithCSharpCells_RunsOnRoslyn512_BesidePwshsOwnRoslyn()
    {
        // Before the module had its own load context this failed: "Could not load … Microsoft.CodeAnalysis, Version=5.12.0.0".
        string notebook = Path.Combine(RepoPaths.Root, "notebooks", "go-heap-diff.ipynb");
        string html = Path.Combine(RepoPaths.NewScratchDirectory("analysis-pwsh-nb"), "go-heap-diff.html");
        var r = _pwsh.Run("""
            Add-Type -TypeDefinition 'public static class PwshRoslynProbe { }'   # pwsh compiles with its own Roslyn first
            $r = Invoke-Notebook $nb -OutFile $html
            '{0}|{1}|{2}' -f $r.Succeeded, $r.CodeCellsRun, $r.CodeCells
            (Test-Path $html)
            $roslyn = [AppDomain]::CurrentDomain.GetAssemblies() | Where-Object { $_.GetName().Name -eq 'Microsoft.CodeAnalysis' } |
                ForEach-Object { '{0}@{1}' -f $_.GetName().Version, [Runtime.Loader.AssemblyLoadContext]::GetLoadContext($_).Name.Split(' ')[0] } | Sort-Object
            $roslyn -join ';'
            """, new Dictionary<string, object?> { ["nb"] = notebook, ["html"] = html });
        Assert.Empty(r.Errors);
        int codeCells = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(notebook))!["cells"]!.AsArray().Count(c => c!["cell_type"]!.GetValue<string>() == "code");
        Assert.Equal($"True|{codeCells}|{codeCells}", r.Output[0]);
        Assert.Equal("True", r.Output[1]);
        Assert.Equal("5.0.0.0@Default;5.12.0.0@Analysis", r.Output[2]);
    }

    [Fact]
    public void InvokeNotebook_AFailingCSharpCell_IsNotebookCellFailed_AndTheHtmlIsStillWritten()
    {
        string dir = RepoPaths.NewScratchDirectory("analysis-pwsh-nbfail");
        string notebook = Path.Combine(dir, "fails.dib");
        File.WriteAllText(notebook, "#!csharp\nvar answer = 6 * 7;\nanswer\n\n#!csharp\nthrow new InvalidOperationException(\"the cell gave up\");\n");
        var r = _pwsh.Run("""
            $r = Invoke-Notebook $nb -OutFile $html
            $r.Succeeded
            $r.CodeCellsRun
            (Test-Path $html)
            """, new Dictionary<string, object?> { ["nb"] = notebook, ["html"] = Path.Combine(dir, "fails.html") });
        var error = Assert.Single(r.Errors);
        Assert.StartsWith("NotebookCellFailed,", error.Id, StringComparison.Ordinal);
        Assert.Equal("InvalidResult", error.Category);
        Assert.Contains("the cell gave up", error.Message, StringComparison.Ordinal);
        Assert.Equal(["False", "2", "True"], r.Output);
        Assert.Contains("42", File.ReadAllText(Path.Combine(dir, "fails.html")), StringComparison.Ordinal);
    }
}
