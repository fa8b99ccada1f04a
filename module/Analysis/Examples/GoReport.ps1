<#
.SYNOPSIS
Prints a short report of Go artifacts: goroutine leaks, heap growth between two heap profiles, CPU top, GC behaviour.

.DESCRIPTION
Imports the module it ships with (../Analysis.psd1) unless an Analysis module is already loaded.
Give whichever artifacts you have; each section is printed only for what was given.

.EXAMPLE
./GoReport.ps1 -Goroutines ./goroutines.txt -HeapBase ./heap-1.pb.gz -Heap ./heap-2.pb.gz -Cpu ./cpu.pb.gz -GcTrace ./stderr.log -Trace ./trace.out
#>
param(
    [string] $Goroutines,
    [string] $HeapBase,
    [string] $Heap,
    [string] $Cpu,
    [string] $GcTrace,
    [string] $Trace,
    [int] $Top = 5
)

$ErrorActionPreference = 'Stop'
if (-not (Get-Module Analysis)) { Import-Module (Join-Path $PSScriptRoot '..' 'Analysis.psd1') }

if ($Goroutines) {
    $buckets = @(Group-Stacks -Path $Goroutines)
    $total = 0; foreach ($b in $buckets) { $total += $b.Count }
    "Goroutines  ${Goroutines}: $total in $($buckets.Count) distinct stacks"
    foreach ($leak in @(Find-GoroutineLeak -Path $Goroutines)) { "  ! $leak" }
    ''
}

if ($Heap) {
    if ($HeapBase) {
        "Heap growth  $HeapBase -> $Heap (inuse_space)"
        foreach ($row in @(Get-PprofTop -Path $Heap -Baseline $HeapBase -SampleIndex inuse_space -Top $Top)) { '  {0,12} {1,7:N2}%  {2}' -f $row.FlatText, $row.FlatPercent, $row.Function }
    }
    else {
        "Heap  $Heap (inuse_space)"
        foreach ($row in @(Get-PprofTop -Path $Heap -SampleIndex inuse_space -Top $Top)) { '  {0,12} {1,7:N2}%  {2}' -f $row.FlatText, $row.FlatPercent, $row.Function }
    }
    ''
}

if ($Cpu) {
    "CPU  $Cpu"
    foreach ($row in @(Get-PprofTop -Path $Cpu -Top $Top)) { '  {0,12} {1,7:N2}%  {2}' -f $row.FlatText, $row.FlatPercent, $row.Function }
    ''
}

if ($GcTrace) {
    $s = Get-GoGcTrace -Path $GcTrace -Summary
    "GC (gctrace)  $s"
    foreach ($a in $s.Anomalies) { "  ! $a" }
    ''
}

if ($Trace) {
    $t = Get-GoTrace -Path $Trace
    "Execution trace  $t"
    foreach ($p in @(Get-GoTrace -Path $Trace -View StopTheWorld)) { "  $p" }
    'Blocking:'
    foreach ($r in @(Get-GoTrace -Path $Trace -View Blocking)) { "  $r" }
}
