using System.Collections;
using System.Management.Automation;
using System.Management.Automation.Language;
using System.Management.Automation.Runspaces;
using Analysis.Dumps;
using Analysis.Go;
using Analysis.Traces;

namespace Analysis.PowerShell.Completers;

/// <summary>
/// Which artifacts a command line being completed is about — the one place completers ask. In order: the input
/// parameters PowerShell bound while parsing the line (fakeBoundParameters: -Dump/-Trace/-Profile sessions, -Path with
/// wildcards, -LiteralPath/-PSPath/-LP, Compare-Heap's -Difference then -Baseline; a session or path given
/// positionally binds to one of them), then what is piped in (<c>$d | …</c>, <c>'app.dmp' | …</c>,
/// <c>Open-Dump app.dmp | …</c>, <c>Get-ChildItem *.dmp | …</c>: PowerShell binds no pipeline input while completing);
/// when neither names one, the first positional argument. Paths are resolved against the current PowerShell location. Nothing is
/// opened here and nothing throws: what cannot be read is left out.
/// </summary>
internal sealed class CommandLineInputs
{
    /// <summary>At most this many artifacts are looked at (a wildcard may match many files; each may have to be opened).</summary>
    public const int MaxInputs = 3;

    /// <summary>Parameters naming the input, in the order they are asked; whether a string value may hold wildcards.</summary>
    private static readonly (string Name, bool Wildcards)[] s_inputParameters =
    [
        ("Dump", false), ("Trace", false), ("Profile", false), ("InputObject", false),
        ("Difference", false), ("Baseline", false),
        ("Path", true), ("LiteralPath", false), ("PSPath", false), ("LP", false), ("FullName", false),
    ];

    /// <summary>Commands whose output piped into the line being completed is the artifact their path argument names.</summary>
    private static readonly HashSet<string> s_producers = new(StringComparer.OrdinalIgnoreCase)
    {
        "Open-Dump", "Import-Trace", "Import-Pprof", "Get-Item", "gi", "Get-ChildItem", "gci", "ls", "dir",
    };

    private readonly List<object> _items = new();
    private readonly HashSet<string> _files = new(StringComparer.Ordinal);
    private SessionState? _state;
    private bool _stateAsked;

    private CommandLineInputs(IDictionary? fakeBoundParameters) => FakeBoundParameters = fakeBoundParameters;

    /// <summary>Sessions and profiles (<see cref="DumpSession"/>, <see cref="TraceSession"/>, <see cref="PprofProfile"/>) and files that exist (<see cref="FileInfo"/>).</summary>
    public IReadOnlyList<object> Items => _items;

    public IDictionary? FakeBoundParameters { get; }

    /// <summary>The -DacPath of the line, resolved, when it names one.</summary>
    public string? DacPath { get; private set; }

    public static CommandLineInputs Find(CommandAst? commandAst, IDictionary? fakeBoundParameters)
    {
        var inputs = new CommandLineInputs(fakeBoundParameters);
        foreach (var (name, wildcards) in s_inputParameters)
        {
            if (inputs.TryGetBound(name, out object? value))
                inputs.Add(value, wildcards);
        }

        // Piped input comes besides bound parameters: $after | Compare-Heap $before binds -Baseline only.
        if (commandAst?.Parent is PipelineAst pipeline)
        {
            int index = pipeline.PipelineElements.IndexOf(commandAst);
            if (index > 0)
                inputs.AddUpstream(pipeline.PipelineElements[index - 1]);
        }

        if (inputs._items.Count == 0 && commandAst is { CommandElements.Count: > 1 } && commandAst.CommandElements[1] is ExpressionAst first)
            inputs.AddExpression(first, wildcards: true);

        if (inputs.TryGetBound("DacPath", out object? dac) && Unwrap(dac) is string dacPath && inputs.State is { } state)
            inputs.DacPath = Try(() => state.Path.GetUnresolvedProviderPathFromPSPath(dacPath));
        return inputs;
    }

    /// <summary>A string parameter of the line as PowerShell bound it while parsing (e.g. -SampleIndex), or null.</summary>
    public string? BoundString(string name) => TryGetBound(name, out object? value) && Unwrap(value) is string s ? s : null;

    private bool TryGetBound(string name, out object? value)
    {
        value = null;
        if (FakeBoundParameters is null)
            return false;
        foreach (DictionaryEntry entry in FakeBoundParameters)
        {
            if (entry.Key is string key && string.Equals(key, name, StringComparison.OrdinalIgnoreCase))
            {
                value = entry.Value;
                return true;
            }
        }

        return false;
    }

    private void Add(object? value, bool wildcards)
    {
        if (_items.Count >= MaxInputs)
            return;
        object? item = Unwrap(value);
        switch (item)
        {
            case null:
                break;
            case DumpSession or TraceSession or PprofProfile or GoProfileSession:
                if (!_items.Contains(item))
                    _items.Add(item);
                break;
            case FileInfo file:
                AddFile(file.FullName);
                break;
            case string path:
                foreach (string file in Resolve(path, wildcards).Take(MaxInputs))
                    AddFile(file);
                break;
            case IEnumerable many:
                foreach (object? element in many)
                {
                    if (_items.Count >= MaxInputs)
                        break;
                    Add(element, wildcards);
                }

                break;
            default:
                // An object from Get-ChildItem or Import-Csv …: its PSPath or FullName names the file.
                if (value is PSObject pso && (pso.Properties["PSPath"] ?? pso.Properties["FullName"])?.Value is string named)
                    Add(named, wildcards: false);
                break;
        }
    }

    private void AddFile(string path)
    {
        if (_items.Count < MaxInputs && File.Exists(path) && _files.Add(path))
            _items.Add(new FileInfo(path));
    }

    /// <summary>What the previous pipeline element sends: a variable's value, constant paths, or what a producer command opens.</summary>
    private void AddUpstream(CommandBaseAst element)
    {
        switch (element)
        {
            case CommandExpressionAst { Expression: var expression, Redirections.Count: 0 }:
                AddExpression(expression, wildcards: true);
                break;
            case CommandAst command when command.GetCommandName() is { } name && s_producers.Contains(name[(name.LastIndexOf('\\') + 1)..]):
                var binding = Try(() => StaticParameterBinder.BindCommand(command, resolve: true));
                if (binding is null)
                    break;
                foreach (var (parameter, wildcards) in new[] { ("Path", true), ("LiteralPath", false) })
                {
                    if (binding.BoundParameters.TryGetValue(parameter, out var bound) && bound.Value is ExpressionAst argument)
                        AddExpression(argument, wildcards);
                }

                break;
        }
    }

    /// <summary>Expressions whose value is known without running anything: constants, lists of them, variables.</summary>
    private void AddExpression(ExpressionAst expression, bool wildcards)
    {
        switch (expression)
        {
            case StringConstantExpressionAst constant:
                Add(constant.Value, wildcards);
                break;
            case ArrayLiteralAst list:
                foreach (var element in list.Elements)
                    AddExpression(element, wildcards);
                break;
            case VariableExpressionAst { Splatted: false } variable when State is { } state:
                Add(Try(() => state.PSVariable.GetValue(variable.VariablePath.UserPath)), wildcards: false);
                break;
        }
    }

    /// <summary>File-system paths: a wildcard expanded (-Path), else the path taken literally, relative to the current location.</summary>
    private IEnumerable<string> Resolve(string path, bool wildcards)
    {
        if (path.Length == 0 || State is not { } state)
            return [];
        if (wildcards && WildcardPattern.ContainsWildcardCharacters(path))
        {
            ProviderInfo? provider = null;
            var resolved = Try(() => state.Path.GetResolvedProviderPathFromPSPath(path, out provider));
            return resolved is not null && provider?.Name == "FileSystem" ? resolved : [];
        }

        return Try(() => state.Path.GetUnresolvedProviderPathFromPSPath(path)) is { } full ? [full] : [];
    }

    /// <summary>The session state of the line being completed (its location and variables), asked of the current runspace.</summary>
    private SessionState? State
    {
        get
        {
            if (!_stateAsked)
            {
                _stateAsked = true;
                _state = Try<SessionState>(() =>
                {
                    if (Runspace.DefaultRunspace is null)
                        return null;
                    using var ps = System.Management.Automation.PowerShell.Create(RunspaceMode.CurrentRunspace);
                    var result = ps.AddCommand("Get-Variable").AddParameter("Name", "ExecutionContext").AddParameter("ValueOnly").Invoke();
                    return result.Count > 0 && result[0]?.BaseObject is EngineIntrinsics engine ? engine.SessionState : null;
                });
            }

            return _state;
        }
    }

    private static object? Unwrap(object? value) => value is PSObject pso ? pso.BaseObject : value;

    private static T? Try<T>(Func<T?> read)
        where T : class
    {
        try
        {
            return read();
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            return null; // a path that does not resolve, a variable that cannot be read: no input, no error
        }
    }
}
