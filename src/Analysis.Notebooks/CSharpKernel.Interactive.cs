using System.Reflection;
using System.Text;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Scripting;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Scripting;

namespace Analysis.Notebooks;

/// <summary>
/// What a live notebook asks of C# cells besides running them, answered by Roslyn on the cell as the next submission
/// of the script (earlier cells' variables, usings and references in scope): completion from the semantic model,
/// signature and XML documentation at the cursor, whether the submission is complete, and the script's variables.
/// </summary>
public sealed partial class CSharpKernel : IInteractiveKernel
{
    private static readonly SymbolDisplayFormat s_signature = new(
        globalNamespaceStyle: SymbolDisplayGlobalNamespaceStyle.Omitted,
        typeQualificationStyle: SymbolDisplayTypeQualificationStyle.NameAndContainingTypes,
        genericsOptions: SymbolDisplayGenericsOptions.IncludeTypeParameters,
        memberOptions: SymbolDisplayMemberOptions.IncludeParameters | SymbolDisplayMemberOptions.IncludeType | SymbolDisplayMemberOptions.IncludeContainingType
            | SymbolDisplayMemberOptions.IncludeModifiers | SymbolDisplayMemberOptions.IncludeRef,
        delegateStyle: SymbolDisplayDelegateStyle.NameAndSignature,
        parameterOptions: SymbolDisplayParameterOptions.IncludeType | SymbolDisplayParameterOptions.IncludeName | SymbolDisplayParameterOptions.IncludeDefaultValue
            | SymbolDisplayParameterOptions.IncludeParamsRefOut | SymbolDisplayParameterOptions.IncludeExtensionThis,
        propertyStyle: SymbolDisplayPropertyStyle.ShowReadWriteDescriptor,
        localOptions: SymbolDisplayLocalOptions.IncludeType,
        kindOptions: SymbolDisplayKindOptions.IncludeNamespaceKeyword | SymbolDisplayKindOptions.IncludeTypeKeyword,
        miscellaneousOptions: SymbolDisplayMiscellaneousOptions.UseSpecialTypes | SymbolDisplayMiscellaneousOptions.EscapeKeywordIdentifiers
            | SymbolDisplayMiscellaneousOptions.IncludeNullableReferenceTypeModifier);

    private static readonly string[] s_keywords =
        [.. SyntaxFacts.GetKeywordKinds().Concat(SyntaxFacts.GetContextualKeywordKinds()).Select(SyntaxFacts.GetText).Where(k => k.Length > 0 && char.IsLetter(k[0])).Distinct().Order(StringComparer.Ordinal)];

    /// <inheritdoc/>
    public Task<CompletionSet> CompleteAsync(string code, int cursor, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(code);
        cursor = Math.Clamp(cursor, 0, code.Length);
        return Task.Run(() => Complete(code, cursor, cancellationToken), cancellationToken);
    }

    /// <inheritdoc/>
    public Task<Inspection?> InspectAsync(string code, int cursor, int detailLevel, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(code);
        cursor = Math.Clamp(cursor, 0, code.Length);
        return Task.Run(() => Inspect(code, cursor, detailLevel, cancellationToken), cancellationToken);
    }

    /// <inheritdoc/>
    public CodeCompleteness IsComplete(string code)
    {
        ArgumentNullException.ThrowIfNull(code);
        var tree = CSharpSyntaxTree.ParseText(Blank(code, out _), ScriptParseOptions);
        if (!SyntaxFactory.IsCompleteSubmission(tree))
            return CodeCompleteness.Incomplete;
        return tree.GetDiagnostics().Any(d => d.Severity == DiagnosticSeverity.Error) ? CodeCompleteness.Invalid : CodeCompleteness.Complete;
    }

    /// <inheritdoc/>
    public bool TryGetVariable(string name, out object? value)
    {
        var variable = _state?.GetVariable(name.TrimStart('@'));
        value = variable?.Value;
        return variable is not null;
    }

    /// <summary>
    /// Declares <paramref name="name"/> as a script variable of the value's own type (its first public base type when the
    /// type itself cannot be named in C#, else object), referencing the type's assembly, and gives it the value: the next
    /// cell uses it with its members. Throws ArgumentException for a name that is not an identifier.
    /// </summary>
    public void SetVariable(string name, object? value)
    {
        ParameterLiterals.CheckName(name);
        var type = NameableType(value?.GetType());
        string identifier = SyntaxFacts.GetKeywordKind(name) != SyntaxKind.None || SyntaxFacts.GetContextualKeywordKind(name) != SyntaxKind.None ? "@" + name : name;
        string code = $"{TypeName(type)} {identifier} = default;";
        s_processState.Wait();
        try
        {
            var options = _options.AddReferences(ReferencesFor(type));
            var state = Task.Run(() => _state is null
                ? CSharpScript.Create<object?>(code, options, typeof(CSharpCellGlobals)).RunAsync(_globals)
                : _state.ContinueWithAsync<object?>(code, options)).GetAwaiter().GetResult();
            state.GetVariable(name)!.Value = value;
            _state = state;
            _options = options;
        }
        finally
        {
            s_processState.Release();
        }
    }

    /// <summary>How a C# cell parses: script, the latest language version (as Roslyn scripting does).</summary>
    private static CSharpParseOptions ScriptParseOptions => CSharpParseOptions.Default.WithKind(SourceCodeKind.Script).WithLanguageVersion(LanguageVersion.Latest);

    /// <summary>
    /// The cell as the submission after the last one that ran, for questions about it: the package directives the
    /// runner handles itself and magic commands blanked out (positions unchanged), the provided packages referenced.
    /// </summary>
    private (SemanticModel Model, SyntaxNode Root) Submission(string code)
    {
        code = Blank(code, out var packages);
        var options = packages.Count == 0 ? _options : _options.AddReferences(packages.SelectMany(p => s_provided[p]).Distinct());
        var previous = _state;
        Script script = previous is null
            ? CSharpScript.Create<object?>(code, options, typeof(CSharpCellGlobals))
            : previous.Script.ContinueWith<object?>(code, options);
        var compilation = script.GetCompilation();
        var tree = compilation.SyntaxTrees.Last();
        return (compilation.GetSemanticModel(tree), tree.GetRoot());
    }

    /// <summary>The code with the lines the runner does not compile (#r "nuget:", #i, #! magics) replaced by spaces; the provided packages asked for.</summary>
    private static string Blank(string code, out List<string> packages) => BlankDirectives(code, out packages, out _);

    private CompletionSet Complete(string code, int cursor, CancellationToken cancellationToken)
    {
        int start = cursor;
        while (start > 0 && (char.IsLetterOrDigit(code[start - 1]) || code[start - 1] == '_'))
            start--;
        if (start < cursor && char.IsDigit(code[start]))
            return CompletionSet.None(cursor); // a number, not a name
        string prefix = code[start..cursor];
        var (model, root) = Submission(code);
        cancellationToken.ThrowIfCancellationRequested();

        IEnumerable<ISymbol> candidates;
        bool names = false;
        int dot = start - 1;
        while (dot >= 0 && char.IsWhiteSpace(code[dot]))
            dot--;
        if (dot >= 0 && code[dot] == '.')
        {
            var left = root.FindToken(dot).Parent switch
            {
                MemberAccessExpressionSyntax access => access.Expression,
                QualifiedNameSyntax qualified => qualified.Left,
                MemberBindingExpressionSyntax binding => binding.FirstAncestorOrSelf<ConditionalAccessExpressionSyntax>()?.Expression,
                _ => null,
            };
            if (left is null)
                return CompletionSet.None(cursor);
            candidates = Members(model, left, start);
        }
        else
        {
            // inside a word's middle, or in a comment or string, nothing is offered
            var token = root.FindToken(Math.Max(0, start - 1));
            if (token.IsKind(SyntaxKind.StringLiteralToken) && token.Span.Contains(Math.Max(0, start - 1)) || root.FindTrivia(Math.Max(0, start - 1)).IsKind(SyntaxKind.SingleLineCommentTrivia))
                return CompletionSet.None(cursor);
            candidates = model.LookupSymbols(start);
            names = true;
        }

        var matches = candidates
            .Where(s => s.CanBeReferencedByName && !s.IsImplicitlyDeclared && !(s is INamedTypeSymbol { IsScriptClass: true }) && s.Name.StartsWith(prefix, StringComparison.OrdinalIgnoreCase))
            .GroupBy(s => s.Name, StringComparer.Ordinal)
            .Select(g => (g.Key, Kind: Kind(g.First())))
            .ToList();
        if (names && prefix.Length > 0)
            matches.AddRange(s_keywords.Where(k => k.StartsWith(prefix, StringComparison.Ordinal) && matches.All(m => m.Key != k)).Select(k => (k, "keyword")));
        var ordered = matches
            .OrderBy(m => m.Key.StartsWith(prefix, StringComparison.Ordinal) ? 0 : 1)
            .ThenBy(m => m.Key, StringComparer.OrdinalIgnoreCase)
            .ThenBy(m => m.Key, StringComparer.Ordinal)
            .ToList();
        return ordered.Count == 0 ? CompletionSet.None(cursor) : new CompletionSet([.. ordered.Select(m => m.Key)], start, cursor, [.. ordered.Select(m => m.Kind)]);
    }

    /// <summary>What may follow <c>left.</c>: a namespace's namespaces and types, a type's static members and nested types, a value's instance members and extension methods.</summary>
    private static IEnumerable<ISymbol> Members(SemanticModel model, ExpressionSyntax left, int position)
    {
        var symbol = model.GetSymbolInfo(left).Symbol;
        if (symbol is INamespaceSymbol ns)
            return model.LookupNamespacesAndTypes(position, ns);
        if (symbol is INamedTypeSymbol named)
            return model.LookupStaticMembers(position, named).Concat(model.LookupNamespacesAndTypes(position, named));
        var type = model.GetTypeInfo(left).Type;
        if (type is null || type.TypeKind == TypeKind.Error)
            return [];
        return model.LookupSymbols(position, type, includeReducedExtensionMethods: true).Where(s => !s.IsStatic || s is IMethodSymbol { MethodKind: MethodKind.ReducedExtension });
    }

    private static string Kind(ISymbol symbol) => symbol switch
    {
        IFieldSymbol { ContainingType.IsScriptClass: true } or IPropertySymbol { ContainingType.IsScriptClass: true } or ILocalSymbol or IRangeVariableSymbol => "variable",
        IMethodSymbol => "method",
        IPropertySymbol => "property",
        IFieldSymbol { IsConst: true, ContainingType.TypeKind: TypeKind.Enum } => "enum member",
        IFieldSymbol => "field",
        IEventSymbol => "event",
        IParameterSymbol => "parameter",
        INamespaceSymbol => "namespace",
        INamedTypeSymbol t => t.TypeKind switch
        {
            TypeKind.Interface => "interface",
            TypeKind.Struct => "struct",
            TypeKind.Enum => "enum",
            TypeKind.Delegate => "delegate",
            _ => "class",
        },
        ITypeParameterSymbol => "type parameter",
        _ => symbol.Kind.ToString().ToLowerInvariant(),
    };

    private Inspection? Inspect(string code, int cursor, int detailLevel, CancellationToken cancellationToken)
    {
        var (model, root) = Submission(code);
        cancellationToken.ThrowIfCancellationRequested();
        // the name the cursor is on, or the one just before it
        var token = root.FindToken(cursor);
        if (!IsName(token) && cursor > 0)
            token = root.FindToken(cursor - 1);
        if (!IsName(token) || token.Parent is not { } node)
            return null;
        var info = model.GetSymbolInfo(node, cancellationToken);
        var symbols = info.Symbol is { } s ? [s] : info.CandidateSymbols.ToList();
        if (symbols.Count == 0 && model.GetDeclaredSymbol(node, cancellationToken) is { } declared)
            symbols = [declared];
        if (symbols.Count == 0 && model.GetTypeInfo(node, cancellationToken).Type is { TypeKind: not TypeKind.Error } type)
            symbols = [type];
        if (symbols.Count == 0)
            return null;

        var text = new StringBuilder();
        foreach (var symbol in symbols.Take(12))
            text.AppendLine(Signature(symbol));
        if (symbols.Count > 12)
            text.AppendLine($"(+{symbols.Count - 12} more overloads)");
        var docs = XmlDocs.Describe(symbols[0], model.Compilation, detailLevel > 0);
        if (docs.Length > 0)
            text.AppendLine().AppendLine(docs);
        return new Inspection(new Dictionary<string, string> { ["text/plain"] = text.ToString().TrimEnd() + "\n" });
    }

    private static bool IsName(SyntaxToken token) => token.IsKind(SyntaxKind.IdentifierToken) || SyntaxFacts.IsPredefinedType(token.Kind());

    private static string Signature(ISymbol symbol)
    {
        string kind = symbol switch
        {
            IFieldSymbol { ContainingType.IsScriptClass: true } or ILocalSymbol => "(variable) ",
            IParameterSymbol => "(parameter) ",
            IMethodSymbol { MethodKind: MethodKind.ReducedExtension } => "(extension) ",
            _ => "",
        };
        var shown = symbol is IFieldSymbol { ContainingType.IsScriptClass: true } field
            ? $"{field.Type.ToDisplayString(s_signature.WithKindOptions(SymbolDisplayKindOptions.None))} {field.Name}"
            : symbol.ToDisplayString(s_signature);
        return kind + shown;
    }

    /// <summary>The type a shared value is declared as in C#: its own when a cell can name it, else its nearest such base type, else object.</summary>
    private static Type NameableType(Type? type)
    {
        for (var t = type; t is not null && t != typeof(object); t = t.BaseType)
        {
            if (CanName(t))
                return t;
        }

        return typeof(object);

        static bool CanName(Type t) =>
            t.IsVisible && !t.IsPointer && !t.IsByRef && !t.ContainsGenericParameters && !t.Assembly.IsDynamic && t.Assembly.Location.Length > 0
            && (!t.IsArray || CanName(t.GetElementType()!)) && (!t.IsGenericType || t.GetGenericArguments().All(CanName));
    }

    /// <summary>The assemblies a cell needs to use a value of <paramref name="type"/>: its own and its type arguments'; our libraries come together, as #r "nuget: Analysis.Interactive" brings them.</summary>
    private static IEnumerable<Assembly> ReferencesFor(Type type)
    {
        var assemblies = new HashSet<Assembly>();
        void Add(Type t)
        {
            if (t.IsArray)
            {
                Add(t.GetElementType()!);
                return;
            }

            assemblies.Add(t.Assembly);
            if (t.IsGenericType)
            {
                foreach (var argument in t.GetGenericArguments())
                    Add(argument);
            }
        }

        Add(type);
        if (assemblies.Any(a => s_libraries.Contains(a)))
            assemblies.UnionWith(s_provided["Analysis.Interactive"]);
        return assemblies;
    }

    /// <summary>C# source for a type: global::Namespace.Outer.Inner&lt;Args&gt;, arrays and special types included.</summary>
    private static string TypeName(Type type)
    {
        if (type.IsArray)
            return TypeName(type.GetElementType()!) + "[" + new string(',', type.GetArrayRank() - 1) + "]";
        if (Nullable.GetUnderlyingType(type) is { } underlying)
            return TypeName(underlying) + "?";
        var arguments = type.GetGenericArguments();
        var parts = new List<string>();
        int used = 0;
        for (var t = type; t is not null; t = t.DeclaringType)
        {
            string name = t.Name;
            int tick = name.IndexOf('`', StringComparison.Ordinal);
            parts.Insert(0, tick < 0 ? name : name[..tick]);
        }

        // type arguments belong to the declaring types in order: Outer`1+Inner`1 has [outer's, inner's]
        var sb = new StringBuilder("global::");
        if (!string.IsNullOrEmpty(type.Namespace))
            sb.Append(type.Namespace).Append('.');
        var chain = new List<Type>();
        for (var t = type; t is not null; t = t.DeclaringType)
            chain.Insert(0, t);
        for (int i = 0; i < chain.Count; i++)
        {
            if (i > 0)
                sb.Append('.');
            sb.Append(parts[i]);
            int declared = chain[i].IsGenericType ? chain[i].GetGenericArguments().Length : 0;
            int own = declared - used;
            if (own > 0)
            {
                sb.Append('<').Append(string.Join(", ", arguments.Skip(used).Take(own).Select(TypeName))).Append('>');
                used = declared;
            }
        }

        return sb.ToString();
    }
}
