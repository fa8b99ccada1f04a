using System.Xml.Linq;
using Analysis.Testing;
using Xunit;

namespace Analysis.PowerShell.Tests;

public class ModuleTests
{
    private static readonly string[] Cmdlets =
    [
        "Close-Dump", "Close-Trace", "Export-TraceStacks", "Get-DumpThreads", "Get-HeapTop", "Get-TraceContention", "Get-TraceCpuTop",
        "Get-TraceExceptions", "Get-TraceGc", "Get-TraceGcSummary", "Get-TraceStacks", "Import-Trace", "Invoke-TraceCapture", "New-Dump",
        "Open-Dump", "Start-TraceCapture", "Stop-TraceCapture", "Get-Goroutines", "Group-Stacks", "Find-GoroutineLeak", "Import-Pprof",
        "Get-PprofTop", "Get-PprofPeek", "Get-PprofTraces", "Get-GoGcTrace", "Get-GoTrace", "Export-IncidentReport", "Invoke-Notebook",
        "Get-GcRoot", "Compare-Heap", "Get-DumpTasks", "Get-DumpThreadPool", "Get-DumpFinalizer", "Get-DumpTriage", "Open-GoProfile",
        "Close-GoProfile", "Measure-DumpObject", "Get-GcHeap", "Get-DumpHandles", "Get-DumpObject", "Get-DumpCollection",
        "Get-HeapObject", "Open-GoCore", "Close-GoCore", "Get-GoCoreInfo",
        "Get-Timeline",
        "Export-Timeline",
        "Start-AnalysisKernel", "Install-AnalysisKernel",
    ];

    [Fact]
    public void Import_ExportsExactlyTheManifestCmdlets()
    {
        using var host = new PwshHost();
        var names = host.Run("(Get-Module Analysis).ExportedCmdlets.Keys").Strings.Order(StringComparer.Ordinal);
        Assert.Equal(Cmdlets.Order(StringComparer.Ordinal), names);
    }

    [Fact]
    public void TheEngines_ShipCompiledAheadForThisMachine_FromTheSameIL()
    {
        // the core, ClrMD and TraceEvent carry native code for the building machine (ReadyToRun) beside their IL, which is
        // the build's own (same module version id): another runtime or machine JIT-compiles them as before
        string lib = Path.Combine(Path.GetDirectoryName(RepoPaths.ModuleManifest)!, "lib");
        string built = Path.Combine(RepoPaths.Root, "artifacts", "bin", "Analysis.PowerShell", RepoPaths.Configuration);
        foreach (string name in new[] { "Analysis.dll", "Microsoft.Diagnostics.Runtime.dll", "Microsoft.Diagnostics.Tracing.TraceEvent.dll" })
        {
            using var shipped = new System.Reflection.PortableExecutable.PEReader(File.OpenRead(Path.Combine(lib, name)));
            using var il = new System.Reflection.PortableExecutable.PEReader(File.OpenRead(Path.Combine(built, name)));
            Assert.True(shipped.PEHeaders.CorHeader!.ManagedNativeHeaderDirectory.Size > 0, $"{name} in the module is not compiled ahead");
            Assert.Equal(0, il.PEHeaders.CorHeader!.ManagedNativeHeaderDirectory.Size);
            Assert.Equal(Mvid(il), Mvid(shipped));
        }

        static Guid Mvid(System.Reflection.PortableExecutable.PEReader pe)
        {
            var metadata = System.Reflection.Metadata.PEReaderExtensions.GetMetadataReader(pe);
            return metadata.GetGuid(metadata.GetModuleDefinition().Mvid);
        }
    }

    [Fact]
    public void ModuleFolder_HasTheLoaderAndCmdletsOnTop_AndEveryOtherBinaryInLib()
    {
        string dir = Path.GetDirectoryName(RepoPaths.ModuleManifest)!;
        foreach (string file in new[] { "Analysis.psd1", "Analysis.format.ps1xml", "Analysis.types.ps1xml", "Analysis.PowerShell.dll", "Analysis.PowerShell.Loader.dll", "en-US/Analysis.PowerShell.dll-Help.xml",
                     "lib/Analysis.dll", "lib/Microsoft.Diagnostics.Runtime.dll", "lib/Microsoft.Diagnostics.NETCore.Client.dll", "lib/Microsoft.CodeAnalysis.dll", "lib/FSharp.Core.dll" })
            Assert.True(File.Exists(Path.Combine(dir, file)), $"missing {file}");
        Assert.Equal(["Analysis.PowerShell.Loader.dll", "Analysis.PowerShell.dll"], Directory.GetFiles(dir, "*.dll").Select(Path.GetFileName).Order(StringComparer.Ordinal));
        // the Jupyter kernel's host (kernel/) is an application of its own that hosts PowerShell: its SMA is its own, and
        // none of our libraries is there (the module it imports loads them from lib/ into the module's context)
        string kernel = Path.Combine(dir, "kernel") + Path.DirectorySeparatorChar;
        Assert.DoesNotContain(Directory.GetFiles(dir, "System.Management.Automation.dll", SearchOption.AllDirectories), f => !f.StartsWith(kernel, StringComparison.Ordinal));
        Assert.False(Directory.Exists(Path.Combine(dir, "lib", "runtimes", "linux-x64", "native")), "PowerShell's native runtime must not be shipped");
        Assert.True(File.Exists(Path.Combine(kernel, "Analysis.KernelHost.dll")), "missing kernel/Analysis.KernelHost.dll");
        Assert.Equal(["Analysis.KernelHost.dll"], Directory.GetFiles(kernel, "Analysis*.dll", SearchOption.AllDirectories).Select(Path.GetFileName));
    }

    [Fact]
    public void Import_LoadsPrivateDependenciesIntoTheModuleContext_BesideTheHostsOwnRoslyn()
    {
        // This test host is Microsoft.PowerShell.SDK 7.6.9: like pwsh it has Microsoft.CodeAnalysis 5.0 on its own list.
        using var host = new PwshHost();
        var r = host.Run("""
            $null = Get-HeapTop -Path $nowhere -ErrorAction SilentlyContinue   # touches the core
            $alc = { param($t) [Runtime.Loader.AssemblyLoadContext]::GetLoadContext($t.Assembly).Name }
            & $alc ([Analysis.Dumps.DumpSession])
            & $alc ([Analysis.Reporting.Charts])
            & $alc ((Get-Command Get-HeapTop).ImplementingType)
            [string]::Join(',', @([AppDomain]::CurrentDomain.GetAssemblies() | Where-Object { $_.GetName().Name -in 'Analysis', 'Microsoft.Diagnostics.Runtime', 'FSharp.Core', 'Plotly.NET' } |
                Where-Object { [Runtime.Loader.AssemblyLoadContext]::GetLoadContext($_) -eq [Runtime.Loader.AssemblyLoadContext]::Default } | ForEach-Object { $_.GetName().Name }))
            """, new Dictionary<string, object?> { ["nowhere"] = "/nonexistent/x.dmp" });
        Assert.Empty(r.Errors);
        var lines = r.Strings.ToArray();
        Assert.StartsWith("Analysis module (", lines[0], StringComparison.Ordinal);
        Assert.Equal(lines[0], lines[1]);
        Assert.Equal("Default", lines[2]); // the cmdlets are an ordinary binary module
        Assert.Equal("", lines[3]); // none of our private dependencies in the host's context
    }

    public static TheoryData<string> AllCmdlets => new(Cmdlets);

    [Theory]
    [MemberData(nameof(AllCmdlets))]
    public void Help_EachCmdlet_HasSynopsisParametersAndExamples(string cmdlet)
    {
        using var host = new PwshHost();
        var r = host.Run("$h = Get-Help $name -Full; $h.Synopsis; @($h.examples.example).Count; @($h.parameters.parameter).Count; $h.examples.example[0].code",
            new Dictionary<string, object?> { ["name"] = cmdlet });
        var lines = r.Strings.ToArray();
        Assert.Empty(r.Errors);
        Assert.True(lines[0].Length > 20, $"synopsis of {cmdlet}: '{lines[0]}'");
        Assert.True(int.Parse(lines[1], System.Globalization.CultureInfo.InvariantCulture) >= 1);
        Assert.True(int.Parse(lines[2], System.Globalization.CultureInfo.InvariantCulture) >= 1);
        Assert.Contains(cmdlet, lines[3]);
    }

    [Fact]
    public void EveryCmdletResultType_HasACatalogView_AndTheFormatFileShowsExactlyTheCatalogsColumns()
    {
        using var host = new PwshHost();
        // every type a cmdlet declares it emits ([OutputType]), other than files, has a view in the module's catalog
        var missing = host.Run("""
            $types = @((Get-Module Analysis).ExportedCmdlets.Values | ForEach-Object { $_.OutputType } | ForEach-Object { $_.Type } |
                Where-Object { $_ -and $_ -ne [void] -and $_ -ne [IO.FileInfo] } | Sort-Object FullName -Unique)
            "$($types.Count) types"
            foreach ($t in $types) { if (-not [Analysis.Views.ViewCatalog]::Find($t)) { "no view of $($t.FullName)" } }
            """);
        Assert.Empty(missing.Errors);
        var lines = missing.Strings.ToList();
        Assert.True(int.Parse(lines[0].Split(' ')[0], System.Globalization.CultureInfo.InvariantCulture) >= 30, lines[0]);
        Assert.Equal([], lines.Skip(1));

        // the catalog's columns a terminal shows, as the module's own copy of the catalog has them
        var catalog = host.Run("""
            foreach ($v in [Analysis.Views.ViewCatalog]::Views) {
                foreach ($c in $v.TerminalColumns) { '{0}|{1}|{2}|{3}|{4}' -f $v.Type.FullName, $v.Kind, $c.Header, $c.Width, $c.Alignment }
            }
            """);
        Assert.Empty(catalog.Errors);
        var formats = host.Run("""
            foreach ($v in [Analysis.Views.ViewCatalog]::Views) { foreach ($c in $v.TerminalColumns) { if ($c.Format) { '{0}|{1}|{{0:{2}}}' -f $v.Type.FullName, $c.Header, $c.Format } } }
            """).Strings.ToHashSet(StringComparer.Ordinal);

        var format = XDocument.Load(Path.Combine(Path.GetDirectoryName(RepoPaths.ModuleManifest)!, "Analysis.format.ps1xml"));
        foreach (bool bySource in new[] { false, true })
        {
            var fromFile = new List<string>();
            foreach (var view in format.Descendants("View").Where(v => ((string)v.Element("ViewSelectedBy")!.Element("TypeName")!).EndsWith("#Sources", StringComparison.Ordinal) == bySource))
            {
                string type = ((string)view.Element("ViewSelectedBy")!.Element("TypeName")!).Replace("#Sources", "", StringComparison.Ordinal);
                if (view.Element("TableControl") is { } table)
                {
                    var headers = table.Descendants("TableColumnHeader").ToList();
                    var items = table.Descendants("TableColumnItem").ToList();
                    Assert.Equal(headers.Count, items.Count);
                    for (int i = 0; i < headers.Count; i++)
                    {
                        string label = (string)headers[i].Element("Label")!;
                        fromFile.Add($"{type}|Table|{label}|{(int?)headers[i].Element("Width") ?? 0}|{(string?)headers[i].Element("Alignment") ?? "Left"}");
                        CheckFormat(type, label, items[i]);
                    }
                }
                else
                {
                    foreach (var item in view.Descendants("ListItem"))
                    {
                        string label = (string?)item.Element("Label") ?? (string)item.Element("PropertyName")!;
                        fromFile.Add($"{type}|List|{label}|0|Left");
                        CheckFormat(type, label, item);
                    }
                }
            }

            Assert.Equal(catalog.Strings, fromFile);
        }

        // a column's format is in the file for the values pwsh formats itself (the catalog formats those it computes)
        void CheckFormat(string type, string label, XElement item)
        {
            string key = $"{type}|{label}|";
            if (item.Element("FormatString") is { } f)
                Assert.Contains(key + f.Value, formats);
            else
                Assert.True(!formats.Any(x => x.StartsWith(key, StringComparison.Ordinal)) || item.Element("ScriptBlock")!.Value.Contains("[Analysis.Views.ViewCatalog]::Cell(", StringComparison.Ordinal), $"{key} lost its format");
        }
    }

    [Fact]
    public void FormatViews_ReferToPropertiesTheObjectsHave_AndTheirScriptsEvaluate()
    {
        using var host = new PwshHost();
        string dump = DumpSet.FactsLite[CapturedDump.ClientWithHeap];
        var samples = new Dictionary<string, string>
        {
            ["Analysis.Dumps.DumpThread"] = "Get-DumpThreads $d",
            ["Analysis.Dumps.HeapTypeStat"] = "Get-HeapTop $d -Top 3",
            ["Analysis.Dumps.DumpSession"] = "Open-Dump $d",
            ["Analysis.Dumps.HeapTypeDiff"] = "Get-HeapTop $after -Baseline $before -Top 3",
            ["Analysis.Dumps.GcRootPath"] = "Get-GcRoot $d -TypeName 'Contoso.Retention.CustomerSession'",
            ["Analysis.Dumps.RetainedTypeStat"] = "Get-HeapTop $d -Retained -Top 3",
            ["Analysis.Dumps.StuckAwaitGroup"] = "Get-DumpTasks $d",
            ["Analysis.Dumps.AsyncStateMachine"] = "Get-DumpTasks $d -Detailed",
            ["Analysis.Dumps.SyncOverAsyncWait"] = "Get-DumpTasks $d -SyncOverAsync",
            ["Analysis.Findings.Finding"] = "Get-DumpTriage $d",
            ["Analysis.Dumps.ThreadPoolReport"] = "Get-DumpThreadPool $d",
            ["Analysis.Dumps.FinalizerReport"] = "Get-DumpFinalizer $d",
            ["Analysis.Notebooks.NotebookRunResult"] = "Invoke-Notebook $nb",
            ["Analysis.Traces.GcEvent"] = "Get-TraceGc $t",
            ["Analysis.Traces.GcSummary"] = "Get-TraceGcSummary $t",
            ["Analysis.Traces.CpuFunction"] = "Get-TraceCpuTop $t -Top 5",
            ["Analysis.Traces.FoldedStack"] = "Get-TraceStacks $t",
            ["Analysis.Traces.TraceException"] = "Get-TraceExceptions $t",
            ["Analysis.Traces.ContentionEvent"] = "Get-TraceContention $t",
            ["Analysis.Traces.TraceSession"] = "Import-Trace $t",
            ["Analysis.Traces.TraceRecording"] = "$rec",
            ["Analysis.Go.Goroutine"] = "Get-Goroutines $g2",
            ["Analysis.Stacks.StackBucket"] = "Group-Stacks -Path $g2",
            ["Analysis.Go.LeakSuspect"] = "Find-GoroutineLeak $g2",
            ["Analysis.Go.GoProfileSession"] = "Open-GoProfile $heap",
            ["Analysis.Go.PprofProfile"] = "Import-Pprof $heap",
            ["Analysis.Go.PprofTopRow"] = "Get-PprofTop $heap -Top 3",
            ["Analysis.Go.PprofPeekRow"] = "Get-PprofPeek $heap -Function '*orders.remember'",
            ["Analysis.Go.PprofTrace"] = "Get-PprofTraces $heap -Top 3",
            ["Analysis.Go.GcCycle"] = "Get-GoGcTrace $gclog",
            ["Analysis.Go.GcTraceSummary"] = "Get-GoGcTrace $gclog -Summary",
            ["Analysis.Go.GoExecutionTrace"] = "Get-GoTrace $gotrace",
            ["Analysis.Go.GoTraceGc"] = "Get-GoTrace $gotrace -View Gcs",
            ["Analysis.Go.GoTraceStopTheWorld"] = "Get-GoTrace $gotrace -View StopTheWorld",
            ["Analysis.Go.GoBlockReason"] = "Get-GoTrace $gotrace -View Blocking",
            ["Analysis.Go.GoStateSample"] = "Get-GoTrace $gotrace -View States -Steps 5",
            ["Analysis.Dumps.ObjectSize"] = "Get-DumpHandles $d -Kind Strong -List | Select-Object -First 1 | Measure-DumpObject -Dump (Open-Dump $d) -Retained",
            ["Analysis.Dumps.GcGenerationStat"] = "Get-GcHeap $d",
            ["Analysis.Dumps.GcSegmentStat"] = "Get-GcHeap $d -Segment",
            ["Analysis.Dumps.GcAddressInfo"] = "Get-GcHeap $d -Address (Get-GcHeap $d -Segment)[0].Start",
            ["Analysis.Dumps.HandleGroup"] = "Get-DumpHandles $d",
            ["Analysis.Dumps.DumpHandle"] = "Get-DumpHandles $d -List",
            ["Analysis.Dumps.DumpObject"] = "Get-GcRoot $d -TypeName 'Contoso.Inspect.InspectedOrder' | Get-DumpObject $d",
            ["Analysis.Dumps.DumpField"] = "@(Get-GcRoot $d -TypeName 'Contoso.Inspect.InspectedOrder' | Get-DumpObject $d)[0].Fields",
            ["Analysis.Dumps.DumpElement"] = "$o = @(Get-GcRoot $d -TypeName 'Contoso.Inspect.InspectedOrder' | Get-DumpObject $d)[0]; (Get-DumpObject $d -Address $o.Field('Tags').Address).Elements",
            ["Analysis.Dumps.DumpCollection"] = "Get-GcRoot $d -TypeName 'System.Collections.Generic.Dictionary<System.String, System.Int32>' | Get-DumpCollection $d",
            ["Analysis.Dumps.DumpEntry"] = "(Get-GcRoot $d -TypeName 'System.Collections.Generic.Dictionary<System.String, System.Int32>' | Get-DumpCollection $d).Entries",
            ["Analysis.Dumps.HeapObject"] = "Get-HeapObject $d -TypeName 'System.String' -First 3",
            ["Analysis.Timelines.TimelineEvent"] = "Get-Timeline $gclog, $gotrace, $heap1, $heap",
            ["Analysis.Timelines.TimelineAnchor"] = "Get-Timeline $gclog, $gotrace, $heap1, $heap -Anchors",
        };
        // the Go core results (issue 15), from a core fixture when the fixtures can be made here (GoCoreSet.Missing says why not)
        string[] goCoreTypes = ["Analysis.Go.GoCore", "Analysis.Go.GoCoreInfo", "Analysis.Go.GoThread", "Analysis.Go.GoMemoryState"];
        var goCore = GoCoreSet.Missing is null ? GoCoreSet.Instance["go1.23", GoCoreMode.Crash] : null;
        if (goCore is not null)
        {
            samples["Analysis.Go.GoCore"] = "Open-GoCore $core -Executable $exe";
            samples["Analysis.Go.GoCoreInfo"] = "Get-GoCoreInfo $core -Executable $exe";
            samples["Analysis.Go.GoThread"] = "(Get-GoCoreInfo $core -Executable $exe).Threads";
            samples["Analysis.Go.GoMemoryState"] = "(Get-GoCoreInfo $core -Executable $exe).Memory";
        }

        string go = Path.Combine(RepoPaths.Root, "tests", "testdata", "go");
        using var target = TargetProcess.Start("TraceTarget", TimeSpan.FromSeconds(120), "facts");
        string outFile = Path.Combine(TraceCaptures.Folder, $"view-{target.Id}.nettrace");
        Assert.Empty(host.Run("$global:rec = Start-TraceCapture -ProcessId $target -OutFile $out", new Dictionary<string, object?> { ["target"] = target.Id, ["out"] = outFile }).Errors);
        string notebook = Path.Combine(TraceCaptures.Folder, "view.dib");
        File.WriteAllText(notebook, "#!pwsh\n1\n");
        var format = XDocument.Load(Path.Combine(Path.GetDirectoryName(RepoPaths.ModuleManifest)!, "Analysis.format.ps1xml"));
        static string TypeOf(XElement view) => (string)view.Element("ViewSelectedBy")!.Element("TypeName")!;
        var all = format.Descendants("View").ToList();
        var views = all.Where(v => !TypeOf(v).EndsWith("#Sources", StringComparison.Ordinal) && (goCore is not null || !goCoreTypes.Contains(TypeOf(v)))).ToList();
        Assert.Equal(samples.Keys.Order(), views.Select(TypeOf).Order());
        // each view has its by-source twin (generated by the build), grouped by the Source property
        Assert.Equal(views.Select(v => TypeOf(v) + "#Sources").Order(), all.Select(TypeOf).Where(t => t.EndsWith("#Sources", StringComparison.Ordinal) && (goCore is not null || !goCoreTypes.Contains(t[..^"#Sources".Length]))).Order());
        Assert.All(all.Where(v => TypeOf(v).EndsWith("#Sources", StringComparison.Ordinal)), v => Assert.Equal("Source", (string)v.Element("GroupBy")!.Element("PropertyName")!));

        foreach (var view in views)
        {
            string type = (string)view.Element("ViewSelectedBy")!.Element("TypeName")!;
            var items = view.Descendants("TableColumnItem").Concat(view.Descendants("ListItem")).ToList();
            Assert.NotEmpty(items);
            if (view.Element("TableControl") is not null)
                Assert.Equal(view.Descendants("TableColumnHeader").Count(), items.Count);
            foreach (var item in items)
            {
                string script = item.Element("PropertyName") is { } p ? $"$_.PSObject.Properties['{p.Value}'] -ne $null" : $"$null = & {{ {item.Element("ScriptBlock")!.Value} }}; $true";
                var r = host.Run($"{samples[type]} | ForEach-Object {{ {script} }}",
                    new Dictionary<string, object?>
                    {
                        ["d"] = dump, ["t"] = TraceCaptures.Facts, ["g2"] = Path.Combine(go, "goroutines-debug2.txt"), ["heap"] = Path.Combine(go, "heap-2.pb.gz"),
                        ["gclog"] = Path.Combine(go, "gctrace.log"), ["gotrace"] = Path.Combine(go, "trace.out"),
                        ["before"] = GrowthDumps.Instance.Before, ["after"] = GrowthDumps.Instance.After, ["nb"] = notebook,
                        ["core"] = goCore?.CorePath, ["exe"] = goCore?.Executable,
                        ["heap1"] = Path.Combine(go, "heap-1.pb.gz"),
                    });
                Assert.True(r.Errors.Count == 0, $"{type} column '{item}': {string.Join("; ", r.Errors)}");
                Assert.NotEmpty(r.Output);
                Assert.All(r.Strings, s => Assert.Equal("True", s));
            }
        }

        Assert.Empty(host.Run("$rec | Stop-TraceCapture").Errors);
    }
}
