using System.Management.Automation;
using System.Management.Automation.Language;
using System.Management.Automation.Runspaces;
using System.Reflection;
using System.Text;
using Analysis.Notebooks;

namespace Analysis.PowerShell;

/// <summary>
/// What a live notebook asks of PowerShell cells besides running them: completion through pwsh's own completers (our
/// argument completers included), Get-Help at the cursor, whether the code is complete, the runspace's variables; and
/// the host through which cells write and read (<see cref="NotebookHost"/>).
/// </summary>
internal sealed partial class PowerShellKernel : IInteractiveKernel
{
    private static readonly object s_renderingGate = new();
    private static int s_cellsRunning;
    private static object? s_savedRendering;

    private readonly NotebookHost _host = new();

    /// <summary>One user of the runspace at a time: a cell, or a completion/inspection between cells.</summary>
    private readonly SemaphoreSlim _busy = new(1, 1);

    /// <summary>The script behind inspection: Get-Help of a command (synopsis and syntax, or everything), or of one of its parameters.</summary>
    private const string HelpScript = """
        param([string] $Name, [string] $Parameter, [int] $Detail)
        $help = Get-Help -Name $Name -ErrorAction Stop | Select-Object -First 1
        if (-not $help) { return }
        if ($Parameter) {
            Get-Help -Name $Name -Parameter ($Parameter + '*') -ErrorAction Stop | Out-String -Width 120
        } elseif ($Detail -gt 0) {
            Get-Help -Name $Name -Full -ErrorAction Stop | Out-String -Width 120
        } else {
            "NAME`n    $($help.Name)`n`nSYNOPSIS`n    $(($help.Synopsis | Out-String).Trim())`n`nSYNTAX"
            # one line per parameter set, however long: the client wraps
            ($help.Syntax | Out-String -Width 4096).TrimEnd()
        }
        """;

    /// <inheritdoc/>
    public Task<CompletionSet> CompleteAsync(string code, int cursor, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(code);
        cursor = Math.Clamp(cursor, 0, code.Length);
        return Task.Run(() => WhileIdle(() => Complete(code, cursor), CompletionSet.None(cursor)), cancellationToken);
    }

    /// <inheritdoc/>
    public Task<Inspection?> InspectAsync(string code, int cursor, int detailLevel, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(code);
        cursor = Math.Clamp(cursor, 0, code.Length);
        return Task.Run(() => WhileIdle(() => Inspect(code, cursor, detailLevel), null), cancellationToken);
    }

    /// <inheritdoc/>
    public CodeCompleteness IsComplete(string code)
    {
        ArgumentNullException.ThrowIfNull(code);
        Parser.ParseInput(code, out _, out var errors);
        if (errors.Length == 0)
            return CodeCompleteness.Complete;
        // as pwsh's console: an error that more input could fix (an open brace, string or pipe) waits for more lines
        return errors.Any(e => e.IncompleteInput) ? CodeCompleteness.Incomplete : CodeCompleteness.Invalid;
    }

    /// <inheritdoc/>
    public bool TryGetVariable(string name, out object? value)
    {
        value = null;
        var variable = _runspace.SessionStateProxy.PSVariable.Get(name.TrimStart('$'));
        if (variable is null)
            return false;
        value = variable.Value is PSObject { BaseObject: not PSCustomObject } wrapped ? wrapped.BaseObject : variable.Value;
        return true;
    }

    /// <inheritdoc/>
    public void SetVariable(string name, object? value) => _runspace.SessionStateProxy.SetVariable(name.TrimStart('$'), value);

    /// <summary>
    /// Makes <paramref name="outputs"/> the host's cell while a cell runs (alone in the runspace), with PowerShell's output
    /// rendering plain text (no escape codes in strings a cell formats); undone when disposed.
    /// </summary>
    private IDisposable EnterCell(CellOutputs outputs, CancellationToken cancellationToken)
    {
        _busy.Wait(cancellationToken);
        _host.Outputs = outputs;
        _host.CellCancellation = cancellationToken;
        PlainTextRendering(enter: true);
        return new Exit(() =>
        {
            PlainTextRendering(enter: false);
            _host.Outputs = null;
            _host.CellCancellation = CancellationToken.None;
            _busy.Release();
        });
    }

    /// <summary>
    /// $PSStyle.OutputRendering is one setting of the process: PlainText while any notebook cell runs, then back to what
    /// it was (the console of a pwsh running Invoke-Notebook keeps its colours). PowerShell before 7.2 has no $PSStyle.
    /// </summary>
    private void PlainTextRendering(bool enter)
    {
        lock (s_renderingGate)
        {
            var style = (_runspace.SessionStateProxy.GetVariable("PSStyle") as PSObject)?.BaseObject ?? _runspace.SessionStateProxy.GetVariable("PSStyle");
            var property = style?.GetType().GetProperty("OutputRendering", BindingFlags.Public | BindingFlags.Instance);
            if (style is null || property is null || !property.PropertyType.IsEnum)
                return;
            if (enter && s_cellsRunning++ == 0)
            {
                s_savedRendering = property.GetValue(style);
                property.SetValue(style, Enum.Parse(property.PropertyType, "PlainText"));
            }
            else if (!enter && --s_cellsRunning == 0 && s_savedRendering is not null)
            {
                property.SetValue(style, s_savedRendering);
            }
        }
    }

    /// <summary>Runs a question in the runspace when no cell runs; a running cell (a long heap walk) answers <paramref name="busy"/> at once.</summary>
    private T WhileIdle<T>(Func<T> question, T busy)
    {
        if (!_busy.Wait(0))
            return busy;
        try
        {
            return _runspace.RunspaceAvailability == RunspaceAvailability.Available ? question() : busy;
        }
        finally
        {
            _busy.Release();
        }
    }

    private CompletionSet Complete(string code, int cursor)
    {
        using var ps = System.Management.Automation.PowerShell.Create();
        ps.Runspace = _runspace;
        var completion = CommandCompletion.CompleteInput(code, cursor, null, ps);
        var matches = completion.CompletionMatches;
        if (matches.Count == 0)
            return CompletionSet.None(cursor);
        return new CompletionSet(
            [.. matches.Select(m => m.CompletionText)],
            completion.ReplacementIndex,
            completion.ReplacementIndex + completion.ReplacementLength,
            [.. matches.Select(m => Kind(m.ResultType))]);
    }

    private static string Kind(CompletionResultType type) => type switch
    {
        CompletionResultType.Command => "command",
        CompletionResultType.ParameterName => "parameter",
        CompletionResultType.ParameterValue => "value",
        CompletionResultType.Variable => "variable",
        CompletionResultType.ProviderItem => "file",
        CompletionResultType.ProviderContainer => "folder",
        CompletionResultType.Property => "property",
        CompletionResultType.Method => "method",
        CompletionResultType.Type => "type",
        CompletionResultType.Namespace => "namespace",
        CompletionResultType.Keyword or CompletionResultType.DynamicKeyword => "keyword",
        CompletionResultType.History => "history",
        _ => "text",
    };

    /// <summary>Get-Help of the command at the cursor (its name, or anywhere in its arguments), or of the parameter the cursor is on.</summary>
    private Inspection? Inspect(string code, int cursor, int detailLevel)
    {
        var ast = Parser.ParseInput(code, out var tokens, out _);
        // the token the cursor is on or just after (a name being typed)
        var token = tokens.LastOrDefault(t => t.Kind != TokenKind.EndOfInput && t.Kind != TokenKind.NewLine && t.Extent.StartOffset <= cursor && cursor <= t.Extent.EndOffset);
        var command = ast.FindAll(a => a is CommandAst && a.Extent.StartOffset <= cursor && cursor <= a.Extent.EndOffset, searchNestedScriptBlocks: true)
            .Cast<CommandAst>().OrderByDescending(c => c.Extent.StartOffset).FirstOrDefault();
        if (token is VariableToken variable && !variable.VariablePath.IsDriveQualified)
            return Variable(variable.VariablePath.UserPath, detailLevel);
        string? name = command?.GetCommandName();
        if (name is null)
            return null;
        string? parameter = token is ParameterToken p && command!.CommandElements.Any(e => e.Extent.StartOffset == p.Extent.StartOffset) ? p.ParameterName : null;
        string? text = Help(name, parameter, detailLevel);
        if (parameter is not null && text is null)
            text = Help(name, null, detailLevel);
        return text is null ? null : new Inspection(new Dictionary<string, string> { ["text/plain"] = text });
    }

    /// <summary>A variable the cells assigned: its type and its value as pwsh would print it (more of it with detail 1).</summary>
    private Inspection? Variable(string name, int detailLevel)
    {
        using var ps = System.Management.Automation.PowerShell.Create();
        ps.Runspace = _runspace;
        ps.AddScript(VariableScript, useLocalScope: true).AddArgument(name).AddArgument(detailLevel > 0 ? 50_000 : 2_000);
        try
        {
            var output = ps.Invoke();
            string text = string.Concat(output.Select(o => o?.BaseObject?.ToString()));
            return ps.HadErrors || text.Length == 0 ? null : new Inspection(new Dictionary<string, string> { ["text/plain"] = NotebookHost.Ansi().Replace(text, "") });
        }
        catch (RuntimeException)
        {
            return null;
        }
    }

    private const string VariableScript = """
        param([string] $Name, [int] $Limit)
        $variable = Get-Variable -Name $Name -ErrorAction Ignore
        if (-not $variable) { return }
        $value = $variable.Value
        $type = if ($null -eq $value) { 'null' } else { $value.GetType().FullName }
        $shown = ($value | Out-String -Width 120).Trim("`r", "`n")
        if ($shown.Length -gt $Limit) { $shown = $shown.Substring(0, $Limit) + "`n…" }
        "`$$Name : [$type]`n$shown`n"
        """;

    private string? Help(string name, string? parameter, int detailLevel)
    {
        using var ps = System.Management.Automation.PowerShell.Create();
        ps.Runspace = _runspace;
        ps.AddScript(HelpScript, useLocalScope: true).AddArgument(name).AddArgument(parameter ?? "").AddArgument(detailLevel);
        try
        {
            var output = ps.Invoke();
            if (ps.HadErrors)
                return null;
            var text = new StringBuilder();
            foreach (var item in output)
            {
                foreach (string line in (item?.BaseObject?.ToString() ?? "").Split('\n'))
                    text.Append(line.TrimEnd()).Append('\n');
            }
            string help = text.ToString().Trim('\r', '\n');
            return help.Length == 0 ? null : NotebookHost.Ansi().Replace(help, "") + "\n";
        }
        catch (RuntimeException)
        {
            return null; // no such command, no help
        }
    }

    private sealed class Exit(Action action) : IDisposable
    {
        public void Dispose() => action();
    }
}
