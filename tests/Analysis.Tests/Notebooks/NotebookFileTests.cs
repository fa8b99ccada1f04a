using System.Text.Json.Nodes;
using Analysis.Notebooks;
using Analysis.Testing;
using Xunit;

namespace Analysis.Tests.Notebooks;

public class NotebookFileTests
{
    private const string Ipynb = """
        {
          "cells": [
            { "cell_type": "markdown", "metadata": {}, "source": ["# Title\n", "text"] },
            { "cell_type": "code", "execution_count": 7, "metadata": { "tags": ["parameters"] }, "outputs": [{"output_type":"stream","name":"stdout","text":["old"]}], "source": "var a = 1;" },
            { "cell_type": "code", "execution_count": null, "metadata": { "polyglot_notebook": { "kernelName": "pwsh" } }, "outputs": [], "source": ["Get-Date"] },
            { "cell_type": "code", "execution_count": null, "metadata": { "dotnet_interactive": { "language": "fsharp" } }, "outputs": [], "source": ["1 + 1"] },
            { "cell_type": "code", "execution_count": null, "metadata": {}, "outputs": [], "source": ["#!pwsh\n", "$x = 1"] },
            { "cell_type": "raw", "metadata": {}, "source": "raw text" }
          ],
          "metadata": { "kernelspec": { "name": ".net-csharp", "language": "C#" } },
          "nbformat": 4, "nbformat_minor": 5
        }
        """;

    [Fact]
    public void Ipynb_CellsLanguagesTagsAndOutputsAreRead()
    {
        var doc = NotebookFile.ParseIpynb(Ipynb, "x.ipynb");
        Assert.Equal("csharp", doc.DefaultLanguage);
        Assert.Equal([CellKind.Markdown, CellKind.Code, CellKind.Code, CellKind.Code, CellKind.Code, CellKind.Raw], doc.Cells.Select(c => c.Kind));
        Assert.Equal("# Title\ntext", doc.Cells[0].Source);
        Assert.Equal(["csharp", "pwsh", "fsharp", "pwsh"], doc.Cells.Where(c => c.Kind == CellKind.Code).Select(c => c.Language));
        Assert.Equal(["parameters"], doc.Cells[1].Tags);
        // a leading #!pwsh magic picks the language and leaves the code
        Assert.Equal("$x = 1", doc.Cells[4].Source);
        Assert.True(NotebookRunner.IsParametersCell(doc.Cells[1]));
        Assert.False(NotebookRunner.IsParametersCell(doc.Cells[2]));
    }

    [Fact]
    public void Dib_SectionsBecomeCells_AndMetaIsKept()
    {
        var doc = NotebookFile.ParseDib("""
            #!meta

            {"kernelInfo":{"defaultKernelName":"csharp"}}

            #!markdown

            # Heading

            #!pwsh

            # parameters
            $Dump = 'a.dmp'

            #!csharp

            var n = 1;
            #!not-a-magic stays in the code
            """);
        Assert.Equal(3, doc.Cells.Count);
        Assert.Equal(CellKind.Markdown, doc.Cells[0].Kind);
        Assert.Equal("pwsh", doc.Cells[1].Language);
        Assert.True(NotebookRunner.IsParametersCell(doc.Cells[1]));
        Assert.Equal("var n = 1;\n#!not-a-magic stays in the code", doc.Cells[2].Source);
        Assert.Equal("csharp", doc.Metadata["kernelInfo"]?["defaultKernelName"]?.GetValue<string>());
    }

    [Fact]
    public void Write_ProducesNbformat4ThatReadsBackWithOutputs()
    {
        var doc = NotebookFile.ParseIpynb(Ipynb);
        doc.Cells[1].ExecutionCount = 3;
        doc.Cells[1].Outputs.Clear();
        doc.Cells[1].Outputs.Add(CellOutput.Stream("stdout", "line 1\nline 2\n"));
        doc.Cells[1].Outputs.Add(CellOutput.Display(new Dictionary<string, string> { ["text/plain"] = "42", ["text/html"] = "<b>42</b>" }, isResult: true));
        doc.Cells[2].Outputs.Add(CellOutput.Error("Boom", "it broke", ["Boom: it broke", "at line 1"]));
        string dir = RepoPaths.NewScratchDirectory("nbwrite");
        string path = Path.Combine(dir, "out.ipynb");
        NotebookFile.Write(doc, path);

        var json = JsonNode.Parse(File.ReadAllText(path))!;
        Assert.Equal(4, json["nbformat"]!.GetValue<int>());
        var cell = json["cells"]![1]!;
        Assert.Equal(3, cell["execution_count"]!.GetValue<int>());
        Assert.Equal(["line 1\n", "line 2\n"], cell["outputs"]![0]!["text"]!.AsArray().Select(l => l!.GetValue<string>()));
        Assert.Equal("execute_result", cell["outputs"]![1]!["output_type"]!.GetValue<string>());
        Assert.Equal(3, cell["outputs"]![1]!["execution_count"]!.GetValue<int>());
        Assert.Equal("pwsh", json["cells"]![2]!["metadata"]!["polyglot_notebook"]!["kernelName"]!.GetValue<string>());
        Assert.Equal("pwsh", json["cells"]![2]!["metadata"]!["dotnet_interactive"]!["language"]!.GetValue<string>());
        // Jupyter sends only the source to the .NET Interactive kernel: each code cell names its language itself
        Assert.Equal("#!pwsh\nGet-Date", string.Concat(json["cells"]![2]!["source"]!.AsArray().Select(l => l!.GetValue<string>())));
        Assert.Equal("#!csharp\nvar a = 1;", string.Concat(json["cells"]![1]!["source"]!.AsArray().Select(l => l!.GetValue<string>())));
        // nbformat 4.5 cell ids, unique
        var ids = json["cells"]!.AsArray().Select(c => c!["id"]!.GetValue<string>()).ToList();
        Assert.Equal(ids.Count, ids.Distinct().Count());
        Assert.Equal("Boom", json["cells"]![2]!["outputs"]![0]!["ename"]!.GetValue<string>());
        Assert.Null(json["cells"]![0]!["outputs"]);

        var back = NotebookFile.Read(path);
        Assert.Equal(doc.Cells.Select(c => (c.Kind, c.Language, c.Source)), back.Cells.Select(c => (c.Kind, c.Language, c.Source)));
    }

    [Theory]
    [InlineData("missing", AnalysisErrorKind.FileNotFound)]
    [InlineData("", AnalysisErrorKind.FileEmpty)]
    [InlineData("{ not json", AnalysisErrorKind.WrongFormat)]
    [InlineData("{\"cells\": [], \"nbformat\": 3}", AnalysisErrorKind.WrongFormat)]
    [InlineData("{\"nbformat\": 4}", AnalysisErrorKind.WrongFormat)]
    [InlineData("{\"cells\": [{\"cell_type\": \"widget\"}], \"nbformat\": 4}", AnalysisErrorKind.WrongFormat)]
    public void BadIpynb_IsRefusedWithTheFileNamed(string content, AnalysisErrorKind kind)
    {
        string dir = RepoPaths.NewScratchDirectory("nbbad");
        string path = Path.Combine(dir, "bad.ipynb");
        if (content != "missing")
            File.WriteAllText(path, content);
        var e = Assert.Throws<AnalysisException>(() => NotebookFile.Read(path));
        Assert.Equal(kind, e.Kind);
        Assert.Contains(path, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void BadDib_AndDirectory_AreRefused()
    {
        string dir = RepoPaths.NewScratchDirectory("nbbad");
        string path = Path.Combine(dir, "blank.dib");
        File.WriteAllText(path, "#!csharp\n\n#!markdown\n\n");
        Assert.Equal(AnalysisErrorKind.WrongFormat, Assert.Throws<AnalysisException>(() => NotebookFile.Read(path)).Kind);
        Assert.Equal(AnalysisErrorKind.PathIsDirectory, Assert.Throws<AnalysisException>(() => NotebookFile.Read(dir)).Kind);
    }
}
