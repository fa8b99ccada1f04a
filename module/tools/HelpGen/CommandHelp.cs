namespace Analysis.HelpGen;

/// <summary>Everything the MAML of one cmdlet says, taken from PowerShell's view of the cmdlet and its XML docs.</summary>
internal sealed record CommandHelp(
    string Name,
    string Verb,
    string Noun,
    IReadOnlyList<string> Synopsis,
    IReadOnlyList<string> Description,
    IReadOnlyList<SyntaxItem> Syntax,
    IReadOnlyList<ParameterEntry> Parameters,
    IReadOnlyList<TypeHelp> Inputs,
    IReadOnlyList<TypeHelp> Outputs,
    IReadOnlyList<ExampleHelp> Examples);

/// <summary>What does not depend on the parameter set: name, type, aliases, wildcards, text, default, possible values.</summary>
internal sealed record ParameterHelp(
    string Name,
    string TypeName,
    string FullTypeName,
    bool IsSwitch,
    bool IsArray,
    IReadOnlyList<string> Aliases,
    bool Globbing,
    IReadOnlyList<string> Description,
    string DefaultValue,
    IReadOnlyList<string> PossibleValues);

/// <summary>A parameter as one parameter set binds it.</summary>
internal sealed record ParameterUse(ParameterHelp Parameter, bool Required, string Position, string PipelineInput);

/// <summary>One syntax line: a parameter set, its parameters in the order PowerShell shows them.</summary>
internal sealed record SyntaxItem(string SetName, bool IsDefault, IReadOnlyList<ParameterUse> Parameters);

/// <summary>A parameter in the PARAMETERS section; Required, Position and PipelineInput name the set when the sets differ.</summary>
internal sealed record ParameterEntry(ParameterHelp Parameter, string Required, string Position, string PipelineInput);

internal sealed record TypeHelp(string Name, IReadOnlyList<string> Description);

internal sealed record ExampleHelp(string Code, IReadOnlyList<string> Remarks);
