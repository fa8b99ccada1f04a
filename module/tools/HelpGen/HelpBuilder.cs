using System.Collections;
using System.Globalization;
using System.Management.Automation;
using System.Reflection;
using System.Xml.Linq;

namespace Analysis.HelpGen;

/// <summary>
/// Builds a cmdlet's help from what PowerShell reports about it (Get-Command: parameter sets, mandatory, positions,
/// pipeline input, aliases, types, [OutputType]), from the cmdlet class (defaults: a fresh instance's property
/// values; [SupportsWildcards]) and from the XML doc comments (text). Missing text is reported, never invented.
/// </summary>
internal sealed class HelpBuilder(XmlDocs docs, SourceIndex sources, Diagnostics diagnostics)
{
    // The -WhatIf and -Confirm texts of PowerShell's own cmdlet reference.
    private static readonly Dictionary<string, string> s_shouldProcessText = new(StringComparer.OrdinalIgnoreCase)
    {
        ["WhatIf"] = "Shows what would happen if the cmdlet runs. The cmdlet is not run.",
        ["Confirm"] = "Prompts you for confirmation before running the cmdlet.",
    };

    public CommandHelp Build(CmdletInfo command)
    {
        var type = command.ImplementingType;
        var typeDoc = docs.Type(type);
        var (file, line) = sources.Type(type);
        var synopsis = XmlDocs.Paragraphs(typeDoc?.Element("summary"));
        if (synopsis.Count == 0)
            diagnostics.Error(file, line, "HELP001", $"{command.Name} ({type.Name}) has no synopsis: write a /// <summary> on the class.");
        var description = XmlDocs.Paragraphs(typeDoc?.Element("remarks"));
        if (description.Count == 0)
            diagnostics.Error(file, line, "HELP002", $"{command.Name} ({type.Name}) has no description: write /// <remarks> (paragraphs as <para>) on the class.");
        var examples = Examples(command, typeDoc, file, line);

        // Defaults are what a fresh instance holds before binding (property initializers, constructor).
        object instance = Activator.CreateInstance(type) ?? throw new InvalidOperationException($"cannot create {type}");
        try
        {
            var parameters = new Dictionary<string, ParameterHelp>(StringComparer.OrdinalIgnoreCase);
            var sets = command.ParameterSets.OrderByDescending(s => s.IsDefault).ToList();
            var syntax = new List<SyntaxItem>();
            foreach (var set in sets)
            {
                var uses = DisplayOrder(set.Parameters.Where(p => !Cmdlet.CommonParameters.Contains(p.Name)))
                    .Select(p => new ParameterUse(
                        parameters.TryGetValue(p.Name, out var known) ? known : parameters[p.Name] = Parameter(command, p, instance, sets),
                        p.IsMandatory,
                        Position(p),
                        PipelineInput(p)))
                    .ToList();
                syntax.Add(new SyntaxItem(set.Name, set.IsDefault, uses));
            }

            // PARAMETERS in alphabetical order, as in PowerShell's own reference.
            var entries = parameters.Values.OrderBy(p => p.Name, StringComparer.OrdinalIgnoreCase).Select(p => Entry(p, syntax)).ToList();
            var inputs = Inputs(syntax);
            var outputs = Outputs(command);
            return new CommandHelp(command.Name, command.Verb, command.Noun, synopsis, description, syntax, entries, inputs, outputs, examples);
        }
        finally
        {
            (instance as IDisposable)?.Dispose();
        }
    }

    private List<ExampleHelp> Examples(CmdletInfo command, XElement? typeDoc, string? file, int line)
    {
        var examples = new List<ExampleHelp>();
        foreach (var example in typeDoc?.Elements("example") ?? [])
        {
            var code = example.Elements("code").FirstOrDefault();
            var remarks = XmlDocs.Paragraphs(example, node => node is XElement { Name.LocalName: "code" } e && e == code);
            if (code is null || XmlDocs.Code(code).Length == 0)
            {
                diagnostics.Error(file, line, "HELP004", $"{command.Name}: example {examples.Count + 1} has no <code>.");
                continue;
            }

            if (remarks.Count == 0)
                diagnostics.Error(file, line, "HELP005", $"{command.Name}: example {examples.Count + 1} does not say what it shows (text beside its <code>).");
            examples.Add(new ExampleHelp(XmlDocs.Code(code), remarks));
        }

        if (examples.Count == 0)
            diagnostics.Error(file, line, "HELP003", $"{command.Name} has no example: write /// <example><code>…</code>what it shows</example> on the class.");
        return examples;
    }

    /// <summary>PowerShell's syntax order: positional parameters by position, then mandatory named ones, then the rest.</summary>
    private static IEnumerable<CommandParameterInfo> DisplayOrder(IEnumerable<CommandParameterInfo> parameters)
    {
        var list = parameters.ToList();
        return list.Where(p => p.Position != int.MinValue).OrderBy(p => p.Position)
            .Concat(list.Where(p => p.Position == int.MinValue && p.IsMandatory))
            .Concat(list.Where(p => p.Position == int.MinValue && !p.IsMandatory));
    }

    private static string Position(CommandParameterInfo p) => p.Position == int.MinValue ? "named" : p.Position.ToString(CultureInfo.InvariantCulture);

    private static string PipelineInput(CommandParameterInfo p) => (p.ValueFromPipeline, p.ValueFromPipelineByPropertyName) switch
    {
        (true, true) => "True (ByValue, ByPropertyName)",
        (true, false) => "True (ByValue)",
        (false, true) => "True (ByPropertyName)",
        _ => "False",
    };

    private ParameterHelp Parameter(CmdletInfo command, CommandParameterInfo p, object instance, IReadOnlyList<CommandParameterSetInfo> sets)
    {
        var type = p.ParameterType;
        var element = type.IsArray ? type.GetElementType()! : type;
        element = Nullable.GetUnderlyingType(element) ?? element;
        bool isSwitch = type == typeof(SwitchParameter);
        var property = FindProperty(command.ImplementingType, p.Name);
        IReadOnlyList<string> description;
        if (s_shouldProcessText.TryGetValue(p.Name, out string? common) && property is null)
        {
            description = [common];
        }
        else
        {
            var (declaring, doc) = PropertyDoc(command.ImplementingType, p.Name);
            description = XmlDocs.Paragraphs(doc?.Element("summary"));
            if (description.Count == 0)
            {
                var (file, line) = sources.Property(declaring ?? command.ImplementingType, p.Name);
                diagnostics.MissingParameterText(file, line, $"{command.Name} -{p.Name} has no description: write a /// <summary> on {(declaring ?? command.ImplementingType).Name}.{p.Name}.");
            }
        }

        var possible = PossibleValues(p, element);
        if (element.IsEnum)
            description = [.. description, .. EnumValueText(element)];
        bool mandatoryEverywhere = sets.Where(s => s.Parameters.Any(x => x.Name == p.Name)).All(s => s.Parameters.First(x => x.Name == p.Name).IsMandatory);
        string defaultValue = property is null || mandatoryEverywhere ? (isSwitch ? "False" : "None") : Format(property.GetValue(instance));
        return new ParameterHelp(
            p.Name,
            DisplayName(type),
            type.IsArray ? (element.FullName ?? element.Name) + "[]" : element.FullName ?? element.Name,
            isSwitch,
            type.IsArray,
            p.Aliases.ToList(),
            property?.GetCustomAttribute<SupportsWildcardsAttribute>() is not null,
            description,
            defaultValue,
            possible);
    }

    private static IReadOnlyList<string> PossibleValues(CommandParameterInfo p, Type element)
    {
        if (p.Attributes.OfType<ValidateSetAttribute>().FirstOrDefault() is { } set)
            return set.ValidValues.ToList();
        return element.IsEnum ? Enum.GetNames(element) : [];
    }

    /// <summary>"Size: Total bytes, largest first." per enum value, from the enum's XML docs (the core's documentation file).</summary>
    private IEnumerable<string> EnumValueText(Type enumType)
    {
        foreach (string name in Enum.GetNames(enumType))
        {
            var text = XmlDocs.Paragraphs(docs.Field(enumType, name)?.Element("summary"));
            if (text.Count > 0)
                yield return $"{name}: {string.Join(" ", text)}";
        }
    }

    /// <summary>The property a parameter binds to, looked up from the cmdlet class down to its bases.</summary>
    private static PropertyInfo? FindProperty(Type type, string name)
    {
        for (var t = type; t is not null; t = t.BaseType)
        {
            if (t.GetProperty(name, BindingFlags.Public | BindingFlags.Instance | BindingFlags.DeclaredOnly | BindingFlags.IgnoreCase) is { } p)
                return p;
        }

        return null;
    }

    /// <summary>The class that declares the parameter's property and its doc comment (an override without one inherits the base's).</summary>
    private (Type? Declaring, XElement? Doc) PropertyDoc(Type type, string name)
    {
        Type? declaring = null;
        for (var t = type; t is not null; t = t.BaseType)
        {
            if (t.GetProperty(name, BindingFlags.Public | BindingFlags.Instance | BindingFlags.DeclaredOnly | BindingFlags.IgnoreCase) is not { } p)
                continue;
            declaring ??= t;
            if (docs.Property(t, p.Name) is { } doc && doc.Element("summary") is not null)
                return (t, doc);
        }

        return (declaring, null);
    }

    /// <summary>How Get-Help shows a value: None for nothing, invariant culture, enum names, switches as True/False.</summary>
    private static string Format(object? value) => value switch
    {
        null => "None",
        string s => s.Length == 0 ? "None" : s,
        SwitchParameter sw => sw.IsPresent ? "True" : "False",
        bool b => b ? "True" : "False",
        Enum e => e.ToString(),
        IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
        IEnumerable items => items.Cast<object?>().Select(Format).ToList() is { Count: > 0 } list ? string.Join(", ", list) : "None",
        _ => value.ToString() ?? "None",
    };

    /// <summary>The type as the syntax shows it: String, Int32[], DumpSession, SwitchParameter.</summary>
    private static string DisplayName(Type type)
    {
        if (type.IsArray)
            return DisplayName(type.GetElementType()!) + "[]";
        if (Nullable.GetUnderlyingType(type) is { } inner)
            return DisplayName(inner);
        if (!type.IsGenericType)
            return type.Name;
        string name = type.Name[..type.Name.IndexOf('`', StringComparison.Ordinal)];
        return $"{name}[{string.Join(", ", type.GetGenericArguments().Select(DisplayName))}]";
    }

    /// <summary>One PARAMETERS entry; where the sets disagree on required, position or pipeline input, each set is named.</summary>
    private static ParameterEntry Entry(ParameterHelp parameter, IReadOnlyList<SyntaxItem> syntax)
    {
        var uses = syntax.SelectMany(s => s.Parameters.Where(u => u.Parameter == parameter).Select(u => (s.SetName, Use: u))).ToList();
        return new ParameterEntry(
            parameter,
            PerSet(uses, u => u.Required ? "true" : "false"),
            PerSet(uses, u => u.Position),
            PerSet(uses, u => u.PipelineInput));

        static string PerSet(List<(string SetName, ParameterUse Use)> uses, Func<ParameterUse, string> value)
        {
            var values = uses.Select(u => (u.SetName, Value: value(u.Use))).ToList();
            return values.Select(v => v.Value).Distinct(StringComparer.Ordinal).Count() == 1
                ? values[0].Value
                : string.Join("; ", values.Select(v => $"{v.Value} ({v.SetName})"));
        }
    }

    /// <summary>INPUTS: per type a parameter takes from the pipeline, how it binds (by value, by property name) and where.</summary>
    private static List<TypeHelp> Inputs(IReadOnlyList<SyntaxItem> syntax)
    {
        var byType = new Dictionary<string, List<string>>(StringComparer.Ordinal);
        foreach (var parameter in syntax.SelectMany(s => s.Parameters).Select(u => u.Parameter).Distinct())
        {
            var uses = syntax.SelectMany(s => s.Parameters.Where(u => u.Parameter == parameter)).ToList();
            bool byValue = uses.Any(u => u.PipelineInput.Contains("ByValue", StringComparison.Ordinal));
            bool byName = uses.Any(u => u.PipelineInput.Contains("ByPropertyName", StringComparison.Ordinal));
            if (!byValue && !byName)
                continue;
            string type = parameter.IsArray ? parameter.FullTypeName[..^2] : parameter.FullTypeName;
            string article = "aeiouAEIOU".Contains(parameter.TypeName[0], StringComparison.Ordinal) ? "an" : "a";
            var parts = new List<string>();
            if (byValue)
                parts.Add($"{article} {parameter.TypeName.TrimEnd('[', ']')} piped in binds to -{parameter.Name}");
            if (byName)
                parts.Add($"objects with a property named {Or([parameter.Name, .. parameter.Aliases])} bind its value to -{parameter.Name}");
            string text = char.ToUpperInvariant(parts[0][0]) + string.Join("; ", parts)[1..] + ".";
            if (!byType.TryGetValue(type, out var list))
                byType[type] = list = [];
            list.Add(text);
        }

        return byType.Count == 0
            ? [new TypeHelp("None", ["You cannot pipe objects to this cmdlet."])]
            : byType.Select(kv => new TypeHelp(kv.Key, kv.Value)).ToList();

        static string Or(IReadOnlyList<string> names) => names.Count == 1 ? names[0] : string.Join(", ", names.Take(names.Count - 1)) + " or " + names[^1];
    }

    /// <summary>OUTPUTS: the [OutputType] types, each with its doc summary.</summary>
    private List<TypeHelp> Outputs(CmdletInfo command)
    {
        var outputs = new List<TypeHelp>();
        foreach (var output in command.OutputType)
        {
            if (output.Type == typeof(void))
            {
                outputs.Add(new TypeHelp("None", ["This cmdlet writes no objects to the pipeline."]));
                continue;
            }

            outputs.Add(new TypeHelp(output.Type?.FullName ?? output.Name, output.Type is null ? [] : XmlDocs.Paragraphs(docs.Type(output.Type)?.Element("summary"))));
        }

        return outputs;
    }
}
