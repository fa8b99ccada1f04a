using System.Text;
using System.Xml;
using System.Xml.Linq;

namespace Analysis.HelpGen;

/// <summary>
/// Writes cmdlet help as MAML, in the shape PlatyPS writes and PowerShell's help system reads (the shape of the help
/// files pwsh ships, e.g. Microsoft.PowerShell.ThreadJob.dll-Help.xml): one syntax item per parameter set, every
/// parameter once under PARAMETERS, input and output types, examples.
/// </summary>
internal static class MamlWriter
{
    private static readonly XNamespace Msh = "http://msh";
    private static readonly XNamespace Maml = "http://schemas.microsoft.com/maml/2004/10";
    private static readonly XNamespace Command = "http://schemas.microsoft.com/maml/dev/command/2004/10";
    private static readonly XNamespace Dev = "http://schemas.microsoft.com/maml/dev/2004/10";
    private static readonly XNamespace MSHelp = "http://msdn.microsoft.com/mshelp";

    public static void Write(IEnumerable<CommandHelp> commands, string path)
    {
        var root = new XElement(Msh + "helpItems", new XAttribute("schema", "maml"), commands.Select(CommandElement));
        var settings = new XmlWriterSettings { Indent = true, IndentChars = "  ", Encoding = new UTF8Encoding(false), NewLineChars = "\n" };
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        using var writer = XmlWriter.Create(path, settings);
        new XDocument(new XDeclaration("1.0", "utf-8", null), root).Save(writer);
    }

    private static XElement CommandElement(CommandHelp c) => new(Command + "command",
        new XAttribute(XNamespace.Xmlns + "maml", Maml),
        new XAttribute(XNamespace.Xmlns + "command", Command),
        new XAttribute(XNamespace.Xmlns + "dev", Dev),
        new XAttribute(XNamespace.Xmlns + "MSHelp", MSHelp),
        new XElement(Command + "details",
            new XElement(Command + "name", c.Name),
            new XElement(Command + "verb", c.Verb),
            new XElement(Command + "noun", c.Noun),
            Description(c.Synopsis)),
        Description(c.Description),
        new XElement(Command + "syntax", c.Syntax.Select(s => new XElement(Command + "syntaxItem",
            new XElement(Maml + "name", c.Name),
            s.Parameters.Select(u => Parameter(u.Parameter, u.Required ? "true" : "false", u.Position, u.PipelineInput, inSyntax: true))))),
        new XElement(Command + "parameters", c.Parameters.Select(p => Parameter(p.Parameter, p.Required, p.Position, p.PipelineInput, inSyntax: false))),
        new XElement(Command + "inputTypes", c.Inputs.Select(t => new XElement(Command + "inputType", Type(t.Name), Description(t.Description)))),
        new XElement(Command + "returnValues", c.Outputs.Select(t => new XElement(Command + "returnValue", Type(t.Name), Description(t.Description)))),
        new XElement(Command + "examples", c.Examples.Select((e, i) => new XElement(Command + "example",
            new XElement(Maml + "title", $"-------------------------- Example {i + 1} --------------------------"),
            new XElement(Dev + "code", e.Code),
            new XElement(Dev + "remarks", e.Remarks.Append("").Select(Para)))))); // the empty paragraph separates the examples

    private static XElement Parameter(ParameterHelp p, string required, string position, string pipelineInput, bool inSyntax)
    {
        var element = new XElement(Command + "parameter",
            new XAttribute("required", required),
            new XAttribute("variableLength", "true"),
            new XAttribute("globbing", p.Globbing ? "true" : "false"),
            new XAttribute("pipelineInput", pipelineInput),
            new XAttribute("position", position),
            new XAttribute("aliases", p.Aliases.Count == 0 ? "none" : string.Join(", ", p.Aliases)),
            new XElement(Maml + "name", p.Name),
            Description(p.Description));
        if (p.PossibleValues.Count > 0)
        {
            element.Add(new XElement(Command + "parameterValueGroup", p.PossibleValues.Select(v => new XElement(Command + "parameterValue",
                new XAttribute("required", "false"), new XAttribute(Command + "variableLength", "false"), v))));
        }

        // A switch takes no value: the syntax shows [-Retained], the parameter entry its type.
        if (!p.IsSwitch || !inSyntax)
        {
            element.Add(new XElement(Command + "parameterValue",
                new XAttribute("required", p.IsSwitch ? "false" : "true"), new XAttribute("variableLength", "false"), p.TypeName));
        }

        element.Add(new XElement(Dev + "type", new XElement(Maml + "name", p.FullTypeName), new XElement(Maml + "uri")));
        element.Add(new XElement(Dev + "defaultValue", p.DefaultValue));
        return element;
    }

    private static XElement Type(string name) => new(Dev + "type", new XElement(Maml + "name", name));

    private static XElement Description(IReadOnlyList<string> paragraphs) =>
        new(Maml + "description", paragraphs.Count == 0 ? [Para("")] : paragraphs.Select(Para));

    private static XElement Para(string text) => new(Maml + "para", text);
}
