using System.Collections;
using System.Collections.Concurrent;
using System.Management.Automation;
using System.Management.Automation.Language;
using System.Runtime.Loader;
using System.Text;
using Analysis.Views;

namespace Analysis.Interactive;

/// <summary>
/// How a PowerShell cell's output reaches the notebook, as our headless runner shows it: a run of objects of one result
/// type becomes ONE value (a <c>List&lt;T&gt;</c>, which our formatters draw as one table with its chart) instead of one
/// display — or one format.ps1xml text block with its header — per object. Everything else passes through untouched
/// for the kernel to show as it always does. Called from the PowerShell kernel's runspace (see <see cref="KernelHooks"/>).
/// </summary>
public static class PowerShellOutput
{
    /// <summary>The name the runspace knows this class by (a type accelerator: the kernel loads us where PowerShell does not look).</summary>
    internal const string Accelerator = "Analysis.Interactive.PowerShellOutput";

    private static readonly HashSet<Type> s_ours = [.. AnalysisFormatters.Types];
    private static readonly Dictionary<string, Type> s_oursByName = AnalysisFormatters.Types.ToDictionary(t => t.FullName!, StringComparer.Ordinal);
    private static readonly ConcurrentDictionary<AssemblyLoadContext, Func<object?, IReadOnlyDictionary<string, string>>?> s_foreignFormat = new();

    /// <summary>Rows shown in a table of [pscustomobject]s (as in Analysis.Reporting.Display's tables).</summary>
    private const int MaxRows = 200;

    /// <summary>
    /// The items with each run of consecutive results of one of our types replaced by one list of them (a run of one
    /// stays the object itself). An item that is itself an array or list of one result type (Out-Display -InputObject
    /// @(...)) counts as such a run. A chart of ours is drawn as itself; a run of [pscustomobject]s with the same type
    /// names is one table (<see cref="PropertyTable"/>), as our headless runner shows them.
    /// </summary>
    public static object?[] Runs(object?[]? items)
    {
        if (items is null)
            return [];
        var result = new List<object?>(items.Length);
        int i = 0;
        while (i < items.Length)
        {
            if (items[i] is PSObject { BaseObject: PSCustomObject } custom)
            {
                // [pscustomobject]s a cell makes (summaries, per-group rows): one table of a run of them, like ours
                int last = i + 1;
                while (last < items.Length && items[last] is PSObject { BaseObject: PSCustomObject } next && SameTypeNames(next, custom))
                    last++;
                result.Add(CustomObjects(items[i..last].Cast<PSObject>().ToList()));
                i = last;
                continue;
            }

            object? item = Unwrap(items[i]);
            if (IsChart(item))
            {
                // a chart of Analysis.Reporting.Charts ([Analysis.Reporting.Charts]::HeapByNamespace(...) in a cell): drawn
                // by the Reporting beside the Plotly.NET it was made with (the module's), one display per chart
                result.Add(Foreign(item!.GetType(), item) ?? items[i]);
                i++;
                continue;
            }

            if (ResultType(item) is not { } type)
            {
                if (AsRun(item) is { } collection)
                    result.Add(collection);
                else
                    result.Add(items[i]);
                i++;
                continue;
            }

            int end = i + 1;
            while (end < items.Length && Unwrap(items[end])?.GetType() == type)
                end++;
            result.Add(end - i == 1 ? Shown(item!) : Shown(type, items.Skip(i).Take(end - i).Select(Unwrap).ToList()));
            i = end;
        }

        return [.. result];
    }

    /// <summary>
    /// A proxy for the kernel's Out-Display cmdlet (same parameters) that shows its input grouped by <see cref="Runs"/>:
    /// <c>Get-HeapTop x.dmp | Out-Display</c> is one table, not one display per row.
    /// </summary>
    public static string OutDisplayProxy => """
        function global:Out-Display {
            [CmdletBinding(DefaultParameterSetName = 'MimeType')]
            param(
                [Parameter(Mandatory = $true, Position = 0, ValueFromPipeline = $true)] [AllowNull()] [object] $InputObject,
                [Parameter(Position = 1, ParameterSetName = 'MimeType')]
                [ValidateSet('application/javascript', 'application/json', 'text/html', 'text/markdown', 'text/plain')] [string] $MimeType = 'text/html',
                [Parameter(Position = 1, ParameterSetName = 'CustomMimeType')] [string] $CustomMimeType,
                [switch] $PassThru
            )
            begin { $items = [System.Collections.Generic.List[object]]::new() }
            process { $items.Add($InputObject) }
            end {
                $forward = @{} + $PSBoundParameters
                $null = $forward.Remove('InputObject')
                foreach ($run in [Analysis.Interactive.PowerShellOutput]::Runs($items.ToArray())) {
                    Microsoft.DotNet.Interactive.PowerShell\Out-Display -InputObject $run @forward
                }
            }
        }
        """;

    /// <summary>
    /// The cell as it runs with its output grouped, or null to run it as written: text that does not parse (the
    /// kernel reports the errors as usual) and scripts whose top level a script block cannot stand for (param, using,
    /// #requires, begin/process blocks).
    /// </summary>
    internal static string? Cell(string code)
    {
        if (string.IsNullOrWhiteSpace(code))
            return null;
        var ast = Parser.ParseInput(code, out _, out var errors);
        if (errors.Length > 0 || ast.ParamBlock is not null || ast.UsingStatements.Count > 0 || ast.ScriptRequirements is not null
            || ast.BeginBlock is not null || ast.ProcessBlock is not null || ast.DynamicParamBlock is not null)
            return null;
        // One line, so PowerShell's concise error view shows positions only for errors inside the cell (as the cell's
        // own lines); errors merged into the output (2>&1) keep their place among the cell's other output.
        string text = Convert.ToBase64String(Encoding.UTF8.GetBytes(code));
        return $"if (-not (Test-Path function:Out-Display)) {{ . ([scriptblock]::Create([{Accelerator}]::OutDisplayProxy)) }}; "
            + $"[{Accelerator}]::Runs(@(. ([scriptblock]::Create([Text.Encoding]::UTF8.GetString([Convert]::FromBase64String('{text}')))) 2>&1))";
    }

    private static object? Unwrap(object? item) => item is PSObject pso ? pso.BaseObject : item;

    private static bool SameTypeNames(PSObject a, PSObject b) => a.TypeNames.SequenceEqual(b.TypeNames, StringComparer.Ordinal);

    /// <summary>A run of [pscustomobject]s as one table: Format-Table-like text and the HTML table every surface draws.</summary>
    private static ForeignResult CustomObjects(List<PSObject> rows)
    {
        var (plain, html) = PropertyTable.Render(
            [.. rows.Select(r => (IReadOnlyList<KeyValuePair<string, object?>>)[.. r.Properties.Select(p => new KeyValuePair<string, object?>(p.Name, p.Value is PSObject o ? o.BaseObject : p.Value))])],
            MaxRows);
        return new ForeignResult(html, plain);
    }

    private static bool IsChart(object? item)
    {
        for (var t = item?.GetType(); t is not null; t = t.BaseType)
        {
            if (t.FullName == "Plotly.NET.GenericChart")
                return true;
        }

        return false;
    }

    /// <summary>The result type of an item: one of ours, or another copy of one of ours (the module's own context).</summary>
    private static Type? ResultType(object? item) =>
        item?.GetType() is { } t && (s_ours.Contains(t) || (t.FullName is { } name && s_oursByName.ContainsKey(name))) ? t : null;

    private static object? AsRun(object? item)
    {
        if (item is not ICollection { Count: > 0 } collection || item is string)
            return null;
        var elements = collection.Cast<object?>().Select(Unwrap).ToList();
        var type = ResultType(elements[0]);
        return type is not null && elements.All(e => e?.GetType() == type) ? Shown(type, elements) : null;
    }

    private static object Shown(object item) =>
        s_ours.Contains(item.GetType()) ? item : Foreign(item.GetType(), item) ?? item;

    private static object Shown(Type type, List<object?> run)
    {
        if (!s_ours.Contains(type))
            return Foreign(type, run) ?? (object)run;
        var list = (IList)Activator.CreateInstance(typeof(List<>).MakeGenericType(type), run.Count)!;
        foreach (object? o in run)
            list.Add(o);
        return list;
    }

    /// <summary>
    /// Results whose types come from another copy of our libraries (the module binds to its own context unless the
    /// kernel's copy was there first), and charts made by that copy, are drawn by that copy's Analysis.Reporting, which
    /// understands them; null when that context has no Reporting (then the kernel shows the object as usual).
    /// </summary>
    private static ForeignResult? Foreign(Type type, object value)
    {
        var context = AssemblyLoadContext.GetLoadContext(type.Assembly);
        if (context is null)
            return null;
        var format = s_foreignFormat.GetOrAdd(context, c =>
        {
            try
            {
                return c.LoadFromAssemblyName(new System.Reflection.AssemblyName("Analysis.Reporting"))
                    .GetType("Analysis.Reporting.Display", throwOnError: true)!
                    .GetMethod("Format", [typeof(object)])!
                    .CreateDelegate<Func<object?, IReadOnlyDictionary<string, string>>>();
            }
            catch (Exception e) when (e is IOException or BadImageFormatException or TypeLoadException or MissingMethodException or ArgumentException)
            {
                return null; // that copy has no reporting: the kernel shows the objects as PowerShell would
            }
        });
        if (format is null)
            return null;
        var data = format(value);
        return new ForeignResult(data.TryGetValue("text/html", out string? html) ? html : "<pre>" + Analysis.Views.Html.Escape(data["text/plain"]) + "</pre>", data["text/plain"]);
    }
}

/// <summary>Results of another copy of our libraries, already rendered by it.</summary>
internal sealed record ForeignResult(string Html, string Plain)
{
    public override string ToString() => Plain;
}
