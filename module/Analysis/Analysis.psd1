@{
    RootModule           = 'Analysis.PowerShell.dll'
    ModuleVersion        = '0.1.0'
    GUID                 = '6f0d7a4e-3c1b-4c7e-9f7a-2b8c5d1e9a30'
    Author               = 'Analysis contributors'
    CompanyName          = 'Analysis'
    Copyright            = '(c) Analysis contributors. MIT license.'
    Description          = 'Incident analysis of .NET dumps and traces and Go artifacts: threads, deadlocks, heap statistics, GC pauses, CPU stacks, goroutine leaks, pprof profiles.'
    # The binaries target .NET 10: pwsh 7.6+, or PowerShell 7.5.4+ hosted in a .NET 10 process (the .NET Interactive kernel).
    PowerShellVersion    = '7.5'
    CompatiblePSEditions = @('Core')
    # Private dependencies live in lib/ and load into the module's own AssemblyLoadContext (not listed as
    # RequiredAssemblies, which would load them into the host's default context). The loader, imported first as a
    # nested module, points the host's failed lookups for them there before PowerShell reflects on the cmdlets.
    NestedModules        = @('Analysis.PowerShell.Loader.dll')
    FormatsToProcess     = @('Analysis.format.ps1xml')
    TypesToProcess       = @('Analysis.types.ps1xml')
    CmdletsToExport      = @(
        'Open-Dump'
        'Close-Dump'
        'New-Dump'
        'Get-DumpThreads'
        'Get-HeapTop'
        'Get-GcRoot'
        'Compare-Heap'
        'Get-DumpTasks'
        'Get-DumpThreadPool'
        'Get-DumpFinalizer'
        'Get-DumpTriage'
        'Start-TraceCapture'
        'Stop-TraceCapture'
        'Invoke-TraceCapture'
        'Import-Trace'
        'Close-Trace'
        'Get-TraceGc'
        'Get-TraceGcSummary'
        'Get-TraceCpuTop'
        'Get-TraceStacks'
        'Get-TraceExceptions'
        'Get-TraceContention'
        'Export-TraceStacks'
        'Get-Goroutines'
        'Group-Stacks'
        'Find-GoroutineLeak'
        'Import-Pprof'
        'Open-GoProfile'
        'Close-GoProfile'
        'Get-PprofTop'
        'Get-PprofPeek'
        'Get-PprofTraces'
        'Get-GoGcTrace'
        'Get-GoTrace'
        'Export-IncidentReport'
        'Invoke-Notebook'
        'Measure-DumpObject'
        'Get-GcHeap'
        'Get-DumpHandles'
        'Get-DumpObject'
        'Get-DumpCollection'
        'Get-HeapObject'
        'Open-GoCore'
        'Close-GoCore'
        'Get-GoCoreInfo'
        'Get-Timeline'
        'Export-Timeline'
        'Start-AnalysisKernel'
        'Install-AnalysisKernel'
    )
    FunctionsToExport    = @()
    AliasesToExport      = @('Get-GcTrace')
    VariablesToExport    = @()
    PrivateData          = @{
        PSData = @{
            Tags = @('dump', 'clrmd', 'deadlock', 'heap', 'trace', 'eventpipe', 'gc', 'flamegraph', 'go', 'pprof', 'goroutine', 'diagnostics', 'incident')
        }
    }
}
