using System.Collections.Immutable;
using System.Reflection;
using System.Text;
using System.Text.RegularExpressions;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.CSharp.Scripting;
using Microsoft.CodeAnalysis.Scripting;

namespace Analysis.Notebooks;

/// <summary>What a C# cell sees besides its own variables: <c>display(x)</c>, like the .NET Interactive kernel.</summary>
public sealed class CSharpCellGlobals
{
    internal CellOutputs Outputs { get; set; } = new();

    /// <summary>Shows a value as a cell output (HTML table, chart or text).</summary>
#pragma warning disable IDE1006, CA1822 // lower case as in .NET Interactive notebooks
    public void display(object? value) => Outputs.Display(value);
#pragma warning restore IDE1006, CA1822

    /// <summary>The directory relative paths in the notebook are resolved against.</summary>
    public string WorkingDirectory { get; internal set; } = Environment.CurrentDirectory;
}

/// <summary>
/// C# cells through Roslyn scripting, one continuing state per notebook, starting where the .NET Interactive kernel's
/// C# starts: the same implicit usings (<see cref="KernelUsings"/>) and only the framework referenced, so a notebook
/// that runs here runs there. Our libraries come in as they do in the kernel: <c>#r "nuget: Analysis.Interactive"</c>
/// (any version, e.g. <c>*-*</c>) references what that package brings (Analysis, Analysis.Reporting, Plotly.NET), and
/// <c>#r "path/Analysis.dll"</c> the already loaded copy. <c>#i "nuget: source"</c> lines are accepted and do nothing
/// (the runner has no package manager; it provides <see cref="ProvidedPackages"/> itself).
/// </summary>
public sealed partial class CSharpKernel : INotebookKernel
{
    /// <summary>
    /// Packages a notebook may ask for with #r "nuget:" that the runner provides itself, with the assemblies each brings
    /// into the cells. Analysis.Interactive's formatters and Plotly.NET.Interactive's are the runner's own display.
    /// </summary>
    private static readonly Dictionary<string, Assembly[]> s_provided = new(StringComparer.OrdinalIgnoreCase)
    {
        ["Analysis.Interactive"] = [typeof(AnalysisException).Assembly, typeof(Reporting.Charts).Assembly, typeof(Plotly.NET.GenericChart).Assembly, typeof(Microsoft.FSharp.Core.Unit).Assembly],
        ["Plotly.NET"] = [typeof(Plotly.NET.GenericChart).Assembly, typeof(Microsoft.FSharp.Core.Unit).Assembly],
        ["Plotly.NET.Interactive"] = [typeof(Plotly.NET.GenericChart).Assembly, typeof(Microsoft.FSharp.Core.Unit).Assembly],
    };

    /// <summary>The packages #r "nuget:" accepts.</summary>
    public static IReadOnlyCollection<string> ProvidedPackages => s_provided.Keys;

    /// <summary>The usings a C# cell of the .NET Interactive kernel (1.0) starts with; the runner adds no more.</summary>
    public static IReadOnlyList<string> KernelUsings { get; } =
        ["System", "System.Collections.Generic", "System.Linq", "System.Text", "System.Threading.Tasks", "System.Net.Http"];

    /// <summary>What a cell may reference: the framework, plus our libraries once a cell asked for them.</summary>
    private static readonly Assembly[] s_libraries =
    [
        typeof(AnalysisException).Assembly, typeof(Reporting.Charts).Assembly, typeof(Plotly.NET.GenericChart).Assembly,
        typeof(Microsoft.FSharp.Core.FSharpOption<>).Assembly,
    ];

    /// <summary>
    /// The framework facades a cell compiles against, resolved once from the runtime's trusted assemblies into
    /// references every kernel and cell shares. Named by string instead, each cell resolved them again (~3.5 ms of a
    /// trivial cell's ~9 ms); a name the list lacks stays a name, resolved as before.
    /// </summary>
    private static readonly Lazy<(MetadataReference[] Files, string[] Names)> s_frameworkReferences = new(() =>
    {
        string[] names = ["System.Runtime", "System.Collections", "System.Linq", "System.Console", "System.IO.FileSystem", "System.Net.Http", "netstandard"];
        var trusted = ((AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES") as string) ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .GroupBy(p => Path.GetFileNameWithoutExtension(p), StringComparer.OrdinalIgnoreCase)
            .ToDictionary(g => g.Key, g => g.First(), StringComparer.OrdinalIgnoreCase);
        bool Found(string name) => trusted.TryGetValue(name, out string? path) && File.Exists(path);
        return ([.. names.Where(Found).Select(n => (MetadataReference)MetadataReference.CreateFromFile(trusted[n]))], [.. names.Where(n => !Found(n))]);
    });

    private static readonly SemaphoreSlim s_processState = new(1, 1);
    private readonly CSharpCellGlobals _globals = new();
    private ScriptOptions _options;
    private ScriptState<object?>? _state;

    /// <summary>A C# kernel whose relative paths and #r/#load resolve against <paramref name="workingDirectory"/>.</summary>
    public CSharpKernel(string workingDirectory)
    {
        _globals.WorkingDirectory = workingDirectory;
        var references = new[]
        {
            typeof(object).Assembly, typeof(Enumerable).Assembly, typeof(System.Collections.Generic.List<>).Assembly,
            typeof(System.Text.RegularExpressions.Regex).Assembly, typeof(System.Globalization.CultureInfo).Assembly,
            typeof(System.Net.Http.HttpClient).Assembly, typeof(CSharpKernel).Assembly,
        }.Distinct().ToArray();
        _options = ScriptOptions.Default
            .WithReferences(references)
            .AddReferences(s_frameworkReferences.Value.Files)
            .AddReferences(s_frameworkReferences.Value.Names)
            .WithImports(KernelUsings)
            .WithMetadataResolver(new LoadedFirstResolver(workingDirectory, s_libraries))
            .WithSourceResolver(ScriptSourceResolver.Default.WithBaseDirectory(workingDirectory))
            .WithEmitDebugInformation(false)
            .WithOptimizationLevel(OptimizationLevel.Release);
    }

    /// <inheritdoc/>
    public string Language => "csharp";

    /// <inheritdoc/>
    public async Task<bool> RunAsync(string code, CellOutputs outputs, CancellationToken cancellationToken)
    {
        string? problem = Preprocess(ref code, out var packages);
        if (problem is not null)
        {
            outputs.Error("UnsupportedDirective", problem, [problem]);
            return false;
        }

        // Console and the current directory belong to the process: one C# cell at a time in it (notebooks run in
        // parallel runspaces, or tests, would otherwise see each other's output and relative paths)
        await s_processState.WaitAsync(cancellationToken).ConfigureAwait(false);
        _globals.Outputs = outputs;
        var stdout = new OutputWriter(outputs);
        var oldOut = Console.Out;
        var oldIn = Console.In;
        string oldDirectory = Environment.CurrentDirectory;
        Console.SetOut(stdout);
        Console.SetIn(new NotebookInput.Reader(outputs, cancellationToken));
        try
        {
            // relative paths in C# resolve against the process's directory: make it the notebook's while the cell runs
            Environment.CurrentDirectory = _globals.WorkingDirectory;
            var options = packages.Count == 0 ? _options : _options.AddReferences(packages.SelectMany(p => s_provided[p]).Distinct());
            var state = _state is null
                ? await CSharpScript.Create<object?>(code, options, typeof(CSharpCellGlobals)).RunAsync(_globals, _ => true, cancellationToken).ConfigureAwait(false)
                : await _state.ContinueWithAsync<object?>(code, options, _ => true, cancellationToken).ConfigureAwait(false);
            if (state.Exception is { } e)
            {
                // keep the variables assigned before the throw, as the .NET Interactive kernel does
                _state = state;
                _options = options;
                ReportException(e, outputs);
                return false;
            }

            _state = state;
            _options = options;
            if (HasTrailingExpression(state))
                outputs.Display(state.ReturnValue, isResult: true);
            return true;
        }
        catch (CompilationErrorException e)
        {
            var errors = e.Diagnostics.Where(d => d.Severity == DiagnosticSeverity.Error).ToArray();
            outputs.Error("CompilationError", errors.Length > 0 ? Describe(errors[0]) : e.Message, errors.Select(Describe));
            return false;
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            throw;
        }
        catch (Exception e)
        {
            ReportException(e, outputs);
            return false;
        }
        finally
        {
            Console.SetOut(oldOut);
            Console.SetIn(oldIn);
            Environment.CurrentDirectory = oldDirectory;
            s_processState.Release();
        }
    }

    /// <inheritdoc/>
    public string ParameterCode(IReadOnlyDictionary<string, object?> parameters)
    {
        var sb = new StringBuilder("// Injected parameters\n");
        foreach (var (name, value) in parameters)
        {
            ParameterLiterals.CheckName(name);
            sb.Append("var ").Append(name).Append(" = ").Append(ParameterLiterals.CSharp(value)).Append(";\n");
        }

        return sb.ToString();
    }

    /// <summary>Drops the script state (the variables of earlier cells).</summary>
    public void Dispose()
    {
        _state = null;
    }

    /// <summary>
    /// Blanks out the package directives of the .NET Interactive kernel that the runner satisfies itself:
    /// <c>#r "nuget: P[, version]"</c> for a provided package P, whatever the version, and <c>#i "nuget: source"</c>.
    /// Refuses other packages and the kernel's magic commands, saying what to do instead. The provided packages a cell
    /// asked for are returned, so the cell gets their assemblies as references.
    /// </summary>
    private static string? Preprocess(ref string code, out List<string> packages)
    {
        code = BlankDirectives(code.Replace("\r\n", "\n", StringComparison.Ordinal), out packages, out string? problem);
        return problem;
    }

    /// <summary>
    /// The one reading of a cell's kernel directives, for running it and for completing in it: each line that is
    /// <c>#r "nuget:"</c>, <c>#i</c> or a <c>#!</c> magic becomes spaces (line numbers and every other position kept).
    /// <paramref name="packages"/> are the provided packages asked for; <paramref name="problem"/> the first line the
    /// runner cannot honour (a package it does not provide, a magic command), else null.
    /// </summary>
    private static string BlankDirectives(string code, out List<string> packages, out string? problem)
    {
        packages = [];
        problem = null;
        var text = new StringBuilder(code);
        int lineStart = 0;
        for (int number = 1; lineStart <= code.Length; number++)
        {
            int end = code.IndexOf('\n', lineStart);
            if (end < 0)
                end = code.Length;
            string line = code[lineStart..end].Trim();
            var nuget = NugetReference().Match(line);
            bool directive = true;
            if (nuget.Success)
            {
                string package = nuget.Groups["id"].Value;
                if (s_provided.ContainsKey(package))
                {
                    packages.Add(package);
                }
                else
                {
                    problem ??= $"Line {number}: #r \"nuget: {package}\" needs the .NET Interactive kernel's package manager, which the headless runner does not have. " +
                        $"It provides {string.Join(", ", s_provided.Keys)} itself; for other libraries restore them yourself and use #r \"path/to/library.dll\".";
                }
            }
            else if (NugetSource().IsMatch(line))
            {
                // a package source for the kernel's restores; the runner restores nothing
            }
            else if (line.StartsWith("#!", StringComparison.Ordinal) || line.StartsWith("#i ", StringComparison.Ordinal))
            {
                problem ??= $"Line {number}: '{line}' is a .NET Interactive magic command; the headless runner runs plain C# script (with #r \"path.dll\" and #load).";
            }
            else
            {
                directive = false;
            }

            if (directive)
            {
                for (int i = lineStart; i < end; i++)
                {
                    if (text[i] != '\r')
                        text[i] = ' ';
                }
            }

            lineStart = end + 1;
        }

        return text.ToString();
    }

    /// <summary>
    /// A cell's value is shown when it ends in a non-void expression without a semicolon, as in .NET Interactive
    /// (a trailing <c>display(x)</c> shows x once, not a second time as null).
    /// </summary>
    private static bool HasTrailingExpression(ScriptState<object?> state)
    {
        var compilation = state.Script.GetCompilation();
        var tree = compilation.SyntaxTrees.LastOrDefault();
        if (tree?.GetRoot() is not CompilationUnitSyntax unit
            || unit.Members.LastOrDefault() is not GlobalStatementSyntax { Statement: ExpressionStatementSyntax { SemicolonToken.IsMissing: true } statement })
            return false;
        var type = compilation.GetSemanticModel(tree).GetTypeInfo(statement.Expression).Type;
        return type is not null && type.SpecialType != SpecialType.System_Void;
    }

    private static void ReportException(Exception e, CellOutputs outputs)
    {
        while (e is TargetInvocationException { InnerException: { } inner })
            e = inner;
        var trace = new List<string> { $"{e.GetType().FullName}: {e.Message}" };
        for (var inner = e.InnerException; inner is not null; inner = inner.InnerException)
            trace.Add($" ---> {inner.GetType().FullName}: {inner.Message}");
        if (e.StackTrace is { } stack)
        {
            // frames of the script itself and of the library; the scripting machinery below them is noise
            trace.AddRange(stack.Split('\n').Select(l => l.TrimEnd()).TakeWhile(l => !l.Contains("Microsoft.CodeAnalysis.Scripting", StringComparison.Ordinal)));
        }

        outputs.Error(e.GetType().Name, e.Message, trace);
    }

    private static string Describe(Diagnostic d)
    {
        var span = d.Location.GetLineSpan();
        return $"({span.StartLinePosition.Line + 1},{span.StartLinePosition.Character + 1}): error {d.Id}: {d.GetMessage(System.Globalization.CultureInfo.InvariantCulture)}";
    }

    /// <summary>Console output as it happens, so text and displays keep their order.</summary>
    private sealed class OutputWriter(CellOutputs outputs) : TextWriter
    {
        public override Encoding Encoding => Encoding.UTF8;

        public override void Write(char value) => outputs.Stream("stdout", value.ToString());

        public override void Write(string? value) => outputs.Stream("stdout", value ?? "");

        public override void Write(char[] buffer, int index, int count) => outputs.Stream("stdout", new string(buffer, index, count));
    }

    [GeneratedRegex("""^#r\s+"nuget:\s*(?<id>[^,"\s]+)""", RegexOptions.IgnoreCase)]
    private static partial Regex NugetReference();

    [GeneratedRegex("""^#i\s+"nuget:[^"]*"\s*$""", RegexOptions.IgnoreCase)]
    private static partial Regex NugetSource();

    /// <summary>
    /// Resolves #r paths against the working directory, but hands back the already referenced assembly when the
    /// file is a copy of it (e.g. #r "../artifacts/module/Analysis/Analysis.dll"), so one type identity exists.
    /// </summary>
    private sealed class LoadedFirstResolver(string baseDirectory, Assembly[] loaded) : MetadataReferenceResolver
    {
        private readonly ScriptMetadataResolver _inner = ScriptMetadataResolver.Default.WithBaseDirectory(baseDirectory);

        public override bool ResolveMissingAssemblies => _inner.ResolveMissingAssemblies;

        public override ImmutableArray<PortableExecutableReference> ResolveReference(string reference, string? baseFilePath, MetadataReferenceProperties properties)
        {
            string name = Path.GetFileNameWithoutExtension(reference);
            var same = loaded.FirstOrDefault(a => string.Equals(a.GetName().Name, name, StringComparison.OrdinalIgnoreCase));
            if (same is not null && reference.EndsWith(".dll", StringComparison.OrdinalIgnoreCase))
                return [MetadataReference.CreateFromFile(same.Location, properties)];
            return _inner.ResolveReference(reference, baseFilePath, properties);
        }

        /// <summary>
        /// Our libraries are never pulled in implicitly as a dependency of the runner's own assembly: as in the kernel,
        /// a cell sees them only after #r "nuget: Analysis.Interactive" or #r of the dll.
        /// </summary>
        public override PortableExecutableReference? ResolveMissingAssembly(MetadataReference definition, AssemblyIdentity referenceIdentity) =>
            loaded.Any(a => string.Equals(a.GetName().Name, referenceIdentity.Name, StringComparison.OrdinalIgnoreCase))
                ? null
                : _inner.ResolveMissingAssembly(definition, referenceIdentity);

        public override bool Equals(object? other) => ReferenceEquals(this, other);

        public override int GetHashCode() => baseDirectory.GetHashCode(StringComparison.Ordinal);
    }
}
