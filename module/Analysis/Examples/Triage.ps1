<#
.SYNOPSIS
Prints a triage of a .NET dump: ordered findings with evidence (deadlocks, thread-pool starvation, a blocked
finalizer, sync over async, exceptions in flight, leak suspects with root paths, stuck awaits), then the top heap
types by size and by retained size.

.DESCRIPTION
Imports the module it ships with (../Analysis.psd1) unless an Analysis module is already loaded.
Give a dump with -Path, or a live process with -ProcessId (a WithHeap dump is captured to -DumpPath first).

.EXAMPLE
./Triage.ps1 -Path ./app.dmp

.EXAMPLE
./Triage.ps1 -ProcessId 4242 -DumpPath /tmp/app.dmp
#>
[CmdletBinding(DefaultParameterSetName = 'Path')]
param(
    [Parameter(Mandatory, Position = 0, ParameterSetName = 'Path')]
    [string] $Path,

    [Parameter(Mandatory, ParameterSetName = 'Process')]
    [int] $ProcessId,

    [Parameter(Mandatory, ParameterSetName = 'Process')]
    [string] $DumpPath,

    [int] $Top = 10
)

$ErrorActionPreference = 'Stop'
if (-not (Get-Module Analysis)) { Import-Module (Join-Path $PSScriptRoot '..' 'Analysis.psd1') }
if ($PSCmdlet.ParameterSetName -eq 'Process') {
    $Path = (New-Dump -ProcessId $ProcessId -Path $DumpPath -Kind WithHeap).FullName
}

$dump = Open-Dump -Path $Path
$threads = @($dump | Get-DumpThreads)
$heap = @($dump | Get-HeapTop -Top $Top)

"Dump      $($dump.Path)"
"Process   $($dump.ProcessId), .NET $($dump.RuntimeVersion), $($threads.Count) managed threads"
''

$findings = @($dump | Get-DumpTriage)
"Findings: $($findings.Count)"
foreach ($f in $findings) {
    '[{0}] {1}: {2}' -f $f.Severity, $f.Kind, $f.Summary
    foreach ($e in $f.Evidence) { '      {0}' -f $e }
}
''

"Top $Top heap types by size"
'{0,12} {1,16}  {2}' -f 'Count', 'Bytes', 'Type'
foreach ($row in $heap) { '{0,12:N0} {1,16:N0}  {2}' -f $row.Count, $row.TotalSize, $row.TypeName }
''

"Top $Top heap types by retained size (what they keep alive)"
'{0,12} {1,16} {2,16}  {3}' -f 'Count', 'Shallow', 'Retained', 'Type'
foreach ($row in @($dump | Get-HeapTop -Retained -Top $Top)) { '{0,12:N0} {1,16:N0} {2,16:N0}  {3}' -f $row.Count, $row.ShallowSize, $row.RetainedSize, $row.TypeName }
''

$pool = $dump | Get-DumpThreadPool
"$pool"
foreach ($g in $pool.BusyWorkers) { '  busy: {0}' -f $g }
foreach ($q in $pool.Queued) { '  queued: {0}' -f $q }
foreach ($t in $pool.Timers) { '  timer: {0}' -f $t }
"Finalizer: $($dump | Get-DumpFinalizer)"
