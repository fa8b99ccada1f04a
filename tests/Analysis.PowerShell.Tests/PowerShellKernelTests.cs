using System.Diagnostics;
using System.Reflection;
using Analysis.Testing;
using Xunit;
using Xunit.Abstractions;

namespace Analysis.PowerShell.Tests;

/// <summary>
/// The PowerShell notebook kernel answering a live notebook (completion through pwsh's completers and ours, Get-Help,
/// is_complete, variables) and its host (writes to the cell, reads through the notebook's input). The kernel is made
/// by the module's public factory (<c>[Analysis.PowerShell.NotebookKernels]::PowerShell</c>) in this process, where
/// the notebook types live in the module's load context; this project does not reference them, so it calls the
/// contract's members by reflection (<see cref="Kernel"/>).
/// </summary>
public sealed class PowerShellKernelTests(ITestOutputHelper log) : IDisposable
{
    private static string Dump => DumpSet.FactsLite[CapturedDump.ClientWithHeap];

    private readonly PwshHost _host = new();
    private Kernel? _kernel;

    private Kernel K => _kernel ??= new Kernel(_host, Path.GetDirectoryName(Dump)!);

    public void Dispose()
    {
        _kernel?.Dispose();
        _host.Dispose();
    }

    [Fact]
    public void Completion_OfCommandsParametersVariablesAndPaths_IsPwshs()
    {
        var clock = Stopwatch.StartNew();
        var commands = K.Complete("Get-HeapT");
        long first = clock.ElapsedMilliseconds;
        clock.Restart();
        K.Complete("Get-HeapT");
        log.WriteLine($"pwsh completion of a command name: first {first} ms, warm {clock.ElapsedMilliseconds} ms");
        Assert.Equal(["Get-HeapTop"], commands.Matches);
        Assert.Equal(["command"], commands.Kinds);
        Assert.Equal((0, 9), (commands.Start, commands.End));

        var parameters = K.Complete("Get-HeapTop -Ty");
        Assert.Equal(["-TypeName"], parameters.Matches);
        Assert.Equal(["parameter"], parameters.Kinds);
        Assert.Equal((12, 15), (parameters.Start, parameters.End));

        // a variable an earlier cell assigned, in the middle of a line
        Assert.True(K.Run("$leakDumpPath = 'x'", out _));
        var variables = K.Complete("Get-HeapTop -Path $leakD", cursor: 24);
        Assert.Equal(["$leakDumpPath"], variables.Matches);
        Assert.Equal("variable", variables.Kinds[0]);

        // paths relative to the kernel's location (the dump's folder)
        string name = Path.GetFileName(Dump);
        var paths = K.Complete("Get-HeapTop -Path ./" + name[..3]);
        Assert.Contains(paths.Matches, m => m.Contains(name, StringComparison.Ordinal));
        Assert.Contains("file", paths.Kinds);
    }

    [Fact]
    public void Completion_OfTypeNames_ComesFromTheDumpOnTheLine_ThroughOurCompleter()
    {
        string line = $"Get-HeapTop -Path '{Dump}' -TypeName Contoso.Orders.Le";
        var clock = Stopwatch.StartNew();
        var leaked = K.Complete(line);
        long first = clock.ElapsedMilliseconds;
        clock.Restart();
        var again = K.Complete(line);
        log.WriteLine($"pwsh completion of -TypeName from a dump: first {first} ms (opens the dump, walks its heap), warm {clock.ElapsedMilliseconds} ms");
        Assert.Equal(TargetFacts.LeakedOrderType, leaked.Matches[0]);
        Assert.Equal("value", leaked.Kinds[0]);
        Assert.Equal(line.Length - "Contoso.Orders.Le".Length, leaked.Start);
        Assert.Equal(leaked.Matches, again.Matches);

        // Sys<tab>: the dump's System types first, as Get-HeapTop reports them (then names with a later segment Sys…), at most 100
        var system = K.Complete($"Get-HeapTop -Path '{Dump}' -TypeName Sys").Matches.Select(Unquote).ToList();
        var onHeap = _host.Run($"Get-HeapTop -Path '{Dump}' -Top 1000000 | ForEach-Object {{ '{{0}}|{{1}}' -f $_.TypeName, $_.TotalSize }}").Strings
            .Select(l => l.Split('|')).ToDictionary(p => p[0], p => long.Parse(p[1], System.Globalization.CultureInfo.InvariantCulture));
        var prefixed = onHeap.Keys.Where(t => t.StartsWith("Sys", StringComparison.OrdinalIgnoreCase)).ToList();
        Assert.Contains("System.String", system);
        Assert.Subset(onHeap.Keys.ToHashSet(), system.ToHashSet());
        // the largest first: the prefix matches offered are the heap's largest Sys* types (ties at the cut may go either way)
        var offered = system.Take(Math.Min(100, prefixed.Count)).ToList();
        Assert.All(offered, t => Assert.StartsWith("Sys", t, StringComparison.OrdinalIgnoreCase));
        long smallestOffered = offered.Min(t => onHeap[t]);
        Assert.All(prefixed.Except(offered), t => Assert.True(onHeap[t] <= smallestOffered, $"{t} ({onHeap[t]} bytes) is larger than an offered type ({smallestOffered} bytes) but was not offered"));
    }

    /// <summary>The name a completion text stands for: without quotes, wildcard characters unescaped.</summary>
    private static string Unquote(string text) => text.Trim('\'').Replace("`[", "[", StringComparison.Ordinal).Replace("`]", "]", StringComparison.Ordinal)
        .Replace("`*", "*", StringComparison.Ordinal).Replace("`?", "?", StringComparison.Ordinal);

    [Fact]
    public void Inspection_IsGetHelp_OfTheCommandOrParameterAtTheCursor()
    {
        string synopsis = _host.Run("(Get-Help Get-HeapTop).Synopsis").Strings.Single();
        string code = "Get-HeapTop -Path x.dmp -TypeName 'Contoso.*'";
        string brief = K.Inspect(code, 4, 0)!;
        log.WriteLine(brief);
        Assert.Contains("SYNOPSIS", brief, StringComparison.Ordinal);
        Assert.Contains(synopsis, brief, StringComparison.Ordinal);
        Assert.Contains("Get-HeapTop [-Path] <String[]>", brief, StringComparison.Ordinal);
        Assert.DoesNotContain("EXAMPLE", brief, StringComparison.Ordinal);
        Assert.DoesNotContain("\u001b", brief, StringComparison.Ordinal);

        string full = K.Inspect(code, 4, 1)!;
        Assert.Contains("Example 1", full, StringComparison.Ordinal);
        Assert.Contains("PARAMETERS", full, StringComparison.Ordinal);

        string parameter = K.Inspect(code, code.IndexOf("-TypeName", StringComparison.Ordinal) + 3, 0)!;
        Assert.StartsWith("-TypeName <String>", parameter, StringComparison.Ordinal);
        Assert.DoesNotContain("SYNOPSIS", parameter, StringComparison.Ordinal);

        // an alias of pwsh, a word that is no command
        Assert.Contains("Get-ChildItem", K.Inspect("gci -Recurse", 1, 0), StringComparison.Ordinal);
        Assert.Null(K.Inspect("Get-NoSuchThing -x", 3, 0));
        Assert.Null(K.Inspect("$x = 1", 1, 0));

        // a variable the cells assigned: its type and value
        K.SetVariable("dumpFilePath", Dump);
        Assert.True(K.Run("$dumpFile = Get-Item $dumpFilePath", out _));
        string variable = K.Inspect("Get-HeapTop -Path $dumpFile", 20, 0)!;
        Assert.StartsWith("$dumpFile : [System.IO.FileInfo]\n", variable, StringComparison.Ordinal);
        Assert.Contains(Path.GetFileName(Dump), variable, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("Get-HeapTop ./x.dmp", "Complete")]
    [InlineData("", "Complete")]
    [InlineData("foreach ($i in 1..3) {", "Incomplete")]
    [InlineData("Get-HeapTop ./x.dmp |", "Incomplete")]
    [InlineData("'an open string", "Incomplete")]
    [InlineData("Get-HeapTop )", "Invalid")]
    [InlineData("$x = ", "Incomplete")]
    [InlineData("if ($x) { } else { } }", "Invalid")]
    public void IsComplete_FollowsPwshsParser(string code, string expected) => Assert.Equal(expected, K.IsComplete(code));

    [Fact]
    public void Variables_AreTheRunspaces_InBothDirections()
    {
        Assert.False(K.TryGetVariable("n", out _));
        Assert.True(K.Run("$n = 41; $n++", out _));
        Assert.True(K.TryGetVariable("n", out object? n));
        Assert.Equal(42, n);
        Assert.True(K.Run("$files = Get-ChildItem -File | Select-Object -First 1", out _));
        Assert.True(K.TryGetVariable("files", out object? file));
        Assert.IsType<FileInfo>(file);

        K.SetVariable("shared", new FileInfo(Dump));
        Assert.True(K.Run("$shared.Name; $shared.GetType().Name", out var outputs));
        Assert.Equal(Path.GetFileName(Dump) + "\nFileInfo\n", outputs);
    }

    [Fact]
    public void Host_WritesToTheCell_InOrder_AsPlainText()
    {
        Assert.True(K.Run("""
            Write-Host 'a' -NoNewline; Write-Host 'b' -ForegroundColor Red
            $Host.UI.WriteLine('c')
            'd'
            Write-Information 'e'
            "$($PSStyle.OutputRendering)"
            Write-Host "$([char]27)[31mred$([char]27)[0m"
            """, out string text));
        // host and information text as written, the cell's objects once it ended (as always)
        Assert.Equal("ab\nc\ne\nred\nd\nPlainText\n", text);
        // the setting is the process's: back to what it was once the cell ended, and once the notebook cells other test
        // classes run in parallel in this process ended too (it stays PlainText while any cell runs)
        var clock = System.Diagnostics.Stopwatch.StartNew();
        string rendering;
        while ((rendering = _host.Run("\"$($PSStyle.OutputRendering)\"").Strings.Single()) == "PlainText" && clock.Elapsed < TimeSpan.FromMinutes(2))
            Thread.Sleep(100);
        Assert.NotEqual("PlainText", rendering);
    }

    [Fact]
    public void Host_ReadsThroughTheNotebooksInput()
    {
        var asked = new List<(string Prompt, bool Password)>();
        string Answer(string prompt, bool password)
        {
            asked.Add((prompt, password));
            return password ? "s3cret" : prompt.Contains("[Y]", StringComparison.Ordinal) ? "n" : "Ada";
        }

        Assert.True(K.Run("""
            $name = Read-Host 'Your name'
            "hello $name"
            $secret = Read-Host 'Token' -AsSecureString
            [Net.NetworkCredential]::new('', $secret).Password.Length
            $Host.UI.PromptForChoice('Close?', 'Close the dump', [System.Management.Automation.Host.ChoiceDescription[]]@('&Yes', '&No'), 0)
            $line = $Host.UI.ReadLine(); "line $line"
            """, out string text, Answer));
        Assert.Equal(("Your name: ", false), asked[0]);
        Assert.Equal(("Token: ", true), asked[1]);
        Assert.StartsWith("[Y] Yes  [N] No", asked[2].Prompt, StringComparison.Ordinal);
        Assert.Equal(("", false), asked[3]);
        Assert.Equal("Close?\nClose the dump\nhello Ada\n6\n1\nline Ada\n", text);
    }

    [Fact]
    public void Host_WithoutInput_FailsTheCellSayingSo()
    {
        var clock = Stopwatch.StartNew();
        bool ok = K.Run("$before = 1; $name = Read-Host 'Your name'; $after = 1", out string text);
        log.WriteLine(text);
        Assert.False(ok);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(30));
        Assert.Contains("This notebook host does not accept input", text, StringComparison.Ordinal);
        // as in pwsh, the failed statement assigned nothing
        Assert.False(K.TryGetVariable("name", out _));

        // a prompt of the engine (a mandatory parameter left out) fails as it did without a host, printing no caption first
        Assert.False(K.Run("Get-HeapTop -TypeName x", out text));
        Assert.DoesNotContain("Supply values", text, StringComparison.Ordinal);
        Assert.StartsWith("Cannot process command because of one or more missing mandatory parameters", text, StringComparison.Ordinal);
    }

    [Fact]
    public void Interrupt_WhileReadHostWaits_EndsTheCell_AndTheKernelLives()
    {
        using var interrupt = new CancellationTokenSource(TimeSpan.FromSeconds(1));
        var clock = Stopwatch.StartNew();
        Assert.Throws<OperationCanceledException>(() => K.Run("$answer = Read-Host 'Wait for me'", out _, (_, _, ct) =>
        {
            ct.WaitHandle.WaitOne(TimeSpan.FromMinutes(1)); // the user does not answer; the notebook's interrupt ends the wait
            ct.ThrowIfCancellationRequested();
            return "too late";
        }, interrupt.Token));
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(30), clock.Elapsed.ToString());
        Assert.True(K.Run("'still here'", out string text));
        Assert.Equal("still here\n", text);
    }

    /// <summary>The kernel behind the contract's members (IInteractiveKernel, CellOutputs of the module's load context), by reflection.</summary>
    private sealed class Kernel : IDisposable
    {
        private readonly object _kernel;
        private readonly Type _interactive;
        private readonly Assembly _notebooks;

        public Kernel(PwshHost host, string workingDirectory)
        {
            var created = host.Run("[Analysis.PowerShell.NotebookKernels]::PowerShell.Invoke($wd)", new Dictionary<string, object?> { ["wd"] = workingDirectory });
            Assert.Empty(created.Errors);
            _kernel = created.Output.Single().BaseObject;
            _interactive = _kernel.GetType().GetInterface("Analysis.Notebooks.IInteractiveKernel")!;
            _notebooks = _interactive.Assembly;
        }

        public sealed record Completions(IReadOnlyList<string> Matches, int Start, int End, IReadOnlyList<string> Kinds);

        public Completions Complete(string code, int? cursor = null)
        {
            dynamic set = Await(Call("CompleteAsync", code, cursor ?? code.Length, CancellationToken.None))!;
            return new Completions(((IEnumerable<string>)set.Matches).ToList(), set.Start, set.End, ((IEnumerable<string>)set.Kinds).ToList());
        }

        public string? Inspect(string code, int cursor, int detail)
        {
            dynamic? inspection = Await(Call("InspectAsync", code, cursor, detail, CancellationToken.None));
            return inspection is null ? null : (string)inspection.Data["text/plain"];
        }

        public string IsComplete(string code) => Call("IsComplete", code)!.ToString()!;

        public bool TryGetVariable(string name, out object? value)
        {
            object?[] arguments = [name, null];
            bool found = (bool)_interactive.GetMethod("TryGetVariable")!.Invoke(_kernel, arguments)!;
            value = arguments[1];
            return found;
        }

        public void SetVariable(string name, object? value) => Call("SetVariable", name, value);

        /// <summary>Runs a cell; <paramref name="text"/> is its stream text and error messages, in order.</summary>
        public bool Run(string code, out string text, Func<string, bool, string>? input = null) => Run(code, out text, input is null ? null : (p, pw, _) => input(p, pw), CancellationToken.None);

        public bool Run(string code, out string text, Func<string, bool, CancellationToken, string>? input, CancellationToken cancellationToken)
        {
            var outputsType = _notebooks.GetType("Analysis.Notebooks.CellOutputs")!;
            var readerType = _notebooks.GetType("Analysis.Notebooks.InputReader")!;
            object? reader = input is null ? null : Delegate.CreateDelegate(readerType, new Reader(input), typeof(Reader).GetMethod(nameof(Reader.Read))!);
            object outputs = Activator.CreateInstance(outputsType, [null, reader])!;
            bool ok = (bool)Await(_interactive.GetInterfaces().Concat([_interactive]).Select(i => i.GetMethod("RunAsync")).First(m => m is not null)!.Invoke(_kernel, [code, outputs, cancellationToken]))!;
            var items = (System.Collections.IEnumerable)outputsType.GetProperty("Items")!.GetValue(outputs)!;
            text = string.Concat(items.Cast<dynamic>().Select(o => (string?)o.Text ?? (string?)o.ErrorValue ?? ""));
            return ok;
        }

        public void Dispose()
        {
            Run("Close-Dump -All", out _);
            ((IDisposable)_kernel).Dispose();
        }

        private object? Call(string method, params object?[] arguments) => _interactive.GetMethod(method)!.Invoke(_kernel, arguments);

        private static object? Await(object? task)
        {
            ((Task)task!).GetAwaiter().GetResult();
            return task.GetType().GetProperty("Result")!.GetValue(task);
        }

        private sealed class Reader(Func<string, bool, CancellationToken, string> answer)
        {
            public string Read(string prompt, bool password, CancellationToken cancellationToken) => answer(prompt, password, cancellationToken);
        }
    }
}
